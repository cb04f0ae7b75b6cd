//! `verraft replay FILE`: re-run a scenario step by step.
use clap::Args;
use std::path::PathBuf;
use verraft_harness::options::{FuzzOptions, ENV_BUGS, ENV_FEATURES, ENV_NODES};
use verraft_harness::schedule::decode_schedule;
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario::{self, Scenario};

#[derive(Args)]
pub struct ReplayArgs {
    /// The scenario file to re-run (with --from-fuzz: a fuzz input of target `schedule`)
    file: PathBuf,
    /// FILE is a fuzz crash input (cargo fuzz artifact): decode it into its scenario first
    #[arg(long)]
    from_fuzz: bool,
    /// With --from-fuzz: the seeded bugs the fuzz run forced (default: $VERRAFT_FUZZ_BUGS)
    #[arg(long = "bug", requires = "from_fuzz")]
    bugs: Vec<String>,
    /// With --from-fuzz: the cluster size the fuzz run forced (default: $VERRAFT_FUZZ_NODES)
    #[arg(long, requires = "from_fuzz")]
    nodes: Option<String>,
    /// With --from-fuzz: the features the fuzz run forced (default: $VERRAFT_FUZZ_FEATURES)
    #[arg(long, requires = "from_fuzz")]
    features: Option<String>,
    /// With --from-fuzz: also write the decoded scenario to this file
    #[arg(long, short, requires = "from_fuzz")]
    out: Option<PathBuf>,
    /// Also draw the run as a self-contained HTML page (message-sequence chart, node states)
    #[arg(long, value_name = "OUT")]
    html: Option<PathBuf>,
    /// Print only the outcome, not one line per event
    #[arg(long, short)]
    quiet: bool,
}

/// Exit codes: 0 the scenario ran clean as its `expect` line says, 1 it broke an invariant or
/// did not do what its `expect` line says, 2 bad input (unreadable or malformed file, or an
/// event that is not possible in its world).
pub fn run(args: ReplayArgs) -> u8 {
    if args.from_fuzz {
        return from_fuzz(&args);
    }
    let path = args.file.display().to_string();
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("verraft replay: {path}: {e}");
            return 2;
        }
    };
    let scenario = match scenario::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("verraft replay: {path}:{}: {}", e.line, e.message);
            return 2;
        }
    };
    if let Some(code) = draw(&scenario, &path, args.html.as_ref()) {
        return code;
    }
    run_scenario(&scenario, &path, Some(&text), args.quiet)
}

/// Write the HTML drawing when asked; `Some(exit code)` when that failed.
fn draw(scenario: &Scenario, name: &str, out: Option<&PathBuf>) -> Option<u8> {
    let out = out?;
    let html = match verraft_sim::draw::scenario_html(scenario, name) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("verraft replay: {name}: {e}");
            return Some(2);
        }
    };
    if let Err(e) = std::fs::write(out, html) {
        eprintln!("verraft replay: cannot write {}: {e}", out.display());
        return Some(2);
    }
    println!("drawing written to {}", out.display());
    None
}

/// Decode a fuzz input exactly as the `schedule` target did, then replay the scenario.
fn from_fuzz(args: &ReplayArgs) -> u8 {
    let path = args.file.display().to_string();
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("verraft replay: {path}: {e}");
            return 2;
        }
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let bugs = if args.bugs.is_empty() {
        env(ENV_BUGS)
    } else {
        Some(args.bugs.join(","))
    };
    let nodes = args.nodes.clone().or_else(|| env(ENV_NODES));
    let features = args.features.clone().or_else(|| env(ENV_FEATURES));
    let opts =
        match FuzzOptions::from_values(bugs.as_deref(), nodes.as_deref(), features.as_deref()) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("verraft replay: {e}");
                return 2;
            }
        };
    let scenario = match decode_schedule(&bytes, &opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("verraft replay: {path}: {e}");
            return 2;
        }
    };
    if let Some(out) = &args.out {
        if let Err(e) = std::fs::write(out, scenario.to_text()) {
            eprintln!("verraft replay: cannot write {}: {e}", out.display());
            return 2;
        }
        println!("scenario written to {}", out.display());
    }
    if let Some(code) = draw(&scenario, &path, args.html.as_ref()) {
        return code;
    }
    run_scenario(&scenario, &path, None, args.quiet)
}

/// Replay and print; shared with the other commands that end in a scenario. After a clean
/// run the client history is judged (linearizability is a property of the whole run), and
/// the outcome is compared with the file's `expect` line: a scenario that no longer does
/// what it says is a failure too.
pub fn run_scenario(scenario: &Scenario, name: &str, source: Option<&str>, quiet: bool) -> u8 {
    let result = match replay(scenario) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("verraft replay: {name}: {e}");
            return 2;
        }
    };
    if !quiet {
        for line in &result.lines {
            println!("{line}");
        }
    }
    let broken = match result.outcome {
        Outcome::Clean => match result.world.check_history() {
            Ok(()) => {
                println!(
                    "CLEAN  {} events, no invariant broken{}",
                    scenario.steps.len(),
                    if result.world.history.is_empty() {
                        ""
                    } else {
                        ", the client history is linearizable"
                    }
                );
                None
            }
            Err(violation) => {
                println!("VIOLATION after the last step  {violation}");
                Some(violation.invariant)
            }
        },
        Outcome::Violation { step, violation } => {
            println!("VIOLATION at step {step}  {violation}");
            Some(violation.invariant)
        }
        Outcome::Invalid { step, error } => {
            // Point at the file line of the offending event for the person editing it.
            let line = source
                .and_then(|t| event_line(t, step))
                .map_or(String::new(), |l| format!(":{l}"));
            eprintln!(
                "verraft replay: {name}{line}: step {step} ({}): {error}",
                scenario.steps[step - 1].event
            );
            return 2;
        }
    };
    match (scenario.expect, broken) {
        (Some(expected), Some(got)) if expected != got => {
            println!(
                "EXPECTATION NOT MET: the file expects {expected}, but the replay broke {got}"
            );
            1
        }
        (Some(expected), None) => {
            println!("EXPECTATION NOT MET: the file expects {expected}, but the replay ran clean");
            1
        }
        (_, Some(_)) => 1,
        (_, None) => 0,
    }
}

/// The file line (1-based) of the `step`-th event: event lines are the non-blank lines that
/// are neither comments nor header lines.
fn event_line(text: &str, step: usize) -> Option<usize> {
    const HEADER: [&str; 12] = [
        "nodes",
        "bugs",
        "faults",
        "crash-mode",
        "max-append",
        "limits",
        "seed",
        "quiet-phase",
        "auxiliary",
        "features",
        "client",
        "expect",
    ];
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let body = l.split('#').next().unwrap_or("").trim();
            let word = body.split_whitespace().next().unwrap_or("");
            !body.is_empty() && !HEADER.contains(&word)
        })
        .nth(step - 1)
        .map(|(i, _)| i + 1)
}
