//! A key-value store of strings with get, put and append. A missing key reads as the empty
//! string. Keys are independent, so histories are partitioned per key.
use super::text::{Rope, Text};
use crate::history::History;
use crate::model::{Model, Part};
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvInput {
    Get { key: String },
    Put { key: String, value: Text },
    Append { key: String, value: Text },
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
    Value(Text),
    /// A put or append completed.
    Done,
}

/// The store's contents, sorted by key. Keys holding the empty string are absent, so that
/// equal stores are equal states. Values are ropes, so a step copies only the key list, and
/// the entry with the smallest key is kept inline: a one-key state (every state of a
/// per-key partition) clones without allocating.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvState {
    first: Option<(Arc<str>, Rope)>,
    /// Empty whenever `first` is `None`.
    rest: Vec<(Arc<str>, Rope)>,
}

impl KvState {
    /// Key-value pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Rope)> {
        self.first
            .iter()
            .chain(self.rest.iter())
            .map(|(k, v)| (&**k, v))
    }

    fn value(&self, key: &str) -> Option<&Rope> {
        match &self.first {
            Some((k, v)) if **k == *key => Some(v),
            Some(_) => self
                .rest
                .binary_search_by(|(k, _)| (**k).cmp(key))
                .ok()
                .map(|i| &self.rest[i].1),
            None => None,
        }
    }

    /// The value of `key` (empty if absent).
    pub fn get(&self, key: &str) -> Rope {
        self.value(key).cloned().unwrap_or_default()
    }

    fn from_entries(mut entries: Vec<(Arc<str>, Rope)>) -> KvState {
        if entries.is_empty() {
            return KvState::default();
        }
        let first = entries.remove(0);
        KvState {
            first: Some(first),
            rest: entries,
        }
    }

    /// `key`'s value replaced by `value`.
    fn with(&self, key: &str, value: Rope) -> KvState {
        if self.rest.is_empty() {
            // The common one-key case, without building a list.
            let same_key = match &self.first {
                None => true,
                Some((k, _)) => **k == *key,
            };
            if same_key {
                return if value.is_empty() {
                    KvState::default()
                } else {
                    let k = self
                        .first
                        .as_ref()
                        .map_or_else(|| Arc::from(key), |(k, _)| k.clone());
                    KvState {
                        first: Some((k, value)),
                        rest: Vec::new(),
                    }
                };
            }
        }
        let mut entries: Vec<(Arc<str>, Rope)> =
            self.first.iter().chain(&self.rest).cloned().collect();
        match (
            entries.binary_search_by(|(k, _)| (**k).cmp(key)),
            value.is_empty(),
        ) {
            (Ok(i), true) => {
                entries.remove(i);
            }
            (Ok(i), false) => entries[i].1 = value,
            (Err(_), true) => {}
            (Err(i), false) => entries.insert(i, (Arc::from(key), value)),
        }
        KvState::from_entries(entries)
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
            (KvInput::Get { .. }, Some(KvOutput::Value(_))) => {
                self.accepts(state, input, output).then(|| state.clone())
            }
            (KvInput::Put { key, value }, None | Some(KvOutput::Done)) => {
                Some(state.with(key, Rope::from_text(value)))
            }
            (KvInput::Append { key, value }, None | Some(KvOutput::Done)) => {
                Some(state.with(key, state.get(key).append(value)))
            }
            _ => None,
        }
    }

    fn accepts(&self, state: &KvState, input: &KvInput, output: Option<&KvOutput>) -> bool {
        match (input, output) {
            (KvInput::Get { key }, Some(KvOutput::Value(v))) => match state.value(key) {
                Some(r) => r.eq_text(v),
                None => v.is_empty(),
            },
            _ => self.step(state, input, output).is_some(),
        }
    }

    fn can_become_legal(
        &self,
        state: &KvState,
        input: &KvInput,
        output: &KvOutput,
        others: &[&KvInput],
    ) -> bool {
        let (KvInput::Get { key }, KvOutput::Value(v)) = (input, output) else {
            return true;
        };
        // Appends only extend the value and a put restarts it, so the value read must
        // extend either the current value or the value of a put that may still happen.
        let v = v.as_str();
        !matches!(state.value(key), Some(r) if !r.is_prefix_of(v))
            || others.iter().any(|o| {
                matches!(o, KvInput::Put { key: k, value } if k == key && v.starts_with(value.as_str()))
            })
    }

    fn partition(&self, history: &History<KvInput, KvOutput>) -> Option<Vec<Part>> {
        Some(crate::model::partition_by_key(history, |input| {
            input.key().to_string()
        }))
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
        if state.first.is_none() {
            return "{}".to_string();
        }
        let items: Vec<String> = state.iter().map(|(k, v)| format!("{k:?}: {v:?}")).collect();
        format!("{{{}}}", items.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_string()
    }

    fn t(x: &str) -> Text {
        x.into()
    }

    #[test]
    fn append_put_get() {
        let m = KvModel;
        let st = m.init();
        let get = KvInput::Get { key: s("k") };
        assert!(m.step(&st, &get, Some(&KvOutput::Value(t("")))).is_some());
        let st = m
            .step(
                &st,
                &KvInput::Append {
                    key: s("k"),
                    value: t("ab"),
                },
                Some(&KvOutput::Done),
            )
            .unwrap();
        let st = m
            .step(
                &st,
                &KvInput::Append {
                    key: s("k"),
                    value: t("c"),
                },
                None,
            )
            .unwrap();
        assert!(m
            .step(&st, &get, Some(&KvOutput::Value(t("abc"))))
            .is_some());
        assert!(m.step(&st, &get, Some(&KvOutput::Value(t("ab")))).is_none());
        let st = m
            .step(
                &st,
                &KvInput::Put {
                    key: s("k"),
                    value: t(""),
                },
                Some(&KvOutput::Done),
            )
            .unwrap();
        assert_eq!(st, m.init());
        assert!(m.step(&st, &get, Some(&KvOutput::Done)).is_none());
    }
}
