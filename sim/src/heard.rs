//! Whom each leader heard from since its last check-quorum check, as the world saw messages
//! delivered (any message of the leader's term from a peer counts, as in the core), and, in
//! worlds that keep time, how many ticks of its clock passed since (the check comes every
//! election timeout's worth of ticks; starting a leadership transfer restarts the count). With it
//! Check-Quorum Sound judges both ways: a leader that heard from a quorum keeps leading (read
//! from the node's own marks), and a leader that did not steps down at its check (read from
//! this record, so that a leader whose marks never clear, and which so never steps down when
//! cut off, is caught).
//!
//! History, not state: the model checker leaves it out of fingerprints. That raises no false
//! alarm: the node marks a peer only at a delivery recorded here and clears its marks only at
//! a check, where this record is cleared too, so in every history that reaches a state the
//! record holds at least the node's marks.
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verraft_core::symmetry::{rename, Renaming};
use verraft_core::{NodeId, NodeSet, Term};

/// Since a leader's last check: whom it heard from and how many ticks of its clock passed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
struct Since {
    term: Term,
    heard: NodeSet,
    ticks: u32,
}

/// Per leader, what happened in the term it leads since its last check.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct HeardSince(Arc<VecMap<NodeId, Since>>);

impl HeardSince {
    /// Leader `leader` of `term` received a message of its term from `from`.
    pub fn heard(&mut self, leader: NodeId, term: Term, from: NodeId) {
        let mut since = self.of(leader, term);
        if since.heard.contains(from) {
            return;
        }
        since.heard.insert(from);
        Arc::make_mut(&mut self.0).insert(leader, since);
    }

    /// Whom leader `leader` of `term` heard from since its last check (or since it was
    /// elected).
    pub fn since_check(&self, leader: NodeId, term: Term) -> NodeSet {
        self.of(leader, term).heard
    }

    /// One tick of leader `leader`'s clock passed in `term`: the ticks since its last check.
    pub fn ticked(&mut self, leader: NodeId, term: Term) -> u32 {
        let mut since = self.of(leader, term);
        since.ticks += 1;
        Arc::make_mut(&mut self.0).insert(leader, since);
        since.ticks
    }

    /// Leader `leader` of `term` started a leadership transfer, which restarts its timer
    /// (the transfer has an election timeout to complete) but not whom it heard from.
    pub fn timer_restarted(&mut self, leader: NodeId, term: Term) {
        let mut since = self.of(leader, term);
        if since.ticks != 0 {
            since.ticks = 0;
            Arc::make_mut(&mut self.0).insert(leader, since);
        }
    }

    fn of(&self, leader: NodeId, term: Term) -> Since {
        match self.0.get(&leader) {
            Some(since) if since.term == term => *since,
            _ => Since {
                term,
                ..Since::default()
            },
        }
    }

    /// Node `id` ran its check (or went down): it starts counting afresh.
    pub fn checked(&mut self, id: NodeId) {
        if self.0.get(&id).is_some() {
            Arc::make_mut(&mut self.0).retain(|leader, _| *leader != id);
        }
    }

    /// The record with every node id renamed by `map`.
    pub fn renamed(&self, map: Renaming) -> HeardSince {
        if self.0.is_empty() {
            return self.clone();
        }
        let renamed = self
            .0
            .iter()
            .map(|(id, since)| {
                let heard = since.heard.map(|n| rename(map, n));
                (rename(map, *id), Since { heard, ..*since })
            })
            .collect::<VecMap<_, _>>();
        HeardSince(Arc::new(renamed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_lasts_one_term_and_one_check() {
        let mut h = HeardSince::default();
        h.heard(1, 2, 3);
        h.heard(1, 2, 2);
        assert_eq!(h.since_check(1, 2).iter().collect::<Vec<_>>(), vec![2, 3]);
        assert!(h.since_check(1, 3).is_empty(), "another term's leadership");
        h.heard(1, 3, 2);
        assert_eq!(h.since_check(1, 3).iter().collect::<Vec<_>>(), vec![2]);
        h.checked(1);
        assert!(h.since_check(1, 3).is_empty());
        assert_eq!((h.ticked(1, 3), h.ticked(1, 3)), (1, 2));
        h.heard(1, 3, 3);
        h.timer_restarted(1, 3);
        assert_eq!(h.ticked(1, 3), 1, "a transfer restarts the timer");
        assert_eq!(h.since_check(1, 3).len(), 1, "but not whom it heard from");
        h.heard(2, 1, 1);
        let r = h.renamed(&[2, 1, 3]);
        assert_eq!(r.since_check(1, 1).iter().collect::<Vec<_>>(), vec![2]);
    }
}
