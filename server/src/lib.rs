//! verraft as a replicated key-value service (issue #18): the verified core running the
//! key-value store (`verraft_kv::KvNode`) driven by tokio, TCP between nodes, a durable
//! checksummed log with snapshots, and a Redis-protocol client port.
//!
//! - [`storage`]: [`storage::DiskStorage`], the on-disk `Storage` (group commit, torn-tail
//!   recovery, the latest snapshot in a file of its own).
//! - [`core_loop`]: the one task that owns the node and carries out its `Ready`s;
//!   [`coalesce`]: its AppendEntries to a follower joined before they leave.
//! - [`wire`], [`peer`]: the peer protocol and its TCP connections.
//! - [`resp`], [`command`], [`client_port`]: RESP, the command table, the client port.
//! - [`node`]: a whole node; [`client`]: the client `verraft kv` uses.
//! - [`process`]: `verraft node` processes of a local cluster.
//! - [`nemesis`]: real processes under faults, their clients' history checked.
//! - [`bench`]: throughput and latency of a cluster, fsync on.
#![warn(missing_docs)]

#[cfg(feature = "net")]
pub mod bench;
#[cfg(feature = "net")]
pub mod client;
#[cfg(feature = "net")]
pub mod client_port;
pub mod cluster_file;
pub mod coalesce;
pub mod command;
#[cfg(feature = "net")]
pub mod core_loop;
pub mod fuzz_checks;
#[cfg(feature = "net")]
pub mod nemesis;
#[cfg(feature = "net")]
pub mod node;
#[cfg(feature = "net")]
pub mod peer;
#[cfg(feature = "net")]
pub mod process;
pub mod resp;
pub mod storage;
pub mod wire;
