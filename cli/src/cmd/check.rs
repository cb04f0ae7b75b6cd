//! `verraft check`: exhaustive model checking of the Raft core within bounds (stateright DFS
//! with symmetry reduction), a shortest counterexample on a violation, and proof that the
//! bounded model is not vacuous (every `sometimes` property reached).
use crate::progress::{thousands, Progress};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;
use verraft_core::{Bug, BugSet};
use verraft_models::{check, Bounds, CheckOptions, RaftModel, Report, Status, Stopped};
use verraft_sim::{CrashMode, Faults, Features};

/// The bounds of the model, shared by `check` and `explore`. Unset flags keep the defaults
/// of `Bounds::default()` (or of the chosen preset).
#[derive(Args, Clone, Debug)]
pub struct BoundArgs {
    /// Start from named bounds: tlc (the published TLC Raft benchmark: no faults, log <= 2,
    /// one value, term <= 2), tlc-faults (the same with restarts, loss and duplication),
    /// full (every feature and every fault, 3 nodes, one message lost, two election
    /// timeouts, no heartbeat: 34 M states, about 5 minutes on 2 cores), membership (three
    /// voters and a spare, two membership changes, a crash, a lost message, three election
    /// timeouts: 57 M states, about 5 minutes) or lease (lease reads in a model that keeps time, a
    /// partition, two clients)
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// Number of nodes
    #[arg(long, value_name = "N")]
    nodes: Option<u8>,
    /// Highest term an election may start
    #[arg(long, value_name = "T")]
    max_term: Option<u64>,
    /// Client operations (alternating put x / get x), handed out round-robin to the clients
    #[arg(long, value_name = "K")]
    max_ops: Option<usize>,
    /// Number of clients sharing the operations
    #[arg(long, value_name = "N")]
    clients: Option<usize>,
    /// Longest log any node may hold, or `none` for no limit beyond the other bounds
    #[arg(long, value_name = "L", value_parser = parse_max_log)]
    max_log: Option<MaxLog>,
    /// Crashes in the whole run; each crashed node may restart
    #[arg(long, value_name = "C")]
    crashes: Option<u32>,
    /// Faults that are on: a list of loss, dup, reorder, crash, partition (or all, none)
    #[arg(long, value_name = "LIST")]
    faults: Option<String>,
    /// Optional parts of the core the nodes run: a list of pre-vote, check-quorum,
    /// read-index, snapshots, transfer, lease-reads, membership (or all: every one but
    /// lease-reads and membership; none; default all but transfer)
    #[arg(long, value_name = "LIST")]
    features: Option<String>,
    /// With snapshots: each node snapshots on its own every N applied entries (0: only at
    /// snapshot events; default 2)
    #[arg(long, value_name = "N")]
    snapshot_every: Option<u32>,
    /// With snapshots: explicit snapshot events (a driver's `compact`) in the whole run
    #[arg(long, value_name = "S")]
    snapshots: Option<u32>,
    /// With transfer: leadership transfer requests in the whole run (default 1)
    #[arg(long, value_name = "T")]
    transfers: Option<u32>,
    /// With lease-reads (the model keeps time): ticks in the whole run, of every clock at
    /// once or of one running ahead (default 8)
    #[arg(long, value_name = "N")]
    ticks: Option<u32>,
    /// Messages in flight at once
    #[arg(long, value_name = "M")]
    max_in_flight: Option<u32>,
    /// Leader heartbeats in the whole run
    #[arg(long, value_name = "H")]
    heartbeats: Option<u32>,
    /// With loss in --faults: messages lost in the whole run (default: no limit beyond the
    /// other bounds)
    #[arg(long, value_name = "L")]
    losses: Option<u32>,
    /// Election timeouts at followers and candidates in the whole run, pre-vote rounds
    /// included (default: as many as --max-term allows; not with lease-reads)
    #[arg(long, value_name = "E")]
    elections: Option<u32>,
    /// With membership: membership changes (`reconfig` events) in the whole run (default 2)
    #[arg(long, value_name = "R")]
    reconfigs: Option<u32>,
    /// With membership: voters at the start (nodes 1 to V; the others are spares that join
    /// when a leader adds them; default: every node)
    #[arg(long, value_name = "V")]
    voters: Option<u8>,
    /// Network partitions in the whole run (needs partition in --faults)
    #[arg(long, value_name = "P")]
    partitions: Option<u32>,
    /// Client timeouts (each followed by a retry) in the whole run
    #[arg(long, value_name = "N")]
    client_timeouts: Option<u32>,
    /// Most entries in one AppendEntries message
    #[arg(long, value_name = "E")]
    max_append: Option<u32>,
    /// A crash also loses writes that were not synced
    #[arg(long)]
    lose_unsynced: bool,
    /// Check only the properties of the Raft paper's Figure 3, not the auxiliary invariants
    /// of its safety proofs (to see where a bug shows in the end)
    #[arg(long)]
    no_auxiliary: bool,
    /// Switch on a seeded bug (repeatable): vote-count, forget-vote, no-persist-vote, ...
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,
}

/// A `--max-log` value: a length, or no limit.
#[derive(Clone, Copy, Debug)]
pub struct MaxLog(Option<u64>);

fn parse_max_log(s: &str) -> Result<MaxLog, String> {
    if s == "none" {
        return Ok(MaxLog(None));
    }
    s.parse::<u64>()
        .map(|l| MaxLog(Some(l)))
        .map_err(|_| format!("expected a length or 'none', found '{s}'"))
}

impl BoundArgs {
    /// Whether no bound was given (then `check` runs the portfolio). A seeded bug and
    /// `--no-auxiliary` are not bounds: with them alone, every bound set of the portfolio
    /// runs with the bug on (does the default check catch it?) or Figure 3's properties alone.
    pub fn is_empty(&self) -> bool {
        let BoundArgs {
            preset,
            nodes,
            max_term,
            max_ops,
            clients,
            max_log,
            crashes,
            faults,
            features,
            snapshot_every,
            snapshots,
            transfers,
            ticks,
            max_in_flight,
            heartbeats,
            losses,
            elections,
            reconfigs,
            voters,
            partitions,
            client_timeouts,
            max_append,
            lose_unsynced,
            no_auxiliary: _,
            bugs: _,
        } = self;
        preset.is_none()
            && nodes.is_none()
            && max_term.is_none()
            && max_ops.is_none()
            && clients.is_none()
            && max_log.is_none()
            && crashes.is_none()
            && faults.is_none()
            && features.is_none()
            && snapshot_every.is_none()
            && snapshots.is_none()
            && transfers.is_none()
            && ticks.is_none()
            && max_in_flight.is_none()
            && heartbeats.is_none()
            && losses.is_none()
            && elections.is_none()
            && reconfigs.is_none()
            && voters.is_none()
            && partitions.is_none()
            && client_timeouts.is_none()
            && max_append.is_none()
            && !lose_unsynced
    }

    /// The bug switches and the choice of invariants, applied to a bound set.
    fn apply_checks(&self, b: &mut Bounds) -> Result<(), String> {
        if self.no_auxiliary {
            b.auxiliary = false;
        }
        b.bugs = self
            .bugs
            .iter()
            .map(|name| name.parse::<Bug>().map_err(|e| format!("--bug: {e}")))
            .collect::<Result<BugSet, String>>()?;
        Ok(())
    }

    /// The bound sets to explore: the portfolio's, or the one these flags give.
    pub fn bound_sets(&self) -> Result<Vec<(&'static str, Bounds)>, String> {
        if !self.is_empty() {
            return Ok(vec![("", self.bounds()?)]);
        }
        let mut sets = Bounds::portfolio();
        for (_, b) in &mut sets {
            self.apply_checks(b)?;
            b.validate()?;
        }
        Ok(sets)
    }

    pub fn bounds(&self) -> Result<Bounds, String> {
        let mut b = match self.preset.as_deref() {
            None => Bounds::default(),
            Some(name) => preset(name)?,
        };
        if let Some(v) = self.nodes {
            b.nodes = v;
        }
        if let Some(v) = self.max_term {
            b.max_term = v;
        }
        if let Some(v) = self.max_ops {
            b.max_ops = v;
        }
        if let Some(v) = self.clients {
            b.clients = v;
        }
        if let Some(MaxLog(l)) = self.max_log {
            b.max_log = l;
        }
        if let Some(list) = &self.faults {
            if list.trim().is_empty() {
                return Err("--faults: empty list (say 'none' for no faults)".into());
            }
            b.faults = Faults::parse(list).map_err(|e| format!("--faults: {e}"))?;
            // Crashes and partitions follow their fault unless counted explicitly.
            if self.crashes.is_none() {
                b.crashes = if b.faults.crash { b.crashes.max(1) } else { 0 };
            }
            if self.partitions.is_none() {
                b.partitions = if b.faults.partition {
                    b.partitions.max(1)
                } else {
                    0
                };
            }
        }
        if let Some(list) = &self.features {
            b.features = Features::parse(list).map_err(|e| format!("--features: {e}"))?;
        }
        if let Some(v) = self.snapshot_every {
            b.snapshot_every = v;
        }
        if let Some(v) = self.snapshots {
            b.snapshots = v;
        }
        if let Some(v) = self.transfers {
            b.transfers = v;
        }
        if let Some(v) = self.ticks {
            b.ticks = v;
        }
        if let Some(v) = self.crashes {
            b.crashes = v;
        }
        if let Some(v) = self.partitions {
            b.partitions = v;
        }
        if let Some(v) = self.max_in_flight {
            b.max_in_flight = v;
        }
        if let Some(v) = self.heartbeats {
            b.heartbeats = v;
        }
        b.losses = self.losses.or(b.losses);
        b.elections = self.elections.or(b.elections);
        if let Some(v) = self.reconfigs {
            b.reconfigs = v;
        }
        b.voters = self.voters.or(b.voters);
        if let Some(v) = self.client_timeouts {
            b.client_timeouts = v;
        }
        if let Some(v) = self.max_append {
            b.max_append = v;
        }
        if self.lose_unsynced {
            b.crash_mode = CrashMode::LoseUnsynced;
        }
        self.apply_checks(&mut b)?;
        b.validate()?;
        Ok(b)
    }
}

/// Named bounds for benchmarks. `tlc` mirrors the bounds of the published TLC run on the
/// standard Raft TLA+ spec (3 servers, 1 value, term <= 2, log <= 2, no restart, duplicate
/// or drop), whose Raft is Figure 2's: no pre-vote, check-quorum or ReadIndex; `tlc-faults`
/// adds one restart, loss and duplication.
fn preset(name: &str) -> Result<Bounds, String> {
    let tlc = Bounds {
        nodes: 3,
        max_term: 2,
        max_log: Some(2),
        max_ops: 1,
        clients: 1,
        crashes: 0,
        faults: Faults {
            reorder: true,
            ..Faults::NONE
        },
        max_in_flight: 2,
        heartbeats: 1,
        features: Features::NONE,
        ..Bounds::default()
    };
    match name {
        "tlc" => Ok(tlc),
        "tlc-faults" => Ok(Bounds {
            crashes: 1,
            faults: Faults {
                loss: true,
                duplication: true,
                reorder: true,
                crash: true,
                partition: false,
            },
            ..tlc
        }),
        "full" => Ok(full()),
        "lease" => Ok(lease()),
        "membership" => Ok(membership()),
        other => Err(format!(
            "--preset: unknown preset '{other}' (known: tlc, tlc-faults, full, lease, membership)"
        )),
    }
}

/// `full`: every feature of the untimed world (pre-vote, check-quorum, ReadIndex reads,
/// snapshots, leadership transfer) and every fault (loss, duplication, reordering, a
/// crash, a partition) on three nodes, at the largest bounds measured to finish within ten
/// minutes on a 2-core machine. With every feature on, what multiplies the space is how
/// often each one-off event (a loss, a crash, a partition, a heartbeat, an election) can be
/// placed along a run, so those are counted: one loss, two election timeouts (pre-vote
/// rounds included; the transfer gives the second leader change), no heartbeat beyond
/// what proposals and read rounds send. 34,107,675 states; `models/BENCHMARKS.md` has the
/// attempts that did not finish.
fn full() -> Bounds {
    Bounds {
        nodes: 3,
        max_term: 2,
        max_log: Some(3),
        max_ops: 2,
        clients: 1,
        crashes: 1,
        partitions: 1,
        faults: Faults::ALL,
        features: Features::ALL,
        snapshot_every: 2,
        snapshots: 0,
        transfers: 1,
        max_in_flight: 1,
        heartbeats: 0,
        losses: Some(1),
        elections: Some(2),
        ..Bounds::default()
    }
}

/// `membership`: membership changes, three voters and a spare: two changes (enough to add
/// and promote a learner, to swap it in by a joint change, or for a leader to remove
/// itself and be replaced), a client's write, a crash, a lost message and three election
/// timeouts (56,800,280 states without symmetry reduction, 299 s on 2 threads; see
/// `models/BENCHMARKS.md`).
fn membership() -> Bounds {
    Bounds {
        nodes: 4,
        voters: Some(3),
        max_term: 2,
        max_log: Some(4),
        max_ops: 1,
        clients: 1,
        crashes: 1,
        faults: Faults {
            loss: true,
            crash: true,
            ..Faults::NONE
        },
        features: Features {
            membership: true,
            ..Features::NONE
        },
        reconfigs: 2,
        max_in_flight: 1,
        heartbeats: 1,
        losses: Some(1),
        elections: Some(3),
        ..Bounds::default()
    }
}

/// `lease`: lease reads in a model that keeps time (clocks tick, one may run a tick ahead of
/// another), with what a lease must survive: a partition that cuts the leader off, and
/// two writes and a read by two clients, so that a stale read would show.
fn lease() -> Bounds {
    Bounds {
        nodes: 3,
        max_term: 2,
        max_log: Some(4),
        max_ops: 3,
        clients: 2,
        crashes: 0,
        partitions: 1,
        faults: Faults {
            partition: true,
            ..Faults::NONE
        },
        features: Features {
            lease_reads: true,
            snapshots: false,
            transfer: false,
            ..Features::ALL
        },
        ticks: 8,
        max_in_flight: 1,
        ..Bounds::default()
    }
}

#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    bounds: BoundArgs,
    /// Checker threads (default: every core)
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Where to write the counterexample scenario on a violation
    #[arg(
        long,
        value_name = "FILE",
        default_value = "verraft-counterexample.scn"
    )]
    out: PathBuf,
    /// Explore without symmetry reduction over node ids
    #[arg(long)]
    no_symmetry: bool,
    /// Explore breadth first: every state N events from the start before any N+1 away,
    /// so a violation a few events deep is found before the search wanders down long
    /// runs (depth first, the default, needs less memory)
    #[arg(long)]
    bfs: bool,
    /// Keep exploring after the first violation and report every broken invariant
    #[arg(long)]
    all_violations: bool,
    /// Stop after SECS seconds and report what was found so far (exit 3 if nothing broke)
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Stop after N unique states and report what was found so far (exit 3 if nothing broke)
    #[arg(long, value_name = "N")]
    max_states: Option<usize>,
}

/// A positive number of seconds; more than a `Duration` holds (`1e300`) is no limit at all,
/// as it is for `lincheck --timeout`.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("expected a number of seconds, found '{s}'"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("must be more than 0 seconds, not {s}"));
    }
    Ok(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

/// Exit codes: 0 exhaustive, every property holds and every `sometimes` was reached;
/// 1 an invariant broke or a `sometimes` property was never reached; 2 bad arguments;
/// 3 stopped early (time or state limit, Ctrl-C) with nothing broken so far.
pub fn run(args: CheckArgs) -> u8 {
    // Without a single bound flag, the portfolio: bound sets that together cover every
    // optional feature and every message fault.
    let sets = match args.bounds.bound_sets() {
        Ok(sets) => sets,
        Err(e) => {
            eprintln!("verraft check: {e}");
            return 2;
        }
    };
    if args.threads == Some(0) {
        eprintln!("verraft check: --threads must be at least 1");
        return 2;
    }
    if args.max_states == Some(0) {
        eprintln!("verraft check: --max-states must be at least 1");
        return 2;
    }
    // Before the search, not after it: a long search must not end in "cannot write".
    if let Err(e) = writable(&args.out) {
        eprintln!("verraft check: --out {}: {e}", args.out.display());
        return 2;
    }
    let started = std::time::Instant::now();
    let several = sets.len() > 1;
    let count = sets.len();
    let mut stopped_early = false;
    for (i, (label, bounds)) in sets.into_iter().enumerate() {
        if several {
            println!(
                "{}bound set {} of {}: {label}",
                if i > 0 { "\n" } else { "" },
                i + 1,
                count
            );
        }
        // A time limit is for the whole run, whatever number of bound sets it has.
        let timeout = args.timeout.map(|t| t.saturating_sub(started.elapsed()));
        match check_one(&args, bounds, timeout) {
            0 => {}
            3 => stopped_early = true,
            code => return code,
        }
        if crate::interrupt::flag().load(std::sync::atomic::Ordering::Relaxed) {
            return 3;
        }
    }
    if several {
        println!(
            "\nevery bound set holds: {:.1} s in all",
            started.elapsed().as_secs_f64()
        );
    }
    if stopped_early {
        3
    } else {
        0
    }
}

/// Check one bound set and print its report. The exit code of `run` for it alone.
fn check_one(args: &CheckArgs, bounds: Bounds, timeout: Option<Duration>) -> u8 {
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let model = match RaftModel::new(bounds.clone()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("verraft check: {e}");
            return 2;
        }
    };
    let opts = CheckOptions {
        threads,
        symmetry: !args.no_symmetry,
        breadth_first: args.bfs,
        stop_at_violation: !args.all_violations,
        timeout,
        max_states: args.max_states,
        interrupt: Some(crate::interrupt::flag()),
        ..CheckOptions::default()
    };
    println!("verraft check: {}", model.description);
    let mut progress = Progress::new("verraft check");
    let result = check(&model, &opts, Duration::from_millis(200), |p| {
        progress.update(|| {
            let rate = p.unique as f64 / p.elapsed.as_secs_f64().max(1e-9);
            format!(
                "{} unique states  {}/s  depth {}",
                thousands(p.unique as u64),
                thousands(rate as u64),
                p.max_depth
            )
        });
    });
    progress.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("verraft check: {e}");
            return 1;
        }
    };
    print_report(&report);
    let mut code = 0;
    if let Some(cx) = &report.counterexample {
        code = 1;
        println!();
        if report.stopped == Some(Stopped::Interrupted) {
            println!(
                "counterexample: {} events (as found: interrupted before a shorter one was sought)",
                cx.scenario.steps.len()
            );
        } else {
            println!(
                "counterexample: {} events (shortest; the search first found one of {} events; {} states searched for it)",
                cx.scenario.steps.len(),
                cx.found_length,
                thousands(cx.shortest_states as u64)
            );
        }
        for line in &cx.lines {
            println!("{line}");
        }
        println!("VIOLATION  {}", cx.violation);
        if cx.invariant.is_auxiliary() {
            match cx.figure3 {
                Some((inv, len)) => println!(
                    "  {} is an auxiliary invariant of Raft's safety proofs: with only Figure 3's properties checked (--no-auxiliary), the shortest run breaks {inv}, at {len} events",
                    cx.invariant
                ),
                None => println!(
                    "  {} is an auxiliary invariant of Raft's safety proofs: with only Figure 3's properties checked, a breadth-first search of up to {} states (or the whole space, if smaller) found no run that breaks one",
                    cx.invariant,
                    verraft_models::run::FIGURE3_SEARCH_STATES
                ),
            }
        }
        let shortest = report.stopped != Some(Stopped::Interrupted);
        let text = scenario_file(cx, &bounds, shortest);
        match std::fs::write(&args.out, text) {
            Ok(()) => println!(
                "scenario written to {} (verraft replay {0})",
                args.out.display()
            ),
            Err(e) => {
                eprintln!("verraft check: cannot write {}: {e}", args.out.display());
                return 2;
            }
        }
    }
    if let Some(why) = report.stopped {
        println!();
        println!(
            "STOPPED EARLY: {why} after {} unique states; the properties marked undecided were not proven",
            thousands(report.unique as u64)
        );
        if code == 0 {
            return 3;
        }
    }
    let unreached = report.unreached();
    if !unreached.is_empty() {
        code = 1;
        println!();
        println!(
            "VACUOUS MODEL: never reached within these bounds: {}",
            unreached.join("; ")
        );
        println!("the safety verdicts above say nothing about behaviour the bounds cannot reach; raise the bounds");
    }
    code
}

/// Whether `path` can be written, without leaving a file behind.
fn writable(path: &Path) -> std::io::Result<()> {
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    if !existed {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

/// The counterexample as a scenario file that opens with what found it (the format of
/// `corpus/regressions/`): the command with every bound spelled out, so that it finds the
/// same counterexample whatever the defaults become. Then the violation, then the scenario.
fn scenario_file(cx: &verraft_models::Counterexample, bounds: &Bounds, shortest: bool) -> String {
    let mut scenario = cx.scenario.clone();
    scenario.notes = format!("violates {}", cx.violation)
        .lines()
        .map(str::to_string)
        .collect();
    if let Some((inv, len)) = cx.figure3 {
        scenario.notes.push(format!(
            "with only Figure 3's properties checked (--no-auxiliary) the shortest run breaks {inv}, at {len} events"
        ));
    }
    let body = scenario.to_text();
    let body = body.strip_prefix("# verraft scenario\n").unwrap_or(&body);
    let kind = if shortest {
        "shortest counterexample"
    } else {
        "counterexample as found (not shortened)"
    };
    format!(
        "# found by verraft check {}; {kind}, {} events\n{body}",
        bounds.to_flags().join(" "),
        cx.scenario.steps.len()
    )
}

fn print_report(r: &Report) {
    let verdicts: Vec<String> = r
        .properties
        .iter()
        .map(|p| format!("{}: {}", p.name, verdict(p.status)))
        .collect();
    println!(
        "{}: {} unique states, {} generated, max depth {}, {:.1} s, {} unique states/s | {}",
        if r.exhaustive {
            "exhaustive"
        } else if r.stopped.is_some() {
            "stopped early"
        } else {
            "stopped at a violation"
        },
        thousands(r.unique as u64),
        thousands(r.generated as u64),
        r.max_depth,
        r.elapsed.as_secs_f64(),
        thousands(r.states_per_second() as u64),
        verdicts.join(", ")
    );
}

fn verdict(s: Status) -> &'static str {
    match s {
        Status::Holds => "holds",
        Status::Violated => "VIOLATED",
        Status::Reached => "reached",
        Status::NeverReached => "NEVER REACHED",
        Status::Undecided => "undecided",
    }
}
