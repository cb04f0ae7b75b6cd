//! Re-running a scenario step by step, as fixed-column lines a person can read.
use crate::event::Event;
use crate::invariants::Violation;
use crate::log_diff::LogWatch;
use crate::narrate::{narrate, Trace};
use crate::random::quiet_phase;
use crate::scenario::Scenario;
use crate::world::{EventError, World};
use std::fmt::Write;
use verraft_core::Role;

/// How a replay ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every event applied and no invariant broke.
    Clean,
    /// Step `step` (1-based) broke an invariant.
    Violation { step: usize, violation: Violation },
    /// Step `step` could not be applied: the scenario does not fit its world.
    Invalid { step: usize, error: EventError },
}

pub struct Replay {
    pub world: World,
    pub lines: Vec<String>,
    pub outcome: Outcome,
}

/// Width of the event column. A longer event is never cut (the one entry in which two
/// appends differ may be at the end of its list): it gets a line of its own, and the
/// node cells follow on the next line, in their columns.
const EVENT_WIDTH: usize = 44;

/// Replay a scenario, returning one line per applied event and how it ended. A scenario
/// with a `quiet-phase` line goes on with the quiet phase of random simulation after its
/// events (its lines follow a marker line), which ends in the liveness judgement.
pub fn replay(scenario: &Scenario) -> Result<Replay, String> {
    let mut world = World::new(scenario.config.clone())?;
    let mut lines = vec![header(&world)];
    let mut trace = Trace::default();
    trace.record(&world, None);
    let mut logs = LogWatch::default();
    logs.step(&world);
    for (i, event) in scenario.events().enumerate() {
        let step = i + 1;
        match world.apply(event) {
            Ok(result) => {
                trace.record(&world, Some(event));
                lines.push(state_line(step, event, &world));
                lines.extend(logs.step(&world).into_iter().map(change_line));
                if let Some(mut violation) = result {
                    violation.details.extend(narrate(&trace, &violation));
                    return Ok(Replay {
                        world,
                        lines,
                        outcome: Outcome::Violation { step, violation },
                    });
                }
            }
            Err(error) => {
                return Ok(Replay {
                    world,
                    lines,
                    outcome: Outcome::Invalid { step, error },
                })
            }
        }
    }
    let mut outcome = Outcome::Clean;
    if let Some(bound) = scenario.config.quiet_phase {
        lines.push(format!(
            "{:>4}  ---- quiet phase: no faults, at most {bound} events, every client must finish ----",
            ""
        ));
        let mut step = scenario.steps.len();
        let quiet = quiet_phase(&mut world, bound, |w, e| {
            step += 1;
            trace.record(w, Some(e));
            lines.push(state_line(step, e, w));
            lines.extend(logs.step(w).into_iter().map(change_line));
        })?;
        if let Some(mut violation) = quiet {
            violation.details.extend(narrate(&trace, &violation));
            outcome = Outcome::Violation { step, violation };
        }
    }
    Ok(Replay {
        world,
        lines,
        outcome,
    })
}

pub fn header(world: &World) -> String {
    let mut s = format!("{:>4}  {:<w$}", "step", "event", w = EVENT_WIDTH);
    for id in world.config.node_ids() {
        let _ = write!(s, "  {:<16}", format!("n{id}"));
    }
    s.push_str("  in flight");
    s
}

/// One node in a fixed-width cell: role, term, last log index, commit index, its snapshot's
/// index, its vote while it is a follower, and the ticks left of its lease while it leads
/// with one (lease reads).
pub fn node_cell(world: &World, id: verraft_core::NodeId) -> String {
    match world.node(id) {
        None => "down".to_string(),
        Some(n) => {
            let mut s = format!(
                "{} t{} i{} c{}",
                n.role().letter(),
                n.term(),
                n.last_index(),
                n.commit_index()
            );
            if n.snapshot().index > 0 {
                let _ = write!(s, " s{}", n.snapshot().index);
            }
            if n.role() == Role::Follower {
                if let Some(v) = n.voted_for() {
                    let _ = write!(s, " v{v}");
                }
            }
            if n.lease_remaining() > 0 {
                let _ = write!(s, " l{}", n.lease_remaining());
            }
            s
        }
    }
}

/// A change to a node's log, under the step that made it, in the event column.
fn change_line(change: String) -> String {
    format!("{:>4}    {change}", "")
}

/// The step's line: its number, the whole event, each node's cell and the messages in
/// flight. An event wider than its column is written in full on a line of its own, and
/// the cells go on the next (one string with a newline).
pub fn state_line(step: usize, event: &Event, world: &World) -> String {
    let text = event.to_string();
    let mut s = if text.chars().count() > EVENT_WIDTH {
        format!("{step:>4}  {text}\n{:>4}  {:<w$}", "", "", w = EVENT_WIDTH)
    } else {
        format!("{step:>4}  {text:<w$}", w = EVENT_WIDTH)
    };
    for id in world.config.node_ids() {
        let _ = write!(s, "  {:<16}", node_cell(world, id));
    }
    let _ = write!(s, "  {}", world.network.len());
    s
}
