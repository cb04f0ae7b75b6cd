//! Sequential specifications.
use crate::history::{History, Operation};
use std::fmt::Debug;
use std::hash::Hash;

/// One independent part of a history (P-compositionality): the history is linearizable iff
/// every part is, so the parts are checked separately and in parallel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Shown in reports, e.g. `key "3"`.
    pub label: String,
    /// Indices into the history's operations.
    pub ops: Vec<usize>,
}

/// A sequential specification: a deterministic state machine over operations.
///
/// The checker interns states (each distinct state is hashed once and referred to by a small
/// id afterwards) and memoizes `step` per (state, operation), so `step` may allocate freely.
pub trait Model: Sync {
    /// Inputs are compared to treat identical operations of unknown outcome as
    /// interchangeable.
    type Input: Clone + Debug + Eq + Hash + Send + Sync;
    type Output: Clone + Debug + Send + Sync;
    type State: Clone + Eq + Hash + Debug + Send + Sync;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Applies `input` in `state`. With `Some(output)`, returns the next state if the
    /// specification allows that output here, `None` if it does not. With `None` (unknown
    /// outcome) returns the state after the operation takes effect, whatever it returned;
    /// `None` there means the operation cannot take effect in this state.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// Whether `step` would succeed. The search asks this instead of `step` for read-only
    /// operations (see [`Model::is_read_only`]), whose next state is the current one, so a
    /// model can skip building that state.
    fn accepts(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> bool {
        self.step(state, input, output).is_some()
    }

    /// Optional pruning for a read-only operation with a known output that is pending but
    /// illegal in `state`: return false only if no sequence of operations drawn from
    /// `others` (each at most once, in any order) can lead from `state` to a state where it
    /// is legal. `others` holds the operations not yet linearized, other than read-only
    /// ones, that were invoked before it returned. The default, true, never prunes.
    fn can_become_legal(
        &self,
        _state: &Self::State,
        _input: &Self::Input,
        _output: &Self::Output,
        _others: &[&Self::Input],
    ) -> bool {
        true
    }

    /// Splits a history into independent parts, or `None` to check it whole.
    fn partition(&self, _history: &History<Self::Input, Self::Output>) -> Option<Vec<Part>> {
        None
    }

    /// True when the operation with this output leaves the state unchanged wherever it is
    /// legal (a read; a cas observed to fail). Answering true lets the search linearize such
    /// an operation as soon as it fits, without trying alternatives, and drop it altogether
    /// when its outcome is unknown. Answering false is always safe, only slower.
    fn is_read_only(&self, _input: &Self::Input, _output: Option<&Self::Output>) -> bool {
        false
    }

    /// For a model that is a register, or a family of independent registers (one per
    /// object, such as the keys of a store): the operation as a plain read or write. That
    /// view lets a part whose reads each name a single write be decided in polynomial time
    /// ([`crate::distinct`]) instead of searched. `None` for anything else (a cas, an
    /// append, an output of the wrong kind), which leaves the part to the search; the
    /// default, `None` for everything, never uses that check.
    ///
    /// The view must agree with `step`: a read with a known output is legal exactly in the
    /// state holding the value it names, and a write (whatever its output, known or not)
    /// leads to the state holding its value from any state.
    fn access<'a>(
        &self,
        _input: &'a Self::Input,
        _output: Option<&'a Self::Output>,
    ) -> Option<Access<'a>> {
        None
    }

    /// Human description of an operation, e.g. `cas(1, 2) -> ok`.
    fn describe_operation(&self, input: &Self::Input, output: Option<&Self::Output>) -> String;

    /// Human description of a state.
    fn describe_state(&self, state: &Self::State) -> String;
}

/// A register value, as [`Model::access`] names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value<'a> {
    /// The value the register holds before any write (etcd's `nil`, the store's empty
    /// string).
    Initial,
    Int(i64),
    Text(&'a str),
}

/// An operation seen as a plain read or write of one register ([`Model::access`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access<'a> {
    /// `value` is `None` when the outcome is unknown (a read that constrains nothing).
    Read {
        object: &'a str,
        value: Option<Value<'a>>,
    },
    /// A write of `value`, its outcome known or not.
    Write { object: &'a str, value: Value<'a> },
}

impl<'a> Access<'a> {
    pub fn object(&self) -> &'a str {
        match self {
            Access::Read { object, .. } | Access::Write { object, .. } => object,
        }
    }
}

/// Splits a history into one part per key, for models whose operations each touch one
/// independent key (P-compositionality). Parts come in key order.
pub fn partition_by_key<I, O, K: Ord + std::fmt::Debug>(
    history: &History<I, O>,
    key: impl Fn(&I) -> K,
) -> Vec<Part> {
    let mut by_key: std::collections::BTreeMap<K, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, op) in history.ops().iter().enumerate() {
        by_key.entry(key(&op.input)).or_default().push(i);
    }
    by_key
        .into_iter()
        .map(|(key, ops)| Part {
            label: format!("key {key:?}"),
            ops,
        })
        .collect()
}

/// Describes an operation of a history with the model, marking unknown outcomes.
pub fn describe<M: Model>(model: &M, op: &Operation<M::Input, M::Output>) -> String {
    model.describe_operation(&op.input, op.output.as_ref())
}
