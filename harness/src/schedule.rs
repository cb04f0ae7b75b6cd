//! The `schedule` fuzz target: bytes → a world and a sequence of events, run with every
//! invariant checked after every event.
//!
//! After the configuration bytes (see [`crate::decode`]) each step reads one byte (two when
//! more than 256 events are enabled) as an index into the world's *enabled* events, so every
//! byte is a possible event and nothing is decoded only to be rejected. The schedule ends when
//! the input is used up, after [`FuzzOptions::max_events`] events, or when nothing is enabled.
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use arbitrary::Unstructured;
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario::{parse, Scenario};
use verraft_sim::{Event, EventError, Violation, World, WorldConfig};

use crate::decode;
use crate::options::FuzzOptions;

/// What a schedule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Step `step` (1-based) broke an invariant.
    Violation { step: usize, violation: Violation },
    /// The world refused an event it had just listed as enabled: a bug in the world itself.
    Rejected { step: usize, error: EventError },
    /// The core panicked at step `step` (only caught on the stable replay path; under
    /// libFuzzer the panic is the crash).
    Panic { step: usize, message: String },
}

/// A failing schedule, written as the scenario that reproduces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleFailure {
    pub finding: Finding,
    pub scenario: Scenario,
}

impl fmt::Display for ScheduleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.finding {
            Finding::Violation { step, violation } => writeln!(f, "step {step} broke {violation}")?,
            Finding::Rejected { step, error } => writeln!(
                f,
                "step {step}: the world refused its own enabled event: {error}"
            )?,
            Finding::Panic { step, message } => writeln!(f, "step {step}: panic: {message}")?,
        }
        write!(f, "\n{}", self.scenario.to_text())
    }
}

/// Decode and run `bytes`, returning the world's configuration and what went wrong, if
/// anything. Events are recorded into `events` only when given, each *before* it is applied
/// (so after a panic the last one is the culprit): the fuzz hot path clones nothing, and
/// rebuilds the events by running again once something failed.
fn run(
    bytes: &[u8],
    opts: &FuzzOptions,
    mut events: Option<&mut Vec<Event>>,
) -> Result<(WorldConfig, Option<Finding>), String> {
    let mut u = Unstructured::new(bytes);
    let config = decode::config(&mut u, opts);
    let mut world = World::new(config.clone())?;
    let mut steps = 0;
    for step in 1..=opts.max_events {
        if u.is_empty() {
            break;
        }
        steps = step;
        // The enabled events are counted, not listed, and only the chosen one is ever
        // spelled out (and only when the events are being recorded).
        let Some(choice) = world.pick_choice(|count| u.choose_index(count).unwrap_or(0)) else {
            break;
        };
        if let Some(log) = events.as_deref_mut() {
            log.push(world.event_of(choice));
        }
        let finding = match world.apply_choice(choice) {
            Ok(None) => continue,
            Ok(Some(violation)) => Finding::Violation { step, violation },
            Err(error) => Finding::Rejected { step, error },
        };
        return Ok((config, Some(finding)));
    }
    // What the clients saw must fit one sequential store (checked once, at the end: the
    // history only grows, and a non-linearizable prefix stays non-linearizable).
    let finding = world
        .check_history()
        .err()
        .map(|violation| Finding::Violation {
            step: steps,
            violation,
        });
    Ok((config, finding))
}

/// The fuzz target's check: `Ok(Ok(()))` when the schedule runs clean, `Ok(Err(failure))`
/// with the failure written as a scenario. The outer `Err` means the harness itself is broken
/// (a decoded world the sim refuses, or a run that is not deterministic).
pub fn check(bytes: &[u8], opts: &FuzzOptions) -> Result<Result<(), ScheduleFailure>, String> {
    if run(bytes, opts, None)?.1.is_none() {
        return Ok(Ok(()));
    }
    let mut events = Vec::new();
    let (config, finding) = run(bytes, opts, Some(&mut events))?;
    let finding = finding
        .ok_or("the same input ran clean the second time: the world is not deterministic")?;
    Ok(Err(failure(config, events, finding)))
}

/// The scenario `bytes` decode to, whether or not it fails (for `verraft replay --from-fuzz`
/// and for turning crash artifacts into regression files). A panic in the core is caught here
/// and ends the scenario at the event that caused it.
pub fn decode_schedule(bytes: &[u8], opts: &FuzzOptions) -> Result<Scenario, String> {
    let mut events = Vec::new();
    let caught = catch_unwind(AssertUnwindSafe(|| run(bytes, opts, Some(&mut events))));
    let (config, finding) = match caught {
        Ok(r) => r?,
        Err(panic) => {
            let config = decode::config(&mut Unstructured::new(bytes), opts);
            let step = events.len();
            let message = panic_message(panic.as_ref());
            (config, Some(Finding::Panic { step, message }))
        }
    };
    Ok(match finding {
        Some(finding) => failure(config, events, finding).scenario,
        None => {
            let mut s = Scenario::new(config, events);
            s.notes
                .push("decoded from a fuzz input of target schedule; it runs clean".into());
            s
        }
    })
}

/// [`decode_schedule`] with the options from the environment (`VERRAFT_FUZZ_BUGS`,
/// `VERRAFT_FUZZ_NODES`), as the fuzz target itself decodes.
pub fn decode_schedule_env(bytes: &[u8]) -> Result<Scenario, String> {
    let opts = FuzzOptions::from_env().map_err(|e| e.to_string())?;
    decode_schedule(bytes, &opts)
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

fn failure(config: WorldConfig, events: Vec<Event>, finding: Finding) -> ScheduleFailure {
    let bugs: Vec<&str> = config.bugs.iter().map(|b| b.name()).collect();
    let mut scenario = Scenario::new(config, events);
    let with = if bugs.is_empty() {
        "the correct core".to_string()
    } else {
        format!("bug {}", bugs.join(","))
    };
    scenario
        .notes
        .push(format!("found by fuzz target schedule, {with}"));
    match &finding {
        Finding::Violation { violation, .. } => {
            scenario.expect = Some(violation.invariant);
            add_note(
                &mut scenario,
                format!("violates {}: {}", violation.invariant, violation.summary),
            );
            for d in &violation.details {
                add_note(&mut scenario, format!("  {d}"));
            }
            if !reproduces(&scenario, violation) {
                scenario
                    .notes
                    .push("WARNING: replaying this text does not reproduce the violation".into());
            }
        }
        Finding::Rejected { error, .. } => add_note(
            &mut scenario,
            format!("the world refused its last event although it listed it as enabled: {error}"),
        ),
        Finding::Panic { message, .. } => add_note(&mut scenario, format!("panic: {message}")),
    }
    ScheduleFailure { finding, scenario }
}

/// Add a note, one per line of `text`: a note is a comment line of the scenario file, and
/// a second line without its `#` would make the file unreadable.
fn add_note(scenario: &mut Scenario, text: String) {
    scenario.notes.extend(text.lines().map(str::to_string));
}

/// Whether the scenario's text, parsed and replayed, breaks the same invariant: a crash that
/// does not replay from its scenario file is worthless to whoever reads it.
fn reproduces(scenario: &Scenario, violation: &Violation) -> bool {
    let Ok(parsed) = parse(&scenario.to_text()) else {
        return false;
    };
    let Ok(r) = replay(&parsed) else {
        return false;
    };
    match r.outcome {
        Outcome::Violation { violation: v, .. } => v.invariant == violation.invariant,
        Outcome::Clean => r
            .world
            .check_history()
            .is_err_and(|v| v.invariant == violation.invariant),
        Outcome::Invalid { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_never_span_lines() {
        let mut s = Scenario::new(WorldConfig::new(3), []);
        add_note(&mut s, "first\nsecond".into());
        assert_eq!(s.notes, ["first", "second"]);
        assert!(parse(&s.to_text()).is_ok());
    }
}
