//! The replicated state machine interface.
use crate::snapshot::{decode, encode, SnapshotError};
use crate::types::{Data, Index};

/// A deterministic state machine. `apply` is called once per committed command, in log order,
/// on every node; its output is the client's result.
///
/// Deterministic means the output and the new state depend on the state and the command
/// alone: no clock, no randomness, no IO. That is what keeps every replica equal, and it is
/// also what makes re-applying the log after a restart (the node does, from index 1) give
/// the same state and the same outputs again.
pub trait StateMachine: Data {
    /// What a client proposes (the payload of a log entry).
    type Command: Data;
    /// What applying a command answers.
    type Output: Data;
    /// Apply the committed `command` at log position `index`. Called with increasing indexes;
    /// no-op entries are skipped, so indexes can jump. Must not fail: a command that cannot
    /// take effect answers that in its output, since every replica must reach the same verdict.
    fn apply(&mut self, index: Index, command: &Self::Command) -> Self::Output;

    /// The whole state as bytes, for a snapshot. Everything `apply` depends on must be in
    /// it (a key-value store's client sessions too): a node restored from it goes on
    /// applying entries after it. The default serializes the value with postcard.
    fn snapshot(&self) -> Result<Vec<u8>, SnapshotError> {
        encode(self)
    }

    /// The state a [`StateMachine::snapshot`] saved. Bytes from a peer or a disk may be
    /// damaged: anything that does not decode is an error, never a panic.
    fn restore(bytes: &[u8]) -> Result<Self, SnapshotError> {
        decode(bytes)
    }
}
