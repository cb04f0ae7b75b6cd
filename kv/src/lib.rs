//! verraft-kv: the application verraft replicates, a key-value store with client sessions.
//!
//! [`KvStore`] is a deterministic [`StateMachine`](verraft_core::StateMachine): clients send
//! [`KvCommand`]s (a [`KvOp`] numbered in the client's session), and every replica applies
//! them in log order to the same answers ([`KvOutput`]). A request retried with the same
//! (client, sequence number) is applied once and answered from the session table, so a
//! client may resend a request whose answer it lost, on any node.
//!
//! [`KvNode`] is the Raft node of `verraft-core` running this store: the node the
//! simulator, the model checker, the fuzz targets and the key-value service all drive.
//! The consensus itself knows nothing of keys, values or sessions; any deterministic state
//! machine would do.
#![warn(missing_docs)]

pub mod command;
pub mod node;
pub mod store;

pub use command::{ClientId, KvCommand, KvOp, KvOutput, Text};
pub use node::KvNode;
pub use store::{KvStore, Session};
