//! Writes a generated register history (see `verraft_checker::generate`) to stdout in
//! verraft's JSON format, one operation per line:
//!
//! ```sh
//! cargo run --release -p verraft-checker --example gen_register -- \
//!     --ops 2000 --clients 50 --unknown 2 --fault stale --seed 3 > history.json
//! ```
//!
//! Options (all optional): `--ops N` (2000), `--clients N` running at once (10), `--reads
//! PCT` of operations that are reads (50), `--unknown PCT` of outcomes unknown (2),
//! `--fault stale|future|flip-flop` (none: linearizable), `--seed N` (1). The same options
//! make the same file. Exit code 2 on bad options.
use std::io::Write as _;
use verraft_checker::generate::{register_history, Workload};
use verraft_checker::parse::json::to_json;
use verraft_checker::ParsedHistory;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let generated = Workload::from_args(&args).and_then(|w| register_history(&w));
    match generated {
        Ok(g) => {
            let text = to_json(&ParsedHistory::Register(g.history));
            // A closed pipe is not worth a panic.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_register: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
