//! Large register histories for tests and benchmarks, the same for a given seed on every
//! machine.
//!
//! Clients run operations on one real register, one at a time each, with random gaps and
//! durations (mostly short, some long), so that about as many operations overlap as there
//! are clients. Each operation takes effect at a random point of its interval, and reads
//! return what the register holds at theirs: the history is linearizable by construction.
//! Every write writes a new value. Some operations time out: their outcome is unknown, a
//! write among them takes effect at a random point after its invocation (perhaps after
//! the client gave up) or never, and the client comes back under a new id, as Jepsen's
//! processes do.
//!
//! A [`Fault`] then changes what one read returned, so that the history is not
//! linearizable, provably (each kind says why) rather than because a checker says so. The
//! read picked is one that other operations overlap.
use crate::history::{History, Operation, Time};
use crate::models::{RegisterInput, RegisterOutput};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A change that makes a history not linearizable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A read returns the value of a write `old` although another write began after `old`
    /// returned and returned before the read began: that write separates them. Of the
    /// values so proven stale, the freshest.
    Stale,
    /// A read returns the value of the first write invoked after the read returned.
    Future,
    /// Three reads one after another in real time return a, then b, then a again: a and b
    /// were each written once, so the register cannot go back.
    FlipFlop,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Stale => "stale",
            Fault::Future => "future",
            Fault::FlipFlop => "flip-flop",
        }
    }
}

/// What to generate. [`Workload::from_args`] reads it from command-line words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub operations: usize,
    /// Clients running at once (each has one operation at a time).
    pub clients: usize,
    /// Percent of operations that are reads; the others are writes.
    pub read_percent: u32,
    /// Percent of operations whose outcome is unknown.
    pub unknown_percent: u32,
    pub fault: Option<Fault>,
    pub seed: u64,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            operations: 2000,
            clients: 10,
            read_percent: 50,
            unknown_percent: 2,
            fault: None,
            seed: 1,
        }
    }
}

impl Workload {
    /// `--ops N --clients N --reads PCT --unknown PCT --fault stale|future|flip-flop --seed N`,
    /// each optional (see [`Workload::default`]).
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Result<Workload, String> {
        let mut w = Workload::default();
        let mut it = args.iter().map(AsRef::as_ref);
        while let Some(flag) = it.next() {
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = |max: u64| -> Result<u64, String> {
                match value.parse::<u64>() {
                    Ok(n) if n <= max => Ok(n),
                    _ => Err(format!(
                        "{flag}: expected a number up to {max}, found {value:?}"
                    )),
                }
            };
            match flag {
                "--ops" => w.operations = number(1_000_000)? as usize,
                "--clients" => w.clients = number(100_000)? as usize,
                "--reads" => w.read_percent = number(100)? as u32,
                "--unknown" => w.unknown_percent = number(100)? as u32,
                "--seed" => w.seed = number(u64::MAX)?,
                "--fault" => {
                    w.fault = Some(match value {
                        "stale" => Fault::Stale,
                        "future" => Fault::Future,
                        "flip-flop" => Fault::FlipFlop,
                        _ => {
                            return Err(format!(
                                "--fault: expected stale, future or flip-flop, found {value:?}"
                            ))
                        }
                    })
                }
                _ => return Err(format!("unknown option {flag:?}")),
            }
        }
        if w.clients == 0 {
            return Err("--clients must be at least 1".to_string());
        }
        Ok(w)
    }
}

/// A generated history, and the read a fault changed (index into the history).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    pub history: History<RegisterInput, RegisterOutput>,
    pub faulty_read: Option<usize>,
}

/// SplitMix64: small, and the same sequence on every platform, so a seed always makes the
/// same history.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let z = self.0;
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        // mix64 adds the increment before mixing: this is SplitMix64's output for `self.0`.
        crate::hash::mix64(z)
    }

    /// Uniform in `0..n` (n > 0); the bias of a modulo is irrelevant here.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn percent(&mut self, p: u32) -> bool {
        self.below(100) < u64::from(p)
    }
}

/// One simulated operation: the history's view and when it took effect, if it did.
struct Simulated {
    op: Operation<RegisterInput, RegisterOutput>,
    point: Option<Time>,
}

/// Generates the history `w` describes; an error when the fault asked for finds no read
/// to change (a history too small, or without reads).
pub fn register_history(w: &Workload) -> Result<Generated, String> {
    let mut rng = Rng(w.seed);
    let mut sims: Vec<Simulated> = Vec::with_capacity(w.operations);
    // (time the slot is free, slot); each slot is one client at a time.
    let mut free: BinaryHeap<Reverse<(Time, usize)>> =
        (0..w.clients.max(1)).map(|s| Reverse((0, s))).collect();
    let mut client_of: Vec<u64> = (0..w.clients.max(1) as u64).collect();
    let mut next_client = client_of.len() as u64;
    let mut next_value: i64 = 1;
    while sims.len() < w.operations {
        let Some(Reverse((at, slot))) = free.pop() else {
            break;
        };
        let call = at + rng.below(3);
        // Mostly short operations, some long ones that many others overlap.
        let duration = if rng.percent(85) {
            1 + rng.below(20)
        } else {
            20 + rng.below(300)
        };
        let ret = call + duration;
        let input = if rng.percent(w.read_percent) {
            RegisterInput::Read
        } else {
            next_value += 1;
            RegisterInput::Write(next_value - 1)
        };
        let known = !rng.percent(w.unknown_percent);
        let point = if known {
            Some(call + rng.below(duration + 1))
        } else if rng.percent(50) {
            // Timed out, and yet it took effect: perhaps after the client gave up.
            Some(call + rng.below(3 * duration + 1))
        } else {
            None
        };
        let output = known.then_some(match input {
            RegisterInput::Write(_) => RegisterOutput::Write,
            // Filled in below, once every point is known.
            _ => RegisterOutput::Read(None),
        });
        sims.push(Simulated {
            op: Operation::new(client_of[slot], input, output, call, Some(ret)),
            point,
        });
        if !known {
            client_of[slot] = next_client;
            next_client += 1;
        }
        free.push(Reverse((ret + 1, slot)));
    }
    replay(&mut sims);
    let mut ops: Vec<Operation<RegisterInput, RegisterOutput>> =
        sims.into_iter().map(|s| s.op).collect();
    let faulty_read = match w.fault {
        None => None,
        Some(fault) => {
            let (read, value) = inject(&ops, fault, &mut rng)
                .ok_or_else(|| format!("no read to make {} in this history", fault.name()))?;
            ops[read].output = Some(RegisterOutput::Read(value));
            Some(read)
        }
    };
    let history = History::new(ops).map_err(|e| e.to_string())?;
    Ok(Generated {
        history,
        faulty_read,
    })
}

/// Runs the operations in the order of their points on a register that starts empty and
/// fills in what each read with a known outcome returned.
fn replay(sims: &mut [Simulated]) {
    let mut order: Vec<usize> = (0..sims.len())
        .filter(|&i| sims[i].point.is_some())
        .collect();
    order.sort_by_key(|&i| (sims[i].point, i));
    let mut register = None;
    for i in order {
        let op = &mut sims[i].op;
        match (op.input, &mut op.output) {
            (RegisterInput::Write(v), _) => register = Some(v),
            (RegisterInput::Read, Some(RegisterOutput::Read(seen))) => *seen = register,
            _ => {}
        }
    }
}

/// The value a known read returned, if `i` is one.
fn read_value(ops: &[Operation<RegisterInput, RegisterOutput>], i: usize) -> Option<Option<i64>> {
    match (ops[i].input, ops[i].output) {
        (RegisterInput::Read, Some(RegisterOutput::Read(v))) => Some(v),
        _ => None,
    }
}

/// A read the fault can change, and the value it would then return: the first that fits
/// among the reads in a random order, so a fault costs O(n) per read tried rather than
/// O(n^2) for all of them.
fn inject(
    ops: &[Operation<RegisterInput, RegisterOutput>],
    fault: Fault,
    rng: &mut Rng,
) -> Option<(usize, Option<i64>)> {
    let mut reads: Vec<usize> = (0..ops.len())
        .filter(|&i| read_value(ops, i).is_some())
        .collect();
    for k in (1..reads.len()).rev() {
        reads.swap(k, rng.below(k as u64 + 1) as usize);
    }
    reads
        .iter()
        .filter(|&&r| overlapped(ops, r))
        .find_map(|&r| {
            let v = changed_value(ops, r, fault)?;
            (Some(v) != read_value(ops, r)).then_some((r, v))
        })
}

/// Whether another operation overlaps `r`, so that real time alone does not order it.
fn overlapped(ops: &[Operation<RegisterInput, RegisterOutput>], r: usize) -> bool {
    let (call, ret) = (ops[r].call, ops[r].ret.unwrap_or(Time::MAX));
    ops.iter()
        .enumerate()
        .any(|(i, o)| i != r && o.call <= ret && o.ret.is_none_or(|t| t >= call))
}

/// The value `fault` makes read `r` return, if the fault fits there (see [`Fault`]).
fn changed_value(
    ops: &[Operation<RegisterInput, RegisterOutput>],
    r: usize,
    fault: Fault,
) -> Option<Option<i64>> {
    let (call, ret) = (ops[r].call, ops[r].ret.unwrap_or(Time::MAX));
    // Only a write with a known outcome is bounded by its return.
    let known_writes = || {
        ops.iter().filter_map(|o| match (o.input, o.output, o.ret) {
            (RegisterInput::Write(v), Some(_), Some(ret)) => Some((o.call, ret, v)),
            _ => None,
        })
    };
    match fault {
        Fault::Stale => {
            // Of the writes done before the read began, the last to begin separates the
            // read from every write done before it began.
            let mid_call = known_writes().filter(|w| w.1 < call).map(|w| w.0).max()?;
            known_writes()
                .filter(|w| w.1 < mid_call)
                .max_by_key(|w| (w.1, w.0))
                .map(|w| Some(w.2))
        }
        Fault::Future => ops
            .iter()
            .filter_map(|o| match o.input {
                RegisterInput::Write(v) if o.call > ret => Some((o.call, v)),
                _ => None,
            })
            .min_by_key(|w| w.0)
            .map(|w| Some(w.1)),
        Fault::FlipFlop => {
            // The latest read done before `t` that did not return `not`.
            let latest_before = |t: Time, not: Option<Option<i64>>| {
                (0..ops.len())
                    .filter(|&x| read_value(ops, x).is_some_and(|v| Some(v) != not))
                    .filter(|&x| ops[x].ret.is_some_and(|rt| rt < t))
                    .max_by_key(|&x| (ops[x].ret, x))
            };
            let r2 = latest_before(call, None)?;
            let r1 = latest_before(ops[r2].call, read_value(ops, r2))?;
            read_value(ops, r1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(args: &[&str]) -> Workload {
        Workload::from_args(args).unwrap()
    }

    #[test]
    fn a_seed_makes_one_history() {
        let w = workload(&["--ops", "300", "--clients", "12", "--seed", "9"]);
        let a = register_history(&w).unwrap();
        assert_eq!(a, register_history(&w).unwrap());
        assert_eq!(a.history.len(), 300);
        let other = workload(&["--ops", "300", "--clients", "12", "--seed", "10"]);
        assert_ne!(a, register_history(&other).unwrap());
    }

    #[test]
    fn arguments_are_checked() {
        for bad in [
            &["--ops"][..],
            &["--clients", "0"],
            &["--reads", "101"],
            &["--fault", "late"],
            &["--speed", "3"],
            &["--seed", "-1"],
        ] {
            assert!(Workload::from_args(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            workload(&["--fault", "flip-flop"]).fault,
            Some(Fault::FlipFlop)
        );
    }

    #[test]
    fn a_fault_needs_a_read_to_change() {
        let w = workload(&["--ops", "5", "--reads", "0", "--fault", "stale"]);
        assert!(register_history(&w).is_err());
    }
}
