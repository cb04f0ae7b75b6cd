//! Linearizability of what the world's clients observed, judged by the project's checker
//! against the sequential specification of verraft's key-value store (`verraft-spec`).
use crate::client::HistoryOp;
use crate::invariants::{Invariant, Violation};
use crate::world::World;
use verraft_spec::{judge, KvOperation, Rejection};

/// The client history as the checker's operations. An operation still waiting (or given up
/// on) has an unknown outcome: it may have taken effect, or not.
pub fn to_checker_operations(ops: &[HistoryOp]) -> Vec<KvOperation> {
    ops.iter()
        .map(|h| {
            KvOperation::new(
                h.client,
                h.op.clone(),
                h.returned.as_ref().map(|(_, o)| o.clone()),
                u64::from(h.invoked_at),
                h.returned.as_ref().map(|(t, _)| u64::from(*t)),
            )
        })
        .collect()
}

impl World {
    /// Whether the client history so far is linearizable.
    pub fn check_history(&self) -> Result<(), Violation> {
        match judge(to_checker_operations(&self.history)) {
            Ok(()) => Ok(()),
            Err(Rejection::Malformed(e)) => Err(Violation::new(
                Invariant::Linearizability,
                format!("malformed history: {e}"),
            )),
            Err(Rejection::NotLinearizable { part, explanation }) => {
                let mut v = Violation::new(
                    Invariant::Linearizability,
                    format!("the clients' operations on {part} cannot be ordered to fit one store"),
                );
                for line in explanation.lines() {
                    v = v.detail(line.to_string());
                }
                Err(v)
            }
        }
    }
}
