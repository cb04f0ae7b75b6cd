//! The key-value state machine with client sessions (Raft thesis §6.3): every request carries
//! (client, sequence number); a retried request is applied once and answered from the session.
use crate::command::{ClientId, KvCommand, KvOp, KvOutput, Text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use verraft_core::{Bug, BugSet, ConfigError, Index, StateMachine};

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

/// The store. Sessions are part of its state, so a replica rebuilt from the log or restored
/// from a snapshot deduplicates exactly like the one it replaces.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct KvStore {
    data: BTreeMap<Text, Text>,
    sessions: BTreeMap<ClientId, Session>,
    /// Seeded bug `dedup-lost`: apply retried requests again. There in every build, so a
    /// snapshot's format does not depend on the build, but read only where the core's seeded
    /// bugs are compiled in (see `skips_dedup`).
    skip_dedup: bool,
}

impl KvStore {
    /// An empty store with no sessions.
    pub fn new() -> KvStore {
        KvStore::default()
    }

    /// A store with the seeded bug `dedup-lost`: it ignores sessions. The store's bug is
    /// compiled in exactly when the core's are (its `seeded-bugs` feature, which the harness
    /// turns on), so this crate needs no feature of its own; in a build without them, as a
    /// library user's is, the switch is refused rather than quietly giving a correct store.
    pub fn without_dedup() -> Result<KvStore, ConfigError> {
        if !verraft_core::bugs::COMPILED {
            return Err(ConfigError::SeededBugsNotCompiled(
                BugSet::NONE.with(Bug::DedupLost),
            ));
        }
        Ok(KvStore {
            skip_dedup: true,
            ..KvStore::default()
        })
    }

    /// The value of `key` in this replica, read directly: not linearizable on its own (this
    /// replica may lag behind the leader). It is linearizable once a ReadIndex read
    /// (`Node::read`) has handed out its `ReadState` on this node; a [`KvOp::Get`] through
    /// the log is linearizable on its own.
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

    /// Whether this store has the `dedup-lost` bug. A constant `false` where the core's
    /// seeded bugs are not compiled in, so the branch it guards is dropped, even for a store
    /// restored from a snapshot a buggy node wrote.
    #[inline(always)]
    fn skips_dedup(&self) -> bool {
        verraft_core::bugs::COMPILED && self.skip_dedup
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
        if !self.skips_dedup() {
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

    /// Where the core's seeded bugs are compiled in (a workspace build), the bug applies a
    /// retry twice; where they are not (`cargo test -p verraft-kv` alone, a library user's
    /// build), asking for it is refused.
    #[test]
    fn the_dedup_lost_bug_applies_a_retry_twice_where_it_is_compiled_in() {
        let store = KvStore::without_dedup();
        assert_eq!(store.is_ok(), verraft_core::bugs::COMPILED);
        match store {
            Ok(mut kv) => {
                kv.apply(1, &cmd(7, 1, append("k", "x")));
                kv.apply(2, &cmd(7, 1, append("k", "x")));
                assert_eq!(kv.get("k"), Some("xx"));
            }
            Err(e) => {
                assert_eq!(
                    e,
                    ConfigError::SeededBugsNotCompiled(BugSet::NONE.with(Bug::DedupLost))
                );
            }
        }
    }
}
