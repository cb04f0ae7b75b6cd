//! The sequential key-value store. Every operation touches a single key, so the keys are
//! checked apart (P-compositionality).
use std::collections::BTreeMap;
use verraft_checker::model::partition_by_key;
use verraft_checker::{History, Model, Part};
use verraft_kv::{KvOp, KvOutput, Text};

/// The sequential key-value store: keys map to strings, absent keys have no value.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvSpec;

/// The value of the one key a part is about (every operation touches a single key).
pub type KeyState = BTreeMap<Text, Text>;

impl Model for KvSpec {
    type Input = KvOp;
    type Output = KvOutput;
    type State = KeyState;

    fn init(&self) -> KeyState {
        KeyState::new()
    }

    fn step(&self, state: &KeyState, input: &KvOp, output: Option<&KvOutput>) -> Option<KeyState> {
        let mut next = state.clone();
        let result = match input {
            KvOp::Get { key } => KvOutput::Value(state.get(key).cloned()),
            KvOp::Put { key, value } => {
                next.insert(key.clone(), value.clone());
                KvOutput::Done
            }
            KvOp::Append { key, value } => {
                next.entry(key.clone()).or_default().push_str(value);
                KvOutput::Done
            }
            KvOp::Cas { key, expected, new } => {
                let found = state.get(key).cloned();
                let swapped = found == *expected;
                if swapped {
                    next.insert(key.clone(), new.clone());
                }
                KvOutput::Cas { swapped, found }
            }
            KvOp::Delete { key } => {
                next.remove(key);
                KvOutput::Done
            }
        };
        match output {
            None => Some(next),
            Some(o) if *o == result => Some(next),
            Some(_) => None,
        }
    }

    /// Keys are independent (P-compositionality): one part per key.
    fn partition(&self, history: &History<KvOp, KvOutput>) -> Option<Vec<Part>> {
        Some(partition_by_key(history, |op| op.key().to_string()))
    }

    fn is_read_only(&self, input: &KvOp, _output: Option<&KvOutput>) -> bool {
        input.is_read()
    }

    fn describe_operation(&self, input: &KvOp, output: Option<&KvOutput>) -> String {
        match output {
            Some(o) => format!("{input} -> {o}"),
            None => format!("{input} -> ?"),
        }
    }

    fn describe_state(&self, state: &KeyState) -> String {
        if state.is_empty() {
            return "{}".into();
        }
        let parts: Vec<String> = state.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{{{}}}", parts.join(", "))
    }
}
