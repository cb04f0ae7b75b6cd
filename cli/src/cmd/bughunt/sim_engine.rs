//! Random simulation as a bug hunter: seeds 1, 2, 3, ... until one fails or the budget
//! runs out (each seed draws its own faults and features, as `verraft sim` does).
use super::found::{Found, Hunt, Outcome};
use crate::progress::{thousands, Progress};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use verraft_sim::random::{run_one, SimOptions};

pub fn hunt(
    opts: &SimOptions,
    budget: Duration,
    interrupt: Arc<AtomicBool>,
    progress: &mut Progress,
    label: &str,
) -> Hunt {
    let started = Instant::now();
    let mut runs = 0u64;
    let mut seed = 1u64;
    loop {
        if interrupt.load(Ordering::Relaxed) {
            return Hunt {
                outcome: Outcome::Interrupted,
                spent: started.elapsed(),
                note: format!("{} runs", thousands(runs)),
            };
        }
        if started.elapsed() >= budget {
            return Hunt {
                outcome: Outcome::NotFound,
                spent: started.elapsed(),
                note: format!("{} runs (seeds 1..={})", thousands(runs), seed - 1),
            };
        }
        let result = match run_one(opts, seed) {
            Ok(r) => r,
            Err(e) => {
                return Hunt {
                    outcome: Outcome::Failed,
                    spent: started.elapsed(),
                    note: format!("seed {seed}: {e}"),
                }
            }
        };
        runs += 1;
        if let Some(v) = result.violation {
            let spent = started.elapsed();
            return Hunt {
                outcome: Outcome::Found(Box::new(Found {
                    elapsed: spent,
                    invariant: v.invariant,
                    scenario: result.scenario,
                })),
                spent,
                note: format!(
                    "seed {seed} failed, after {} clean runs",
                    thousands(runs - 1)
                ),
            };
        }
        progress.update(|| format!("{label}: {} runs", thousands(runs)));
        seed += 1;
    }
}
