//! The shortcut for histories that real time already orders. When every operation with a
//! known outcome returns before the next one is called, real time allows exactly one order
//! of them, so replaying that order through the model decides the history without a search.
//! Most small histories (one client, or clients that take turns) are like this, and for them
//! the search's set-up (interned states, the memo table, the lookahead) costs more than the
//! replay.
//!
//! Operations with an unknown outcome do not break the shortcut when they cannot matter:
//! a read-only one constrains nothing (the search drops it too), and one called after every
//! known operation returned can be left out (it may never have taken effect, and nothing
//! observed it). Any other unknown outcome could have taken effect anywhere among the
//! known operations, so the search must decide.
use crate::history::Operation;
use crate::model::Model;

/// The forced order of `ops` (positions in `ops`, operations with an unknown outcome left
/// out) when real time orders the known ones and the model accepts that order; `None` when
/// it does not, or when only the search can tell. A `Some` is always a correct verdict
/// (linearizable, with this witness); a `None` says nothing.
pub fn forced_order<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
) -> Option<Vec<usize>> {
    let mut order: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].output.is_some())
        .collect();
    order.sort_by_key(|&i| (ops[i].call, i));
    let mut last_ret = None;
    for &i in &order {
        // Concurrent unless the previous one returned strictly before this one was called.
        if last_ret.is_some_and(|ret| ret >= ops[i].call) {
            return None;
        }
        last_ret = ops[i].ret;
    }
    for op in ops.iter().filter(|o| o.output.is_none()) {
        let after_everything = last_ret.is_none_or(|ret| ret < op.call);
        if !after_everything && !model.is_read_only(&op.input, None) {
            return None;
        }
    }
    let mut state = model.init();
    for &i in &order {
        let (input, output) = (&ops[i].input, ops[i].output.as_ref());
        if model.is_read_only(input, output) {
            if !model.accepts(&state, input, output) {
                return None;
            }
        } else {
            state = model.step(&state, input, output)?;
        }
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{RegisterInput as I, RegisterModel, RegisterOutput as O};

    fn forced(ops: &[Operation<I, O>]) -> Option<Vec<usize>> {
        let refs: Vec<&Operation<I, O>> = ops.iter().collect();
        forced_order(&RegisterModel, &refs)
    }

    #[test]
    fn turns_taken_are_replayed_in_call_order() {
        let ops = [
            Operation::new(1, I::Read, Some(O::Read(Some(3))), 10, Some(11)),
            Operation::new(0, I::Write(3), Some(O::Write), 0, Some(1)),
            Operation::new(
                0,
                I::Cas { from: 3, to: 4 },
                Some(O::Cas(true)),
                20,
                Some(21),
            ),
        ];
        assert_eq!(forced(&ops), Some(vec![1, 0, 2]));
    }

    #[test]
    fn a_stale_read_in_the_forced_order_is_left_to_the_search() {
        let ops = [
            Operation::new(0, I::Write(1), Some(O::Write), 0, Some(1)),
            Operation::new(1, I::Read, Some(O::Read(None)), 2, Some(3)),
        ];
        assert_eq!(forced(&ops), None);
    }

    #[test]
    fn overlapping_operations_are_left_to_the_search() {
        // Linearizable (the read may go first), but not in call order: only the search
        // may say so.
        let ops = [
            Operation::new(0, I::Write(1), Some(O::Write), 0, Some(5)),
            Operation::new(1, I::Read, Some(O::Read(None)), 1, Some(2)),
        ];
        assert_eq!(forced(&ops), None);
        // Touching intervals (one returns at the instant the other is called) overlap.
        let ops = [
            Operation::new(0, I::Write(1), Some(O::Write), 0, Some(2)),
            Operation::new(1, I::Read, Some(O::Read(Some(1))), 2, Some(3)),
        ];
        assert_eq!(forced(&ops), None);
    }

    #[test]
    fn an_unknown_write_among_the_known_ones_is_left_to_the_search() {
        // The write may have taken effect before the read: linearizable, but not in the
        // one order the shortcut knows.
        let ops = [
            Operation::new(0, I::Write(7), None, 0, None),
            Operation::new(1, I::Read, Some(O::Read(Some(7))), 5, Some(6)),
        ];
        assert_eq!(forced(&ops), None);
    }

    #[test]
    fn unknown_outcomes_that_cannot_matter_are_left_out() {
        let ops = [
            Operation::new(0, I::Write(1), Some(O::Write), 0, Some(1)),
            // A read with unknown outcome constrains nothing, wherever it is.
            Operation::new(1, I::Read, None, 0, None),
            Operation::new(0, I::Read, Some(O::Read(Some(1))), 2, Some(3)),
            // Called after everything known returned: it may never have happened.
            Operation::new(1, I::Write(9), None, 4, None),
        ];
        assert_eq!(forced(&ops), Some(vec![0, 2]));
    }

    #[test]
    fn a_failed_step_is_no_verdict() {
        let ops = [
            Operation::new(0, I::Write(1), Some(O::Write), 0, Some(1)),
            Operation::new(0, I::Cas { from: 2, to: 3 }, Some(O::Cas(true)), 2, Some(3)),
        ];
        assert_eq!(forced(&ops), None);
    }
}
