//! Plain data shared by every part of the node: ids, log entries, durable state.
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::hash::Hash;

/// A node's identity. Small on purpose: model-checked states hash every id many times.
pub type NodeId = u8;
/// An election term.
pub type Term = u64;
/// A log position; the first entry is at index 1, index 0 means "before the log".
pub type Index = u64;

/// Everything a command or an output must be so that a whole cluster state can be
/// cloned, hashed, compared and written into a trace.
pub trait Data:
    Clone + Eq + Hash + Debug + Serialize + for<'de> Deserialize<'de> + 'static
{
}
impl<T: Clone + Eq + Hash + Debug + Serialize + for<'de> Deserialize<'de> + 'static> Data for T {}

/// What a log entry carries.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Payload<C> {
    /// Appended by every new leader so that it can commit entries of earlier terms (Raft §5.4.2).
    Noop,
    /// A client command for the state machine.
    Command(C),
    /// A cluster configuration (see [`membership`](crate::membership)): in force at every
    /// node that holds it, from the moment it is appended.
    Config(crate::membership::Membership),
}

/// One log entry. Its index is its position in the log.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Entry<C> {
    /// The term of the leader that created the entry. Terms never decrease along a log, and
    /// two logs that hold an entry of the same term at the same index agree up to it (Log
    /// Matching), which is why replication compares terms and never payloads.
    pub term: Term,
    /// What the entry carries: a client command or a new leader's no-op.
    pub payload: Payload<C>,
}

/// The part of a node's state that must survive a crash besides the log (Figure 2: currentTerm, votedFor).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct HardState {
    /// The latest term this node has seen. Never decreases, across restarts included.
    pub term: Term,
    /// The candidate this node voted for in `term` (itself, as a candidate); `None` when it
    /// has not voted in `term`. Losing it in a crash lets the node vote twice in one term.
    pub voted_for: Option<NodeId>,
}

/// A node's role.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Role {
    /// Answers leaders and candidates; becomes a candidate when its election timer expires
    /// without word from a leader. Every node starts (and restarts) as a follower.
    Follower,
    /// Has started an election for its current term and is collecting votes.
    Candidate,
    /// Collecting pre-votes before it campaigns (pre-vote on); its term is unchanged.
    PreCandidate,
    /// Won the election of its current term (at most one node per term): the only role that
    /// takes proposals and sends AppendEntries.
    Leader,
}

impl Role {
    /// One letter, for fixed-column traces.
    pub fn letter(self) -> char {
        match self {
            Role::Follower => 'F',
            Role::Candidate => 'C',
            Role::PreCandidate => 'P',
            Role::Leader => 'L',
        }
    }
}
