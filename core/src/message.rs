//! The four Raft RPCs, as one-way messages.
use crate::types::{Entry, Index, NodeId, Term};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Message<C> {
    RequestVote {
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
    },
    RequestVoteResponse {
        term: Term,
        granted: bool,
    },
    AppendEntries {
        term: Term,
        prev_log_index: Index,
        prev_log_term: Term,
        /// Shared, never changed once sent: duplicating or copying a message in flight (as
        /// simulators and model checkers do for every state) copies a pointer.
        entries: Arc<[Entry<C>]>,
        leader_commit: Index,
    },
    /// On success `index` is the follower's match index; on rejection it is the index the
    /// leader should try next (fast back-off), with the term of the follower's conflicting
    /// entry when there is one.
    AppendEntriesResponse {
        term: Term,
        success: bool,
        index: Index,
        conflict_term: Option<Term>,
    },
}

impl<C> Message<C> {
    pub fn term(&self) -> Term {
        match self {
            Message::RequestVote { term, .. }
            | Message::RequestVoteResponse { term, .. }
            | Message::AppendEntries { term, .. }
            | Message::AppendEntriesResponse { term, .. } => *term,
        }
    }

    /// A short name for traces: RV, V+/V-, AE, A+/A-.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::RequestVote { .. } => "RV",
            Message::RequestVoteResponse { granted: true, .. } => "V+",
            Message::RequestVoteResponse { granted: false, .. } => "V-",
            Message::AppendEntries { .. } => "AE",
            Message::AppendEntriesResponse { success: true, .. } => "A+",
            Message::AppendEntriesResponse { success: false, .. } => "A-",
        }
    }
}

/// A message with its sender and receiver.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Envelope<C> {
    pub from: NodeId,
    pub to: NodeId,
    pub msg: Message<C>,
}

/// The messages of one output batch (`Ready::messages`), inline for the usual few.
pub type Outgoing<C> = smallvec::SmallVec<[Envelope<C>; 4]>;
