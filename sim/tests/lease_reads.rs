//! Lease reads in the simulated world, which keeps time for them: clocks tick together
//! (`tick`) or one runs ahead within the drift bound (`tick nN`). The seeded bug
//! `lease-drift` (a lease as long as the election timeout) serves a stale read once the
//! followers' clocks run ahead of the leader's, and the world's linearizability check
//! catches it; the correct lease is out by then, and the same schedule stays linearizable.
use verraft_core::{Bug, BugSet, Role};
use verraft_kv::KvOp;
use verraft_sim::scenario::Scenario;
use verraft_sim::{Event, Features, Timing, World, WorldConfig};

fn world(bugs: BugSet) -> World {
    let mut c = WorldConfig::new(3);
    c.bugs = bugs;
    c.features = Features {
        lease_reads: true,
        transfer: false,
        snapshots: false,
        ..Features::ALL
    };
    c.timing = Timing {
        election_ticks: 6,
        election_jitter: 0,
        heartbeat_ticks: 2,
        clock_drift: 4,
    };
    c.clients = vec![
        vec![KvOp::Put {
            key: "x".into(),
            value: "a".into(),
        }],
        vec![KvOp::Put {
            key: "x".into(),
            value: "b".into(),
        }],
        vec![KvOp::Get { key: "x".into() }],
    ];
    World::new(c).unwrap()
}

/// A world and the events applied to it, for the scenario file.
struct Run {
    w: World,
    events: Vec<Event>,
}

impl Run {
    /// Apply `e`, which must be enabled; `Some` once a violation was found.
    fn step(&mut self, e: Event) -> Option<String> {
        assert!(self.w.enabled_events().contains(&e), "{e} is not enabled");
        self.events.push(e.clone());
        self.w.apply(&e).unwrap().map(|v| v.to_string())
    }

    /// Deliver messages (and client replies) until none is left.
    fn settle(&mut self) -> Option<String> {
        loop {
            let next = self
                .w
                .enabled_events()
                .into_iter()
                .find(|e| matches!(e, Event::Deliver { .. } | Event::Reply(_)));
            let e = next?;
            if let Some(v) = self.step(e) {
                return Some(v);
            }
        }
    }

    fn run(&mut self, events: impl IntoIterator<Item = Event>) -> Option<String> {
        for e in events {
            if let Some(v) = self.step(e).or_else(|| self.settle()) {
                return Some(v);
            }
        }
        None
    }
}

/// n1 leads and wins its lease; the network cuts it off; the followers' clocks run ahead
/// of n1's by the most the drift bound allows, they elect n3, which commits `x = b`; then a
/// client reads `x` at n1. Returns the first violation, and the run.
fn stale_lease_schedule(bugs: BugSet) -> (Option<String>, Run) {
    let mut r = Run {
        w: world(bugs),
        events: Vec::new(),
    };
    let found = stale_lease_steps(&mut r);
    (found, r)
}

fn stale_lease_steps(r: &mut Run) -> Option<String> {
    use Event::*;
    // n1's clock two ticks ahead: its timer fires first, and it is elected.
    let mut schedule = vec![TickOne(1), TickOne(1)];
    schedule.extend(std::iter::repeat_n(Tick, 4));
    if let Some(v) = r.run(schedule) {
        return Some(v);
    }
    assert_eq!(r.w.leaders(), vec![1]);
    // c1 writes x = a; a heartbeat round then gives n1 its lease.
    let schedule = [Invoke { client: 1, node: 1 }, Tick, Tick];
    if let Some(v) = r.run(schedule) {
        return Some(v);
    }
    // Cut off. n2 and n3 run ahead (n2 by two ticks, n3 by one), so that n2's timer fires
    // while n3 still keeps its promise to n1, then n3's, and n3 is elected.
    let cut = Partition(vec![vec![1], vec![2, 3]]);
    let mut schedule = vec![cut, TickOne(2), TickOne(2), TickOne(3)];
    schedule.extend(std::iter::repeat_n(Tick, 5));
    if let Some(v) = r.run(schedule) {
        return Some(v);
    }
    assert_eq!(r.w.node(3).map(|n| n.role()), Some(Role::Leader));
    // c2 writes x = b at n3 and is answered; then c3 reads x at n1, still cut off.
    let schedule = [Invoke { client: 2, node: 3 }, Invoke { client: 3, node: 1 }];
    if let Some(v) = r.run(schedule) {
        return Some(v);
    }
    r.w.check_history().err().map(|v| v.to_string())
}

#[test]
fn lease_drift_serves_a_stale_read_that_the_history_check_catches() {
    let (found, _) = stale_lease_schedule(BugSet::NONE.with(Bug::LeaseDrift));
    let found = found.expect("a stale read");
    assert!(found.contains("inearizab"), "{found}");
}

#[test]
fn the_correct_lease_runs_out_first_and_the_history_is_linearizable() {
    assert_eq!(stale_lease_schedule(BugSet::NONE).0, None);
}

/// Random runs that may keep time for lease reads: some do, leaders answer reads from their
/// leases in some of those, and no invariant breaks (the history stays linearizable).
#[test]
fn random_runs_with_lease_reads_serve_reads_from_leases_and_break_nothing() {
    use verraft_sim::random::{run_one, SimOptions};
    let opts = SimOptions {
        features: Features {
            lease_reads: true,
            ..Features::ALL
        },
        ..SimOptions::default()
    };
    let (mut timed, mut lease_reads) = (0, 0);
    let mut timings = std::collections::BTreeSet::new();
    for seed in 1..=400 {
        let r = run_one(&opts, seed).unwrap();
        assert!(r.violation.is_none(), "seed {seed}: {:?}", r.violation);
        if !r.scenario.config.features.lease_reads {
            continue;
        }
        timed += 1;
        let t = r.scenario.config.timing;
        timings.insert((
            t.election_ticks,
            t.election_jitter,
            t.heartbeat_ticks,
            t.clock_drift,
        ));
        // Each run draws its timing: drift up to one tick below the timeout, and jitter,
        // without which clocks ticking together split every vote for ever.
        assert!(
            t.clock_drift < t.election_ticks && t.election_jitter > 0,
            "{t:?}"
        );
        let mut w = World::new(r.scenario.config.clone()).unwrap();
        for s in &r.scenario.steps {
            w.apply(&s.event).unwrap();
        }
        lease_reads += usize::from(w.ghost.lease_read);
    }
    assert!(timed > 50, "only {timed} of 400 runs kept time");
    assert!(timings.len() > 20, "only {} timings drawn", timings.len());
    assert!(
        lease_reads > timed / 4,
        "leases served reads in {lease_reads} of {timed} runs"
    );
}

/// `corpus/regressions/lease-drift.scn` is this schedule, written out: the corpus test
/// replays it (failing with the bug, clean without), and `verraft replay` shows it.
#[test]
fn the_corpus_file_is_this_schedule() {
    let (_, run) = stale_lease_schedule(BugSet::NONE.with(Bug::LeaseDrift));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../corpus/regressions/lease-drift.scn"
    );
    let mut scenario = Scenario::new((*run.w.config).clone(), run.events);
    scenario.expect = Some(verraft_sim::Invariant::Linearizability);
    scenario.notes = vec![
        "found by cargo test -p verraft-sim --test lease_reads (a schedule built by hand)".into(),
        "n1 leads with a lease; cut off, its followers' clocks run ahead and elect n3, which"
            .into(),
        "commits x = b; n1's lease, as long as the election timeout with lease-drift, answers"
            .into(),
        "a read of x at n1 with the old value.".into(),
    ];
    let text = scenario.to_text();
    if std::env::var_os("VERRAFT_WRITE_CORPUS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let kept = std::fs::read_to_string(path).expect("run with VERRAFT_WRITE_CORPUS=1 to write it");
    assert_eq!(kept, text);
}
