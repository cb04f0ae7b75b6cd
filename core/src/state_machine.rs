//! The replicated state machine interface.
use crate::types::{Data, Index};

/// A deterministic state machine. `apply` is called once per committed command, in log order,
/// on every node; its output is the client's result.
pub trait StateMachine: Data {
    type Command: Data;
    type Output: Data;
    fn apply(&mut self, index: Index, command: &Self::Command) -> Self::Output;
}
