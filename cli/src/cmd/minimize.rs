//! `verraft minimize FILE [-o OUT]`: shrink a failing scenario to a short one that breaks the
//! same invariant (the algorithm is `verraft_sim::minimize`). With `--from-fuzz`, FILE is a
//! crash input of the `schedule` fuzz target, decoded first (under the same
//! `VERRAFT_FUZZ_BUGS` / `VERRAFT_FUZZ_NODES` the fuzzer ran with).
use clap::Args;
use std::path::PathBuf;
use verraft_sim::minimize::{minimize, MinimizeOptions};
use verraft_sim::scenario::{self, Scenario};

#[derive(Args)]
pub struct MinimizeArgs {
    /// The failing scenario file (or, with --from-fuzz, a fuzz crash input)
    file: PathBuf,
    /// Write the shrunk scenario here (default: standard output)
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// FILE is a crash input of the `schedule` fuzz target, not a scenario file
    #[arg(long)]
    from_fuzz: bool,
    /// Most candidate replays to run before settling for the best found so far
    #[arg(long, default_value_t = MinimizeOptions::default().max_replays)]
    max_replays: usize,
}

/// Exit codes: 0 minimized, 2 bad input (unreadable, malformed, or not failing).
pub fn run(args: MinimizeArgs) -> u8 {
    let path = args.file.display().to_string();
    let scenario = match load(&args, &path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("verraft minimize: {e}");
            return 2;
        }
    };
    let opts = MinimizeOptions {
        max_replays: args.max_replays,
        ..MinimizeOptions::default()
    };
    let m = match minimize(&scenario, &opts) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("verraft minimize: {path}: {e}");
            return 2;
        }
    };
    let mut out = m.scenario;
    out.notes.push(format!(
        "minimized by verraft minimize from {} to {} events",
        m.before, m.after
    ));
    let text = out.to_text();
    match &args.output {
        Some(file) => {
            if let Err(e) = std::fs::write(file, &text) {
                eprintln!("verraft minimize: {}: {e}", file.display());
                return 2;
            }
        }
        None => print!("{text}"),
    }
    eprintln!(
        "minimized {path}: {} -> {} events, still breaks {} ({} replays)",
        m.before, m.after, m.invariant, m.replays
    );
    0
}

fn load(args: &MinimizeArgs, path: &str) -> Result<Scenario, String> {
    if args.from_fuzz {
        let bytes = std::fs::read(&args.file).map_err(|e| format!("{path}: {e}"))?;
        return verraft_harness::decode_schedule_env(&bytes).map_err(|e| format!("{path}: {e}"));
    }
    let text = std::fs::read_to_string(&args.file).map_err(|e| format!("{path}: {e}"))?;
    scenario::parse(&text).map_err(|e| format!("{path}:{}: {}", e.line, e.message))
}
