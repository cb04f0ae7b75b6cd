//! Linearizable reads without writing to the log: ReadIndex (Raft dissertation §6.4).
//!
//! The leader notes the read's index (its commit index, and at least the first entry of its
//! own term, so that everything committed before it became leader is included), confirms
//! it is still the leader by a round of `ReadConfirm` messages answered by a majority, waits
//! until an entry of its own term has committed, and then answers: for a read of its own,
//! once it has applied up to the index; for a read a follower forwarded (`ReadIndex`), by
//! telling the follower the index, which then answers once it has applied up to it.
//!
//! The driver learns the outcome as a [`ReadState`] in [`Ready::reads`](crate::Ready::reads)
//! and answers from the state machine right then: it has applied everything the read must
//! see. A refused read (no leader, or leadership lost before confirmation) says so, and the
//! client tries again.
use crate::bugs::Bug;
use crate::message::Message;
use crate::node::Node;
use crate::node_set::NodeSet;
use crate::state_machine::StateMachine;
use crate::types::{Index, NodeId, Role, Term};
use serde::{Deserialize, Serialize};

/// A read's identity, chosen by the driver (unique among its reads in flight).
pub type ReadId = u64;

/// The outcome of a read, handed out in `Ready::reads`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct ReadState {
    /// The read, as the driver named it.
    pub id: ReadId,
    /// `Some(index)`: the read may be answered now from the state machine, which has applied
    /// at least up to `index`. `None`: refused (no leader known, or leadership was lost before
    /// the read was confirmed); ask again, maybe elsewhere.
    pub index: Option<Index>,
}

/// A read the leader is confirming.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct PendingRead {
    /// The read.
    pub id: ReadId,
    /// The follower that forwarded it (`None`: a read of the leader's own driver).
    pub from: Option<NodeId>,
    /// The index the read must see.
    pub index: Index,
    /// The confirmation round it waits for: answers to that round or a later one count.
    pub round: u64,
    /// The nodes that answered a round from `round` on (the leader itself included).
    pub acks: NodeSet,
}

/// A node's reads in progress: confirming (leader), or forwarded and waiting (follower).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Reads {
    /// The number of the last confirmation round started (a leader's count, restarting with
    /// each term). Rounds are numbered from 1: round 0 names no round. It is what a node
    /// answers to a round of an earlier term (to tell its sender of the newer term); such an
    /// answer may have been sent before a read of the new term began, so it must count for
    /// none (numbered from 0, it once counted for the first read of a leader that led again,
    /// and served that read stale).
    pub last_round: u64,
    /// Reads being confirmed, in the order they came.
    pub pending: Vec<PendingRead>,
    /// Reads forwarded to the leader: the index once the leader told it.
    pub forwarded: Vec<(ReadId, Option<Index>)>,
}

impl Reads {
    /// Whether nothing is in progress and the round count is at its start: reads leave no
    /// trace in the state of a node that serves none (the model checker hashes it).
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.forwarded.is_empty() && self.last_round == 0
    }
}

impl<M: StateMachine> Node<M> {
    /// The reads this node is confirming as leader, in the order they came (empty unless it
    /// leads): for drivers and checkers that watch reads in progress.
    pub fn pending_reads(&self) -> &[PendingRead] {
        &self.reads.pending
    }

    /// Read linearizably, without writing to the log. The outcome comes later in
    /// `Ready::reads` under `id` (see [`ReadState`]). A leader confirms its leadership
    /// first; a follower forwards the read to the leader it knows. A node that knows no
    /// leader refuses the read at once (in `Ready::reads`).
    pub fn read(&mut self, id: ReadId) {
        match self.role {
            Role::Leader => {
                if self.config.bug(Bug::LocalRead) {
                    // The bug: answer from local state, as if still the leader.
                    self.answer_read(self.term, id, None, Some(self.applied));
                    return;
                }
                let index = self.commit.max(self.term_start());
                self.confirm_read(id, None, index);
            }
            Role::Follower if self.leader.is_some() => {
                let leader = self.leader.unwrap_or_default();
                // Asked again while forwarded: forward again (the first may be lost), but
                // keep one record of it.
                if !self.reads.forwarded.iter().any(|(r, _)| *r == id) {
                    self.reads.forwarded.push((id, None));
                }
                let term = self.term;
                self.send(leader, Message::ReadIndex { term, id });
            }
            _ => self.outbox.reads.push(ReadState { id, index: None }),
        }
    }

    /// The first index of the leader's own term (its no-op): a read must see at least that
    /// far, so that it sees everything committed before this node led.
    fn term_start(&self) -> Index {
        let last = self.log.last_index();
        self.log.first_index_of_term(self.term, last)
    }

    /// Start confirming a read: one round of `ReadConfirm` to every follower. A read asked
    /// again (a client's retry, a duplicated forward) while it is being confirmed joins the
    /// confirmation already under way: reads in progress stay as few as the reads there are.
    fn confirm_read(&mut self, id: ReadId, from: Option<NodeId>, index: Index) {
        if self
            .reads
            .pending
            .iter()
            .any(|r| r.id == id && r.from == from)
        {
            return;
        }
        self.reads.last_round += 1;
        let round = self.reads.last_round;
        let mut acks = NodeSet::new();
        acks.insert(self.config.id);
        // A lease stands for the confirmation round: no other leader can be elected before
        // it runs out. The read still waits for an entry of this term to commit.
        let leased = self.lease_holds();
        if leased {
            for v in self.membership.members().iter() {
                acks.insert(v);
            }
        }
        self.reads.pending.push(PendingRead {
            id,
            from,
            index,
            round,
            acks,
        });
        if !leased {
            let term = self.term;
            for peer in self.peers() {
                self.send(peer, Message::ReadConfirm { term, round });
            }
        }
        self.serve_reads();
    }

    /// A new confirmation round for every read still waiting: its answers count for all of
    /// them (each was received before the round was sent). Returns the round's number.
    pub(crate) fn reconfirm_reads(&mut self) -> u64 {
        self.reads.last_round += 1;
        let round = self.reads.last_round;
        let term = self.term;
        let peers = self.peers();
        for peer in peers {
            self.send(peer, Message::ReadConfirm { term, round });
        }
        round
    }

    /// A follower forwarded a read: confirm it as the leader, or refuse it.
    pub(crate) fn handle_read_index(&mut self, follower: NodeId, id: ReadId) {
        let term = self.term;
        if self.role != Role::Leader {
            self.answer_read(term, id, Some(follower), None);
        } else if self.config.bug(Bug::LocalRead) {
            // The bug: no confirmation; the index is whatever this node has committed.
            self.answer_read(term, id, Some(follower), Some(self.commit));
        } else {
            let index = self.commit.max(self.term_start());
            self.confirm_read(id, Some(follower), index);
        }
    }

    /// A leader's confirmation round: a follower of its term answers, which is also word
    /// from the leader (like a heartbeat).
    pub(crate) fn handle_read_confirm(&mut self, leader: NodeId, term: Term, round: u64) {
        if term == self.term && self.role != Role::Leader {
            if self.role != Role::Follower {
                self.become_follower(term, Some(leader));
            }
            self.leader = Some(leader);
            self.reset_election_timer();
            self.promise_lease();
        }
        // An answer to a request of an older term only tells its sender the newer term: it
        // names no round (0), so that it confirms no read and no lease of the newer term,
        // which may have begun after it was sent, and does not carry a stale round's number
        // into a term in which nobody uses it.
        let round = if term < self.term { 0 } else { round };
        let term = self.term;
        self.send(leader, Message::ReadConfirmResponse { term, round });
    }

    /// A follower answered a confirmation round: it counts for every read of that round or
    /// an earlier one.
    pub(crate) fn handle_read_confirm_response(
        &mut self,
        follower: NodeId,
        term: Term,
        round: u64,
    ) {
        if self.role != Role::Leader || term != self.term {
            return;
        }
        for read in self.reads.pending.iter_mut().filter(|r| r.round <= round) {
            read.acks.insert(follower);
        }
        if self.config.lease_reads {
            self.lease_answer(follower, round);
        }
        self.serve_reads();
    }

    /// The leader told this follower a forwarded read's index (or refused it).
    pub(crate) fn handle_read_index_response(&mut self, id: ReadId, index: Option<Index>) {
        let Some(at) = self
            .reads
            .forwarded
            .iter()
            .position(|(r, i)| *r == id && i.is_none())
        else {
            return; // a duplicate answer, or one to a read already given up
        };
        match index {
            Some(index) => self.reads.forwarded[at].1 = Some(index),
            None => {
                self.reads.forwarded.remove(at);
                self.outbox.reads.push(ReadState { id, index: None });
            }
        }
        self.serve_reads();
    }

    /// Answer every read whose time has come: confirmed by a majority with an entry of the
    /// leader's term committed (leader), and applied up to its index (the node answering).
    pub(crate) fn serve_reads(&mut self) {
        if self.role == Role::Leader && !self.reads.pending.is_empty() {
            let membership = self.membership;
            let own_term_committed = self.log.term_at(self.commit) == Some(self.term);
            let applied = self.applied;
            let term = self.term;
            let mut i = 0;
            while i < self.reads.pending.len() {
                let r = &self.reads.pending[i];
                let ready = own_term_committed
                    && membership.has_quorum(&r.acks)
                    && (r.from.is_some() || applied >= r.index);
                if !ready {
                    i += 1;
                    continue;
                }
                let r = self.reads.pending.remove(i);
                self.answer_read(term, r.id, r.from, Some(r.index));
            }
        }
        let applied = self.applied;
        let mut i = 0;
        while i < self.reads.forwarded.len() {
            match self.reads.forwarded[i] {
                (id, Some(index)) if applied >= index => {
                    self.reads.forwarded.remove(i);
                    self.outbox.reads.push(ReadState {
                        id,
                        index: Some(index),
                    });
                }
                _ => i += 1,
            }
        }
    }

    /// Give a read the leader was asked for its outcome: to its own driver, or to the
    /// follower that forwarded it.
    fn answer_read(&mut self, term: Term, id: ReadId, from: Option<NodeId>, index: Option<Index>) {
        match from {
            None => self.outbox.reads.push(ReadState { id, index }),
            Some(follower) => self.send(follower, Message::ReadIndexResponse { term, id, index }),
        }
    }

    /// Leadership or the term changed: reads in progress can no longer be confirmed or
    /// answered as they were. Refuse them, so that their clients ask again, and start the
    /// round count over.
    pub(crate) fn drop_reads(&mut self) {
        if self.reads.is_idle() {
            return;
        }
        let reads = std::mem::take(&mut self.reads);
        let term = self.term;
        for r in reads.pending {
            self.answer_read(term, r.id, r.from, None);
        }
        for (id, _) in reads.forwarded {
            self.outbox.reads.push(ReadState { id, index: None });
        }
    }
}
