//! verraft-core: a deterministic, sans-IO Raft node.
//!
//! A [`Node`] is a value (`Clone + Eq + Hash`): it does no IO, reads no clock and draws no
//! unseeded randomness. Inputs go in ([`Node::tick`], [`Node::step`], [`Node::propose`], or the
//! timer events [`Node::fire_election_timeout`] / [`Node::fire_heartbeat`] for drivers that pick
//! timing themselves); [`Node::ready`] hands out what to persist, send and reply.
pub mod bugs;
pub mod config;
pub mod digest;
mod election;
pub mod kv;
pub mod kv_node;
pub mod log;
pub mod message;
pub mod node;
pub mod node_set;
pub mod peer_map;
pub mod ready;
mod replication;
pub mod rng;
pub mod state_machine;
pub mod storage;
pub mod symmetry;
pub mod types;

pub use bugs::{Bug, BugSet};
pub use config::{Config, ConfigError, Voters};
pub use kv::{ClientId, KvCommand, KvOp, KvOutput, KvStore, Text};
pub use kv_node::KvNode;
pub use message::{Envelope, Message, Outgoing};
pub use node::{Node, NodeError, Progress, Proposal, ProposeError};
pub use node_set::NodeSet;
pub use peer_map::PeerMap;
pub use ready::{Applied, Ready};
pub use state_machine::StateMachine;
pub use storage::{LogWrite, MemStorage, Storage, StorageError};
pub use types::{Data, Entry, HardState, Index, NodeId, Payload, Role, Term};
