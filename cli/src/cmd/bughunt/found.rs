//! What one engine's hunt comes back with, and how it becomes a row of the table: a
//! counterexample is shrunk with `verraft minimize`'s algorithm before its length is
//! reported, so that the engines compare on what a person would read.
use std::time::Duration;
use verraft_models::hunt::{Catch, Engine, Length, Row, Verdict};
use verraft_sim::minimize::{minimize, MinimizeOptions};
use verraft_sim::scenario::Scenario;
use verraft_sim::Invariant;

/// A counterexample as an engine handed it out.
pub struct Found {
    /// From the engine's start to the counterexample.
    pub elapsed: Duration,
    pub invariant: Invariant,
    pub scenario: Scenario,
}

/// How one engine's hunt ended (a counterexample boxed: it holds a whole world's config).
pub enum Outcome {
    Found(Box<Found>),
    NotFound,
    Unavailable,
    Interrupted,
    Failed,
}

/// One engine's hunt: its outcome, the time it took in all, and a note (what it tried).
pub struct Hunt {
    pub outcome: Outcome,
    pub spent: Duration,
    pub note: String,
}

/// Replays the minimizer may run per counterexample: enough for the few hundred events of
/// a random run, few enough that a hunt of every bug stays within minutes.
const MAX_REPLAYS: usize = 50_000;

/// The row for `hunt`, and the minimized counterexample if there is one.
pub fn into_row(bug: Option<&str>, engine: Engine, hunt: Hunt) -> (Row, Option<Scenario>) {
    let mut note = hunt.note;
    let mut kept = None;
    let verdict = match hunt.outcome {
        Outcome::Found(found) => {
            let opts = MinimizeOptions {
                max_replays: MAX_REPLAYS,
                ..MinimizeOptions::default()
            };
            let minimized = match minimize(&found.scenario, &opts) {
                Ok(m) => {
                    let length = Length::of(&m.scenario);
                    kept = Some(m.scenario);
                    Some(length)
                }
                Err(e) => {
                    note = format!("{note}; minimizing failed: {e}");
                    None
                }
            };
            Verdict::Caught(Catch {
                seconds: found.elapsed.as_secs_f64(),
                invariant: found.invariant.to_string(),
                raw: Length::of(&found.scenario),
                minimized,
            })
        }
        Outcome::NotFound => Verdict::NotCaught,
        Outcome::Unavailable => Verdict::Unavailable,
        Outcome::Interrupted => Verdict::Interrupted,
        Outcome::Failed => Verdict::Error,
    };
    let row = Row {
        bug: bug.map(str::to_string),
        engine,
        verdict,
        spent: hunt.spent.as_secs_f64(),
        note,
    };
    (row, kept)
}
