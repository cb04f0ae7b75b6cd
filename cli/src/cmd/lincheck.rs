//! `verraft lincheck`: check client histories for linearizability. Parsing, checking and
//! rendering live in verraft-checker; this module reads arguments and files, shows progress,
//! handles Ctrl-C and prints.
use clap::Args;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use verraft_checker::report::{
    check_parsed, details, format_duration, methods_line, parts_by_standing, summary_line,
    ModelChoice, Standing,
};
use verraft_checker::{
    html, parse_history, CheckOptions, CheckResult, Format, Monitor, ParsedHistory, Verdict,
};

const AFTER_HELP: &str = "\
By default a history's check stops as soon as its verdict is settled: one part (key) that is \
not linearizable makes the whole history not linearizable, and the parts not yet decided are \
reported as not checked (--all-parts judges them all).

Ctrl-C stops the check and prints what was decided so far (which parts are linearizable, \
which not, which unknown); a second Ctrl-C quits at once (exit 130).

Exit codes: 0 every history linearizable; 1 some history not linearizable; 2 bad input \
(arguments, a file that cannot be read or parsed, or that holds no operations), which takes \
precedence; 3 unknown: a time or memory limit, or Ctrl-C, stopped the check before a verdict.";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
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
    /// Time budget per history: past it, the parts not yet decided are unknown (exit 3).
    /// `none` for no limit
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_time_limit)]
    timeout: TimeLimit,
    /// Write an HTML report to OUT (a directory when several files are given)
    #[arg(long, value_name = "OUT")]
    html: Option<PathBuf>,
    /// Repeat each check and print per-file median times and the total
    #[arg(long)]
    bench: bool,
    /// Repetitions per file with --bench
    #[arg(long, default_value_t = 7, value_name = "N", requires = "bench",
          value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Worker threads for independent parts (0: one per core)
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// Check each history as one part instead of splitting it per key
    #[arg(long)]
    no_partition: bool,
    /// Judge every part of each history, even once one is not linearizable (by default the
    /// check stops as soon as the verdict is settled; --stop-early, which asked for that
    /// before it was the default, is still accepted)
    #[arg(long)]
    all_parts: bool,
    #[arg(long, hide = true, conflicts_with = "all_parts")]
    stop_early: bool,
    /// Explain each part that is not linearizable
    #[arg(long, short)]
    explain: bool,
    /// Search every part, even a register whose reads each name one write (which a
    /// polynomial check decides by default): to compare the two, or to measure the search
    #[arg(long)]
    search_only: bool,
    /// Memory budget in MiB for the search of one part (up to --threads parts are searched
    /// at once); past it that part is unknown
    #[arg(long, default_value_t = 4096, value_name = "MIB",
          value_parser = clap::value_parser!(u64).range(1..))]
    max_memory: u64,
}

/// A `--timeout` value: a duration, or no limit.
#[derive(Clone, Copy, Debug)]
struct TimeLimit(Option<Duration>);

fn parse_time_limit(s: &str) -> Result<TimeLimit, String> {
    if s == "none" {
        return Ok(TimeLimit(None));
    }
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("expected a number of seconds or 'none', found '{s}'"))?;
    if secs.is_nan() || secs < 0.0 {
        return Err(format!("must be 0 seconds or more, not {s}"));
    }
    // Longer than a Duration holds (about 585 billion years): no limit in practice.
    Ok(TimeLimit(Duration::try_from_secs_f64(secs).ok()))
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

/// What the files came to, for the exit code.
#[derive(Default)]
struct Tally {
    bad_input: bool,
    not_linearizable: bool,
    unknown: bool,
}

impl Tally {
    fn exit_code(&self) -> u8 {
        if self.bad_input {
            2
        } else if self.not_linearizable {
            1
        } else if self.unknown {
            3
        } else {
            0
        }
    }
}

pub fn run(args: LincheckArgs) -> u8 {
    // Ctrl-C raises the flag the whole command line shares, and the check polls it. First,
    // so that a Ctrl-C while a large file is read is caught too.
    let monitor = Arc::new(Monitor::with_interrupt_flag(crate::interrupt::flag()));
    let options = CheckOptions {
        timeout: args.timeout.0,
        memory_limit: Some(
            usize::try_from(args.max_memory.saturating_mul(1 << 20)).unwrap_or(usize::MAX),
        ),
        threads: args.threads,
        partition: !args.no_partition,
        // --stop-early asks for the default; clap refuses it together with --all-parts.
        stop_at_first_failure: args.stop_early || !args.all_parts,
        monitor: Some(monitor.clone()),
        distinct_values: !args.search_only,
    };
    let several = args.files.len() > 1;
    if let (Some(out), true) = (&args.html, several) {
        if let Err(e) = std::fs::create_dir_all(out) {
            eprintln!("lincheck: cannot create {}: {e}", out.display());
            return 2;
        }
    }
    let mut tally = Tally::default();
    let mut total = Duration::ZERO;
    for (k, file) in args.files.iter().enumerate() {
        let name = file.display().to_string();
        if monitor.is_interrupted() {
            say(&format!("{name}: not checked (interrupted)\n"));
            tally.unknown = true;
            continue;
        }
        let Some(history) = read_history(file, &name, args.format) else {
            tally.bad_input = true;
            continue;
        };
        let label = if several {
            format!("{name} ({} of {})", k + 1, args.files.len())
        } else {
            name.clone()
        };
        let runs = if args.bench { args.repeat } else { 1 };
        let mut times = Vec::new();
        let mut last: Option<CheckResult> = None;
        // One reporter for all repetitions: a thread started just before a timed check
        // would compete with it for a core.
        let shown = progress::Reporter::start(monitor.clone(), label);
        for _ in 0..runs {
            let start = Instant::now();
            let result = check_parsed(&history, args.model, &options);
            times.push(start.elapsed());
            match result {
                Ok(r) => last = Some(r),
                Err(e) => {
                    eprintln!("{name}: bad input: {e}");
                    break;
                }
            }
            if monitor.is_interrupted() {
                break;
            }
        }
        drop(shown);
        let Some(result) = last else {
            tally.bad_input = true;
            continue;
        };
        let time = median(times);
        total += time;
        report(&args, &name, history.len(), &result, time);
        match result.verdict {
            Verdict::Linearizable => {}
            Verdict::NotLinearizable => tally.not_linearizable = true,
            Verdict::Unknown => tally.unknown = true,
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
    tally.exit_code()
}

/// Reads and parses one file; on failure says why on stderr. A history with no operations
/// is refused too: it is vacuously linearizable, which is never what its author wanted to
/// learn (an empty run, or a format that read nothing it recognised).
fn read_history(file: &Path, name: &str, format: Format) -> Option<ParsedHistory> {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{name}: cannot read: {e}");
            return None;
        }
    };
    let history = match parse_history(&bytes, format) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("{name}: bad input: {e}");
            return None;
        }
    };
    if history.is_empty() {
        eprintln!(
            "{name}: warning: the file holds no operations (wrong file, or wrong --format?); \
             nothing was checked"
        );
        return None;
    }
    Some(history)
}

/// The verdict line, then for a history of several parts that is not linearizable which
/// parts stand where, and with --explain why.
fn report(
    args: &LincheckArgs,
    name: &str,
    operations: usize,
    result: &CheckResult,
    time: Duration,
) {
    let line = summary_line(name, operations, result, time);
    if args.bench {
        say(&format!("{line} (median of {})\n", args.repeat));
    } else {
        say(&format!("{line}\n"));
    }
    if args.bench || args.explain {
        say(&methods_line(result));
    }
    say(&parts_by_standing(result));
    if result
        .parts
        .iter()
        .any(|p| Standing::of(&p.outcome) == Standing::NotChecked)
    {
        say("  (the history is already not linearizable; --all-parts judges every part)\n");
    }
    if args.explain {
        say(&details(result));
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

/// Progress of one check while it runs, on stderr: on a terminal a bar of the parts decided
/// (after a second, so that quick checks do not flicker), elsewhere (CI logs, a file) one
/// plain line every few seconds, so that a long check is never silent.
mod progress {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::sync::Arc;
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};
    use verraft_checker::Monitor;

    const TICK: Duration = Duration::from_millis(100);
    const BAR_AFTER: Duration = Duration::from_secs(1);
    const PLAIN_EVERY: Duration = Duration::from_secs(5);

    /// Shows progress until dropped; dropping it clears the bar.
    pub(super) struct Reporter {
        stop: Option<mpsc::Sender<()>>,
        thread: Option<JoinHandle<()>>,
    }

    impl Reporter {
        pub(super) fn start(monitor: Arc<Monitor>, label: String) -> Reporter {
            let (stop, stopped) = mpsc::channel();
            let thread = std::thread::spawn(move || show(&monitor, &label, &stopped));
            Reporter {
                stop: Some(stop),
                thread: Some(thread),
            }
        }
    }

    impl Drop for Reporter {
        fn drop(&mut self) {
            // Closing the channel wakes the thread, which clears its bar and ends.
            self.stop.take();
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    fn show(monitor: &Monitor, label: &str, stopped: &mpsc::Receiver<()>) {
        let start = Instant::now();
        let terminal = std::io::stderr().is_terminal();
        let mut bar: Option<ProgressBar> = None;
        let mut last_line = start;
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
            let (decided, parts) = (monitor.decided() as u64, monitor.parts() as u64);
            if terminal {
                if bar.is_none() && start.elapsed() >= BAR_AFTER {
                    bar = Some(new_bar(label, start));
                }
                if let Some(bar) = &bar {
                    bar.set_length(parts);
                    bar.set_position(decided);
                }
            } else if last_line.elapsed() >= PLAIN_EVERY {
                last_line = Instant::now();
                eprintln!(
                    "lincheck: {:.0} s  {label}: {decided} of {parts} parts decided",
                    start.elapsed().as_secs_f64()
                );
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    }

    fn new_bar(label: &str, start: Instant) -> ProgressBar {
        // The bar appears late: its clock starts with the check, not with the bar.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_elapsed(start.elapsed());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {elapsed} [{bar:30}] {pos}/{len} parts decided  {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}
