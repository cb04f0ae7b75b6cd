//! Log replication (Raft §5.3, §5.4.2): AppendEntries, its responses, and the commit rule.
use crate::bugs::Bug;
use crate::message::Message;
use crate::node::Node;
use crate::state_machine::StateMachine;
use crate::types::{Entry, Index, NodeId, Payload, Role, Term};
use smallvec::SmallVec;
use std::sync::Arc;

/// The entries of the last append built during one broadcast, by the index they start at:
/// followers at the same point get the same slice, shared instead of copied again.
type Shared<C> = Option<(Index, Arc<[Entry<C>]>)>;

impl<M: StateMachine> Node<M> {
    /// Send `peer` the entries from its `next` index on (or an empty heartbeat), and advance
    /// `next` past them without waiting for the answer: appends are pipelined.
    pub(crate) fn send_append(&mut self, peer: NodeId) {
        self.send_append_sharing(peer, &mut None);
    }

    fn send_append_sharing(&mut self, peer: NodeId, shared: &mut Shared<M::Command>) {
        let Some(progress) = self.progress.get(peer).copied() else {
            return;
        };
        let prev_log_index = progress.next - 1;
        let Some(prev_log_term) = self.log.term_at(prev_log_index) else {
            if prev_log_index < self.log.snapshot_index() {
                self.send_snapshot(peer);
            }
            return;
        };
        let last = self
            .log
            .last_index()
            .min(prev_log_index + Index::from(self.config.max_append_entries));
        let slice = self.log.slice(progress.next, last);
        let entries: Arc<[Entry<M::Command>]> = match shared {
            // (The range depends only on where it starts.)
            Some((from, entries)) if *from == progress.next => entries.clone(),
            // An empty `Arc<[_]>` from `default` shares one static allocation: heartbeats
            // to followers that are caught up allocate nothing.
            _ if slice.is_empty() => Arc::default(),
            _ => {
                let entries: Arc<[Entry<M::Command>]> = slice.into();
                *shared = Some((progress.next, entries.clone()));
                entries
            }
        };
        if let Some(p) = self.progress.get_mut(peer) {
            p.next = prev_log_index + entries.len() as Index + 1;
        }
        let msg = Message::AppendEntries {
            term: self.term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit,
        };
        self.send(peer, msg);
    }

    /// After a proposal: send the new entries to every follower that is caught up; the others
    /// are still being repaired and will get them as their responses come in.
    pub(crate) fn replicate_new_entries(&mut self) {
        let last = self.log.last_index();
        let peers = self.peers();
        let mut shared = None;
        for peer in peers {
            if self.progress.get(peer).is_some_and(|p| p.next == last) {
                self.send_append_sharing(peer, &mut shared);
            }
        }
    }

    /// Heartbeats re-send everything not yet acknowledged, so a lost append is repaired by the
    /// next heartbeat instead of waiting for a rejection that will never come.
    pub(crate) fn broadcast_heartbeat(&mut self) {
        let peers = self.peers();
        let mut shared = None;
        for peer in peers {
            if let Some(p) = self.progress.get_mut(peer) {
                p.next = p.matched + 1;
            }
            self.send_append_sharing(peer, &mut shared);
        }
    }

    /// A message from `leader` of `term` that only a leader sends (AppendEntries,
    /// InstallSnapshot): refuse it from a stale term or while this node leads the same term,
    /// or else follow `leader`. Whether to go on handling the message.
    pub(crate) fn accept_leader(&mut self, leader: NodeId, term: Term) -> bool {
        if term < self.term {
            // A stale leader: tell it the newer term so it steps down.
            self.reply_append(leader, false, 0, None);
            return false;
        }
        if self.role == Role::Leader {
            // Two leaders in one term: impossible in a correct cluster. Refuse rather than
            // corrupt this leader's log; the simulator's invariants report the situation.
            self.reply_append(leader, false, 0, None);
            return false;
        }
        if self.role == Role::PreCandidate {
            // A leader of this term exists: no election is needed.
            self.become_follower(term, Some(leader));
        }
        if self.role == Role::Candidate {
            // Someone won this term: step down but keep the vote (forgetting it lets this
            // node vote twice in the term, which is the forget-vote bug).
            self.become_follower(term, Some(leader));
            if self.config.bug(Bug::ForgetVote) {
                self.voted_for = None;
                self.persist_hard_state();
            }
        }
        self.leader = Some(leader);
        self.reset_election_timer();
        self.promise_lease();
        true
    }

    /// Figure 2, AppendEntries receiver.
    pub(crate) fn handle_append_entries(
        &mut self,
        leader: NodeId,
        term: Term,
        prev_log_index: Index,
        prev_log_term: Term,
        entries: Arc<[Entry<M::Command>]>,
        leader_commit: Index,
    ) {
        if !self.accept_leader(leader, term) {
            return;
        }
        let start = self.log.snapshot_index();
        let (prev_log_index, prev_log_term, entries) = if prev_log_index < start {
            // The entries up to the snapshot are committed, so they are the leader's own:
            // skip them, and check the rest against the snapshot's last entry.
            let skip = (start - prev_log_index) as usize;
            match entries.get(skip - 1) {
                Some(at_start) => (start, at_start.term, &entries[skip..]),
                None => {
                    self.reply_append(leader, true, start, None);
                    return;
                }
            }
        } else {
            (prev_log_index, prev_log_term, &entries[..])
        };
        let last = self.log.last_index();
        let gap = prev_log_index > last;
        if gap && !self.config.bug(Bug::GapAppend) {
            self.reply_append(leader, false, last + 1, None);
            return;
        }
        let append_at = if gap { last + 1 } else { prev_log_index + 1 };
        if !gap {
            let skip_check = self.config.bug(Bug::PrevTermSkip) && prev_log_index == 1;
            let local_term = self.log.term_at(prev_log_index).unwrap_or(0);
            if local_term != prev_log_term && !skip_check {
                let hint = self.log.first_index_of_term(local_term, prev_log_index);
                self.reply_append(leader, false, hint, Some(local_term));
                return;
            }
        }

        // Truncate only at a real conflict: a delayed, shorter append must not cut entries
        // that a later append already added.
        for (offset, entry) in entries.iter().enumerate() {
            let index = append_at + offset as Index;
            match self.log.term_at(index) {
                Some(t) if t == entry.term => continue,
                Some(_) => {
                    self.truncate_log_from(index);
                }
                None => {}
            }
            let mut configures = false;
            for e in &entries[offset..] {
                configures |= matches!(e.payload, Payload::Config(_));
                self.log.push(e.clone());
            }
            self.persist_log_from(index);
            if configures {
                self.refresh_membership();
            }
            break;
        }

        let last_new = prev_log_index + entries.len() as Index;
        let commit_cap = if self.config.bug(Bug::CommitOverrun) {
            self.log.last_index()
        } else {
            last_new
        };
        self.advance_commit(leader_commit.min(commit_cap));
        self.reply_append(leader, true, last_new, None);
    }

    pub(crate) fn reply_append(
        &mut self,
        leader: NodeId,
        success: bool,
        index: Index,
        conflict_term: Option<Term>,
    ) {
        let msg = Message::AppendEntriesResponse {
            term: self.term,
            success,
            index,
            conflict_term,
        };
        self.send(leader, msg);
    }

    pub(crate) fn handle_append_response(
        &mut self,
        follower: NodeId,
        term: Term,
        success: bool,
        index: Index,
        conflict_term: Option<Term>,
    ) {
        if self.role != Role::Leader || term != self.term {
            return;
        }
        let last = self.log.last_index();
        let Some(progress) = self.progress.get_mut(follower) else {
            return;
        };
        if success {
            let index = index.min(last);
            if index > progress.matched {
                progress.matched = index;
            }
            progress.next = progress.next.max(progress.matched + 1);
            let behind = progress.next <= last;
            self.maybe_commit();
            if self.transfer == Some(follower) {
                self.continue_transfer(follower);
            } else if behind {
                self.send_append(follower);
            }
            return;
        }
        if index <= progress.matched {
            return; // a stale rejection: the follower has since acknowledged more
        }
        // Fast back-off: skip the follower's whole conflicting term at once, or, when the
        // leader has entries of that term, resume just after its last one. (Logs are in term
        // order, so the leader's last entry of that term lies before the rejected index.)
        let hint = conflict_term
            .and_then(|t| self.log.last_index_of_term(t).map(|i| i + 1))
            .unwrap_or(index);
        progress.next = hint.clamp(progress.matched + 1, last + 1);
        self.send_append(follower);
    }

    /// Figure 2, leader: commit the highest index stored on a majority, but only when that
    /// entry is of the current term (Figure 8: counting replicas of older entries is unsafe).
    /// The leader's own copy counts only as far as its disk holds it (`synced`).
    pub(crate) fn maybe_commit(&mut self) {
        let own = self.synced.min(self.log.last_index());
        let candidate = if self.config.bug(Bug::WrongQuorum) {
            let mut matched: SmallVec<[Index; 9]> =
                self.progress.values().map(|p| p.matched).collect();
            matched.push(own);
            matched.sort_unstable_by(|a, b| b.cmp(a));
            matched[(self.membership.voters.len() / 2).max(1) - 1]
        } else {
            // Only voters count, the leader itself included only while it is one (a leader
            // removing itself leads the change to its commit without counting its copy).
            let me = self.config.id;
            let progress = &self.progress;
            self.membership.quorum_index(|id| {
                if id == me {
                    own
                } else {
                    progress.get(id).map_or(0, |p| p.matched)
                }
            })
        };
        let own_term = self.log.term_at(candidate) == Some(self.term);
        if candidate > self.commit && (own_term || self.config.bug(Bug::Figure8)) {
            self.advance_commit(candidate);
        }
    }
}
