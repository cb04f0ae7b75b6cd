//! `verraft lincheck`: check client histories for linearizability. Parsing, checking and
//! rendering live in verraft-checker; this module reads arguments and files and prints.
use clap::Args;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use verraft_checker::report::{check_parsed, details, format_duration, summary_line, ModelChoice};
use verraft_checker::{
    html, parse_history, CheckOptions, CheckResult, Format, ParsedHistory, Verdict,
};

/// Exit codes: 0 every history linearizable, 1 some history is not, 3 some verdict unknown
/// (timeout or memory limit), 2 bad input (takes precedence).
#[derive(Args, Debug)]
pub struct LincheckArgs {
    /// History files to check
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Input format: auto, json, porcupine-kv or jepsen-etcd
    #[arg(long, default_value = "auto")]
    format: Format,
    /// Model: register (default for jepsen-etcd) or kv (default for porcupine-kv)
    #[arg(long)]
    model: Option<ModelChoice>,
    /// Give up on a history after SECS seconds: its verdict is unknown
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// Write an HTML report to OUT (a directory when several files are given)
    #[arg(long, value_name = "OUT")]
    html: Option<PathBuf>,
    /// Repeat each check and print per-file median times and the total
    #[arg(long)]
    bench: bool,
    /// Repetitions per file with --bench
    #[arg(long, default_value_t = 7, value_name = "N")]
    repeat: usize,
    /// Worker threads for independent parts (0: one per core)
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// Check each history as one part instead of splitting it per key
    #[arg(long)]
    no_partition: bool,
    /// Stop at the first part that is not linearizable (the rest become unknown)
    #[arg(long)]
    stop_early: bool,
    /// Explain each part that is not linearizable
    #[arg(long, short)]
    explain: bool,
    /// Memory budget per part in MiB for the search's memo; past it the verdict is unknown
    #[arg(long, default_value_t = 4096, value_name = "MIB")]
    max_memory: usize,
}

/// Prints to stdout, ignoring a closed pipe (`lincheck ... | head` must not panic).
fn say(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn html_path(out: &Path, file: &Path, several: bool) -> PathBuf {
    if several {
        let stem = file
            .file_name()
            .map_or_else(|| "history".into(), |s| s.to_string_lossy().into_owned());
        out.join(format!("{stem}.html"))
    } else {
        out.to_path_buf()
    }
}

pub fn run(args: LincheckArgs) -> u8 {
    let timeout = match args.timeout {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            eprintln!("lincheck: --timeout must be a non-negative number of seconds");
            return 2;
        }
        t => t.map(Duration::from_secs_f64),
    };
    let options = CheckOptions {
        timeout,
        memory_limit: Some(args.max_memory.saturating_mul(1 << 20)),
        threads: args.threads,
        partition: !args.no_partition,
        stop_at_first_failure: args.stop_early,
    };
    let several = args.files.len() > 1;
    if let (Some(out), true) = (&args.html, several) {
        if let Err(e) = std::fs::create_dir_all(out) {
            eprintln!("lincheck: cannot create {}: {e}", out.display());
            return 2;
        }
    }
    let (mut bad_input, mut not_lin, mut unknown) = (false, false, false);
    let mut total = Duration::ZERO;
    for file in &args.files {
        let name = file.display().to_string();
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                bad_input = true;
                continue;
            }
        };
        let history = match parse_history(&bytes, args.format) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("{name}: bad input: {e}");
                bad_input = true;
                continue;
            }
        };
        let runs = if args.bench { args.repeat.max(1) } else { 1 };
        let mut times = Vec::with_capacity(runs);
        let mut last: Option<CheckResult> = None;
        for _ in 0..runs {
            let start = Instant::now();
            match check_parsed(&history, args.model, &options) {
                Ok(r) => last = Some(r),
                Err(e) => {
                    eprintln!("{name}: bad input: {e}");
                    break;
                }
            }
            times.push(start.elapsed());
        }
        let Some(result) = last else {
            bad_input = true;
            continue;
        };
        let time = median(times);
        total += time;
        let line = summary_line(&name, history.len(), &result, time);
        if args.bench {
            say(&format!("{line} (median of {runs})\n"));
        } else {
            say(&format!("{line}\n"));
        }
        if args.explain {
            say(&details(&result));
        }
        match result.verdict {
            Verdict::Linearizable => {}
            Verdict::NotLinearizable => not_lin = true,
            Verdict::Unknown => unknown = true,
        }
        if let Some(out) = &args.html {
            if let Err(code) = write_html(out, file, several, &history, &result, &name) {
                return code;
            }
        }
    }
    if args.bench {
        say(&format!(
            "total: {} over {} files\n",
            format_duration(total),
            args.files.len()
        ));
    }
    if bad_input {
        2
    } else if not_lin {
        1
    } else if unknown {
        3
    } else {
        0
    }
}

fn write_html(
    out: &Path,
    file: &Path,
    several: bool,
    history: &ParsedHistory,
    result: &CheckResult,
    name: &str,
) -> Result<(), u8> {
    let path = html_path(out, file, several);
    std::fs::write(&path, html::render(history, result, name)).map_err(|e| {
        eprintln!("lincheck: cannot write {}: {e}", path.display());
        2
    })
}
