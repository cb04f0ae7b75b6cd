//! Lease reads (Raft dissertation §6.4.1), opt-in with [`Config::lease_reads`].
//!
//! A follower that hears from its leader ignores other candidates' vote requests for an
//! election timeout by its own clock (check-quorum's rule, `Node::in_lease`). So when a
//! majority answers a heartbeat round the leader sent at time `T` of its clock, no other
//! leader can be elected before every one of those followers has counted an election
//! timeout from receiving it: by the leader's clock, not before `T + election_ticks -
//! clock_drift_ticks` when no clock gains more than the drift bound on another. Until then
//! the leader answers reads without a confirmation round of their own.
//!
//! Time is counted down, not stamped: the lease holds the ticks it has left and each round
//! its age, so a leader's state stays as small as the timeouts (the model checker hashes it).
//!
//! Three things would break the followers' side of the promise, and each is closed:
//! - a leadership transfer lets the target's vote requests pass the followers' lease, so a
//!   leader that sent `TimeoutNow` never trusts its lease again in that term;
//! - a restarted follower has forgotten whom it heard from, so with leases on it ignores vote
//!   requests for an election timeout after the restart, as if it had just heard a leader;
//! - a follower that adopts a higher term without a leader keeps the promise it made
//!   until its election timer fires.
//!
//! [`Config::lease_reads`]: crate::Config::lease_reads
use crate::node::Node;
use crate::node_set::NodeSet;
use crate::state_machine::StateMachine;
use crate::types::{NodeId, Role};
use serde::{Deserialize, Serialize};

/// A heartbeat round sent to win or renew the lease, waiting for a majority to answer.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct LeaseRound {
    /// The confirmation round's number (shared with reads' rounds, see `Reads`).
    pub round: u64,
    /// Ticks of the leader's clock since it was sent.
    pub age: u32,
    /// Who answered it or a later round (the leader itself included).
    pub acks: NodeSet,
}

/// The lease, on both sides: the leader's (time left, rounds in flight, whether a transfer
/// spent it) and a follower's promise to the leader it heard.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Lease {
    /// Leader: ticks of its own clock the lease still holds (0: no lease).
    pub remaining: u32,
    /// Leader: rounds sent for the lease that a majority has not answered yet, oldest first.
    pub rounds: Vec<LeaseRound>,
    /// Leader: a `TimeoutNow` went out this term, so the lease is no longer trusted (the
    /// target's vote requests pass the followers' promises).
    pub spent: bool,
    /// Follower: it heard from a leader, or restarted, since its election timer last fired,
    /// so it ignores vote requests until the timer fires (only with leases on).
    pub promised: bool,
}

impl<M: StateMachine> Node<M> {
    /// Whether the leader may answer a read now from its lease.
    pub(crate) fn lease_holds(&self) -> bool {
        self.config.lease_reads
            && self.role == Role::Leader
            && !self.lease.spent
            && self.lease.remaining > 0
    }

    /// How many ticks of the leader's lease are left (0: none, or leases are off).
    pub fn lease_remaining(&self) -> u32 {
        if self.lease_holds() {
            self.lease.remaining
        } else {
            0
        }
    }

    /// A leader's tick: the lease and its rounds age by one; a round that can no longer
    /// give a lease is forgotten.
    pub(crate) fn age_lease(&mut self) {
        let lease = &mut self.lease;
        lease.remaining = lease.remaining.saturating_sub(1);
        let ticks = self.config.lease_ticks();
        for r in &mut lease.rounds {
            r.age += 1;
        }
        lease.rounds.retain(|r| r.age < ticks);
    }

    /// With every heartbeat, a round for the lease. Its answers also confirm any read
    /// waiting for a round (they are later than any such read's own round).
    pub(crate) fn send_lease_round(&mut self) {
        if !self.config.lease_reads || self.lease.spent {
            return;
        }
        let round = self.reconfirm_reads();
        let mut acks = NodeSet::new();
        acks.insert(self.config.id);
        self.lease.rounds.push(LeaseRound {
            round,
            age: 0,
            acks,
        });
        self.count_lease_answers();
    }

    /// A follower answered round `round`: it received a round at least that late, so it
    /// counts for every lease round up to it.
    pub(crate) fn lease_answer(&mut self, follower: NodeId, round: u64) {
        for r in self.lease.rounds.iter_mut().filter(|r| r.round <= round) {
            r.acks.insert(follower);
        }
        self.count_lease_answers();
    }

    /// The newest round a majority answered gives the lease: `lease_ticks` from its sending.
    /// It and every older round are then done.
    fn count_lease_answers(&mut self) {
        let membership = self.membership;
        let Some(done) = self
            .lease
            .rounds
            .iter()
            .rposition(|r| membership.has_quorum(&r.acks))
        else {
            return;
        };
        let left = self.config.lease_ticks() - self.lease.rounds[done].age;
        self.lease.remaining = self.lease.remaining.max(left);
        self.lease.rounds.drain(..=done);
        self.serve_reads();
    }

    /// A leader handing over leadership: the target's vote requests will pass the
    /// followers' promises, so the lease is spent for the rest of the term.
    pub(crate) fn spend_lease(&mut self) {
        self.lease.remaining = 0;
        self.lease.rounds.clear();
        self.lease.spent = true;
    }

    /// A new term or role: the leader's side starts over; a follower's promise stays until
    /// its election timer fires.
    pub(crate) fn reset_leader_lease(&mut self) {
        let promised = self.lease.promised;
        self.lease = Lease {
            promised,
            ..Lease::default()
        };
    }

    /// A follower heard from its leader: it promises to ignore other candidates until its
    /// election timer fires.
    pub(crate) fn promise_lease(&mut self) {
        if self.config.lease_reads {
            self.lease.promised = true;
        }
    }
}
