//! `verraft sim`: random simulation, many seeds, swarm-chosen faults, a liveness check.
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;
use verraft_core::{Bug, BugSet};
use verraft_sim::random::{run_one, SimOptions};
use verraft_sim::{CrashMode, Faults};

#[derive(Args)]
pub struct SimArgs {
    /// First seed; run i uses seed + i
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of runs
    #[arg(long, default_value_t = 1000)]
    runs: u64,
    /// Events in each run's fault phase
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Cluster size
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=9))]
    nodes: u8,
    /// Faults runs may switch on (comma-separated: loss,dup,reorder,crash,partition; or all, none)
    #[arg(long, default_value = "all", value_parser = parse_faults)]
    faults: Faults,
    /// Switch on a seeded bug (repeatable), e.g. --bug figure-8
    #[arg(long = "bug", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// Clients, each with a script of operations
    #[arg(long, default_value_t = 3)]
    clients: usize,
    /// Operations per client
    #[arg(long, default_value_t = 4)]
    ops: usize,
    /// Events the fault-free phase may take before liveness counts as broken
    #[arg(long, default_value_t = 2000)]
    quiet_bound: usize,
    /// A crash keeps unsynced writes (only the ack-before-sync bug leaves any)
    #[arg(long)]
    keep_unsynced: bool,
    /// Run every seed twice and compare trace hashes
    #[arg(long)]
    check_determinism: bool,
    /// Where to write the scenario of a failing run
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
    /// Keep going after a failure (report every failing seed)
    #[arg(long)]
    keep_going: bool,
}

fn parse_faults(s: &str) -> Result<Faults, String> {
    Faults::parse(s)
}

fn parse_bug(s: &str) -> Result<Bug, String> {
    s.parse::<Bug>().map_err(|e| e.to_string())
}

pub fn run(args: SimArgs) -> u8 {
    let opts = SimOptions {
        nodes: args.nodes,
        steps: args.steps,
        faults: args.faults,
        bugs: args.bugs.iter().copied().collect::<BugSet>(),
        clients: args.clients,
        ops_per_client: args.ops,
        quiet_bound: args.quiet_bound,
        crash_mode: if args.keep_unsynced {
            CrashMode::KeepUnsynced
        } else {
            CrashMode::LoseUnsynced
        },
    };
    let start = Instant::now();
    let mut events = 0u64;
    let mut failures = 0u64;
    let mut runs_done = 0u64;
    for i in 0..args.runs {
        let seed = args.seed.wrapping_add(i);
        let result = match run_one(&opts, seed) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("verraft sim: seed {seed}: {e}");
                return 2;
            }
        };
        events += result.scenario.steps.len() as u64;
        runs_done += 1;
        if args.check_determinism {
            let again = run_one(&opts, seed).map(|r| r.trace_hash);
            if again != Ok(result.trace_hash) {
                eprintln!("verraft sim: seed {seed} is not deterministic: trace hash {:016x} then {again:?}", result.trace_hash);
                return 1;
            }
        }
        if let Some(v) = &result.violation {
            failures += 1;
            let mut scenario = result.scenario.clone();
            scenario.notes = vec![
                format!(
                    "found by: verraft sim --seed {seed} --runs 1 --steps {} --nodes {}{}",
                    args.steps,
                    args.nodes,
                    bug_flags(&args.bugs)
                ),
                format!("violates: {}: {}", v.invariant, v.summary),
            ];
            let path = args.out_dir.join(format!("sim-{seed}.scn"));
            match std::fs::write(&path, scenario.to_text()) {
                Ok(()) => {}
                Err(e) => {
                    eprintln!("verraft sim: cannot write {}: {e}", path.display());
                    return 2;
                }
            }
            println!("FAIL seed {seed}: {v}");
            println!(
                "  {} events; reproduce: verraft replay {}",
                scenario.steps.len(),
                path.display()
            );
            if !args.keep_going {
                break;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let runs = if failures > 0 && !args.keep_going {
        "stopped at the first failure; ".to_string()
    } else {
        String::new()
    };
    println!(
        "{runs}{runs_done} runs, {failures} failed, {events} events in {secs:.2} s: {:.0} runs/s, {:.0} events/s{}",
        runs_done as f64 / secs,
        events as f64 / secs,
        if args.check_determinism { " (each run twice: deterministic)" } else { "" }
    );
    u8::from(failures > 0)
}

fn bug_flags(bugs: &[Bug]) -> String {
    bugs.iter().map(|b| format!(" --bug {b}")).collect()
}
