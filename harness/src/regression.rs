//! Regression files: every counterexample ever found, kept as a scenario file in
//! `corpus/regressions/`. Each must still fail with the bug it came from (while that bug can
//! still be switched on) and must not fail on the correct core: with its bugs cleared the
//! replay reports no violation, though it may stop at an event that is no longer possible.
use verraft_core::BugSet;
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario::{parse, Scenario};
use verraft_sim::Invariant;

/// What replaying one regression file showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The step at which the file's own bugs broke its expected invariant (`None`: the bug no
    /// longer exists in the core, so only the correct-core half was checked).
    pub fails_at: Option<usize>,
    /// How the replay on the correct core ended: `None` clean, `Some(step)` stopped at an
    /// event that is no longer possible.
    pub correct_stops_at: Option<usize>,
}

/// Check one regression file's text. `Err` says what no longer holds.
pub fn check(text: &str) -> Result<Checked, String> {
    let (scenario, bug_exists) = match parse(text) {
        Ok(s) => (s, true),
        Err(e) => {
            // A bug removed from the core no longer parses; the file still proves the
            // correct core right, so check that half alone.
            let line = text.lines().nth(e.line.saturating_sub(1)).unwrap_or("");
            if !line.trim_start().starts_with("bugs ") {
                return Err(format!("does not parse: {e}"));
            }
            let without: String = text
                .lines()
                .map(|l| {
                    if l.trim_start().starts_with("bugs ") {
                        "bugs none"
                    } else {
                        l
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            (
                parse(&without).map_err(|e| format!("does not parse: {e}"))?,
                false,
            )
        }
    };
    let fails_at = if bug_exists {
        Some(still_fails(&scenario)?)
    } else {
        None
    };
    let correct_stops_at = correct_core_passes(&scenario)?;
    Ok(Checked {
        fails_at,
        correct_stops_at,
    })
}

fn still_fails(scenario: &Scenario) -> Result<usize, String> {
    let expect = scenario
        .expect
        .ok_or("a regression file must say which invariant it breaks ('expect ...')")?;
    let r = replay(scenario)?;
    let steps = scenario.steps.len();
    match r.outcome {
        Outcome::Violation { step, violation } if violation.invariant == expect => Ok(step),
        Outcome::Violation { step, violation } => Err(format!(
            "expected {expect}, but step {step} broke {violation}"
        )),
        // A history that is not linearizable shows only once the run is over.
        Outcome::Clean => match r.world.check_history() {
            Err(v) if v.invariant == expect => Ok(steps),
            Err(v) => Err(format!("expected {expect}, but the history check says {v}")),
            Ok(()) => Err(format!("expected {expect}, but the replay ran clean")),
        },
        Outcome::Invalid { step, error } => Err(format!(
            "expected {expect}, but step {step} is not possible: {error}"
        )),
    }
}

fn correct_core_passes(scenario: &Scenario) -> Result<Option<usize>, String> {
    let mut correct = scenario.clone();
    correct.config.bugs = BugSet::NONE;
    let r = replay(&correct)?;
    match r.outcome {
        Outcome::Clean => match r.world.check_history() {
            Ok(()) => Ok(None),
            Err(v) => Err(format!(
                "the correct core's history is not linearizable: {v}"
            )),
        },
        Outcome::Invalid { step, .. } => Ok(Some(step)),
        Outcome::Violation { step, violation } => Err(format!(
            "the correct core breaks an invariant: step {step}: {violation}"
        )),
    }
}

/// The invariant a regression file says it breaks, for reports.
pub fn expected(text: &str) -> Option<Invariant> {
    parse(text).ok().and_then(|s| s.expect)
}
