//! A key-value store of strings with get, put and append. A missing key reads as the empty
//! string. Keys are independent, so histories are partitioned per key.
use crate::history::History;
use crate::model::{Model, Part};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvInput {
    Get { key: String },
    Put { key: String, value: String },
    Append { key: String, value: String },
}

impl KvInput {
    pub fn key(&self) -> &str {
        match self {
            KvInput::Get { key } | KvInput::Put { key, .. } | KvInput::Append { key, .. } => key,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOutput {
    /// The value a get returned.
    Value(String),
    /// A put or append completed.
    Done,
}

/// The store's contents. Keys holding the empty string are absent, so that equal stores
/// are equal states.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvState(pub BTreeMap<String, String>);

impl KvState {
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel;

impl Model for KvModel {
    type Input = KvInput;
    type Output = KvOutput;
    type State = KvState;

    fn init(&self) -> KvState {
        KvState::default()
    }

    fn step(&self, state: &KvState, input: &KvInput, output: Option<&KvOutput>) -> Option<KvState> {
        match (input, output) {
            (KvInput::Get { .. }, None) => Some(state.clone()),
            (KvInput::Get { key }, Some(KvOutput::Value(v))) => {
                (state.get(key) == v).then(|| state.clone())
            }
            (KvInput::Put { key, value }, None | Some(KvOutput::Done)) => {
                let mut next = state.clone();
                if value.is_empty() {
                    next.0.remove(key);
                } else {
                    next.0.insert(key.clone(), value.clone());
                }
                Some(next)
            }
            (KvInput::Append { key, value }, None | Some(KvOutput::Done)) => {
                let mut next = state.clone();
                if !value.is_empty() {
                    next.0.entry(key.clone()).or_default().push_str(value);
                }
                Some(next)
            }
            _ => None,
        }
    }

    fn partition(&self, history: &History<KvInput, KvOutput>) -> Option<Vec<Part>> {
        let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, op) in history.ops().iter().enumerate() {
            by_key.entry(op.input.key()).or_default().push(i);
        }
        Some(
            by_key
                .into_iter()
                .map(|(key, ops)| Part {
                    label: format!("key {key:?}"),
                    ops,
                })
                .collect(),
        )
    }

    fn is_read_only(&self, input: &KvInput, _output: Option<&KvOutput>) -> bool {
        matches!(input, KvInput::Get { .. })
    }

    fn describe_operation(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        let call = match input {
            KvInput::Get { key } => format!("get({key:?})"),
            KvInput::Put { key, value } => format!("put({key:?}, {value:?})"),
            KvInput::Append { key, value } => format!("append({key:?}, {value:?})"),
        };
        let ret = match output {
            None => "?".to_string(),
            Some(KvOutput::Value(v)) => format!("{v:?}"),
            Some(KvOutput::Done) => "ok".to_string(),
        };
        format!("{call} -> {ret}")
    }

    fn describe_state(&self, state: &KvState) -> String {
        if state.0.is_empty() {
            return "{}".to_string();
        }
        let items: Vec<String> = state
            .0
            .iter()
            .map(|(k, v)| format!("{k:?}: {v:?}"))
            .collect();
        format!("{{{}}}", items.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn append_put_get() {
        let m = KvModel;
        let st = m.init();
        let get = KvInput::Get { key: s("k") };
        assert!(m.step(&st, &get, Some(&KvOutput::Value(s("")))).is_some());
        let st = m
            .step(
                &st,
                &KvInput::Append {
                    key: s("k"),
                    value: s("ab"),
                },
                Some(&KvOutput::Done),
            )
            .unwrap();
        let st = m
            .step(
                &st,
                &KvInput::Append {
                    key: s("k"),
                    value: s("c"),
                },
                None,
            )
            .unwrap();
        assert!(m
            .step(&st, &get, Some(&KvOutput::Value(s("abc"))))
            .is_some());
        assert!(m.step(&st, &get, Some(&KvOutput::Value(s("ab")))).is_none());
        let st = m
            .step(
                &st,
                &KvInput::Put {
                    key: s("k"),
                    value: s(""),
                },
                Some(&KvOutput::Done),
            )
            .unwrap();
        assert_eq!(st, m.init());
        assert!(m.step(&st, &get, Some(&KvOutput::Done)).is_none());
    }
}
