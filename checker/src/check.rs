//! Checking a whole history: split it into independent parts, search each (in parallel),
//! and combine the verdicts.
use crate::distinct::{self, DistinctOutcome};
use crate::explain::{explain, explain_conflict, Explanation};
use crate::history::{History, Operation};
use crate::model::{Model, Part};
use crate::monitor::Monitor;
use crate::schedule::{self, Plan};
use crate::search::{self, Limits, SearchOutcome, SearchStats, StopReason};
use crate::sequential;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Give up (verdict `Unknown`) after this long.
    pub timeout: Option<Duration>,
    /// Approximate memory the memo tables of one part may use before giving up.
    pub memory_limit: Option<usize>,
    /// Worker threads for independent parts; 0 means one per available core.
    pub threads: usize,
    /// Use the model's partition of the history (P-compositionality).
    pub partition: bool,
    /// Stop as soon as one part is not linearizable, which settles the verdict: the parts
    /// undecided then are `Unknown` with [`StopReason::Cancelled`]. Parts are then searched
    /// in rounds of growing budget (see `schedule.rs`), so one hard part cannot hold back
    /// the easy ones. By default every part gets its own verdict.
    pub stop_at_first_failure: bool,
    /// Progress for other threads to show, and a way for them to interrupt the check.
    pub monitor: Option<Arc<Monitor>>,
    /// Decide the parts that are registers whose reads each name one write with the
    /// polynomial check of [`crate::distinct`] before anything else. Off, every part goes
    /// to the search (to compare the two, or to measure the search).
    pub distinct_values: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            timeout: None,
            memory_limit: None,
            threads: 0,
            partition: true,
            stop_at_first_failure: false,
            monitor: None,
            distinct_values: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    NotLinearizable,
    Unknown,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable => "NOT linearizable",
            Verdict::Unknown => "unknown",
        })
    }
}

/// The verdict on one part, with its evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `witness` lists history indices in linearization order. Operations with an unknown
    /// outcome that are absent never took effect (or took effect after everything).
    Linearizable {
        witness: Vec<usize>,
    },
    NotLinearizable {
        explanation: Explanation,
    },
    /// `longest_prefix`: the longest linearizable prefix found before stopping.
    Unknown {
        reason: StopReason,
        longest_prefix: Vec<usize>,
    },
}

impl Outcome {
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Linearizable { .. } => Verdict::Linearizable,
            Outcome::NotLinearizable { .. } => Verdict::NotLinearizable,
            Outcome::Unknown { .. } => Verdict::Unknown,
        }
    }

    /// The linearization order shown in reports: the witness, or the longest prefix.
    pub fn order(&self) -> &[usize] {
        match self {
            Outcome::Linearizable { witness } => witness,
            Outcome::NotLinearizable { explanation } => &explanation.prefix,
            Outcome::Unknown { longest_prefix, .. } => longest_prefix,
        }
    }
}

/// Which procedure decided a part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// The polynomial check for a register whose reads each name one write
    /// ([`crate::distinct`]).
    DistinctValues,
    /// Real time left one order of the operations with a known outcome, and the model
    /// accepted it ([`crate::sequential`]).
    RealTimeOrder,
    /// The backtracking search ([`crate::search`]); also for a part it never got to.
    Search,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::DistinctValues => "distinct values",
            Method::RealTimeOrder => "real-time order",
            Method::Search => "search",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartResult {
    pub label: String,
    /// Every operation of the part (history indices, ascending).
    pub ops: Vec<usize>,
    /// How many of them the search considered (reads with unknown outcome are dropped).
    pub searched: usize,
    pub outcome: Outcome,
    pub method: Method,
    pub stats: SearchStats,
    pub elapsed: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub verdict: Verdict,
    pub parts: Vec<PartResult>,
    pub elapsed: Duration,
}

/// Not linearizable if any part is not (that is sound whatever the others say);
/// linearizable if all parts are; unknown otherwise.
fn combine(parts: &[PartResult]) -> Verdict {
    let verdicts = parts.iter().map(|p| p.outcome.verdict());
    if verdicts.clone().any(|v| v == Verdict::NotLinearizable) {
        Verdict::NotLinearizable
    } else if verdicts.clone().all(|v| v == Verdict::Linearizable) {
        Verdict::Linearizable
    } else {
        Verdict::Unknown
    }
}

fn check_part<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    part: &Part,
    limits: &Limits<'_>,
    distinct_values: bool,
) -> PartResult {
    let start = Instant::now();
    let all = history.ops();
    // A read with an unknown outcome constrains nothing: drop it before the search.
    let searched: Vec<usize> = part
        .ops
        .iter()
        .copied()
        .filter(|&i| all[i].output.is_some() || !model.is_read_only(&all[i].input, None))
        .collect();
    let ops: Vec<&Operation<M::Input, M::Output>> = searched.iter().map(|&i| &all[i]).collect();
    let global = |v: Vec<usize>| v.into_iter().map(|p| searched[p]).collect::<Vec<_>>();
    let (method, outcome, stats) = match decide_quickly(model, &ops, limits, distinct_values) {
        Some((method, DistinctOutcome::Linearizable { order })) => {
            // The replay is counted as the search would count it; the distinct-values
            // check explores no configuration at all.
            let stats = match method {
                Method::RealTimeOrder => search::replay_stats(order.len()),
                _ => SearchStats::default(),
            };
            let witness = global(order);
            (method, Outcome::Linearizable { witness }, stats)
        }
        Some((method, DistinctOutcome::NotLinearizable { conflict })) => {
            let explanation = explain_conflict(model, history, &searched, &conflict);
            let outcome = Outcome::NotLinearizable { explanation };
            (method, outcome, SearchStats::default())
        }
        None => {
            let (outcome, stats) = search::backtrack(model, &ops, limits);
            let outcome = match outcome {
                SearchOutcome::Linearizable { order } => Outcome::Linearizable {
                    witness: global(order),
                },
                SearchOutcome::NotLinearizable { deepest } => Outcome::NotLinearizable {
                    explanation: explain(model, history, &searched, &deepest),
                },
                SearchOutcome::Unknown { reason, deepest } => Outcome::Unknown {
                    reason,
                    longest_prefix: global(deepest),
                },
            };
            (Method::Search, outcome, stats)
        }
    };
    PartResult {
        label: part.label.clone(),
        ops: part.ops.clone(),
        searched: searched.len(),
        outcome,
        method,
        stats,
        elapsed: start.elapsed(),
    }
}

/// The verdicts that need no search: the distinct-values check, then the one order real
/// time allows, both O(n log n) and both put in the distinct-values check's terms. `None`
/// leaves the part to the search (which also reports a stop asked for before it started).
/// The real-time shortcut only ever says yes: a history it rejects is searched, so that
/// its failure comes with the search's explanation.
fn decide_quickly<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    limits: &Limits<'_>,
    distinct_values: bool,
) -> Option<(Method, DistinctOutcome)> {
    if search::stopped(limits).is_some() {
        return None;
    }
    if distinct_values {
        if let Some(outcome) = distinct::check(model, ops) {
            return Some((Method::DistinctValues, outcome));
        }
    }
    sequential::forced_order(model, ops).map(|order| {
        (
            Method::RealTimeOrder,
            DistinctOutcome::Linearizable { order },
        )
    })
}

/// The parts a history is checked as: the model's partition (when enabled), else one part.
pub fn parts_of<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    partition: bool,
) -> Vec<Part> {
    let parts = if partition {
        model.partition(history)
    } else {
        None
    };
    parts.unwrap_or_else(|| {
        vec![Part {
            label: "whole history".to_string(),
            ops: (0..history.len()).collect(),
        }]
    })
}

/// Checks a history for linearizability against `model`.
pub fn check<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    options: &CheckOptions,
) -> CheckResult {
    let start = Instant::now();
    let parts = parts_of(model, history, options.partition);
    let own_monitor = Monitor::default();
    let monitor = options.monitor.as_deref().unwrap_or(&own_monitor);
    monitor.start(parts.len());
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let plan = Plan {
        // A timeout too long for the clock to represent is no limit at all.
        deadline: options.timeout.and_then(|t| start.checked_add(t)),
        memory: options.memory_limit,
        threads,
        stop_at_first_failure: options.stop_at_first_failure,
        monitor,
    };
    let sizes: Vec<usize> = parts.iter().map(|p| p.ops.len()).collect();
    let results = schedule::run(&sizes, &plan, |i, limits| {
        check_part(model, history, &parts[i], limits, options.distinct_values)
    });
    let not_searched = if monitor.is_interrupted() {
        StopReason::Interrupted
    } else {
        StopReason::Cancelled
    };
    let parts: Vec<PartResult> = results
        .into_iter()
        .zip(parts)
        .map(|(result, part)| {
            result.unwrap_or_else(|| PartResult {
                label: part.label,
                ops: part.ops,
                searched: 0,
                outcome: Outcome::Unknown {
                    reason: not_searched,
                    longest_prefix: Vec::new(),
                },
                method: Method::Search,
                stats: SearchStats::default(),
                elapsed: Duration::ZERO,
            })
        })
        .collect();
    CheckResult {
        verdict: combine(&parts),
        parts,
        elapsed: start.elapsed(),
    }
}
