//! Durable storage for a node: a checksummed append-only log file plus a snapshot file.
mod disk;
pub mod record;

pub use disk::{Cut, DiskStorage, OpenError, Recovery};
pub use verraft_core::{Snapshot, SnapshotMeta};
