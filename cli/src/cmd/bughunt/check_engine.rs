//! The model checker as a bug hunter: one exhaustive search of the bug's bounds, stopped at
//! the first violation (then shortened to a shortest counterexample) or when the budget
//! runs out.
use super::found::{Found, Hunt, Outcome};
use crate::progress::{thousands, Progress};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use verraft_models::{check, Bounds, CheckOptions, RaftModel, Stopped};

pub fn hunt(
    bounds: Bounds,
    budget: Duration,
    threads: usize,
    interrupt: Arc<AtomicBool>,
    progress: &mut Progress,
    label: &str,
) -> Hunt {
    let started = Instant::now();
    let failed = |note: String| Hunt {
        outcome: Outcome::Failed,
        spent: started.elapsed(),
        note,
    };
    let model = match RaftModel::new(bounds) {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let opts = CheckOptions {
        threads,
        timeout: Some(budget),
        interrupt: Some(interrupt),
        // Only the first catch is measured: where the bug shows with Figure 3's properties
        // alone is `verraft check`'s question, and a second search would eat the budget.
        figure3: false,
        ..CheckOptions::default()
    };
    let report = check(&model, &opts, Duration::from_millis(200), |p| {
        progress.update(|| format!("{label}: {} states", thousands(p.unique as u64)))
    });
    let report = match report {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let states = thousands(report.unique as u64);
    let spent = started.elapsed();
    match report.counterexample {
        Some(cx) => Hunt {
            note: format!(
                "{states} states; the search's first path had {} events",
                cx.found_length
            ),
            outcome: Outcome::Found(Box::new(Found {
                elapsed: spent,
                invariant: cx.invariant,
                scenario: cx.scenario,
            })),
            spent,
        },
        None => Hunt {
            outcome: match report.stopped {
                Some(Stopped::Interrupted) => Outcome::Interrupted,
                _ => Outcome::NotFound,
            },
            spent,
            note: if report.exhaustive {
                format!("exhaustive: {states} states, every property holds")
            } else {
                format!("{states} states, not exhaustive")
            },
        },
    }
}
