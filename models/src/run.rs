//! One model check from start to verdict: stateright's DFS over the whole bounded space
//! (with symmetry reduction when asked), then, if an invariant broke, a breadth-first search
//! for a shortest counterexample, written as a scenario and checked by replaying it.
use crate::model::{RaftModel, State};
use crate::shortest::shortest_violation;
use stateright::{Checker, Expectation, HasDiscoveries, Model};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario::Scenario;
use verraft_sim::{Invariant, Violation};

#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub threads: usize,
    pub symmetry: bool,
    /// Stop the exhaustive search at the first broken invariant (then find a shortest path
    /// to it). Off: explore everything and report every broken invariant.
    pub stop_at_violation: bool,
    /// Most states the shortest-path search may visit.
    pub max_shortest_states: usize,
    /// End the search after this long (the verdict is then unknown unless something broke).
    pub timeout: Option<Duration>,
    /// End the search once this many unique states were found.
    pub max_states: Option<usize>,
    /// Raised from outside (Ctrl-C) to end the search and report what was found so far.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// When the shortest counterexample breaks an auxiliary invariant, search again with
    /// Figure 3's properties alone to say where the bug shows last (a second breadth-first
    /// search; off where only the first catch matters, as in `verraft bughunt`).
    pub figure3: bool,
    /// Breadth first (level by level: a violation near the start is found before the
    /// search wanders deep, at the cost of the memory a whole level takes) instead of depth
    /// first.
    pub breadth_first: bool,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            threads: 1,
            symmetry: true,
            stop_at_violation: true,
            max_shortest_states: 50_000_000,
            timeout: None,
            max_states: None,
            interrupt: None,
            figure3: true,
            breadth_first: false,
        }
    }
}

/// Why a search ended before it had explored every state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// `CheckOptions::timeout` ran out.
    Timeout(Duration),
    /// `CheckOptions::max_states` unique states were found.
    MaxStates(usize),
    /// `CheckOptions::interrupt` was raised.
    Interrupted,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Timeout(d) => write!(f, "the time limit ({:.1} s) ran out", d.as_secs_f64()),
            Stopped::MaxStates(n) => write!(f, "the state limit ({n} unique states) was reached"),
            Stopped::Interrupted => write!(f, "interrupted"),
        }
    }
}

/// Counters while the search runs.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub unique: usize,
    pub generated: usize,
    pub max_depth: usize,
    pub elapsed: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// An `always` property held in every state (the search was exhaustive).
    Holds,
    /// An `always` property failed.
    Violated,
    /// A `sometimes` property was reached.
    Reached,
    /// A `sometimes` property was never reached in the whole space: the model is vacuous there.
    NeverReached,
    /// The search stopped early (at a violation) before this property was decided.
    Undecided,
}

#[derive(Clone, Debug)]
pub struct PropertyResult {
    pub name: &'static str,
    pub always: bool,
    pub status: Status,
}

#[derive(Clone, Debug)]
pub struct Counterexample {
    pub invariant: Invariant,
    pub violation: Violation,
    pub scenario: Scenario,
    /// Replay lines, header first, ending with the violating step.
    pub lines: Vec<String>,
    /// Events on the path the exhaustive search found first.
    pub found_length: usize,
    /// States the shortest-path search visited.
    pub shortest_states: usize,
    /// When an auxiliary invariant broke: the Figure 3 property a shortest run breaks with
    /// only those checked, and that run's length (`None`: no such run within the bounds, or
    /// not sought).
    pub figure3: Option<(Invariant, usize)>,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub bounds: String,
    pub unique: usize,
    pub generated: usize,
    pub max_depth: usize,
    pub elapsed: Duration,
    /// The whole bounded space was explored.
    pub exhaustive: bool,
    /// Why the search ended early, if a limit or an interrupt ended it.
    pub stopped: Option<Stopped>,
    pub properties: Vec<PropertyResult>,
    pub counterexample: Option<Counterexample>,
}

impl Report {
    pub fn violated(&self) -> bool {
        self.properties
            .iter()
            .any(|p| p.always && p.status == Status::Violated)
    }

    pub fn unreached(&self) -> Vec<&'static str> {
        self.properties
            .iter()
            .filter(|p| p.status == Status::NeverReached)
            .map(|p| p.name)
            .collect()
    }

    pub fn states_per_second(&self) -> f64 {
        self.unique as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn representative(s: &State) -> State {
    s.representative()
}

/// Run the check, calling `progress` about every `every` while the search runs.
pub fn check(
    model: &RaftModel,
    opts: &CheckOptions,
    every: Duration,
    mut progress: impl FnMut(&Progress),
) -> Result<Report, String> {
    let start = Instant::now();
    let mut model = model.clone();
    model.symmetry = opts.symmetry;
    // A stop flag of this search's own: the caller's model may be checked again.
    model.stop = Arc::default();
    let mut builder = model.clone().checker().threads(opts.threads.max(1));
    if opts.symmetry {
        builder = builder.symmetry_fn(representative);
    }
    if opts.stop_at_violation {
        builder = builder.finish_when(HasDiscoveries::AnyFailures);
    }
    let watched = if opts.breadth_first {
        watch(
            builder.spawn_bfs(),
            &model,
            opts,
            start,
            every,
            &mut progress,
        )?
    } else {
        watch(
            builder.spawn_dfs(),
            &model,
            opts,
            start,
            every,
            &mut progress,
        )?
    };
    let Watched {
        discoveries,
        stopped,
        last,
    } = watched;
    let elapsed = start.elapsed();
    let props = model.properties();
    let broken: Vec<Invariant> = props
        .iter()
        .filter(|p| p.expectation == Expectation::Always && discoveries.contains_key(p.name))
        .filter_map(|p| Invariant::parse(p.name))
        .collect();
    let exhaustive = stopped.is_none() && (broken.is_empty() || !opts.stop_at_violation);
    let properties = props
        .iter()
        .map(|p| {
            let found = discoveries.contains_key(p.name);
            let always = p.expectation == Expectation::Always;
            let status = match (always, found) {
                (true, true) => Status::Violated,
                (true, false) if exhaustive => Status::Holds,
                (false, true) => Status::Reached,
                (false, false) if exhaustive => Status::NeverReached,
                _ => Status::Undecided,
            };
            PropertyResult {
                name: p.name,
                always,
                status,
            }
        })
        .collect();
    let counterexample = match broken.first() {
        Some(inv) => {
            let path = discoveries[inv.name()].clone().into_actions();
            let found_length = path.len();
            if stopped == Some(Stopped::Interrupted) {
                // Asked to stop now: the path found is kept as it is, not shortened.
                Some(found_counterexample(&model, *inv, path)?)
            } else {
                Some(shortest_counterexample(&model, *inv, opts, found_length)?)
            }
        }
        None => None,
    };
    Ok(Report {
        bounds: model.description.clone(),
        unique: last.unique,
        generated: last.generated,
        max_depth: last.max_depth,
        elapsed,
        exhaustive,
        stopped,
        properties,
        counterexample,
    })
}

/// Most states the second search (Figure 3's properties alone) may visit.
pub const FIGURE3_SEARCH_STATES: usize = 2_000_000;

/// A shortest path to a violation, as a scenario that replays to it. The exhaustive search
/// found `inv` broken; a shortest path may break another invariant first (an auxiliary one
/// on the way to a Figure 3 property), and that is the one reported. When it is auxiliary,
/// a second search with only Figure 3's properties checked tells where the bug shows last.
pub fn shortest_counterexample(
    model: &RaftModel,
    inv: Invariant,
    opts: &CheckOptions,
    found_length: usize,
) -> Result<Counterexample, String> {
    let target = (inv == Invariant::Linearizability).then_some(inv);
    let shortest = shortest_violation(model, target, opts.symmetry, opts.max_shortest_states)
        .ok_or_else(|| {
            format!(
                "the search found a {inv} violation but the shortest-path search (at most {} states) did not",
                opts.max_shortest_states
            )
        })?;
    let mut found = counterexample_of(model, shortest.invariant, shortest.events, found_length)?;
    found.shortest_states = shortest.states;
    if opts.figure3 && shortest.invariant.is_auxiliary() {
        let mut config = model.config.clone();
        config.auxiliary = false;
        let figure3 = RaftModel::from_config(config, model.max_log)?;
        // Only a note beside the counterexample, and often there is none within the bounds:
        // a breadth-first search that keeps a whole level of worlds must not be allowed to
        // fill the memory looking (without symmetry reduction, membership worlds did).
        let cap = opts.max_shortest_states.min(FIGURE3_SEARCH_STATES);
        // A client history is judged once it is complete, not after every event: a search
        // for any event's violation does not see it, so it is sought apart.
        let has_clients = model.config.clients.iter().any(|c| !c.is_empty());
        found.figure3 = shortest_violation(&figure3, None, opts.symmetry, cap)
            .or_else(|| {
                let lin = Some(Invariant::Linearizability);
                has_clients
                    .then(|| shortest_violation(&figure3, lin, opts.symmetry, cap))
                    .flatten()
            })
            .map(|s| (s.invariant, s.events.len()));
    }
    Ok(found)
}

/// The path the search found, as it is (when there is no time to look for a shorter one).
/// What a finished (or stopped) stateright search left: its discoveries, why it stopped
/// early if it did, and its counts at the end.
struct Watched {
    discoveries: std::collections::HashMap<
        &'static str,
        stateright::Path<State, <RaftModel as Model>::Action>,
    >,
    stopped: Option<Stopped>,
    last: Progress,
}

/// Wait for `checker`'s threads, reporting progress every `every` and stopping them at
/// the limits `opts` sets.
fn watch(
    mut checker: impl Checker<RaftModel>,
    model: &RaftModel,
    opts: &CheckOptions,
    start: Instant,
    every: Duration,
    progress: &mut impl FnMut(&Progress),
) -> Result<Watched, String> {
    // Stateright's `is_done` stays false when threads stop at a discovery, so watch the
    // threads themselves.
    let handles = checker.handles();
    let mut stopped = None;
    let now = || Progress {
        unique: checker.unique_state_count(),
        generated: checker.state_count(),
        max_depth: checker.max_depth(),
        elapsed: start.elapsed(),
    };
    while !handles.iter().all(|h| h.is_finished()) {
        std::thread::sleep(every.min(Duration::from_millis(50)));
        let now = now();
        progress(&now);
        if stopped.is_none() {
            stopped = limit_reached(opts, &now);
            if stopped.is_some() {
                // Nothing is expanded from here on: the threads drain and finish.
                model.stop.store(true, Ordering::Relaxed);
            }
        }
    }
    for h in handles {
        h.join()
            .map_err(|_| "a checker thread panicked".to_string())?;
    }
    Ok(Watched {
        discoveries: checker.discoveries(),
        stopped,
        last: now(),
    })
}

fn found_counterexample(
    model: &RaftModel,
    inv: Invariant,
    path: Vec<verraft_sim::Event>,
) -> Result<Counterexample, String> {
    let length = path.len();
    counterexample_of(model, inv, path, length)
}

/// A path of events that breaks `inv`, as a scenario checked by replaying it.
fn counterexample_of(
    model: &RaftModel,
    inv: Invariant,
    events: Vec<verraft_sim::Event>,
    found_length: usize,
) -> Result<Counterexample, String> {
    let mut scenario = Scenario::new(model.config.clone(), events);
    scenario.expect = Some(inv);
    let run = replay(&scenario)?;
    let last = scenario.steps.len();
    let violation = match run.outcome {
        Outcome::Violation { step, violation } if violation.invariant == inv && step == last => {
            violation
        }
        // The history is judged after the run, not after each event.
        Outcome::Clean if inv == Invariant::Linearizability => match run.world.check_history() {
            Err(v) => v,
            Ok(()) => return Err("the linearizability counterexample replays clean".into()),
        },
        other => {
            return Err(format!(
                "the shortest counterexample does not replay to {inv}: {other:?}"
            ))
        }
    };
    Ok(Counterexample {
        invariant: inv,
        violation,
        scenario,
        lines: run.lines,
        found_length,
        shortest_states: 0,
        figure3: None,
    })
}

/// The limit `now` has reached, if any.
fn limit_reached(opts: &CheckOptions, now: &Progress) -> Option<Stopped> {
    if opts
        .interrupt
        .as_ref()
        .is_some_and(|i| i.load(Ordering::Relaxed))
    {
        return Some(Stopped::Interrupted);
    }
    if let Some(t) = opts.timeout.filter(|t| now.elapsed >= *t) {
        return Some(Stopped::Timeout(t));
    }
    opts.max_states
        .filter(|m| now.unique >= *m)
        .map(Stopped::MaxStates)
}
