//! A key-value store of strings with get, put, append and compare-and-set. A missing key
//! reads as the empty string (so a compare-and-set from `""` swaps a missing key). Keys are
//! independent, so histories are partitioned per key.
use super::text::{Rope, Text};
use crate::history::History;
use crate::model::{Access, Model, Part, Value};
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvInput {
    Get {
        key: String,
    },
    Put {
        key: String,
        value: Text,
    },
    Append {
        key: String,
        value: Text,
    },
    /// Set `key` to `to` if its value is `from`.
    Cas {
        key: String,
        from: Text,
        to: Text,
    },
}

impl KvInput {
    pub fn key(&self) -> &str {
        match self {
            KvInput::Get { key }
            | KvInput::Put { key, .. }
            | KvInput::Append { key, .. }
            | KvInput::Cas { key, .. } => key,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOutput {
    /// The value a get returned.
    Value(Text),
    /// A put or append completed.
    Done,
    /// A compare-and-set completed: whether it swapped.
    Cas(bool),
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
            // An unknown outcome still has one effect once it takes place: the comparison
            // decides it.
            (KvInput::Cas { key, from, to }, None | Some(KvOutput::Cas(_))) => {
                let swaps = state.get(key).eq_text(from);
                match output {
                    Some(KvOutput::Cas(ok)) if *ok != swaps => None,
                    _ if swaps => Some(state.with(key, Rope::from_text(to))),
                    _ => Some(state.clone()),
                }
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
        // The value read is the last put (or swapping compare-and-set) before it, or the
        // current value if none comes first, followed by appends. So it must start with the
        // current value or with the value of a put or compare-and-set that may still happen,
        // and the rest must be made of appends that may still happen.
        let v = v.as_str();
        let mut starts: Vec<usize> = Vec::new();
        match state.value(key) {
            Some(r) if !r.is_prefix_of(v) => {}
            r => starts.push(r.map_or(0, Rope::len)),
        }
        let mut pieces: Vec<&str> = Vec::new();
        for o in others {
            match o {
                KvInput::Put { key: k, value }
                | KvInput::Cas {
                    key: k, to: value, ..
                } if k == key && v.starts_with(value.as_str()) => {
                    starts.push(value.as_str().len());
                }
                KvInput::Append { key: k, value } if k == key && !value.is_empty() => {
                    pieces.push(value.as_str());
                }
                _ => {}
            }
        }
        spelled_from(v, &starts, &pieces)
    }

    fn partition(&self, history: &History<KvInput, KvOutput>) -> Option<Vec<Part>> {
        Some(crate::model::partition_by_key(history, |input| {
            input.key().to_string()
        }))
    }

    fn is_read_only(&self, input: &KvInput, _output: Option<&KvOutput>) -> bool {
        matches!(input, KvInput::Get { .. })
    }

    fn access<'a>(&self, input: &'a KvInput, output: Option<&'a KvOutput>) -> Option<Access<'a>> {
        // A missing key reads as the empty string, so "" is each key's initial value.
        let value = |t: &'a Text| {
            if t.is_empty() {
                Value::Initial
            } else {
                Value::Text(t.as_str())
            }
        };
        match (input, output) {
            (KvInput::Get { key }, None) => Some(Access::Read {
                object: key,
                value: None,
            }),
            (KvInput::Get { key }, Some(KvOutput::Value(v))) => Some(Access::Read {
                object: key,
                value: Some(value(v)),
            }),
            (KvInput::Put { key, value: v }, None | Some(KvOutput::Done)) => Some(Access::Write {
                object: key,
                value: value(v),
            }),
            // An append's effect depends on the value before it: not a plain write.
            _ => None,
        }
    }

    fn describe_operation(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        let call = match input {
            KvInput::Get { key } => format!("get({key:?})"),
            KvInput::Put { key, value } => format!("put({key:?}, {value:?})"),
            KvInput::Append { key, value } => format!("append({key:?}, {value:?})"),
            KvInput::Cas { key, from, to } => format!("cas({key:?}, {from:?}, {to:?})"),
        };
        let ret = match output {
            None => "?".to_string(),
            Some(KvOutput::Value(v)) => format!("{v:?}"),
            Some(KvOutput::Done) => "ok".to_string(),
            Some(KvOutput::Cas(ok)) => if *ok { "swapped" } else { "unchanged" }.to_string(),
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

/// Whether `v`, from one of the byte offsets `starts` on, is a concatenation of `pieces`.
/// A piece may be used more than once here although an append takes effect once: the
/// answer may be a yes where the truth is no, never the reverse, which is what pruning
/// needs, and it costs O(|v| * |pieces|) comparisons.
fn spelled_from(v: &str, starts: &[usize], pieces: &[&str]) -> bool {
    let mut reached = vec![false; v.len() + 1];
    for &s in starts {
        if let Some(r) = reached.get_mut(s) {
            *r = true;
        }
    }
    for i in 0..v.len() {
        if !reached[i] {
            continue;
        }
        let rest = &v.as_bytes()[i..];
        for p in pieces {
            if rest.starts_with(p.as_bytes()) {
                reached[i + p.len()] = true;
            }
        }
    }
    reached[v.len()]
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
    fn a_read_must_be_a_base_then_pending_appends() {
        let m = KvModel;
        let key = || s("k");
        let put = |v: &str| KvInput::Put {
            key: key(),
            value: t(v),
        };
        let app = |v: &str| KvInput::Append {
            key: key(),
            value: t(v),
        };
        let ab = m.step(&m.init(), &put("ab"), None).unwrap();
        let can = |state: &KvState, read: &str, others: &[&KvInput]| {
            let get = KvInput::Get { key: key() };
            m.can_become_legal(state, &get, &KvOutput::Value(t(read)), others)
        };
        assert!(can(&ab, "abcd", &[&app("cd")]));
        assert!(can(&ab, "abcd", &[&app("d"), &app("c")]));
        assert!(!can(&ab, "abcd", &[&app("c")]));
        assert!(!can(&ab, "abcd", &[&app("bcd")]));
        // A pending put restarts the value; an append of another key is no help.
        let other_key = KvInput::Append {
            key: s("j"),
            value: t("cd"),
        };
        assert!(can(&ab, "xcd", &[&put("x"), &app("cd")]));
        assert!(!can(&ab, "xcd", &[&put("x"), &other_key]));
        assert!(!can(&ab, "x", &[&put("xy")]));
        assert!(can(&m.init(), "cd", &[&app("c"), &app("d")]));
        assert!(can(&ab, "", &[&put("")]));
        assert!(!can(&ab, "", &[&app("")]));
    }

    #[test]
    fn cas_swaps_only_from_the_value_it_names() {
        let m = KvModel;
        let cas = |from: &str, to: &str| KvInput::Cas {
            key: s("k"),
            from: t(from),
            to: t(to),
        };
        let get = KvInput::Get { key: s("k") };
        // From a missing key ("") it swaps; from a wrong value it must report no swap.
        let st = m
            .step(&m.init(), &cas("", "a"), Some(&KvOutput::Cas(true)))
            .unwrap();
        assert!(m.step(&st, &get, Some(&KvOutput::Value(t("a")))).is_some());
        assert!(m
            .step(&st, &cas("b", "c"), Some(&KvOutput::Cas(true)))
            .is_none());
        let same = m
            .step(&st, &cas("b", "c"), Some(&KvOutput::Cas(false)))
            .unwrap();
        assert_eq!(same, st);
        assert!(m
            .step(&st, &cas("a", "c"), Some(&KvOutput::Cas(false)))
            .is_none());
        // An unknown outcome takes the effect the comparison gives.
        let c = m.step(&st, &cas("a", "c"), None).unwrap();
        assert!(m.step(&c, &get, Some(&KvOutput::Value(t("c")))).is_some());
        assert!(m.step(&st, &cas("a", "c"), Some(&KvOutput::Done)).is_none());
        // A read of a value only a pending compare-and-set writes can still become legal.
        assert!(m.can_become_legal(
            &st,
            &get,
            &KvOutput::Value(t("cx")),
            &[
                &cas("a", "c"),
                &KvInput::Append {
                    key: s("k"),
                    value: t("x")
                }
            ]
        ));
        assert!(!m.can_become_legal(&st, &get, &KvOutput::Value(t("cx")), &[&cas("a", "c")]));
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
