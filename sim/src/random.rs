//! Random simulation with swarm testing: each run's seed picks which faults are on and how
//! often they strike, so different runs stress different mixes. After the fault phase comes
//! a quiet phase (network healed, nodes restarted, no faults) in which a leader must emerge
//! and every client operation must complete within a bound: that is the liveness check.
use crate::client::ClientState;
use crate::config::{CrashMode, Faults, Features, Limits, Timing, WorldConfig};
use crate::event::Event;
use crate::invariants::{Invariant, Violation};
use crate::scenario::Scenario;
use crate::world::{Choice, World};
use std::hash::{Hash, Hasher};
use verraft_core::rng::SplitMix64;
use verraft_core::{BugSet, Role};
use verraft_kv::{ClientId, KvOp, Text};

/// What the user asked for; each run refines it with its seed.
#[derive(Clone, Debug)]
pub struct SimOptions {
    pub nodes: u8,
    /// With membership changes: the voters the cluster starts with (nodes 1 to this; the
    /// others are spares a leader may add). `None`: every node.
    pub voters: Option<u8>,
    /// Events in the fault phase.
    pub steps: usize,
    /// Faults that runs may switch on.
    pub faults: Faults,
    /// Optional parts of the core that runs may switch on.
    pub features: Features,
    pub bugs: BugSet,
    pub clients: usize,
    pub ops_per_client: usize,
    /// Most events the quiet phase may take before liveness is declared broken (`None`:
    /// scaled to the cluster and the workload, see `SimOptions::quiet_bound`).
    pub quiet_bound: Option<usize>,
    pub crash_mode: CrashMode,
    /// Check the auxiliary invariants of the safety proofs (off: Figure 3's alone).
    pub auxiliary: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            nodes: 3,
            voters: None,
            steps: 200,
            faults: Faults::ALL,
            features: Features::ALL,
            bugs: BugSet::NONE,
            clients: 3,
            ops_per_client: 4,
            quiet_bound: None,
            crash_mode: CrashMode::LoseUnsynced,
            auxiliary: true,
        }
    }
}

impl SimOptions {
    /// The quiet phase's bound: the one asked for, or one that grows with the work to do.
    /// Each operation costs a fault-free cluster about an invocation, an append to and an
    /// answer from every follower, a heartbeat round to spread the commit, and the reply;
    /// clients run concurrently but their entries share the leader's appends. The factor
    /// leaves room for elections and retries after the faults (a fixed 2,000 raised false
    /// alarms at 9 nodes with 9 clients of 50 operations).
    pub fn quiet_bound(&self) -> usize {
        self.quiet_bound.unwrap_or_else(|| {
            let ops = self.clients * self.ops_per_client;
            let per_op = 4 * usize::from(self.nodes) + 6;
            (2_000 + 2 * ops * per_op).max(2_000)
        })
    }
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub seed: u64,
    pub scenario: Scenario,
    pub violation: Option<Violation>,
    /// A hash of every event and the final world: equal for equal runs.
    pub trace_hash: u64,
}

/// How likely the operating system writes a node's buffers out, against a delivery's 100.
const SYNC_WEIGHT: u32 = 10;

/// How likely a `snapshot nN` event is, beside the swarm's weights (a delivery weighs 100).
const SNAPSHOT_WEIGHT: u32 = 5;

/// How likely a `transfer nA->nB` event is (per leader and target).
const TRANSFER_WEIGHT: u32 = 2;

/// How likely a `reconfig` event is (per leader and change it would accept).
const RECONFIG_WEIGHT: u32 = 2;

/// How likely time passes (`tick`, in a world with lease reads), against a delivery's 100,
/// drawn per run: often enough that timers fire, rarely enough that messages usually
/// arrive first; the slow end leaves room for a whole election and a commit within the
/// tick or two by which a lease may outlive its followers' promises.
const TICK_WEIGHTS: (u32, u32) = (4, 30);

/// How likely one clock runs ahead (`tick nN`, per node), drawn per run.
const DRIFT_WEIGHTS: (u32, u32) = (2, 20);

/// Relative weights of each kind of event in the fault phase, drawn per run.
#[derive(Clone, Copy, Debug)]
struct Swarm {
    deliver: u32,
    drop: u32,
    duplicate: u32,
    timeout: u32,
    heartbeat: u32,
    crash: u32,
    restart: u32,
    partition: u32,
    heal: u32,
    invoke: u32,
    reply: u32,
    client_timeout: u32,
    tick: u32,
    tick_one: u32,
    /// In a run that keeps time: a node cut off from the majority never runs its clock
    /// ahead, so the majority's clocks gain on it as far as the drift bound allows.
    slow_cut_off: bool,
}

impl Swarm {
    fn draw(rng: &mut SplitMix64, allowed: Faults) -> (Swarm, Faults) {
        // Each allowed fault is on in about two runs of three: the swarm.
        let mut on = |allowed: bool| allowed && rng.up_to(2) > 0;
        let faults = Faults {
            loss: on(allowed.loss),
            duplication: on(allowed.duplication),
            reorder: on(allowed.reorder),
            crash: on(allowed.crash),
            partition: on(allowed.partition),
        };
        let mut w = |lo: u32, hi: u32| lo + rng.up_to(hi - lo);
        let swarm = Swarm {
            deliver: 100,
            drop: w(1, 20),
            duplicate: w(1, 20),
            timeout: w(1, 10),
            heartbeat: w(5, 30),
            crash: w(1, 4),
            restart: w(2, 20),
            partition: w(1, 4),
            heal: w(2, 20),
            invoke: w(10, 40),
            reply: 60,
            client_timeout: w(1, 8),
            // Drawn by `setup` from the lease generator, in runs that keep time.
            tick: 0,
            tick_one: 0,
            slow_cut_off: false,
        };
        (swarm, faults)
    }

    fn weight(&self, c: &Choice) -> u32 {
        match c {
            Choice::Deliver(_) => self.deliver,
            Choice::Drop(_) => self.drop,
            Choice::Duplicate(_) => self.duplicate,
            Choice::Timeout(_) => self.timeout,
            Choice::Heartbeat(_) => self.heartbeat,
            Choice::Crash(_) | Choice::CrashKeeping(..) => self.crash,
            // Only a node that skips syncing leaves writes for the operating system; a fixed
            // weight, so that runs of the correct core draw exactly what they always drew.
            Choice::Sync(_) => SYNC_WEIGHT,
            // Fixed too, for the same reason; on the order of a timeout.
            Choice::Snapshot(_) => SNAPSHOT_WEIGHT,
            Choice::Transfer(..) => TRANSFER_WEIGHT,
            Choice::Reconfig(..) => RECONFIG_WEIGHT,
            Choice::Tick => self.tick,
            Choice::TickOne(_) => self.tick_one,
            Choice::Restart(_) => self.restart,
            Choice::Partition(_) => self.partition,
            Choice::Heal => self.heal,
            Choice::Invoke(..) => self.invoke,
            Choice::Reply(_) => self.reply,
            Choice::ClientTimeout(_) => self.client_timeout,
        }
    }
}

/// Each client's script: a mix of operations on two keys, every written value unique so a
/// read tells which write it saw.
fn workload(rng: &mut SplitMix64, clients: usize, ops: usize) -> Vec<Vec<KvOp>> {
    let keys = ["x", "y"];
    (1..=clients)
        .map(|c| {
            (1..=ops)
                .map(|i| {
                    let key = Text::from(keys[rng.up_to(1) as usize]);
                    let value = compact_str::format_compact!("{c}.{i}");
                    match rng.up_to(9) {
                        0..=2 => KvOp::Get { key },
                        3..=4 => KvOp::Put { key, value },
                        5..=7 => KvOp::Append { key, value },
                        _ => KvOp::Cas {
                            key,
                            expected: None,
                            new: value,
                        },
                    }
                })
                .collect()
        })
        .collect()
}

/// Pick one enabled event with the swarm's weights.
fn pick(rng: &mut SplitMix64, swarm: &Swarm, choices: &[Choice], world: &World) -> Option<Choice> {
    let weight = |c: &Choice| match c {
        Choice::TickOne(id) if swarm.slow_cut_off && world.cut_off(*id) => 0,
        c => swarm.weight(c),
    };
    let total: u64 = choices.iter().map(|c| u64::from(weight(c))).sum();
    if total == 0 {
        return None;
    }
    let mut r = rng.next_u64() % total;
    for c in choices {
        let w = u64::from(weight(c));
        if r < w {
            return Some(*c);
        }
        r -= w;
    }
    None
}

/// The world configuration a seed gives, and the event weights of its fault phase.
fn setup(opts: &SimOptions, seed: u64) -> (WorldConfig, Swarm, SplitMix64) {
    let mut rng = SplitMix64(seed);
    let (mut swarm, faults) = Swarm::draw(&mut rng, opts.faults);
    let mut config = WorldConfig::new(opts.nodes);
    config.bugs = opts.bugs;
    config.faults = faults;
    config.crash_mode = opts.crash_mode;
    config.auxiliary = opts.auxiliary;
    // Each allowed feature is on in about two runs of three, as each fault is.
    config.features = Features {
        pre_vote: opts.features.pre_vote && rng.up_to(2) > 0,
        check_quorum: opts.features.check_quorum && rng.up_to(2) > 0,
        read_index: opts.features.read_index && rng.up_to(2) > 0,
        snapshots: false,
        transfer: false,
        lease_reads: false,
        membership: false,
    };
    // Draws for what came later (snapshots) use a generator of their own, so that runs
    // without it draw exactly what they drew before it existed.
    let mut later = SplitMix64(seed ^ 0x5aa9_5107_c0de_0001);
    config.features.snapshots = opts.features.snapshots && later.up_to(2) > 0;
    // Compaction after every applied entry, every few, or only at snapshot events.
    config.snapshot_every = later.up_to(4);
    config.features.transfer = opts.features.transfer && later.up_to(2) > 0;
    // Membership changes are opt-in: on in every run that asks for them.
    config.features.membership = opts.features.membership;
    config.voters = opts.voters.filter(|_| opts.features.membership);
    // Lease reads in about half the runs that allow them (they need check-quorum and
    // read-index), from a generator of their own for the same reason.
    let mut lease = SplitMix64(seed ^ 0x1ea5_e0c1_0c45_0002);
    config.features.lease_reads = opts.features.lease_reads
        && opts.features.check_quorum
        && opts.features.read_index
        && lease.up_to(1) > 0;
    // A lease rests on check-quorum's promises and serves reads by the read-index path.
    config.features.check_quorum |= config.features.lease_reads;
    config.features.read_index |= config.features.lease_reads;
    if config.features.lease_reads {
        let mut w = |(lo, hi): (u32, u32)| lo + lease.up_to(hi - lo);
        swarm.tick = w(TICK_WEIGHTS);
        swarm.tick_one = w(DRIFT_WEIGHTS);
        config.timing = draw_timing(&mut lease);
        // A partition lasts about an election timeout or more, measured in ticks: long
        // enough for the majority side to elect a leader while the cut-off one still
        // believes it leads.
        swarm.heal = (swarm.tick / 4).max(1);
        // The adversary's clocks, in half the runs: a node cut off from the majority runs
        // slow, the worst case for leases (the one that believes it leads counts its lease
        // on the slowest clock while the majority's timers run out first).
        swarm.slow_cut_off = lease.up_to(1) == 0;
    }
    config.limits = Limits::NONE;
    config.max_append_entries = 1 + rng.up_to(7);
    config.clients = workload(&mut rng, opts.clients, opts.ops_per_client);
    config.seed = seed;
    (config, swarm, rng)
}

/// The timing of a run that keeps time: an election timeout of 4 to 12 ticks, a jitter of
/// 1 or 2 (without any, clocks that tick together split every vote for ever), and a drift
/// bound from 2 ticks up to one below the timeout. A drift close to the timeout leaves the
/// correct lease a single tick and lets followers' clocks run furthest ahead of their
/// leader's, where a lease that ignores drift outlives their promises longest; a long
/// timeout gives clocks room to run apart by several ticks.
fn draw_timing(rng: &mut SplitMix64) -> Timing {
    let election_ticks = 4 + rng.up_to(8);
    Timing {
        election_ticks,
        election_jitter: 1 + rng.up_to(1),
        heartbeat_ticks: 1 + rng.up_to(1),
        // The largest drift the timeout allows in half the runs: the edge where a lease
        // that ignores drift outlives the followers' promises longest.
        clock_drift: match rng.up_to(1) {
            0 => election_ticks - 1,
            _ => 2 + rng.up_to(election_ticks - 3),
        },
    }
}

/// One run: fault phase, quiet phase, then the history's linearizability.
pub fn run_one(opts: &SimOptions, seed: u64) -> Result<RunResult, String> {
    let (mut config, swarm, mut rng) = setup(opts, seed);
    let mut world = World::new(config.clone())?;
    let mut events = Vec::new();
    let mut violation = None;
    let mut choices = Vec::new();
    for _ in 0..opts.steps {
        world.choices(&mut choices);
        let Some(c) = pick(&mut rng, &swarm, &choices, &world) else {
            break;
        };
        // Only the chosen event is spelled out, for the scenario.
        events.push(world.event_of(c));
        let applied = world.apply_choice(c);
        if let Some(v) = applied.map_err(|err| {
            format!(
                "internal: enabled event {} failed: {err}",
                events[events.len() - 1]
            )
        })? {
            violation = Some(v);
            break;
        }
    }
    let fault_phase = events.len();
    let bound = opts.quiet_bound();
    if violation.is_none() {
        violation = quiet_phase(&mut world, bound, |_, e| events.push(e.clone()))?;
    }
    if violation.is_none() {
        violation = world.check_history().err();
    }
    let liveness = violation
        .as_ref()
        .is_some_and(|v| v.invariant == Invariant::Liveness);
    if liveness {
        // The quiet phase is deterministic given the world and the seed, so the scenario
        // keeps the fault phase and asks its replay to run the quiet phase again: the
        // liveness failure then replays, and minimizing can shrink the faults behind it.
        events.truncate(fault_phase);
        config.quiet_phase = Some(bound);
    }
    let mut scenario = Scenario::new(config, events);
    scenario.expect = violation.as_ref().map(|v| v.invariant);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    scenario.to_text().hash(&mut h);
    world.hash(&mut h);
    Ok(RunResult {
        seed,
        scenario,
        violation,
        trace_hash: h.finish(),
    })
}

/// Mixed into the seed for the quiet phase's own generator, so that the quiet phase depends
/// on the world it starts from and the seed alone, not on how many draws came before it.
const QUIET_SALT: u64 = 0x5157_4945_5450_4841;

/// No more faults: heal, restart everyone, then drive the cluster fairly until every client
/// is done. Failing to get there within `bound` events is a liveness violation. Every event
/// applied is handed to `record` with the world it made. The same for the world's seed and state, whoever runs it
/// (random simulation, a replay of a scenario with a `quiet-phase` line, the minimizer).
pub fn quiet_phase(
    world: &mut World,
    bound: usize,
    mut record: impl FnMut(&World, &Event),
) -> Result<Option<Violation>, String> {
    let mut rng = SplitMix64(world.config.seed ^ QUIET_SALT);
    let mut step = |world: &mut World, e: Event| -> Result<Option<Violation>, String> {
        let v = world
            .apply(&e)
            .map_err(|err| format!("internal: enabled event {e} failed: {err}"))?;
        record(world, &e);
        Ok(v)
    };
    if world.partition.is_some() {
        if let Some(v) = step(world, Event::Heal)? {
            return Ok(Some(v));
        }
    }
    for id in world.config.node_ids() {
        if world.node(id).is_none() {
            if let Some(v) = step(world, Event::Restart(id))? {
                return Ok(Some(v));
            }
        }
    }
    let mut idle_rounds = 0;
    for _ in 0..bound {
        if world.clients_done() {
            return Ok(None);
        }
        let Some(e) = next_quiet_event(world, &mut rng, &mut idle_rounds) else {
            break;
        };
        if let Some(v) = step(world, e)? {
            return Ok(Some(v));
        }
    }
    if world.clients_done() {
        return Ok(None);
    }
    let script_len = |id: ClientId| world.config.clients[id as usize - 1].len();
    let waiting: Vec<String> = world
        .clients
        .iter()
        .filter(|c| !(c.state == ClientState::Idle && c.started == script_len(c.id)))
        .map(|c| {
            let done = if c.state == ClientState::Idle {
                c.started
            } else {
                c.started.saturating_sub(1)
            };
            format!(
                "c{}: {done} of {} operations done; {}",
                c.id,
                script_len(c.id),
                c.state
            )
        })
        .collect();
    let leaders: Vec<String> = world
        .leaders()
        .iter()
        .map(|l| format!("n{l} (term {})", world.node(*l).map_or(0, |n| n.term())))
        .collect();
    let mut v = Violation::new(
        Invariant::Liveness,
        format!("clients not done after {bound} fault-free events"),
    );
    for w in waiting {
        v = v.detail(w);
    }
    Ok(Some(v.detail(format!(
        "leaders now: {}",
        if leaders.is_empty() {
            "none".into()
        } else {
            leaders.join(", ")
        }
    ))))
}

/// A fair, fault-free schedule: answers first, then messages in order, then client work,
/// and timers only when the network is quiet.
fn next_quiet_event(world: &World, rng: &mut SplitMix64, idle_rounds: &mut u32) -> Option<Event> {
    let enabled = world.enabled_events();
    let first = |f: &dyn Fn(&Event) -> bool| enabled.iter().find(|e| f(e)).cloned();
    if let Some(e) = first(&|e| matches!(e, Event::Reply(_))) {
        return Some(e);
    }
    if let Some(e) = first(&|e| matches!(e, Event::Deliver { .. })) {
        return Some(e);
    }
    // Requests go to a leader: a node that knows none refuses a read at once, and invoking
    // it again and again would starve the timers that elect one.
    // (A leader handing over leadership takes no writes until the transfer ends.)
    let at_leader = |e: &Event| {
        matches!(e, Event::Invoke { node, .. }
            if world.node(*node).is_some_and(|n| n.role() == Role::Leader && n.transfer_target().is_none()))
    };
    if let Some(e) = first(&at_leader) {
        return Some(e);
    }
    // A client whose answer can no longer come gives up and retries.
    for c in &world.clients {
        // Lost: the node crashed, or its log no longer holds the request where it took it
        // (a later leader overwrote it), so the answer will never come.
        let lost = match c.state {
            ClientState::Waiting { index: None, .. } => true,
            ClientState::Reading { node } => world.node(node).is_none(),
            ClientState::Waiting {
                node,
                index: Some((index, term)),
            } => world
                .node(node)
                .is_some_and(|n| n.term_at(index) != Some(term)),
            _ => false,
        };
        let leader_gone = c
            .state
            .node()
            .is_some_and(|node| world.node(node).is_none_or(|n| n.role() != Role::Leader));
        if (lost || (leader_gone && *idle_rounds > 2))
            && enabled.contains(&Event::ClientTimeout(c.id))
        {
            *idle_rounds = 0;
            return Some(Event::ClientTimeout(c.id));
        }
    }
    *idle_rounds += 1;
    if world.config.features.lease_reads {
        // Timers run on the clock: time passes, and they fire when they are due.
        return first(&|e| *e == Event::Tick);
    }
    let leaders = world.leaders();
    let current = leaders
        .iter()
        .copied()
        .max_by_key(|l| world.node(*l).map(|n| n.term()));
    let transferring = current.filter(|l| {
        world
            .node(*l)
            .is_some_and(|n| n.transfer_target().is_some())
    });
    if let Some(l) = transferring {
        // A transfer left from the fault phase that did not complete: the leader's timer
        // abandons it.
        if let Some(e) = first(&|e| *e == Event::Timeout(l)) {
            return Some(e);
        }
    }
    // A stale leader that the current one does not replicate to (membership changes took it
    // out) hears of the newer term only in the answers to its own heartbeats.
    if let Some(cur) = current.and_then(|l| world.node(l)) {
        let members = cur.membership().members();
        for l in leaders
            .iter()
            .filter(|l| **l != cur.id() && !members.contains(**l))
        {
            if let Some(e) = first(&|e| *e == Event::Heartbeat(*l)) {
                return Some(e);
            }
        }
    }
    match current {
        // A leader that a majority follows: its heartbeat moves commits and repairs followers.
        Some(l) if *idle_rounds < 8 => first(&|e| *e == Event::Heartbeat(l)),
        // No leader (or one nobody follows): a random node stands for election.
        _ => {
            *idle_rounds = 0;
            let candidates: Vec<Event> = enabled
                .iter()
                .filter(|e| matches!(e, Event::Timeout(_)))
                .cloned()
                .collect();
            if candidates.is_empty() {
                return first(&|e| matches!(e, Event::Heartbeat(_)));
            }
            Some(candidates[rng.up_to(candidates.len() as u32 - 1) as usize].clone())
        }
    }
}
