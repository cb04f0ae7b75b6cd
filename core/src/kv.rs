//! The key-value state machine with client sessions (Raft thesis §6.3): every request carries
//! (client, sequence number); a retried request is applied once and answered from the session.
use crate::state_machine::StateMachine;
use crate::types::Index;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Keys and values: short strings are stored inline (no allocation), so cloning a command,
/// an entry or a whole store (as simulators and model checkers do for every state) is cheap.
pub type Text = compact_str::CompactString;

/// Names a client session. Each client must have its own id for the life of the store: the
/// store keeps one session per id and deduplicates requests by (id, sequence number).
pub type ClientId = u64;

/// A key-value operation. Every operation, reads included, goes through the log: a `Get`
/// is answered when its entry is applied, which is what makes reads linearizable without a
/// read-index path (not built yet).
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

/// The store's answer to one [`KvCommand`], as [`Applied::output`](crate::Applied::output)
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

/// What the store remembers of one client: its latest applied request and that request's
/// answer. One request per client, not a window: a client must not send request `n + 1`
/// before it has the answer to `n`, or a retry of `n` would be answered [`KvOutput::Stale`].
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Session {
    /// The sequence number of the client's latest applied request.
    pub last_seq: u64,
    /// The answer to that request, given again to any retry of it.
    pub last_output: KvOutput,
}

/// The store. Sessions are part of its state, so a replica rebuilt from the log (or, later, a
/// snapshot) deduplicates exactly like the one it replaces.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct KvStore {
    data: BTreeMap<Text, Text>,
    sessions: BTreeMap<ClientId, Session>,
    /// Seeded bug `dedup-lost`: apply retried requests again.
    skip_dedup: bool,
}

impl KvStore {
    /// An empty store with no sessions.
    pub fn new() -> KvStore {
        KvStore::default()
    }

    /// A store with the `dedup-lost` bug: it ignores sessions.
    pub fn without_dedup() -> KvStore {
        KvStore {
            skip_dedup: true,
            ..KvStore::default()
        }
    }

    /// The value of `key` in this replica, read directly: not linearizable on its own (this
    /// replica may lag behind the leader); a linearizable read is a [`KvOp::Get`] through
    /// the log.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.data.get(key).map(Text::as_str)
    }

    /// Every key and value, in key order (for comparing replicas and printing state).
    pub fn data(&self) -> &BTreeMap<Text, Text> {
        &self.data
    }

    /// The session of `client`; `None` until one of its requests has been applied.
    pub fn session(&self, client: ClientId) -> Option<&Session> {
        self.sessions.get(&client)
    }

    fn execute(&mut self, op: &KvOp) -> KvOutput {
        match op {
            KvOp::Get { key } => KvOutput::Value(self.data.get(key).cloned()),
            KvOp::Put { key, value } => {
                self.data.insert(key.clone(), value.clone());
                KvOutput::Done
            }
            KvOp::Append { key, value } => {
                self.data.entry(key.clone()).or_default().push_str(value);
                KvOutput::Done
            }
            KvOp::Cas { key, expected, new } => {
                let found = self.data.get(key).cloned();
                let swapped = found == *expected;
                if swapped {
                    self.data.insert(key.clone(), new.clone());
                }
                KvOutput::Cas { swapped, found }
            }
            KvOp::Delete { key } => {
                if self.data.contains_key(key) {
                    self.data.remove(key);
                }
                KvOutput::Done
            }
        }
    }
}

impl StateMachine for KvStore {
    type Command = KvCommand;
    type Output = KvOutput;

    fn apply(&mut self, _index: Index, cmd: &KvCommand) -> KvOutput {
        if !self.skip_dedup {
            if let Some(session) = self.sessions.get(&cmd.client) {
                if cmd.seq == session.last_seq {
                    return session.last_output.clone();
                }
                if cmd.seq < session.last_seq {
                    return KvOutput::Stale;
                }
            }
        }
        let output = self.execute(&cmd.op);
        self.sessions.insert(
            cmd.client,
            Session {
                last_seq: cmd.seq,
                last_output: output.clone(),
            },
        );
        output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(client: ClientId, seq: u64, op: KvOp) -> KvCommand {
        KvCommand { client, seq, op }
    }
    fn append(key: &str, value: &str) -> KvOp {
        KvOp::Append {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn operations_follow_their_specification() {
        let mut kv = KvStore::new();
        assert_eq!(
            kv.apply(1, &cmd(1, 1, KvOp::Get { key: "x".into() })),
            KvOutput::Value(None)
        );
        assert_eq!(
            kv.apply(
                2,
                &cmd(
                    1,
                    2,
                    KvOp::Put {
                        key: "x".into(),
                        value: "a".into()
                    }
                )
            ),
            KvOutput::Done
        );
        assert_eq!(kv.apply(3, &cmd(1, 3, append("x", "b"))), KvOutput::Done);
        assert_eq!(kv.get("x"), Some("ab"));
        let failed = KvOp::Cas {
            key: "x".into(),
            expected: Some("zz".into()),
            new: "c".into(),
        };
        assert_eq!(
            kv.apply(4, &cmd(1, 4, failed)),
            KvOutput::Cas {
                swapped: false,
                found: Some("ab".into())
            }
        );
        let ok = KvOp::Cas {
            key: "x".into(),
            expected: Some("ab".into()),
            new: "c".into(),
        };
        assert_eq!(
            kv.apply(5, &cmd(1, 5, ok)),
            KvOutput::Cas {
                swapped: true,
                found: Some("ab".into())
            }
        );
        assert_eq!(
            kv.apply(6, &cmd(1, 6, KvOp::Delete { key: "x".into() })),
            KvOutput::Done
        );
        assert_eq!(kv.get("x"), None);
        let absent = KvOp::Cas {
            key: "x".into(),
            expected: None,
            new: "d".into(),
        };
        assert_eq!(
            kv.apply(7, &cmd(1, 7, absent)),
            KvOutput::Cas {
                swapped: true,
                found: None
            }
        );
    }

    #[test]
    fn a_retried_request_applies_once_and_gets_the_cached_reply() {
        let mut kv = KvStore::new();
        kv.apply(1, &cmd(7, 1, append("k", "x")));
        assert_eq!(kv.apply(2, &cmd(7, 1, append("k", "x"))), KvOutput::Done);
        assert_eq!(kv.get("k"), Some("x"));
        // Sessions are per client: another client's seq 1 is a new request.
        kv.apply(3, &cmd(8, 1, append("k", "y")));
        assert_eq!(kv.get("k"), Some("xy"));
        // An older request than the session's latest does nothing.
        kv.apply(4, &cmd(7, 2, append("k", "z")));
        assert_eq!(kv.apply(5, &cmd(7, 1, append("k", "x"))), KvOutput::Stale);
        assert_eq!(kv.get("k"), Some("xyz"));
    }

    #[test]
    fn the_dedup_lost_bug_applies_a_retry_twice() {
        let mut kv = KvStore::without_dedup();
        kv.apply(1, &cmd(7, 1, append("k", "x")));
        kv.apply(2, &cmd(7, 1, append("k", "x")));
        assert_eq!(kv.get("k"), Some("xx"));
    }
}
