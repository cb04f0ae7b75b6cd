//! Read Sound's record: for each read a leader is confirming (ReadIndex, dissertation §6.4),
//! which nodes told it, in its term and after the read began, that they had not moved on.
//!
//! A read may be answered from the leader's state only if no other leader can have
//! committed anything it does not hold when the read came. The confirmation round shows it:
//! a quorum that answered in the leader's term *after* the read began had not voted in a
//! later term by then, so no later leader existed. An answer sent before the read began
//! proves nothing about the read, even in the right term. The core counts answers by round
//! number; this record counts them by what the world saw happen, so that a core that counts
//! the wrong answers (an earlier term's, an answer to an earlier term's round) is caught at
//! the read it serves, long before a client could tell.
//!
//! Tracked by the world, not read from the node. It is history, not state, so the model
//! checker leaves it out of fingerprints; that cannot raise a false alarm: whatever history
//! reached a state, an answer the correct core may count (to a round the read waits for or a
//! later one) was sent after the read began, so every history records its sender.
use crate::invariants::{Invariant, Violation};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verraft_core::read::PendingRead;
use verraft_core::symmetry::{rename, Renaming};
use verraft_core::{Membership, NodeId, NodeSet, ReadId, Term};

/// One read being confirmed, and the nodes that vouched for its leader since it began.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
struct Confirming {
    leader: NodeId,
    term: Term,
    id: ReadId,
    /// The follower that forwarded the read (`None`: the leader's own).
    from: Option<NodeId>,
    witnesses: NodeSet,
}

/// The reads being confirmed, across all leaders (a few at a time; empty without reads).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct ReadWitnesses(Arc<Vec<Confirming>>);

impl ReadWitnesses {
    /// Leader `leader` of `term` is confirming `pending` now: note the reads that began in
    /// the event just run, witnessed by the leader alone, or with a lease that holds (whose
    /// soundness rests on check-quorum's promises, checked apart) by every member.
    pub fn began(
        &mut self,
        leader: NodeId,
        term: Term,
        pending: &[PendingRead],
        leased: Option<&Membership>,
    ) {
        for read in pending {
            let known = self.0.iter().any(|c| {
                c.leader == leader && c.term == term && c.id == read.id && c.from == read.from
            });
            if known {
                continue;
            }
            let list = Arc::make_mut(&mut self.0);
            // A read of an earlier term with the same name is over (a leader drops its reads
            // when its term ends).
            list.retain(|c| !(c.leader == leader && c.id == read.id && c.from == read.from));
            list.push(Confirming {
                leader,
                term,
                id: read.id,
                from: read.from,
                witnesses: initial_witnesses(leader, leased),
            });
        }
    }

    /// Node `voucher` answered a confirmation round of `leader` while in `term`: it counts
    /// for every read of that leader and term begun so far.
    pub fn answered(&mut self, voucher: NodeId, leader: NodeId, term: Term) {
        let mine = |c: &Confirming| c.leader == leader && c.term == term;
        if !self
            .0
            .iter()
            .any(|c| mine(c) && !c.witnesses.contains(voucher))
        {
            return;
        }
        for c in Arc::make_mut(&mut self.0).iter_mut().filter(|c| mine(c)) {
            c.witnesses.insert(voucher);
        }
    }

    /// Read Sound, at the moment leader `leader` of `term` serves read `id` (forwarded by
    /// `from`, or its own), whose answer must reflect everything committed before it began:
    /// a quorum of `membership` must have vouched for the leader since then. A read begun and
    /// served in one event has only the leader (and a lease) to vouch for it. The record of
    /// the read is done with.
    pub fn served(
        &mut self,
        leader: NodeId,
        term: Term,
        id: ReadId,
        from: Option<NodeId>,
        membership: &Membership,
        leased: bool,
    ) -> Result<(), Violation> {
        let at = self
            .0
            .iter()
            .position(|c| c.leader == leader && c.term == term && c.id == id && c.from == from);
        let witnesses = match at {
            Some(at) => Arc::make_mut(&mut self.0).remove(at).witnesses,
            None => initial_witnesses(leader, leased.then_some(membership)),
        };
        if membership.has_quorum(&witnesses) {
            return Ok(());
        }
        let (client, seq) = crate::client::read_of(id);
        let whose = match from {
            Some(f) => format!("forwarded by n{f}"),
            None => "asked of it".to_string(),
        };
        let vouched: Vec<String> = witnesses.iter().map(|n| format!("n{n}")).collect();
        Err(Violation::new(
            Invariant::ReadSound,
            format!(
                "leader n{leader} of term {term} serves c{client}'s read #{seq} ({whose}) while only {} vouched for its leadership in that term since the read began, not a quorum of {membership}, so a later leader may have committed what the read does not see",
                vouched.join(", ")
            ),
        ))
    }

    /// Leader `leader` refused read `id` or lost it (it stepped down, or went down): the
    /// record of it is done with.
    pub fn dropped(&mut self, leader: NodeId, id: ReadId, from: Option<NodeId>) {
        let gone = |c: &Confirming| c.leader == leader && c.id == id && c.from == from;
        if self.0.iter().any(gone) {
            Arc::make_mut(&mut self.0).retain(|c| !gone(c));
        }
    }

    /// Node `id` went down: its reads in progress are gone with its memory.
    pub fn crashed(&mut self, id: NodeId) {
        if self.0.iter().any(|c| c.leader == id) {
            Arc::make_mut(&mut self.0).retain(|c| c.leader != id);
        }
    }

    /// The record with every node id renamed by `map`.
    pub fn renamed(&self, map: Renaming) -> ReadWitnesses {
        if self.0.is_empty() {
            return self.clone();
        }
        let list = self
            .0
            .iter()
            .map(|c| Confirming {
                leader: rename(map, c.leader),
                term: c.term,
                id: c.id,
                from: c.from.map(|f| rename(map, f)),
                witnesses: c.witnesses.map(|n| rename(map, n)),
            })
            .collect();
        ReadWitnesses(Arc::new(list))
    }
}

fn initial_witnesses(leader: NodeId, leased: Option<&Membership>) -> NodeSet {
    let mut set = leased.map_or_else(NodeSet::new, |m| m.members());
    set.insert(leader);
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(id: ReadId) -> PendingRead {
        PendingRead {
            id,
            from: None,
            index: 1,
            round: 1,
            acks: NodeSet::new(),
        }
    }

    fn three() -> Membership {
        Membership::of_voters(1..=3)
    }

    #[test]
    fn only_answers_sent_after_a_read_began_vouch_for_it() {
        let mut w = ReadWitnesses::default();
        w.began(1, 2, &[pending(7)], None);
        w.answered(2, 1, 1); // an earlier term's answer
        w.answered(3, 2, 2); // to another leader
        let err = w.served(1, 2, 7, None, &three(), false).unwrap_err();
        assert_eq!(err.invariant, Invariant::ReadSound);

        w.began(1, 2, &[pending(8)], None);
        w.answered(2, 1, 2);
        w.began(1, 2, &[pending(8), pending(9)], None);
        assert!(w.served(1, 2, 8, None, &three(), false).is_ok());
        // n2's answer came before read 9 began.
        assert!(w.served(1, 2, 9, None, &three(), false).is_err());
        assert!(w.0.is_empty(), "served reads are done with");
    }

    #[test]
    fn a_lease_or_a_one_node_cluster_vouches_at_once() {
        let mut w = ReadWitnesses::default();
        assert!(w.served(1, 1, 1, None, &three(), true).is_ok());
        assert!(w
            .served(1, 1, 1, None, &Membership::of_voters(1..=1), false)
            .is_ok());
        assert!(w.served(1, 1, 1, None, &three(), false).is_err());
    }

    #[test]
    fn renaming_moves_leaders_senders_and_witnesses() {
        let mut w = ReadWitnesses::default();
        w.began(
            1,
            3,
            &[PendingRead {
                from: Some(2),
                ..pending(4)
            }],
            None,
        );
        w.answered(3, 1, 3);
        let swap: Renaming = &[2, 1, 3];
        let mut r = w.renamed(swap);
        assert!(r.served(2, 3, 4, Some(1), &three(), false).is_ok());
        w.crashed(1);
        assert!(w.0.is_empty());
    }
}
