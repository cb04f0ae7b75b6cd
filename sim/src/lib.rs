//! verraft-sim: the single definition of the world every verraft engine explores.
//!
//! A [`World`] holds N core nodes, their disks, the messages in flight, the clients and the
//! history they observed. [`World::enabled_events`] lists what can happen next;
//! [`World::apply`] makes one [`Event`] happen and checks every invariant. A run is written
//! down as a [`scenario::Scenario`], the project's one counterexample format.
pub mod auxiliary;
pub mod client;
pub mod clocks;
pub mod config;
pub mod disk;
pub mod draw;
pub mod event;
pub mod fingerprint;
pub mod heard;
pub mod invariants;
pub mod linearizability;
pub mod log_diff;
pub mod memo;
pub mod minimize;
pub mod narrate;
pub mod network;
pub mod promises;
pub mod random;
pub mod read_witnesses;
pub mod replay;
mod rounds;
pub mod scenario;
pub mod symmetry;
pub mod vec_map;
pub mod world;

pub use config::{CrashMode, Faults, Features, Limits, SharedConfig, Timing, WorldConfig};
pub use event::{EntryRef, Event, MsgRef};
pub use invariants::{Invariant, Violation};
pub use world::{EventError, World};
