//! A brute-force linearizability checker: the definition, executed. It tries every order of
//! the operations that respects real time, so it is exponential and only fit for the tiny
//! histories the `lincheck` fuzz target makes, where it is the oracle the real checker is
//! compared with.
use std::collections::HashSet;
use verraft_checker::{History, Model};

/// Most operations a history may have to be judged here (2^N linearized sets at worst).
pub const MAX_OPS: usize = 12;

/// Whether some order of the operations explains every known output. Operations with an
/// unknown outcome may be left out (they never took effect). `None`: too large to judge.
pub fn linearizable<M: Model>(model: &M, history: &History<M::Input, M::Output>) -> Option<bool> {
    let ops = history.ops();
    if ops.len() > MAX_OPS {
        return None;
    }
    let mut seen = HashSet::new();
    Some(search(model, history, 0, model.init(), &mut seen))
}

fn search<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    done: u32,
    state: M::State,
    seen: &mut HashSet<(u32, M::State)>,
) -> bool {
    let ops = history.ops();
    let known_left = ops
        .iter()
        .enumerate()
        .any(|(i, o)| done & (1 << i) == 0 && o.output.is_some());
    if !known_left {
        return true;
    }
    if !seen.insert((done, state.clone())) {
        return false;
    }
    for (i, op) in ops.iter().enumerate() {
        if done & (1 << i) != 0 {
            continue;
        }
        // `op` can go next only if no other pending operation returned before it was called.
        let blocked = ops.iter().enumerate().any(|(j, other)| {
            j != i && done & (1 << j) == 0 && other.effective_ret().is_some_and(|ret| ret < op.call)
        });
        if blocked {
            continue;
        }
        if let Some(next) = model.step(&state, &op.input, op.output.as_ref()) {
            if search(model, history, done | (1 << i), next, seen) {
                return true;
            }
        }
    }
    false
}
