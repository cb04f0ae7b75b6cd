//! A local copy of the snapshot types the core is about to gain on its `Storage` trait.
//!
//! REPLACE WITH CORE'S: once `verraft_core` exports `Snapshot` and `SnapshotMeta`, delete
//! this file and import those; `DiskStorage::snapshot` and `DiskStorage::save_snapshot` then
//! move into its `Storage` impl unchanged. The shapes here are the ones announced for core.
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verraft_core::{Index, Term};

/// What a snapshot covers: the log up to and including `index`, whose entry had `term`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct SnapshotMeta {
    /// The last log index the snapshot includes.
    pub index: Index,
    /// The term of the entry at `index`.
    pub term: Term,
    /// A digest of the state machine's state, to compare replicas.
    pub digest: u64,
}

/// A state-machine snapshot: its metadata and the serialized state.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// What it covers.
    pub meta: SnapshotMeta,
    /// The state machine's state, as the state machine serialized it.
    pub data: Arc<[u8]>,
}
