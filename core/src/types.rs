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
}

/// One log entry. Its index is its position in the log.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Entry<C> {
    pub term: Term,
    pub payload: Payload<C>,
}

/// The part of a node's state that must survive a crash besides the log (Figure 2: currentTerm, votedFor).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct HardState {
    pub term: Term,
    pub voted_for: Option<NodeId>,
}

/// A node's role.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

impl Role {
    /// One letter, for fixed-column traces.
    pub fn letter(self) -> char {
        match self {
            Role::Follower => 'F',
            Role::Candidate => 'C',
            Role::Leader => 'L',
        }
    }
}
