//! Snapshots: the state machine as of one applied index, standing in for every log entry up
//! to it (Raft §7). A node compacts its log behind a snapshot of its own, and a leader sends
//! its snapshot to a follower that needs entries it has compacted away (`InstallSnapshot`).
use crate::types::{Index, Term};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where a snapshot stands in the log: the last index and term it covers, and the digest of
/// the log prefix it replaces (as [`RaftLog::prefix_digest`](crate::log::RaftLog::prefix_digest)
/// gives it), so that logs compacted at different points still compare in one step.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize, PartialOrd, Ord,
)]
pub struct SnapshotMeta {
    /// The last log index the snapshot covers (0: no snapshot, nothing covered).
    pub index: Index,
    /// The term of the entry at `index` (0 for index 0).
    pub term: Term,
    /// The digest of the log entries `1 ..= index` (0 for none).
    pub digest: u64,
}

/// A snapshot: where it stands, and the state machine's bytes ([`StateMachine::snapshot`]).
/// The bytes are shared: sending, saving and copying a snapshot never copies them.
///
/// [`StateMachine::snapshot`]: crate::StateMachine::snapshot
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Snapshot {
    /// The log position it replaces.
    pub meta: SnapshotMeta,
    /// The configuration in force at `meta.index` (`None`: the voters the nodes were
    /// started with, as long as no configuration entry came before `meta.index`).
    #[serde(default)]
    pub membership: Option<crate::membership::Membership>,
    /// The serialized state machine, with everything applied up to `meta.index` (for the
    /// key-value store this includes the client sessions, so a retried request is still
    /// recognized after the entries that first applied it are compacted away).
    pub data: Arc<[u8]>,
}

/// Why a state machine could not be saved to, or restored from, a snapshot's bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("snapshot: {0}")]
pub struct SnapshotError(pub String);

/// Serialize `value` compactly (postcard): the default snapshot format of a state machine.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, SnapshotError> {
    postcard::to_allocvec(value).map_err(|e| SnapshotError(e.to_string()))
}

/// Read back what [`encode`] wrote; bytes that are not such a value are an error.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, SnapshotError> {
    postcard::from_bytes(bytes).map_err(|e| SnapshotError(e.to_string()))
}
