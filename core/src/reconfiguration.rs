//! The node's side of membership change (see [`membership`](crate::membership)): which
//! configuration is in force, how a leader proposes a change, and what committing one does.
use crate::bugs::Bug;
use crate::membership::{Membership, MembershipChange, MembershipError};
use crate::node::{Node, Progress, Proposal};
use crate::node_set::NodeSet;
use crate::state_machine::StateMachine;
use crate::types::{Index, NodeId, Payload, Role};

impl<M: StateMachine> Node<M> {
    /// The configuration in force: the latest in the log (committed or not), else the
    /// snapshot's, else the voters the node was started with.
    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    /// The index of the entry that set the configuration in force (the snapshot's index,
    /// or 0 for the one the node was started with, when no entry in the log did).
    pub fn membership_index(&self) -> Index {
        self.membership_index
    }

    /// The configuration as of `index`: the latest entry at or before it in the log, else
    /// the snapshot's, else the starting one; with the index that set it.
    pub(crate) fn membership_at(&self, index: Index) -> (Membership, Index) {
        let first = self.log.snapshot_index() + 1;
        let last = index.min(self.log.last_index());
        if last >= first {
            for (offset, entry) in self.log.slice(first, last).iter().enumerate().rev() {
                if let Payload::Config(m) = entry.payload {
                    return (m, first + offset as Index);
                }
            }
        }
        match self.snapshot.membership {
            Some(m) => (m, self.snapshot.meta.index),
            None => (Membership::of_voters(self.config.voters.iter().copied()), 0),
        }
    }

    /// Take the configuration from the log again, after entries were appended or cut: a
    /// truncated configuration entry gives way to the one before it.
    pub(crate) fn refresh_membership(&mut self) {
        let (m, index) = self.membership_at(self.log.last_index());
        self.set_membership(m, index);
    }

    fn set_membership(&mut self, m: Membership, index: Index) {
        self.membership = m;
        self.membership_index = index;
        if self.role == Role::Leader {
            self.track_members();
        }
    }

    /// A leader keeps a progress record for every member but itself: new members start at
    /// its log's end (the consistency check walks them back), gone ones are dropped.
    pub(crate) fn track_members(&mut self) {
        let me = self.config.id;
        let members = self.membership.members();
        let next = self.log.last_index() + 1;
        let gone: Vec<NodeId> = self
            .progress
            .keys()
            .filter(|id| !members.contains(*id))
            .collect();
        for id in gone {
            self.progress.remove(id);
        }
        for id in members.iter().filter(|id| *id != me) {
            if self.progress.get(id).is_none() {
                self.progress.insert(
                    id,
                    Progress {
                        matched: 0,
                        next,
                        recent_active: false,
                    },
                );
            }
        }
    }

    /// Ask the leader to change the cluster's membership. The change is a log entry, in
    /// force at once on the leader and at each node as it receives it; it is done when that
    /// entry commits (watch `applied` for the returned index, as for a proposal). A joint
    /// change appends C_old,new now and C_new by itself once C_old,new commits.
    ///
    /// Refused, appending nothing, unless this node leads, an entry of its own term has
    /// committed, no other configuration entry is uncommitted, and the change fits the
    /// configuration in force (see [`MembershipError`]).
    pub fn change_membership(
        &mut self,
        change: MembershipChange,
    ) -> Result<Proposal, MembershipError> {
        let next = self.check_membership_change(&change)?;
        Ok(self.append_membership(next))
    }

    /// The configuration `change` would lead to if [`Node::change_membership`] were asked
    /// now, or why it would be refused; changes nothing.
    pub fn check_membership_change(
        &self,
        change: &MembershipChange,
    ) -> Result<Membership, MembershipError> {
        self.may_change_membership()?;
        let next = self.membership.apply(change)?;
        if let MembershipChange::Promote(id) = *change {
            let matched = self.progress.get(id).map_or(0, |p| p.matched);
            if matched < self.commit {
                return Err(MembershipError::LearnerBehind {
                    id,
                    matched,
                    commit: self.commit,
                });
            }
        }
        Ok(next)
    }

    /// Whether this node would take some membership change now: it leads, is not handing
    /// leadership over, an entry of its own term has committed, and no other configuration
    /// entry is uncommitted. Which changes fit the configuration in force is
    /// [`Node::check_membership_change`]'s question; this one is cheaper and settles most
    /// asks (a driver offering changes can skip listing them).
    pub fn may_change_membership(&self) -> Result<(), MembershipError> {
        self.may_propose()?;
        if self.log.term_at(self.commit) != Some(self.term) && !self.config.bug(Bug::EarlyConfig) {
            return Err(MembershipError::TermNotCommitted);
        }
        if self.membership_index > self.commit {
            return Err(MembershipError::ChangeUncommitted {
                index: self.membership_index,
            });
        }
        Ok(())
    }

    fn append_membership(&mut self, m: Membership) -> Proposal {
        let index = self.append_own(Payload::Config(m));
        self.set_membership(m, index);
        // Members just added start at the log's end and are brought up from the next
        // heartbeat on, as a follower that missed appends is.
        self.replicate_new_entries();
        // The quorum may have changed (a voter less can make one): count again.
        self.maybe_commit();
        Proposal {
            index,
            term: self.term,
        }
    }

    /// After the commit index moved, at a leader: a committed C_old,new is followed by
    /// C_new, and a committed configuration without this leader among its voters ends its
    /// leadership (it led until then, counting only the others toward quorums).
    pub(crate) fn on_commit_membership(&mut self) {
        if self.role != Role::Leader || self.membership_index > self.commit {
            return;
        }
        if self.membership.is_joint() {
            let next = self.membership.leave_joint();
            self.append_membership(next);
            return;
        }
        if !self.membership.is_voter(self.config.id) {
            // The voters learn that the change committed (their next leader needs them to
            // know), then the cluster is theirs.
            self.broadcast_heartbeat();
            let term = self.term;
            self.become_follower(term, None);
        }
    }

    /// Whether this node's election timer may start an election: it votes in the
    /// configuration at its commit index or in any later one in its log (the latest
    /// included). Any of those may be where the cluster lands; a node that holds the most
    /// up-to-date log refuses its vote to the others, so if it could not campaign because
    /// its latest, uncommitted, configuration leaves it out, nobody could be elected.
    /// (Who campaigns does not matter to safety: votes are counted in the candidate's
    /// latest configuration.)
    pub fn may_campaign(&self) -> bool {
        let me = self.config.id;
        if self.membership.is_voter(me) {
            return true;
        }
        if self.membership_index <= self.commit {
            return false;
        }
        if self.membership_at(self.commit).0.is_voter(me) {
            return true;
        }
        let first = (self.commit + 1).max(self.log.snapshot_index() + 1);
        self.log
            .slice(first, self.log.last_index())
            .iter()
            .any(|e| matches!(e.payload, Payload::Config(m) if m.is_voter(me)))
    }

    /// How far behind the leader's log `id` is, in entries (leader only; `None` for a node
    /// it does not replicate to). A learner with lag 0 holds everything the leader does.
    pub fn replication_lag(&self, id: NodeId) -> Option<Index> {
        if self.role != Role::Leader {
            return None;
        }
        let p = self.progress.get(id)?;
        Some(self.log.last_index().saturating_sub(p.matched))
    }

    /// The voters that answered, this node included when it votes: what quorum checks
    /// count.
    pub(crate) fn with_self_if_voter(&self, mut acks: NodeSet) -> NodeSet {
        if self.membership.is_voter(self.config.id) {
            acks.insert(self.config.id);
        }
        acks
    }
}
