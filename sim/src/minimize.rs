//! Shrinking a failing scenario to a short one that breaks the same invariant (delta
//! debugging over events), so that a person reads ten events instead of two hundred.
//!
//! A candidate is a scenario with some events taken out. Removing an event can make a later
//! one impossible (the message it named was never sent, or was sent with another commit
//! index). A strict replay would call such a candidate "does not fail" and the shrinking
//! would stall, so candidates are replayed *leniently*: an event that is not possible is
//! replaced by the most similar enabled event (the same kind of message on the same link), or
//! skipped when there is none. What is kept is the list of events that were really applied,
//! which is itself a valid scenario; the result is checked once more with a strict replay.
//!
//! The passes, repeated until none removes anything:
//! 1. cut everything after the violating event;
//! 2. remove chunks of events, halving the chunk size down to single events (ddmin);
//! 3. remove pairs of events that only make sense together (crash and restart, partition and
//!    heal, a duplicate and the extra delivery it allows);
//! 4. simplify the header: faults no event uses are switched off, unused clients dropped.
use crate::config::WorldConfig;
use crate::event::Event;
use crate::invariants::{Invariant, Violation};
use crate::random::quiet_phase;
use crate::replay::{replay, Outcome};
use crate::scenario::Scenario;
use crate::world::World;
use std::fmt;

/// Bounds on the work the minimizer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinimizeOptions {
    /// Most candidate replays before it stops with the best found so far.
    pub max_replays: usize,
    /// Replace impossible events by similar enabled ones (off: skip them only).
    pub substitute: bool,
    /// Try removing every pair of events while the scenario has at most this many.
    pub pairs_up_to: usize,
}

impl Default for MinimizeOptions {
    fn default() -> Self {
        MinimizeOptions {
            max_replays: 200_000,
            substitute: true,
            pairs_up_to: 80,
        }
    }
}

/// A shrunk scenario and what it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minimized {
    pub scenario: Scenario,
    pub invariant: Invariant,
    /// Events in the input scenario.
    pub before: usize,
    /// Events in the result.
    pub after: usize,
    /// Candidate replays run.
    pub replays: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MinimizeError {
    /// The scenario does not fail to begin with (or not with the invariant it expects).
    DoesNotFail(String),
    /// The scenario's world cannot be built.
    World(String),
}

impl fmt::Display for MinimizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MinimizeError::DoesNotFail(why) => write!(f, "nothing to minimize: {why}"),
            MinimizeError::World(why) => write!(f, "invalid world: {why}"),
        }
    }
}

impl std::error::Error for MinimizeError {}

/// Shrink `scenario` while the same invariant still fails. The invariant is the scenario's
/// `expect`, or else the one its replay breaks.
pub fn minimize(scenario: &Scenario, opts: &MinimizeOptions) -> Result<Minimized, MinimizeError> {
    let before = scenario.steps.len();
    let invariant = failing_violation(scenario)?.invariant;
    let mut m = Minimizer {
        config: scenario.config.clone(),
        invariant,
        opts: *opts,
        replays: 0,
    };
    let original: Vec<Event> = scenario.events().cloned().collect();
    let mut events = m
        .fails(&m.config.clone(), &original, false)
        .ok_or_else(|| {
            MinimizeError::DoesNotFail(format!("the replay does not break {invariant}"))
        })?;
    loop {
        let len = events.len();
        events = m.chunks(events);
        events = m.pairs(events);
        if events.len() == len || m.exhausted() {
            break;
        }
    }
    let config = m.simplify_config(&events);
    let mut out = Scenario::new(config, events);
    out.expect = Some(invariant);
    // The lenient replays were only a search aid: the result must fail when replayed strictly.
    let violation = failing_violation(&out)?;
    if violation.invariant != invariant {
        return Err(MinimizeError::DoesNotFail(
            "the shrunk scenario breaks another invariant".into(),
        ));
    }
    out.notes = notes_for(&scenario.notes, &violation);
    Ok(Minimized {
        after: out.steps.len(),
        scenario: out,
        invariant,
        before,
        replays: m.replays,
    })
}

/// The original's comments, with what they said of its violation (a `violates` line and
/// the indented lines after it) replaced by what the shrunk scenario breaks: the same
/// invariant, but the terms, nodes and indices it names may well have changed.
fn notes_for(original: &[String], violation: &Violation) -> Vec<String> {
    let mut notes = Vec::new();
    let mut in_violation = false;
    for note in original {
        if note.starts_with("violates") {
            in_violation = true;
        } else if !(in_violation && note.starts_with("  ")) {
            in_violation = false;
            notes.push(note.clone());
        }
    }
    notes.push(format!(
        "violates {}: {}",
        violation.invariant, violation.summary
    ));
    notes.extend(violation.details.iter().map(|d| format!("  {d}")));
    notes
}

/// What a strict replay of `scenario` breaks (the expected invariant, if it says).
fn failing_violation(scenario: &Scenario) -> Result<Violation, MinimizeError> {
    let r = replay(scenario).map_err(MinimizeError::World)?;
    let broken = match r.outcome {
        Outcome::Violation { violation, .. } => Some(violation),
        Outcome::Clean => r.world.check_history().err(),
        Outcome::Invalid { step, error } => {
            return Err(MinimizeError::DoesNotFail(format!(
                "step {step} is not possible: {error}"
            )))
        }
    };
    match (broken, scenario.expect) {
        (Some(b), Some(e)) if b.invariant != e => Err(MinimizeError::DoesNotFail(format!(
            "it expects {e} but breaks {}",
            b.invariant
        ))),
        (Some(b), _) => Ok(b),
        (None, _) => Err(MinimizeError::DoesNotFail("the replay runs clean".into())),
    }
}

struct Minimizer {
    config: WorldConfig,
    invariant: Invariant,
    opts: MinimizeOptions,
    replays: usize,
}

impl Minimizer {
    fn exhausted(&self) -> bool {
        self.replays >= self.opts.max_replays
    }

    /// Replay `events` leniently; if the target invariant breaks, the events really applied
    /// up to the violation. `strict`: an impossible event means "does not fail".
    fn fails(
        &mut self,
        config: &WorldConfig,
        events: &[Event],
        strict: bool,
    ) -> Option<Vec<Event>> {
        self.replays += 1;
        let mut world = World::new(config.clone()).ok()?;
        let mut applied = Vec::with_capacity(events.len());
        for event in events {
            let event = match world.apply(event) {
                Ok(v) => Some((event.clone(), v)),
                Err(_) if strict => return None,
                Err(_) => self.substitute(&mut world, event),
            };
            let Some((event, violation)) = event else {
                continue;
            };
            applied.push(event);
            if let Some(v) = violation {
                return (v.invariant == self.invariant).then_some(applied);
            }
        }
        // A scenario that ends in the quiet phase is judged after it, as its replay is.
        if let Some(bound) = config.quiet_phase {
            if let Some(v) = quiet_phase(&mut world, bound, |_, _| {}).ok()? {
                return (v.invariant == self.invariant).then_some(applied);
            }
        }
        let history_broken =
            self.invariant == Invariant::Linearizability && world.check_history().is_err();
        history_broken.then_some(applied)
    }

    /// Apply the enabled event most like `wanted`, if substitution is on and one exists.
    fn substitute(
        &self,
        world: &mut World,
        wanted: &Event,
    ) -> Option<(Event, Option<crate::invariants::Violation>)> {
        if !self.opts.substitute {
            return None;
        }
        let pick = world
            .enabled_events()
            .into_iter()
            .filter(|e| similar(wanted, e))
            .min_by_key(|e| distance(wanted, e))?;
        let v = world.apply(&pick).ok()?;
        Some((pick, v))
    }

    /// ddmin: remove chunks of events, from half the scenario down to single events.
    fn chunks(&mut self, mut events: Vec<Event>) -> Vec<Event> {
        let mut size = (events.len() / 2).max(1);
        loop {
            let mut progress = false;
            let mut start = 0;
            while start < events.len() && !self.exhausted() {
                let end = (start + size).min(events.len());
                let candidate: Vec<Event> = events[..start]
                    .iter()
                    .chain(&events[end..])
                    .cloned()
                    .collect();
                match self.fails(&self.config.clone(), &candidate, false) {
                    Some(shorter) if shorter.len() < events.len() => {
                        events = shorter;
                        progress = true;
                    }
                    _ => start += size,
                }
            }
            if self.exhausted() || (size == 1 && !progress) {
                return events;
            }
            if !progress {
                size = (size / 2).max(1);
            }
        }
    }

    /// Remove two events at once: each alone leaves the other impossible or pointless.
    fn pairs(&mut self, mut events: Vec<Event>) -> Vec<Event> {
        if events.len() > self.opts.pairs_up_to {
            return events;
        }
        let mut i = 0;
        while i < events.len() && !self.exhausted() {
            let mut j = i + 1;
            let mut removed = false;
            while j < events.len() && !self.exhausted() {
                let candidate: Vec<Event> = events
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != i && *k != j)
                    .map(|(_, e)| e.clone())
                    .collect();
                match self.fails(&self.config.clone(), &candidate, false) {
                    Some(shorter) if shorter.len() < events.len() => {
                        events = shorter;
                        removed = true;
                        break;
                    }
                    _ => j += 1,
                }
            }
            if !removed {
                i += 1;
            }
        }
        events
    }

    /// Switch off what no event uses, keeping only changes under which the events still fail
    /// strictly (turning reordering off, for one, changes which deliveries are possible).
    fn simplify_config(&mut self, events: &[Event]) -> WorldConfig {
        let mut best = self.config.clone();
        let uses = |f: fn(&Event) -> bool| events.iter().any(f);
        let mut tries: Vec<WorldConfig> = Vec::new();
        let mut c = best.clone();
        c.faults.loss = uses(|e| matches!(e, Event::Drop { .. }));
        c.faults.duplication = uses(|e| matches!(e, Event::Duplicate { .. }));
        c.faults.crash = uses(|e| matches!(e, Event::Crash(_) | Event::Restart(_)));
        c.faults.partition = uses(|e| matches!(e, Event::Partition(_) | Event::Heal));
        tries.push(c);
        if !uses(|e| {
            matches!(
                e,
                Event::Invoke { .. } | Event::ClientTimeout(_) | Event::Reply(_)
            )
        }) {
            let mut c = best.clone();
            c.clients.clear();
            tries.push(c);
        }
        let mut c = best.clone();
        c.faults.reorder = false;
        tries.push(c);
        for t in tries {
            let mut candidate = best.clone();
            candidate.faults.loss &= t.faults.loss;
            candidate.faults.duplication &= t.faults.duplication;
            candidate.faults.crash &= t.faults.crash;
            candidate.faults.partition &= t.faults.partition;
            candidate.faults.reorder &= t.faults.reorder;
            if t.clients.is_empty() {
                candidate.clients.clear();
            }
            if candidate != best && self.fails(&candidate, events, true).as_deref() == Some(events)
            {
                best = candidate;
            }
        }
        best
    }
}

/// Whether `candidate` can stand in for the impossible `wanted`: the same kind of event on the
/// same link (for messages, the same kind of message) or for the same client.
fn similar(wanted: &Event, candidate: &Event) -> bool {
    use Event::*;
    match (wanted, candidate) {
        (
            Deliver {
                from: a,
                to: b,
                msg: m,
            },
            Deliver {
                from: c,
                to: d,
                msg: n,
            },
        )
        | (
            Drop {
                from: a,
                to: b,
                msg: m,
            },
            Drop {
                from: c,
                to: d,
                msg: n,
            },
        )
        | (
            Duplicate {
                from: a,
                to: b,
                msg: m,
            },
            Duplicate {
                from: c,
                to: d,
                msg: n,
            },
        ) => a == c && b == d && std::mem::discriminant(m) == std::mem::discriminant(n),
        (Invoke { client: a, .. }, Invoke { client: b, .. }) => a == b,
        _ => false,
    }
}

/// How far a similar event is from the wanted one: prefer the same term, then the same node.
fn distance(wanted: &Event, candidate: &Event) -> u64 {
    use crate::event::MsgRef;
    let term = |e: &Event| match e {
        Event::Deliver { msg, .. } | Event::Drop { msg, .. } | Event::Duplicate { msg, .. } => {
            match msg {
                MsgRef::RequestVote { term, .. }
                | MsgRef::Vote { term, .. }
                | MsgRef::PreVote { term, .. }
                | MsgRef::PreVoteReply { term, .. }
                | MsgRef::ReadConfirm { term, .. }
                | MsgRef::ReadConfirmReply { term, .. }
                | MsgRef::ReadIndex { term, .. }
                | MsgRef::ReadIndexReply { term, .. }
                | MsgRef::Append { term, .. }
                | MsgRef::AppendReply { term, .. }
                | MsgRef::Snapshot { term, .. }
                | MsgRef::TimeoutNow { term } => *term,
            }
        }
        _ => 0,
    };
    let node_differs = u64::from(wanted.node() != candidate.node());
    term(wanted).abs_diff(term(candidate)) * 2 + node_differs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    /// Election Safety broken through a duplicated vote: the core counts grants, not voters.
    const VOTE_COUNT: &str = "nodes 3\nbugs vote-count\nfaults all\n\
        timeout n1\nheartbeat n1\ntimeout n2\ntimeout n3\n";

    #[test]
    fn refuses_a_scenario_that_does_not_fail() {
        let s = parse("nodes 3\ntimeout n1\n").unwrap();
        assert!(matches!(
            minimize(&s, &MinimizeOptions::default()),
            Err(MinimizeError::DoesNotFail(_))
        ));
        // A scenario stopping at an impossible event does not fail either.
        let s = parse(VOTE_COUNT).unwrap();
        assert!(matches!(
            minimize(&s, &MinimizeOptions::default()),
            Err(MinimizeError::DoesNotFail(_))
        ));
    }

    /// Two leaders of term 1 through duplicated grants (4 nodes: with three, one real grant
    /// is a majority already), buried in events that do not matter. Figure 3's properties
    /// alone: with the auxiliary ones, Vote Sound breaks as soon as the first leader wins.
    const NOISY: &str = "nodes 4\nbugs vote-count\nfaults all\nauxiliary off\n\
        timeout n1\n\
        dup n1->n3 RV t1 last=0/0\n\
        deliver n1->n2 RV t1 last=0/0\n\
        crash n2\n\
        restart n2\n\
        dup n2->n1 V+ t1\n\
        deliver n2->n1 V+ t1\n\
        drop n1->n3 RV t1 last=0/0\n\
        deliver n2->n1 V+ t1\n\
        heartbeat n1\n\
        partition n1,n2 | n3,n4\n\
        heal\n\
        timeout n3\n\
        deliver n3->n4 RV t1 last=0/0\n\
        dup n4->n3 V+ t1\n\
        deliver n4->n3 V+ t1\n\
        heartbeat n1\n\
        deliver n4->n3 V+ t1\n";

    #[test]
    fn shrinks_away_what_does_not_matter() {
        let s = parse(NOISY).unwrap();
        let before = replay(&s).unwrap().outcome;
        assert!(
            matches!(&before, Outcome::Violation { violation, step: 18 } if violation.invariant == Invariant::ElectionSafety),
            "{before:?}"
        );
        let m = minimize(&s, &MinimizeOptions::default()).unwrap();
        assert_eq!(m.invariant, Invariant::ElectionSafety);
        assert_eq!(m.before, 18);
        assert_eq!(m.after, 10, "{}", m.scenario.to_text());
        // Nothing in the result crashes or partitions, so the header says so.
        assert!(!m.scenario.config.faults.crash && !m.scenario.config.faults.partition);
        assert!(!m.scenario.config.faults.loss);
        let again = parse(&m.scenario.to_text()).unwrap();
        match replay(&again).unwrap().outcome {
            Outcome::Violation { violation, step } => {
                assert_eq!(violation.invariant, Invariant::ElectionSafety);
                assert_eq!(step, m.after);
            }
            other => panic!("minimized scenario does not fail: {other:?}"),
        }
    }

    /// The comments keep what they said, except the violation, which is the shrunk one's.
    #[test]
    fn the_violation_note_describes_the_shrunk_scenario() {
        let noted = format!(
            "# found by a test\n# violates Election Safety: n1 and n3 at step 18\n#   a detail of step 18\n# kept\n{NOISY}"
        );
        let s = parse(&noted).unwrap();
        let m = minimize(&s, &MinimizeOptions::default()).unwrap();
        let notes = &m.scenario.notes;
        assert_eq!(notes[0], "found by a test");
        assert_eq!(notes[1], "kept");
        assert!(!notes.iter().any(|n| n.contains("step 18")), "{notes:?}");
        let last = replay(&m.scenario).unwrap();
        let Outcome::Violation { violation, .. } = last.outcome else {
            panic!("the shrunk scenario does not fail");
        };
        assert_eq!(
            notes[2],
            format!("violates {}: {}", violation.invariant, violation.summary)
        );
        assert_eq!(notes.len(), 3 + violation.details.len());
    }

    #[test]
    fn stops_at_its_replay_budget() {
        let s = parse(NOISY).unwrap();
        let opts = MinimizeOptions {
            max_replays: 3,
            ..MinimizeOptions::default()
        };
        let m = minimize(&s, &opts).unwrap();
        assert!(m.replays <= 3 + 4, "{} replays", m.replays);
        assert!(m.after <= m.before);
    }
}
