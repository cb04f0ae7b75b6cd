//! Turn a crash input of the `schedule` fuzz target into a regression file: decode it (under
//! the same `VERRAFT_FUZZ_BUGS` / `VERRAFT_FUZZ_NODES` the fuzzer ran with), minimize it, and
//! write it with a first line saying what found it.
//!
//! `VERRAFT_FUZZ_BUGS=vote-count cargo run -p verraft-harness --example regression_from_fuzz -- ARTIFACT OUT.scn`
use std::process::ExitCode;
use verraft_harness::{decode_schedule_env, regression};
use verraft_sim::minimize::{minimize, MinimizeOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [artifact, out] = args.as_slice() else {
        eprintln!("usage: regression_from_fuzz ARTIFACT OUT.scn");
        return ExitCode::from(2);
    };
    match run(artifact, out) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("regression_from_fuzz: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(artifact: &str, out: &str) -> Result<String, String> {
    let bytes = std::fs::read(artifact).map_err(|e| format!("{artifact}: {e}"))?;
    let scenario = decode_schedule_env(&bytes)?;
    let m = minimize(&scenario, &MinimizeOptions::default()).map_err(|e| e.to_string())?;
    let bugs: Vec<&str> = scenario.config.bugs.iter().map(|b| b.name()).collect();
    let found_by = format!(
        "found by fuzz target schedule, bug {}, minimized from {} to {} events",
        if bugs.is_empty() {
            "none".to_string()
        } else {
            bugs.join(",")
        },
        m.before,
        m.after
    );
    let text = regression::file_text(&m.scenario, &found_by);
    regression::check(&text)?;
    std::fs::write(out, &text).map_err(|e| format!("{out}: {e}"))?;
    Ok(format!("{out}: {found_by} ({})", m.invariant))
}
