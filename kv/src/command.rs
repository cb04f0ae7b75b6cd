//! What clients send the key-value store and what it answers: operations, requests in a
//! client session, outputs.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Keys and values: short strings are stored inline (no allocation), so cloning a command,
/// an entry or a whole store (as simulators and model checkers do for every state) is cheap.
pub type Text = compact_str::CompactString;

/// Names a client session. Each client must have its own id for the life of the store: the
/// store keeps one session per id and deduplicates requests by (id, sequence number).
pub type ClientId = u64;

/// A key-value operation. Proposed through the log, a `Get` included, it is answered when
/// its entry is applied. A driver may also read without the log, by ReadIndex
/// (`Node::read`) and then [`KvStore::get`](crate::KvStore::get), as the service does.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum KvOp {
    /// Read a key. Answers [`KvOutput::Value`].
    Get {
        /// The key to read.
        key: Text,
    },
    /// Set a key, creating it if absent. Answers [`KvOutput::Done`].
    Put {
        /// The key to set.
        key: Text,
        /// Its new value.
        value: Text,
    },
    /// Concatenate `value` to the key's value (an absent key counts as empty). Not
    /// idempotent, which is what makes a retry applied twice visible. Answers
    /// [`KvOutput::Done`].
    Append {
        /// The key to extend.
        key: Text,
        /// What to add to its end.
        value: Text,
    },
    /// Replace the value when it equals `expected` (`None` = key absent), etcd-style.
    /// Answers [`KvOutput::Cas`].
    Cas {
        /// The key to compare and set.
        key: Text,
        /// The value the key must hold for the swap (`None`: the key must be absent).
        expected: Option<Text>,
        /// The value to store when the comparison holds.
        new: Text,
    },
    /// Remove a key; removing an absent key is not an error. Answers [`KvOutput::Done`].
    Delete {
        /// The key to remove.
        key: Text,
    },
}

impl KvOp {
    /// The one key the operation reads or writes (the linearizability checker splits
    /// histories by key).
    pub fn key(&self) -> &str {
        match self {
            KvOp::Get { key }
            | KvOp::Put { key, .. }
            | KvOp::Append { key, .. }
            | KvOp::Cas { key, .. }
            | KvOp::Delete { key } => key,
        }
    }

    /// True when the operation cannot change the store.
    pub fn is_read(&self) -> bool {
        matches!(self, KvOp::Get { .. })
    }
}

impl fmt::Display for KvOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvOp::Get { key } => write!(f, "get {key}"),
            KvOp::Put { key, value } => write!(f, "put {key} {value}"),
            KvOp::Append { key, value } => write!(f, "append {key} {value}"),
            KvOp::Cas {
                key,
                expected: Some(e),
                new,
            } => write!(f, "cas {key} {e} {new}"),
            KvOp::Cas {
                key,
                expected: None,
                new,
            } => write!(f, "cas {key} - {new}"),
            KvOp::Delete { key } => write!(f, "delete {key}"),
        }
    }
}

/// One client request: an operation within a client session.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub struct KvCommand {
    /// The session the request belongs to.
    pub client: ClientId,
    /// The request's number within its session. A client numbers its requests 1, 2, 3...,
    /// one at a time, and re-sends a request it got no answer to with the *same* number: the
    /// store applies it once and answers a retry from the session. A number below the
    /// session's latest gets [`KvOutput::Stale`].
    pub seq: u64,
    /// What to do.
    pub op: KvOp,
}

/// The store's answer to one [`KvCommand`], as [`Applied::output`](verraft_core::Applied::output)
/// carries it.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum KvOutput {
    /// The value a get read (`None`: absent).
    Value(Option<Text>),
    /// A put, append or delete took effect.
    Done,
    /// A compare-and-set: whether it swapped, and the value it found.
    Cas {
        /// Whether the value equalled `expected` and was replaced.
        swapped: bool,
        /// The value before the operation (`None`: the key was absent).
        found: Option<Text>,
    },
    /// The request is older than the session's latest: the client has moved on, nothing applied.
    Stale,
}

impl fmt::Display for KvOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvOutput::Value(Some(v)) => write!(f, "{v}"),
            KvOutput::Value(None) => write!(f, "-"),
            KvOutput::Done => write!(f, "ok"),
            KvOutput::Cas { swapped: true, .. } => write!(f, "swapped"),
            KvOutput::Cas {
                swapped: false,
                found,
            } => {
                write!(f, "unchanged({})", found.as_deref().unwrap_or("-"))
            }
            KvOutput::Stale => write!(f, "stale"),
        }
    }
}
