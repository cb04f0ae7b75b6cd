//! Durable storage for a node: a checksummed append-only log file plus a snapshot file.
mod disk;
pub mod record;
mod snapshot;

pub use disk::{Cut, DiskStorage, OpenError, Recovery};
pub use snapshot::{Snapshot, SnapshotMeta};
