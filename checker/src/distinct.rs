//! The polynomial-time check for a register whose reads each name one write (Gibbons and
//! Korach 1997, "Testing shared memories", the case of a known read-mapping).
//!
//! When every value read was written by exactly one write (or is the initial value, which
//! no write writes), a read's value says which write it reads from. A linearization is then
//! a sequence of *clusters*, each a write followed by the reads of its value, after the
//! reads of the initial value: nothing else can come between a write and its reads, since
//! no other write puts that value back. Whether the clusters fit real time depends on two
//! numbers per cluster X: lo(X), the earliest return of its operations, and hi(X), its
//! latest invocation. Some operation of X returns before some operation of Y is invoked,
//! so X must come before Y, exactly when lo(X) < hi(Y). The history is linearizable iff
//!
//! 1. no read returns before its write is invoked,
//! 2. no cluster must come before the reads of the initial value (lo(X) >= hi(initial)),
//! 3. no two clusters must each come before the other (no X, Y with lo(X) < hi(Y) and
//!    lo(Y) < hi(X)); Gibbons and Korach phrase this with zones: no two forward zones
//!    intersect and no backward zone lies inside a forward one.
//!
//! Conditions 1 and 2 make each cluster, and the initial reads in front, fit on their own
//! (the write first, then the reads by return time). Condition 3 rules out longer cycles
//! of "must come before" too: along X1 → X2 → X3 → ... with no pair forced both ways,
//! hi(X1) <= lo(X2) < hi(X3) <= lo(X4) < ..., so hi grows strictly every two steps and
//! cannot come back to X1. Ordering the clusters by lo + hi is one order that fits: X → Y
//! and not Y → X mean lo(X) < hi(Y) and hi(X) <= lo(Y), which add up to lo(X) + hi(X) <
//! lo(Y) + hi(Y). So the check sorts, and costs O(n log n).
//!
//! Unknown outcomes: a read with an unknown outcome constrains nothing and is left out. A
//! write with an unknown outcome may take effect at any time after its invocation, or
//! never: its return lies at infinity (it never must come before anything), and if nobody
//! read its value it is left out (never taking effect is always allowed, and no read needs
//! it). A write with a known outcome is a cluster even if nobody read its value.
//!
//! A part the check cannot judge (an operation that is not a plain read or write, several
//! registers, a value read that two writes wrote) is left to the search.
use crate::hash::FxHashMap;
use crate::history::{Operation, Time};
use crate::model::{Access, Model, Value};

/// What the check found; operation indices are positions in the slice checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistinctOutcome {
    /// A linearization of every operation with a known outcome and of the writes with
    /// unknown outcome that were read.
    Linearizable {
        order: Vec<usize>,
    },
    NotLinearizable {
        conflict: Conflict,
    },
}

/// Facts of real time that no linearization satisfies together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// `read` returned a value that no operation writes.
    NeverWritten { read: usize },
    /// `read` returned before `write`, the only write of the value it returned, was
    /// invoked.
    ReadBeforeWrite { read: usize, write: usize },
    /// `read` returned the initial value but was invoked after `returned` had returned,
    /// and `returned` is `write` or a read of its value: the initial value was gone.
    InitialOverwritten {
        read: usize,
        write: usize,
        returned: usize,
    },
    /// The clusters of writes `a` and `b` must each come before the other: `a_first.0`
    /// (of a's cluster) returned before `a_first.1` (of b's) was invoked, and `b_first.0`
    /// (of b's) returned before `b_first.1` (of a's) was invoked.
    Cycle {
        a: usize,
        b: usize,
        a_first: (usize, usize),
        b_first: (usize, usize),
    },
}

impl Conflict {
    /// The operations the conflict names, each once.
    pub fn ops(&self) -> Vec<usize> {
        let mut ops = match *self {
            Conflict::NeverWritten { read } => vec![read],
            Conflict::ReadBeforeWrite { read, write } => vec![read, write],
            Conflict::InitialOverwritten {
                read,
                write,
                returned,
            } => vec![read, write, returned],
            Conflict::Cycle {
                a,
                b,
                a_first,
                b_first,
            } => vec![a, b, a_first.0, a_first.1, b_first.0, b_first.1],
        };
        let mut seen = Vec::with_capacity(ops.len());
        ops.retain(|&o| {
            let new = !seen.contains(&o);
            seen.push(o);
            new
        });
        ops
    }
}

/// A write and the reads of its value.
struct Cluster {
    write: usize,
    reads: Vec<usize>,
    /// The earliest return among its operations, and whose.
    lo: (Time, usize),
    /// The latest invocation among its operations, and whose.
    hi: (Time, usize),
}

/// The time the check uses as a return: unknown outcomes return at infinity. `Time::MAX`
/// stands for it exactly, since `lo < hi` is false for either and no invocation comes after.
fn ret<I, O>(op: &Operation<I, O>) -> Time {
    op.effective_ret().unwrap_or(Time::MAX)
}

/// Decides `ops` when every operation is a plain read or write of one register and each
/// value read names a single write; `None` when they are not, which leaves them to the
/// search. Never panics, whatever the operations.
pub fn check<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
) -> Option<DistinctOutcome> {
    let view = View::of(model, ops)?;
    let outcome = match view.conflict(ops) {
        Some(conflict) => DistinctOutcome::NotLinearizable { conflict },
        None => {
            let order = view.order(ops);
            // Only a witness the model and real time accept is a yes. A model whose
            // `access` disagrees with its `step` fails here and is left to the search.
            if !witnesses(model, ops, &order) {
                return None;
            }
            DistinctOutcome::Linearizable { order }
        }
    };
    Some(outcome)
}

/// The operations sorted into clusters.
struct View {
    clusters: Vec<Cluster>,
    /// Reads of the initial value.
    initial: Vec<usize>,
    /// Reads of a value no operation writes.
    orphans: Vec<usize>,
}

impl View {
    fn of<M: Model>(model: &M, ops: &[&Operation<M::Input, M::Output>]) -> Option<View> {
        let mut object = None;
        let mut reads: Vec<(usize, Value<'_>)> = Vec::new();
        let mut writes: Vec<(usize, Value<'_>)> = Vec::new();
        for (p, op) in ops.iter().enumerate() {
            let access = model.access(&op.input, op.output.as_ref())?;
            if *object.get_or_insert(access.object()) != access.object() {
                return None;
            }
            match (access, op.output.is_some()) {
                (Access::Read { value: Some(v), .. }, true) => reads.push((p, v)),
                (Access::Read { value: None, .. }, false) => {}
                (Access::Write { value, .. }, _) => writes.push((p, value)),
                // The model's view disagrees with the outcome recorded: not a plain access.
                (Access::Read { .. }, _) => return None,
            }
        }
        // Per value, its only write, or None once a second one shows up.
        let mut writer: FxHashMap<Value<'_>, Option<usize>> = FxHashMap::default();
        for &(p, v) in &writes {
            writer.entry(v).and_modify(|w| *w = None).or_insert(Some(p));
        }
        let mut cluster_of: FxHashMap<usize, usize> = FxHashMap::default();
        let mut view = View {
            clusters: Vec::new(),
            initial: Vec::new(),
            orphans: Vec::new(),
        };
        let mut cluster_for = |w: usize, clusters: &mut Vec<Cluster>| {
            *cluster_of.entry(w).or_insert_with(|| {
                let op = ops[w];
                clusters.push(Cluster {
                    write: w,
                    reads: Vec::new(),
                    lo: (ret(op), w),
                    hi: (op.call, w),
                });
                clusters.len() - 1
            })
        };
        // Writes of a known outcome are clusters whether or not anyone read them.
        for &(p, _) in &writes {
            if ops[p].output.is_some() {
                cluster_for(p, &mut view.clusters);
            }
        }
        for &(p, v) in &reads {
            match (v, writer.get(&v)) {
                (Value::Initial, None) => view.initial.push(p),
                (_, None) => view.orphans.push(p),
                (_, Some(Some(w))) if v != Value::Initial => {
                    let c = cluster_for(*w, &mut view.clusters);
                    let cluster = &mut view.clusters[c];
                    cluster.reads.push(p);
                    cluster.lo = cluster.lo.min((ret(ops[p]), p));
                    cluster.hi = cluster.hi.max((ops[p].call, p));
                }
                // Written twice, or the initial value written again: which write a read
                // saw is not known, and only the search can try each.
                _ => return None,
            }
        }
        Some(view)
    }

    /// The first violated condition (module docs), if any.
    fn conflict<I, O>(&self, ops: &[&Operation<I, O>]) -> Option<Conflict> {
        if let Some(&read) = self.orphans.first() {
            return Some(Conflict::NeverWritten { read });
        }
        for c in &self.clusters {
            let write_call = ops[c.write].call;
            if let Some(&read) = c.reads.iter().find(|&&r| ret(ops[r]) < write_call) {
                return Some(Conflict::ReadBeforeWrite {
                    read,
                    write: c.write,
                });
            }
        }
        if let Some((hi, read)) = self.initial.iter().map(|&r| (ops[r].call, r)).max() {
            if let Some(c) = self.clusters.iter().min_by_key(|c| c.lo) {
                if c.lo.0 < hi {
                    return Some(Conflict::InitialOverwritten {
                        read,
                        write: c.write,
                        returned: c.lo.1,
                    });
                }
            }
        }
        self.cycle()
    }

    /// Two clusters that must each come before the other, found in O(k log k): for each
    /// cluster X, the clusters Y with lo(Y) < hi(X) are a prefix of the clusters sorted by
    /// lo, and among them only the one with the greatest hi (other than X) matters.
    fn cycle(&self) -> Option<Conflict> {
        let cs = &self.clusters;
        let mut by_lo: Vec<usize> = (0..cs.len()).collect();
        by_lo.sort_by_key(|&c| cs[c].lo);
        // Per prefix of `by_lo`: the cluster with the greatest hi, and the greatest hi of
        // the others (so X itself can be set aside).
        let hi = |x: usize| cs[x].hi;
        let mut best: Vec<(usize, Option<usize>)> = Vec::with_capacity(cs.len());
        for &c in &by_lo {
            let next = match best.last() {
                None => (c, None),
                Some(&(first, _)) if hi(c) > hi(first) => (c, Some(first)),
                Some(&(first, Some(second))) if hi(second) >= hi(c) => (first, Some(second)),
                Some(&(first, _)) => (first, Some(c)),
            };
            best.push(next);
        }
        for (x, cx) in cs.iter().enumerate() {
            let k = by_lo.partition_point(|&c| cs[c].lo.0 < cx.hi.0);
            let Some(&(first, second)) = k.checked_sub(1).and_then(|i| best.get(i)) else {
                continue;
            };
            let y = if first == x { second } else { Some(first) };
            let Some(y) = y else { continue };
            let cy = &cs[y];
            if cy.hi.0 > cx.lo.0 {
                return Some(Conflict::Cycle {
                    a: cx.write,
                    b: cy.write,
                    a_first: (cx.lo.1, cy.hi.1),
                    b_first: (cy.lo.1, cx.hi.1),
                });
            }
        }
        None
    }

    /// The linearization when no condition is violated: the initial reads, then the
    /// clusters by lo + hi, each its write and then its reads by return time.
    fn order<I, O>(&self, ops: &[&Operation<I, O>]) -> Vec<usize> {
        let by_ret = |reads: &[usize]| {
            let mut v = reads.to_vec();
            v.sort_by_key(|&r| (ret(ops[r]), r));
            v
        };
        let mut clusters: Vec<&Cluster> = self.clusters.iter().collect();
        clusters.sort_by_key(|c| (u128::from(c.lo.0) + u128::from(c.hi.0), c.write));
        let mut order = by_ret(&self.initial);
        for c in clusters {
            order.push(c.write);
            order.extend(by_ret(&c.reads));
        }
        order
    }
}

/// Whether `order` is a linearization of `ops`: every operation with a known outcome once,
/// each step legal, and no operation placed after one that returned before it was invoked.
pub(crate) fn witnesses<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    order: &[usize],
) -> bool {
    let mut placed = vec![false; ops.len()];
    for &p in order {
        if p >= ops.len() || std::mem::replace(&mut placed[p], true) {
            return false;
        }
    }
    if ops
        .iter()
        .zip(&placed)
        .any(|(op, &placed)| op.output.is_some() && !placed)
    {
        return false;
    }
    // Real time: each operation is invoked no later than every return after it.
    let mut earliest_later_return = Time::MAX;
    for &p in order.iter().rev() {
        if ops[p].call > earliest_later_return {
            return false;
        }
        earliest_later_return = earliest_later_return.min(ret(ops[p]));
    }
    let mut state = model.init();
    for &p in order {
        let (input, output) = (&ops[p].input, ops[p].output.as_ref());
        match model.step(&state, input, output) {
            Some(next) => state = next,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{RegisterInput as I, RegisterModel, RegisterOutput as O};

    fn run(ops: &[Operation<I, O>]) -> Option<DistinctOutcome> {
        let refs: Vec<&Operation<I, O>> = ops.iter().collect();
        check(&RegisterModel, &refs)
    }

    fn w(v: i64, call: Time, ret: Time) -> Operation<I, O> {
        Operation::new(0, I::Write(v), Some(O::Write), call, Some(ret))
    }

    fn r(v: Option<i64>, call: Time, ret: Time) -> Operation<I, O> {
        Operation::new(1, I::Read, Some(O::Read(v)), call, Some(ret))
    }

    #[test]
    fn a_cas_or_a_value_written_twice_is_left_to_the_search() {
        let cas = Operation::new(0, I::Cas { from: 1, to: 2 }, Some(O::Cas(true)), 0, Some(1));
        assert_eq!(run(&[w(1, 0, 1), cas]), None);
        assert_eq!(run(&[w(1, 0, 1), w(1, 2, 3), r(Some(1), 4, 5)]), None);
        // Written twice but never read: no read is ambiguous.
        assert!(run(&[w(1, 0, 1), w(1, 2, 3), r(Some(2), 4, 5)]).is_some());
    }

    #[test]
    fn touching_intervals_are_concurrent() {
        // The read is invoked at the instant the write returns: either order is possible.
        let ops = [w(1, 0, 5), r(None, 5, 6)];
        assert_eq!(
            run(&ops),
            Some(DistinctOutcome::Linearizable { order: vec![1, 0] })
        );
        let ops = [w(1, 0, 4), r(None, 5, 6)];
        assert!(matches!(
            run(&ops),
            Some(DistinctOutcome::NotLinearizable {
                conflict: Conflict::InitialOverwritten { read: 1, .. }
            })
        ));
    }

    #[test]
    fn each_condition_is_caught() {
        assert_eq!(
            run(&[w(1, 0, 1), r(Some(2), 2, 3)]),
            Some(DistinctOutcome::NotLinearizable {
                conflict: Conflict::NeverWritten { read: 1 }
            })
        );
        assert_eq!(
            run(&[r(Some(1), 0, 1), w(1, 2, 3)]),
            Some(DistinctOutcome::NotLinearizable {
                conflict: Conflict::ReadBeforeWrite { read: 0, write: 1 }
            })
        );
        // write 1, then write 2 entirely inside the gap before a read of 1.
        let ops = [w(1, 0, 1), w(2, 2, 3), r(Some(1), 4, 5)];
        assert_eq!(
            run(&ops),
            Some(DistinctOutcome::NotLinearizable {
                conflict: Conflict::Cycle {
                    a: 0,
                    b: 1,
                    a_first: (0, 1),
                    b_first: (1, 2)
                }
            })
        );
    }
}
