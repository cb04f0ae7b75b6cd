//! `verraft sim`: random simulation, many seeds, swarm-chosen faults, a liveness check.
use crate::cmd::check::parse_seconds;
use crate::progress::{thousands, Progress};
use clap::Args;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use verraft_core::{Bug, BugSet};
use verraft_models::bug_bounds::sim_options;
use verraft_sim::random::{run_one, SimOptions};
use verraft_sim::{CrashMode, Faults, Features};

#[derive(Args)]
pub struct SimArgs {
    /// First seed; run i uses seed + i
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of runs
    #[arg(long, default_value_t = 1000)]
    runs: u64,
    /// Events in each run's fault phase [default: 200, or what --bug's world needs]
    #[arg(long)]
    steps: Option<usize>,
    /// Cluster size [default: 3, or what --bug's world needs]
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=9))]
    nodes: Option<u8>,
    /// With --features ...,membership: voters at the start (nodes 1 to V; the others are
    /// spares that join when a leader adds them; default: every node)
    #[arg(long, value_name = "V", value_parser = clap::value_parser!(u8).range(1..=9))]
    voters: Option<u8>,
    /// Faults runs may switch on (comma-separated: loss,dup,reorder,crash,partition; or all,
    /// none) [default: all, or what --bug's world needs]
    #[arg(long, value_parser = parse_faults)]
    faults: Option<Faults>,
    /// Optional parts of the core runs may switch on (each run picks some): a list of
    /// pre-vote, check-quorum, read-index, snapshots, transfer, lease-reads, membership (or
    /// all: every one but lease-reads and membership; none) [default: all, or what --bug's
    /// world needs]
    #[arg(long, value_parser = Features::parse)]
    features: Option<Features>,
    /// Switch on a seeded bug (repeatable), e.g. --bug figure-8. A bug runs in the world it
    /// needs (early-config: five nodes, four voters, membership changes; vote-count: four
    /// nodes; lease-drift: lease reads, partitions, long runs) unless the flags say otherwise
    #[arg(long = "bug", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// Clients, each with a script of operations
    #[arg(long, default_value_t = 3)]
    clients: usize,
    /// Operations per client [default: 4, or what --bug's world needs]
    #[arg(long)]
    ops: Option<usize>,
    /// Events the fault-free phase may take before liveness counts as broken (default: grows
    /// with nodes, clients and operations; 2,432 for the other defaults)
    #[arg(long, value_name = "EVENTS")]
    quiet_bound: Option<usize>,
    /// A crash keeps unsynced writes (only the ack-before-sync bug leaves any)
    #[arg(long)]
    keep_unsynced: bool,
    /// Check only the properties of the Raft paper's Figure 3, not the auxiliary invariants
    /// of its safety proofs
    #[arg(long)]
    no_auxiliary: bool,
    /// Run every seed twice and compare trace hashes
    #[arg(long)]
    check_determinism: bool,
    /// Where to write the scenario of a failing run
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
    /// Keep going after a failure (report every failing seed)
    #[arg(long)]
    keep_going: bool,
    /// Stop after SECS seconds and report the runs done so far (exit 3 if none failed)
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
}

fn parse_faults(s: &str) -> Result<Faults, String> {
    if s.trim().is_empty() {
        return Err("empty list (say 'none' for no faults)".into());
    }
    Faults::parse(s)
}

fn parse_bug(s: &str) -> Result<Bug, String> {
    s.parse::<Bug>().map_err(|e| e.to_string())
}

/// Exit codes: 0 every run clean, 1 a run failed, 2 bad arguments, 3 stopped early (time
/// limit or Ctrl-C) with no failure so far.
pub fn run(args: SimArgs) -> u8 {
    if args.runs == 0 {
        eprintln!("verraft sim: --runs must be at least 1");
        return 2;
    }
    if let Err(e) = std::fs::metadata(&args.out_dir).and_then(|m| {
        m.is_dir()
            .then_some(())
            .ok_or_else(|| std::io::Error::other("not a directory"))
    }) {
        eprintln!("verraft sim: --out-dir {}: {e}", args.out_dir.display());
        return 2;
    }
    let (opts, world) = options(&args);
    if let Some(v) = opts.voters {
        if v > opts.nodes || !opts.features.membership {
            eprintln!(
                "verraft sim: --voters {v} needs membership in --features and at most --nodes ({}) voters",
                opts.nodes
            );
            return 2;
        }
    }
    if !world.is_empty() {
        eprintln!(
            "verraft sim: {} runs in the world it needs: {} (flags given on the command line win)",
            args.bugs
                .iter()
                .map(|b| format!("--bug {b}"))
                .collect::<Vec<_>>()
                .join(" "),
            world.join(" ")
        );
    }
    let interrupt = crate::interrupt::flag();
    let start = Instant::now();
    let mut progress = Progress::new("verraft sim");
    let mut events = 0u64;
    let mut failures = 0u64;
    let mut runs_done = 0u64;
    let mut stopped = None;
    for i in 0..args.runs {
        if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
            stopped = Some("interrupted".to_string());
            break;
        }
        if let Some(t) = args.timeout.filter(|t| start.elapsed() >= *t) {
            stopped = Some(format!("the time limit ({:.1} s) ran out", t.as_secs_f64()));
            break;
        }
        let seed = args.seed.wrapping_add(i);
        let result = match run_one(&opts, seed) {
            Ok(r) => r,
            Err(e) => {
                progress.finish();
                eprintln!("verraft sim: seed {seed}: {e}");
                return 2;
            }
        };
        events += result.scenario.steps.len() as u64;
        runs_done += 1;
        progress.update(|| {
            format!(
                "{} of {} runs, {failures} failed, {} events",
                thousands(runs_done),
                thousands(args.runs),
                thousands(events)
            )
        });
        if args.check_determinism {
            let again = run_one(&opts, seed).map(|r| r.trace_hash);
            if again != Ok(result.trace_hash) {
                progress.finish();
                eprintln!("verraft sim: seed {seed} is not deterministic: trace hash {:016x} then {again:?}", result.trace_hash);
                return 1;
            }
        }
        if let Some(v) = &result.violation {
            failures += 1;
            let mut scenario = result.scenario.clone();
            scenario.notes = vec![
                format!("found by: {}", reproduce(&args, &opts, seed)),
                format!("violates: {}: {}", v.invariant, v.summary),
            ];
            let later = v
                .invariant
                .is_auxiliary()
                .then(|| figure3_later(&opts, seed));
            if let Some(later) = &later {
                scenario.notes.push(later.clone());
            }
            let path = args.out_dir.join(format!("sim-{seed}.scn"));
            if let Err(e) = std::fs::write(&path, scenario.to_text()) {
                progress.finish();
                eprintln!("verraft sim: cannot write {}: {e}", path.display());
                return 2;
            }
            progress.finish();
            println!("FAIL seed {seed}: {v}");
            if let Some(later) = &later {
                println!("  {later}");
            }
            let quiet = if scenario.config.quiet_phase.is_some() {
                " and the quiet phase its replay runs after them"
            } else {
                ""
            };
            println!(
                "  {} events{quiet}; reproduce: verraft replay {}",
                scenario.steps.len(),
                path.display()
            );
            if !args.keep_going {
                break;
            }
        }
    }
    progress.finish();
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let ended = match (&stopped, failures > 0 && !args.keep_going) {
        (Some(why), _) => format!("STOPPED EARLY ({why}): "),
        (None, true) => "stopped at the first failure; ".to_string(),
        (None, false) => String::new(),
    };
    println!(
        "{ended}{runs_done} of {} runs, {failures} failed, {events} events in {secs:.2} s: {:.0} runs/s, {:.0} events/s{}",
        args.runs,
        runs_done as f64 / secs,
        events as f64 / secs,
        if args.check_determinism { " (each run twice: deterministic)" } else { "" }
    );
    if failures > 0 {
        1
    } else if stopped.is_some() {
        3
    } else {
        0
    }
}

/// The options the flags ask for. What a flag leaves unsaid comes from the world the first
/// seeded bug that needs one is hunted in ([`sim_options`], the same place `verraft
/// bughunt` and README's table take it from), else from `sim`'s defaults; the second
/// result lists, as flags, what a bug's world changed.
fn options(args: &SimArgs) -> (SimOptions, Vec<String>) {
    let defaults = SimOptions::default();
    let needs = args
        .bugs
        .iter()
        .map(|b| sim_options(*b))
        .find(|w| world_flags(w) != world_flags(&defaults))
        .unwrap_or_else(|| defaults.clone());
    // The world's voters belong to its cluster size: not taken when --nodes is given.
    let world_voters = needs.voters.filter(|_| {
        args.voters.is_none() && args.nodes.is_none() && args.features.is_none_or(|f| f.membership)
    });
    let opts = SimOptions {
        nodes: args.nodes.unwrap_or(needs.nodes),
        voters: args.voters.or(world_voters),
        steps: args.steps.unwrap_or(needs.steps),
        faults: args.faults.unwrap_or(needs.faults),
        features: args.features.unwrap_or(needs.features),
        bugs: args.bugs.iter().copied().collect::<BugSet>(),
        clients: args.clients,
        ops_per_client: args.ops.unwrap_or(needs.ops_per_client),
        quiet_bound: args.quiet_bound,
        crash_mode: if args.keep_unsynced {
            CrashMode::KeepUnsynced
        } else {
            CrashMode::LoseUnsynced
        },
        auxiliary: !args.no_auxiliary,
    };
    let given = [
        args.nodes.is_some(),
        args.voters.is_some(),
        args.faults.is_some(),
        args.features.is_some(),
        args.steps.is_some(),
        args.ops.is_some(),
    ];
    let world = world_flags(&opts)
        .into_iter()
        .zip(world_flags(&defaults))
        .zip(given)
        .filter(|(((_, value), (_, default)), given)| !given && value != default)
        .map(|(((flag, value), _), _)| format!("--{flag} {value}"))
        .collect();
    (opts, world)
}

/// The options a seeded bug's world may set, as flag names and values (in the order of
/// [`options`]'s `given`; no value for voters means every node votes).
fn world_flags(o: &SimOptions) -> [(&'static str, String); 6] {
    [
        ("nodes", o.nodes.to_string()),
        ("voters", o.voters.map_or(String::new(), |v| v.to_string())),
        ("faults", o.faults.list()),
        ("features", o.features.list()),
        ("steps", o.steps.to_string()),
        ("ops", o.ops_per_client.to_string()),
    ]
}

/// Where the same seed shows the bug when only Figure 3's properties are checked: what an
/// auxiliary invariant caught early, in words a user of those properties knows.
fn figure3_later(opts: &SimOptions, seed: u64) -> String {
    let figure3 = SimOptions {
        auxiliary: false,
        ..opts.clone()
    };
    match run_one(&figure3, seed) {
        Ok(r) => match r.violation {
            Some(v) => format!(
                "with only Figure 3's properties checked (--no-auxiliary) this seed breaks {} after {} events: {}",
                v.invariant,
                r.scenario.steps.len(),
                v.summary
            ),
            None => "with only Figure 3's properties checked (--no-auxiliary) this seed runs clean: only the auxiliary invariant saw the bug".into(),
        },
        Err(e) => format!("with only Figure 3's properties checked, the seed does not run: {e}"),
    }
}

/// The command that runs exactly this seed again, every option spelled out (none left to a
/// default, which may change).
fn reproduce(args: &SimArgs, opts: &SimOptions, seed: u64) -> String {
    let faults = opts.faults.names();
    let mut cmd = format!(
        "verraft sim --seed {seed} --runs 1 --steps {} --nodes {} --faults {} --features {} --clients {} --ops {} --quiet-bound {}",
        opts.steps,
        opts.nodes,
        if faults.is_empty() { "none".to_string() } else { faults.join(",") },
        opts.features.list(),
        opts.clients,
        opts.ops_per_client,
        opts.quiet_bound()
    );
    if let Some(v) = opts.voters {
        cmd += &format!(" --voters {v}");
    }
    if args.keep_unsynced {
        cmd += " --keep-unsynced";
    }
    if args.no_auxiliary {
        cmd += " --no-auxiliary";
    }
    for b in &args.bugs {
        cmd += &format!(" --bug {b}");
    }
    cmd
}
