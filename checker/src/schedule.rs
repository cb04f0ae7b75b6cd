//! In which order, on how many threads and with which budget the parts of a history are
//! searched.
//!
//! To judge every part there is one round, largest parts first, so that a long one does not
//! start last and leave a core idle.
//!
//! To stop as soon as one part is not linearizable, parts are searched in rounds of growing
//! budget, counted in explored configurations: a part that spends its budget is tried again,
//! from scratch, in the next round with eight times as much. So one part that would take
//! hours cannot hold back the parts that fail in milliseconds, whatever the number of
//! threads. The rounds before a part's last one together cost a seventh of that round's
//! budget, which is at most 8/7 of what the part needed: restarting at most about doubles
//! a part's work, and costs far less when the part needs most of its last round. Once only
//! one part is left undecided it gets no budget: nothing else waits on it.
//!
//! The first round is short, and every part in it runs to its end even after a failure, so
//! which parts it decides does not depend on timing: the same history gives the same report
//! on every run. Later rounds can be long, so there a failure stops the others at once.
use crate::check::{Outcome, PartResult, Verdict};
use crate::monitor::Monitor;
use crate::search::{Limits, StopReason};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Configurations a part may explore in the first round: a few tenths of a second for a
/// key-value part with long values, much less for a register.
const FIRST_BUDGET: usize = 1 << 15;
/// How much the budget grows from one round to the next.
const GROWTH: usize = 8;

pub(crate) struct Plan<'a> {
    pub deadline: Option<Instant>,
    pub memory: Option<usize>,
    /// Worker threads, at least 1.
    pub threads: usize,
    pub stop_at_first_failure: bool,
    pub monitor: &'a Monitor,
}

/// Searches the parts (`sizes[i]` operations in part `i`) with `check_part` and returns one
/// result per part, `None` for a part never searched.
pub(crate) fn run(
    sizes: &[usize],
    plan: &Plan<'_>,
    check_part: impl Fn(usize, &Limits<'_>) -> PartResult + Sync,
) -> Vec<Option<PartResult>> {
    let mut results: Vec<Option<PartResult>> = sizes.iter().map(|_| None).collect();
    let mut pending: Vec<usize> = (0..sizes.len()).collect();
    // Stable: parts of equal size keep their order, so every run schedules alike.
    pending.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let mut budget = plan.stop_at_first_failure.then_some(FIRST_BUDGET);
    let mut first = true;
    while !pending.is_empty() {
        let round_budget = budget.filter(|_| pending.len() > 1);
        let cancel_on_failure = plan.stop_at_first_failure && !first;
        let done = round(&pending, round_budget, cancel_on_failure, plan, &check_part);
        let mut deferred = Vec::new();
        for (&i, r) in pending.iter().zip(done) {
            if r.as_ref().is_some_and(|r| {
                matches!(
                    r.outcome,
                    Outcome::Unknown {
                        reason: StopReason::ConfigurationLimit,
                        ..
                    }
                )
            }) {
                deferred.push(i);
            }
            results[i] = r;
        }
        pending = deferred;
        let failed = results
            .iter()
            .flatten()
            .any(|r| r.outcome.verdict() == Verdict::NotLinearizable);
        if (plan.stop_at_first_failure && failed) || plan.monitor.is_interrupted() {
            break;
        }
        budget = budget.map(|b| b.saturating_mul(GROWTH));
        first = false;
    }
    // Parts still waiting for a later round will not get one.
    let reason = if plan.monitor.is_interrupted() {
        StopReason::Interrupted
    } else {
        StopReason::Cancelled
    };
    for i in pending {
        if let Some(Outcome::Unknown { reason: r, .. }) =
            results[i].as_mut().map(|r| &mut r.outcome)
        {
            *r = reason;
        }
    }
    results
}

/// One round over `pending` (in that order), on up to `plan.threads` threads.
fn round(
    pending: &[usize],
    budget: Option<usize>,
    cancel_on_failure: bool,
    plan: &Plan<'_>,
    check_part: &(impl Fn(usize, &Limits<'_>) -> PartResult + Sync),
) -> Vec<Option<PartResult>> {
    let cancel = AtomicBool::new(false);
    let limits = Limits {
        deadline: plan.deadline,
        cancel: Some(&cancel),
        interrupt: Some(plan.monitor.interrupt_flag()),
        memory: plan.memory,
        configurations: budget,
    };
    let slots: Vec<Mutex<Option<PartResult>>> = pending.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let worker = || loop {
        let k = next.fetch_add(1, Ordering::Relaxed);
        let Some(&i) = pending.get(k) else { break };
        let r = check_part(i, &limits);
        let verdict = r.outcome.verdict();
        if verdict != Verdict::Unknown {
            plan.monitor.part_decided();
        }
        if cancel_on_failure && verdict == Verdict::NotLinearizable {
            cancel.store(true, Ordering::Relaxed);
        }
        if let Ok(mut slot) = slots[k].lock() {
            *slot = Some(r);
        }
    };
    let threads = plan.threads.min(pending.len()).max(1);
    if threads == 1 {
        // No thread spawn for the common one-part case: it costs more than a small search.
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
    slots
        .into_iter()
        .map(|slot| slot.into_inner().ok().flatten())
        .collect()
}
