//! The four Raft RPCs, as one-way messages.
use crate::snapshot::Snapshot;
use crate::types::{Entry, Index, NodeId, Term};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A Raft message (Figure 2 of the Raft paper), carrying commands of type `C`.
///
/// Responses are messages of their own, not return values: the network may lose, duplicate,
/// delay and reorder any of them, and the node is safe under all of that. Every message
/// carries its sender's term; a node that sees a higher term adopts it and becomes a follower
/// before it handles the message.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Message<C> {
    /// A candidate asks for a vote in its term.
    RequestVote {
        /// The candidate's term (the election it runs).
        term: Term,
        /// The index of the candidate's last log entry (0: empty log).
        last_log_index: Index,
        /// The term of that entry (0: empty log). A voter refuses a candidate whose log is
        /// less up to date than its own (later last term wins, then longer log), so that a
        /// leader always holds every committed entry.
        last_log_term: Term,
        /// The candidate campaigns because the leader handed it leadership (`TimeoutNow`):
        /// voters answer even while they still count the old leader as live (check-quorum's
        /// lease would otherwise make them ignore the request).
        transfer: bool,
    },
    /// The leader tells the target of a leadership transfer, whose log now matches its own,
    /// to start an election at once.
    TimeoutNow {
        /// The leader's term.
        term: Term,
    },
    /// A pre-candidate asks whether the receiver would vote for it in `term` (its term + 1),
    /// before it starts an election (Raft dissertation §9.6): nobody changes term or vote
    /// for it, so a node that cannot win (cut off, or behind) cannot disrupt a cluster by
    /// raising terms.
    PreVote {
        /// The term the pre-candidate would campaign in: its own term plus one.
        term: Term,
        /// The index of its last log entry.
        last_log_index: Index,
        /// The term of that entry.
        last_log_term: Term,
    },
    /// An answer to a pre-vote. A grant carries the term asked about; a refusal carries the
    /// voter's own term, so a pre-candidate behind the cluster learns it.
    PreVoteResponse {
        /// The term asked about (granted), or the voter's term (refused).
        term: Term,
        /// Whether the voter would vote for the pre-candidate.
        granted: bool,
    },
    /// A leader asks its followers to confirm it still leads (for reads, §6.4). Also word
    /// from the leader, like a heartbeat.
    ReadConfirm {
        /// The leader's term.
        term: Term,
        /// The confirmation round.
        round: u64,
    },
    /// A follower's answer to a confirmation round.
    ReadConfirmResponse {
        /// The follower's term; the leader counts only answers of its own.
        term: Term,
        /// The round answered.
        round: u64,
    },
    /// A follower forwards a read to the leader it knows.
    ReadIndex {
        /// The follower's term.
        term: Term,
        /// The read, as the follower's driver named it.
        id: u64,
    },
    /// The leader's answer to a forwarded read: the index the follower must have applied
    /// before it answers (`None`: refused; ask again).
    ReadIndexResponse {
        /// The sender's term.
        term: Term,
        /// The read.
        id: u64,
        /// The confirmed read index, or `None`.
        index: Option<Index>,
    },
    /// A vote, granted or not.
    RequestVoteResponse {
        /// The voter's current term; a candidate counts only grants of its own term.
        term: Term,
        /// Whether the voter voted for the candidate. It does so at most once per term, and
        /// persists the vote before this answer is sent.
        granted: bool,
    },
    /// A leader replicates entries, or sends an empty heartbeat.
    AppendEntries {
        /// The leader's term.
        term: Term,
        /// The index just before `entries` (0: they start the log).
        prev_log_index: Index,
        /// The term of the leader's entry at `prev_log_index` (0 for index 0). The follower
        /// accepts only when its own entry there has this term (the consistency check).
        prev_log_term: Term,
        /// Shared, never changed once sent: duplicating or copying a message in flight (as
        /// simulators and model checkers do for every state) copies a pointer.
        entries: Arc<[Entry<C>]>,
        /// The leader's commit index. The follower commits up to it, but never past the last
        /// entry this message vouches for (`prev_log_index + entries.len()`): entries after
        /// that may be stale ones the leader has not overwritten yet.
        leader_commit: Index,
    },
    /// A leader sends its snapshot to a follower that needs entries the leader compacted
    /// away (Raft §7). The follower answers with an `AppendEntriesResponse` whose `index` is
    /// the snapshot's: its log now matches the leader's up to there.
    InstallSnapshot {
        /// The leader's term.
        term: Term,
        /// The snapshot, shared by every copy of the message (behind a pointer: inline it
        /// would make every message, most of them a few words, the size of this one).
        snapshot: Arc<Snapshot>,
    },
    /// On success `index` is the follower's match index; on rejection it is the index the
    /// leader should try next (fast back-off), with the term of the follower's conflicting
    /// entry when there is one.
    AppendEntriesResponse {
        /// The follower's current term; a leader ignores answers of any other term.
        term: Term,
        /// Whether the follower's log now matches the leader's up to `index`.
        success: bool,
        /// On success, the last index the append vouched for (`prev_log_index` plus the
        /// number of entries sent), now in the follower's durable log. On rejection, where
        /// the leader should resume: just past the follower's last entry when the follower's
        /// log is too short, or the first index of the conflicting term. 0, meaning nothing,
        /// when the append was refused for its sender's term (a stale leader, or a second
        /// leader of the same term, which a correct cluster never has).
        index: Index,
        /// On rejection by the consistency check, the term of the follower's entry at
        /// `prev_log_index`; a leader that holds entries of that term resumes after its last
        /// one. `None` on success and when the follower's log was too short.
        conflict_term: Option<Term>,
    },
}

impl<C> Message<C> {
    /// The sender's term, which every message carries.
    pub fn term(&self) -> Term {
        match self {
            Message::RequestVote { term, .. }
            | Message::PreVote { term, .. }
            | Message::PreVoteResponse { term, .. }
            | Message::ReadConfirm { term, .. }
            | Message::ReadConfirmResponse { term, .. }
            | Message::ReadIndex { term, .. }
            | Message::ReadIndexResponse { term, .. }
            | Message::RequestVoteResponse { term, .. }
            | Message::AppendEntries { term, .. }
            | Message::InstallSnapshot { term, .. }
            | Message::TimeoutNow { term }
            | Message::AppendEntriesResponse { term, .. } => *term,
        }
    }

    /// A short name for traces: RV, V+/V-, PV, P+/P-, RC, RC+, RI, RI+/RI-, AE, IS, TN, A+/A-.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::RequestVote { .. } => "RV",
            Message::PreVote { .. } => "PV",
            Message::PreVoteResponse { granted: true, .. } => "P+",
            Message::PreVoteResponse { granted: false, .. } => "P-",
            Message::ReadConfirm { .. } => "RC",
            Message::ReadConfirmResponse { .. } => "RC+",
            Message::ReadIndex { .. } => "RI",
            Message::ReadIndexResponse { index: Some(_), .. } => "RI+",
            Message::ReadIndexResponse { index: None, .. } => "RI-",
            Message::RequestVoteResponse { granted: true, .. } => "V+",
            Message::RequestVoteResponse { granted: false, .. } => "V-",
            Message::AppendEntries { .. } => "AE",
            Message::InstallSnapshot { .. } => "IS",
            Message::TimeoutNow { .. } => "TN",
            Message::AppendEntriesResponse { success: true, .. } => "A+",
            Message::AppendEntriesResponse { success: false, .. } => "A-",
        }
    }
}

/// A message with its sender and receiver.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Envelope<C> {
    /// The sender; pass it to [`Node::step`](crate::Node::step) along with `msg`.
    pub from: NodeId,
    /// The node to deliver `msg` to.
    pub to: NodeId,
    /// The message itself.
    pub msg: Message<C>,
}

/// The messages of one output batch (`Ready::messages`), inline for the usual few.
pub type Outgoing<C> = smallvec::SmallVec<[Envelope<C>; 4]>;
