//! Linearizability of what the world's clients observed, judged by the project's checker
//! against a sequential specification of verraft's key-value store. The spec is written here,
//! independently of the store's code, so a bug in the store cannot hide itself.
use crate::client::HistoryOp;
use crate::invariants::{Invariant, Violation};
use crate::world::World;
use std::collections::BTreeMap;
use verraft_checker::model::partition_by_key;
use verraft_checker::sequential::forced_order;
use verraft_checker::{check, CheckOptions, History, Model, Operation, Outcome, Part};
use verraft_core::{KvOp, KvOutput, Text};

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

/// The client history as the checker's operations. An operation still waiting (or given up
/// on) has an unknown outcome: it may have taken effect, or not.
pub fn to_checker_history(ops: &[HistoryOp]) -> Result<History<KvOp, KvOutput>, String> {
    let ops = ops
        .iter()
        .map(|h| Operation {
            client: h.client,
            input: h.op.clone(),
            output: h.returned.as_ref().map(|(_, o)| o.clone()),
            call: u64::from(h.invoked_at),
            ret: h.returned.as_ref().map(|(t, _)| u64::from(*t)),
        })
        .collect();
    History::new(ops).map_err(|e| e.to_string())
}

impl World {
    /// Whether the client history so far is linearizable. Deterministic: one thread, no
    /// time limit (the world's histories are small).
    pub fn check_history(&self) -> Result<(), Violation> {
        let history = to_checker_history(&self.history).map_err(|e| {
            Violation::new(
                Invariant::Linearizability,
                format!("malformed history: {e}"),
            )
        })?;
        // The common case, clients that took turns, needs neither the partition nor the
        // search: replaying the one order real time allows settles it.
        let ops: Vec<&Operation<KvOp, KvOutput>> = history.ops().iter().collect();
        if forced_order(&KvSpec, &ops).is_some() {
            return Ok(());
        }
        let options = CheckOptions {
            threads: 1,
            ..CheckOptions::default()
        };
        let result = check(&KvSpec, &history, &options);
        for part in &result.parts {
            if let Outcome::NotLinearizable { explanation } = &part.outcome {
                let mut v = Violation::new(
                    Invariant::Linearizability,
                    format!(
                        "the clients' operations on {} cannot be ordered to fit one store",
                        part.label
                    ),
                );
                for line in explanation.to_string().lines() {
                    v = v.detail(line.to_string());
                }
                return Err(v);
            }
        }
        Ok(())
    }
}
