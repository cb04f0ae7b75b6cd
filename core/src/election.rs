//! Leader election (Raft §5.2, §5.4.1): timeouts, pre-votes (dissertation §9.6), RequestVote,
//! counting votes, and a leader's check that a majority still hears it (check-quorum, §6.2).
use crate::bugs::Bug;
use crate::message::Message;
use crate::node::Node;
use crate::node_set::NodeSet;
use crate::state_machine::StateMachine;
use crate::types::{Index, NodeId, Payload, Role, Term};

impl<M: StateMachine> Node<M> {
    /// The election timer fired: a follower or candidate starts an election for the next term
    /// (with pre-vote on, it first asks whether a majority would vote for it). A leader's
    /// election timer is its check-quorum timer instead (`fire_leader_timeout`). Drivers that
    /// choose timer events themselves (the model checker) call this directly.
    pub fn fire_election_timeout(&mut self) {
        if self.role == Role::Leader {
            self.fire_leader_timeout();
            return;
        }
        // An election timeout without word from a leader: the promise to it has run out.
        self.lease.promised = false;
        if !self.may_campaign() {
            // A learner, a removed node or one that has not learned its configuration yet
            // cannot win, and would only disturb the cluster by trying. It has not heard
            // from a leader for a timeout, though: it no longer counts one as live, so its
            // vote is free again (check-quorum's lease on votes ends).
            self.leader = None;
            self.reset_election_timer();
            return;
        }
        if self.config.pre_vote {
            self.become_pre_candidate();
        } else {
            self.campaign();
        }
    }

    /// Ask every peer whether it would vote for this node in the next term, changing nothing
    /// durable: the term rises only once a majority says yes.
    fn become_pre_candidate(&mut self) {
        self.drop_reads();
        self.role = Role::PreCandidate;
        self.leader = None;
        self.votes.clear();
        self.votes.insert(self.config.id);
        self.vote_tally = 1;
        self.reset_election_timer();
        if self.has_won_election() {
            self.campaign();
            return;
        }
        let request = Message::PreVote {
            term: self.term + 1,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
        };
        let peers = self.voter_peers();
        for peer in peers {
            self.send(peer, request.clone());
        }
    }

    /// Start an election for the next term: vote for itself, ask every peer.
    pub(crate) fn campaign(&mut self) {
        self.campaign_with(false);
    }

    /// Start an election; `transfer`: the leader handed leadership to this node, so its
    /// requests pass the voters' leader lease.
    pub(crate) fn campaign_with(&mut self, transfer: bool) {
        self.drop_reads();
        self.term += 1;
        self.voted_for = Some(self.config.id);
        self.persist_hard_state();
        self.role = Role::Candidate;
        self.leader = None;
        self.votes.clear();
        self.votes.insert(self.config.id);
        self.vote_tally = 1;
        self.reset_election_timer();
        if self.has_won_election() {
            self.become_leader();
            return;
        }
        let request = Message::RequestVote {
            term: self.term,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
            transfer,
        };
        let peers = self.voter_peers();
        for peer in peers {
            self.send(peer, request.clone());
        }
    }

    /// Figure 2, RequestVote receiver: grant when the term is current, this node has not voted
    /// for someone else in it, and the candidate's log is at least as up to date as its own.
    pub(crate) fn handle_request_vote(
        &mut self,
        candidate: NodeId,
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
    ) {
        let free_to_vote = self.voted_for.is_none() || self.voted_for == Some(candidate);
        let log_ok = self.config.bug(Bug::NoUpToDateCheck)
            || self.log.is_up_to_date(last_log_index, last_log_term);
        let granted = term == self.term && free_to_vote && log_ok;
        if granted {
            self.voted_for = Some(candidate);
            self.persist_hard_state();
            self.reset_election_timer();
        }
        self.send(
            candidate,
            Message::RequestVoteResponse {
                term: self.term,
                granted,
            },
        );
    }

    /// A pre-vote request: would this node vote for the sender in `term`? Yes when that term
    /// is later than its own and the sender's log is at least as up to date (a request
    /// arriving while a leader is known was already dropped by `step`). Nothing is recorded.
    pub(crate) fn handle_pre_vote(
        &mut self,
        candidate: NodeId,
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
    ) {
        let log_ok = self.config.bug(Bug::NoUpToDateCheck)
            || self.log.is_up_to_date(last_log_index, last_log_term);
        let granted = term > self.term && log_ok;
        let answer_term = if granted { term } else { self.term };
        self.send(
            candidate,
            Message::PreVoteResponse {
                term: answer_term,
                granted,
            },
        );
    }

    /// A pre-vote answer: with a majority of grants for the next term, campaign for real.
    pub(crate) fn handle_pre_vote_response(&mut self, voter: NodeId, term: Term, granted: bool) {
        if self.role != Role::PreCandidate || !granted || term != self.term + 1 {
            return;
        }
        self.votes.insert(voter);
        self.vote_tally += 1;
        if self.has_won_election() {
            self.campaign();
        }
    }

    /// The leader's election timer fired (check-quorum): unless a majority (itself included)
    /// was heard from since the last check, it steps down, so that a leader cut off from the
    /// cluster stops taking requests it can never commit.
    pub fn fire_leader_timeout(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        self.election_elapsed = 0;
        // A transfer that did not complete within an election timeout is abandoned.
        self.transfer = None;
        if !self.config.check_quorum {
            return;
        }
        let heard: NodeSet = self
            .progress
            .iter()
            .filter(|(_, p)| p.recent_active)
            .map(|(id, _)| id)
            .collect();
        if !self.membership.has_quorum(&self.with_self_if_voter(heard)) {
            let term = self.term;
            self.become_follower(term, None);
            return;
        }
        for p in self.progress.values_mut() {
            p.recent_active = false;
        }
    }

    /// Whether this node heard from a leader within its election timeout (check-quorum): then
    /// it ignores requests to vote in a later term. A leader is in its own lease.
    pub(crate) fn in_lease(&self) -> bool {
        self.config.check_quorum
            && (self.leader.is_some() || self.lease.promised)
            && self.election_elapsed < self.config.election_ticks
    }

    pub(crate) fn handle_vote_response(&mut self, voter: NodeId, term: Term, granted: bool) {
        let counts_stale = self.config.bug(Bug::StaleTermVote) && term < self.term;
        if self.role != Role::Candidate || !granted || (term != self.term && !counts_stale) {
            return;
        }
        self.votes.insert(voter);
        self.vote_tally += 1;
        if self.has_won_election() {
            self.become_leader();
        }
    }

    fn has_won_election(&self) -> bool {
        if self.config.bug(Bug::VoteCount) {
            self.vote_tally as usize > self.membership.voters.len() / 2
        } else {
            self.membership.has_quorum(&self.votes)
        }
    }

    /// A new leader appends a no-op of its own term (so that it can commit earlier entries,
    /// §5.4.2) and sends it to everyone at once, which also announces its leadership.
    fn become_leader(&mut self) {
        self.reset_leader_lease();
        self.role = Role::Leader;
        self.leader = Some(self.config.id);
        self.heartbeat_elapsed = 0;
        self.election_elapsed = 0;
        self.progress.clear();
        self.track_members();
        self.append_own(Payload::Noop);
        self.replicate_new_entries();
        self.maybe_commit();
    }
}
