//! A brute-force linearizability oracle and validity checks for witnesses, shared by the
//! property tests.
#![allow(dead_code)]
use verraft_checker::{History, Model, Operation};

/// `a` must precede `b` in any linearization: `a` returned before `b` was invoked.
/// Unknown outcomes return at infinity.
pub fn precedes<I, O>(a: &Operation<I, O>, b: &Operation<I, O>) -> bool {
    a.effective_ret().is_some_and(|r| r < b.call)
}

/// Tries every order of every set of operations that contains all known outcomes.
pub fn brute_force<M: Model>(model: &M, h: &History<M::Input, M::Output>) -> bool {
    let ops = h.ops();
    let n = ops.len();
    let unknown: Vec<usize> = (0..n).filter(|&i| ops[i].output.is_none()).collect();
    for mask in 0u32..(1 << unknown.len()) {
        let chosen: Vec<usize> = (0..n)
            .filter(|&i| match unknown.iter().position(|&u| u == i) {
                Some(k) => mask >> k & 1 == 1,
                None => true,
            })
            .collect();
        let mut used = vec![false; chosen.len()];
        let mut seq = Vec::new();
        if permute(model, ops, &chosen, &mut used, &mut seq, model.init()) {
            return true;
        }
    }
    false
}

fn permute<M: Model>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    chosen: &[usize],
    used: &mut Vec<bool>,
    seq: &mut Vec<usize>,
    state: M::State,
) -> bool {
    if seq.len() == chosen.len() {
        return true;
    }
    for k in 0..chosen.len() {
        if used[k] {
            continue;
        }
        let i = chosen[k];
        // Every chosen operation that must precede `i` is already placed.
        let ready =
            (0..chosen.len()).all(|j| used[j] || j == k || !precedes(&ops[chosen[j]], &ops[i]));
        if !ready {
            continue;
        }
        let Some(next) = model.step(&state, &ops[i].input, ops[i].output.as_ref()) else {
            continue;
        };
        used[k] = true;
        seq.push(i);
        if permute(model, ops, chosen, used, seq, next) {
            return true;
        }
        seq.pop();
        used[k] = false;
    }
    false
}

/// Whether `order` is a valid linearization prefix: no repeats, real-time order respected
/// (whatever must precede a placed operation is placed before it), every step legal.
pub fn valid_prefix<M: Model>(
    model: &M,
    h: &History<M::Input, M::Output>,
    order: &[usize],
) -> bool {
    let ops = h.ops();
    let mut placed = vec![false; ops.len()];
    let mut state = model.init();
    for &i in order {
        if i >= ops.len() || placed[i] {
            return false;
        }
        if (0..ops.len()).any(|j| !placed[j] && j != i && precedes(&ops[j], &ops[i])) {
            return false;
        }
        match model.step(&state, &ops[i].input, ops[i].output.as_ref()) {
            Some(next) => state = next,
            None => return false,
        }
        placed[i] = true;
    }
    true
}

/// A complete witness: a valid prefix that contains every operation with a known outcome.
pub fn valid_witness<M: Model>(
    model: &M,
    h: &History<M::Input, M::Output>,
    order: &[usize],
) -> bool {
    valid_prefix(model, h, order)
        && h.ops()
            .iter()
            .enumerate()
            .all(|(i, o)| o.output.is_none() || order.contains(&i))
}

/// The operations `ops` (indices into `h`) as a history of their own.
pub fn sub_history<I: Clone, O: Clone>(h: &History<I, O>, ops: &[usize]) -> History<I, O> {
    History::new(ops.iter().map(|&i| h.ops()[i].clone()).collect()).unwrap()
}
