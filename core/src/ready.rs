//! What the node hands to its driver after each input.
use crate::message::Outgoing;
use crate::storage::LogWrite;
use crate::types::{Entry, HardState, Index};
use serde::{Deserialize, Serialize};

/// One committed entry the node applied, with the state machine's output (`None` for a no-op).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Applied<C, O> {
    pub index: Index,
    pub entry: Entry<C>,
    pub output: Option<O>,
}

/// A batch of work for the driver. The contract: write `hard_state` and `log_write` to storage
/// (and sync them when `must_sync`) **before** sending any of `messages`, because those messages
/// may promise what was just written (a vote, an acknowledged entry).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Ready<C, O> {
    pub hard_state: Option<HardState>,
    pub log_write: Option<LogWrite<C>>,
    pub must_sync: bool,
    pub messages: Outgoing<C>,
    pub applied: Vec<Applied<C, O>>,
}

impl<C, O> Ready<C, O> {
    pub fn is_empty(&self) -> bool {
        self.hard_state.is_none()
            && self.log_write.is_none()
            && self.messages.is_empty()
            && self.applied.is_empty()
    }
}
