//! verraft-core: a deterministic, sans-IO Raft node.
//!
//! A [`Node`] is a value (`Clone + Eq + Hash`): it does no IO, reads no clock and draws no
//! unseeded randomness. Inputs go in ([`Node::tick`], [`Node::step`], [`Node::propose`], or the
//! timer events [`Node::fire_election_timeout`] / [`Node::fire_heartbeat`] for drivers that pick
//! timing themselves); [`Node::ready`] hands out what to persist, send and reply.
//!
//! The driver owns everything else: the clock, the disk ([`Storage`]) and the network. The
//! replicated application is any deterministic [`StateMachine`]; verraft's own, the
//! key-value store with client sessions that every verraft engine drives, is the
//! `verraft-kv` crate.
//!
//! # The driver contract
//!
//! After every input, while [`Node::has_ready`] is true, take a [`Ready`] and carry it out in
//! this order:
//!
//! 1. **Persist.** Save [`Ready::snapshot`] (it drops the stored entries it covers), then
//!    [`Ready::hard_state`] (term and vote), and apply [`Ready::log_write`] to the node's
//!    storage; when [`Ready::must_sync`] is set, make both durable (fsync)
//!    before going on.
//! 2. **Report the write** with [`Node::log_synced`], passing [`LogWrite::last`]. A leader
//!    counts its own copy of an entry toward a quorum only from then on; a driver that skips
//!    this commits only once a majority *besides the leader* holds an entry (a one-node
//!    cluster never commits).
//!    It can commit entries, which makes new output: hence the loop on `has_ready`.
//! 3. **Send** [`Ready::messages`]. They may promise what step 1 wrote (a vote, an
//!    acknowledged entry): sent before the write is durable, a crash breaks the promise, and
//!    with it the safety of the whole cluster.
//! 4. **Use** [`Ready::applied`]: committed entries, already applied to the node's state
//!    machine in log order, each with the output for the client that proposed it.
//!
//! A crashed node is rebuilt with [`Node::restart`] from its storage alone.
//!
//! `core/examples/three_nodes.rs` is a complete driver to copy: three nodes, an in-memory
//! network, an election, a few commands committed and applied everywhere
//! (`cargo run -p verraft-core --example three_nodes`).
//!
//! # Limits
//!
//! - **The commit index is not persisted.** A restarted node comes back with the state
//!   machine of its stored snapshot (empty without one) and re-applies the log after it as
//!   it learns the commit index again from the leader, handing those entries out in
//!   `applied` once more. That is correct (the state machine is deterministic, so the
//!   replay rebuilds the same state and outputs); snapshots ([`Config::snapshot_every`],
//!   [`Node::compact`]) bound how much is replayed.
//! - **The log after the snapshot is in memory**, read back on restart: without snapshots a
//!   long-running node's memory grows with its log.
//!
//! The seeded bugs ([`Bug`], [`Config::bugs`]) exist so the test engines can prove they catch
//! them; they are off unless switched on, and can be switched on only in a build with the
//! `seeded-bugs` feature (see [`bugs`]).
#![warn(missing_docs)]

pub mod bugs;
pub mod config;
pub mod digest;
mod election;
pub mod lease;
pub mod log;
pub mod membership;
pub mod message;
pub mod node;
pub mod node_set;
pub mod peer_map;
pub mod read;
pub mod ready;
mod reconfiguration;
mod replication;
pub mod rng;
pub mod snapshot;
mod snapshotting;
pub mod state_machine;
pub mod storage;
pub mod symmetry;
pub mod transfer;
pub mod types;

pub use bugs::{Bug, BugSet};
pub use config::{Config, ConfigError, Voters};
pub use membership::{Membership, MembershipChange, MembershipError};
pub use message::{Envelope, Message, Outgoing};
pub use node::{Node, NodeError, Progress, Proposal, ProposeError};
pub use node_set::NodeSet;
pub use peer_map::PeerMap;
pub use read::{ReadId, ReadState};
pub use ready::{Applied, Ready};
pub use snapshot::{Snapshot, SnapshotError, SnapshotMeta};
pub use state_machine::StateMachine;
pub use storage::{LogWrite, MemStorage, Storage, StorageError};
pub use transfer::TransferError;
pub use types::{Data, Entry, HardState, Index, NodeId, Payload, Role, Term};
