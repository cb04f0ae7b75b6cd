//! `verraft nemesis`: a local cluster of real node processes under a seeded schedule of
//! faults while clients run, the history judged for linearizability. The work is in
//! `verraft_server::nemesis`; this module reads arguments, shows progress and prints.
use crate::cmd::check::parse_seconds;
use crate::cmd::node::parse_bug;
use crate::progress::{thousands, Progress};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use verraft_checker::report::format_duration;
use verraft_checker::Verdict;
use verraft_core::Bug;
use verraft_server::nemesis::schedule::FaultSet;
use verraft_server::nemesis::{self, Event, NemesisOptions, Report};

const AFTER_HELP: &str = "\
Faults (--faults, comma-separated): kill (SIGKILL nodes — the leader, one, a majority or all — \
and restart them from disk), pause (SIGSTOP and SIGCONT), partition (links between nodes cut \
one way or both, through proxies this process runs between the nodes), clock (a node's \
timers run at 0.25x to 4x real time from then on, set through a control command the \
nemesis's nodes obey: a process's clock cannot be skewed from outside without root, and Raft \
compares no timestamps, so the rate of its timers is all of a clock a node sees). The seed fixes the schedule: which fault \
when, for how long, and which of the candidate nodes it hits.

Clients bound to a home node each (requests start there and follow redirects) run gets, \
puts, compare-and-sets and appends in sessions; an operation that gets no answer within 3 s \
is recorded with an unknown outcome. After the schedule every fault is healed, every node \
restarted, and every key read back; the history is judged by verraft's linearizability \
checker (key-value model, one part per key), and every acknowledged append must be in its \
key's final value exactly once.

On a failure the run's directory is kept: history.json (verraft lincheck reads it), \
history.html (the checker's view), faults.txt, and every node's log.

Ctrl-C stops the faults, heals, and judges what was recorded (exit 3 unless that already \
fails); a second Ctrl-C quits at once (the nodes die with this process).

Exit codes: 0 linearizable and nothing lost; 1 a violation (not linearizable, a lost or \
doubled write, a node that exited on its own, keys not readable after healing); 2 bad \
arguments, or the cluster could not be started; 3 interrupted, or the checker ran out of time.";

#[derive(Args)]
#[command(after_help = AFTER_HELP)]
pub struct NemesisArgs {
    /// Cluster size: 3 or 5
    #[arg(long, default_value_t = 3, value_parser = parse_nodes)]
    nodes: u8,
    /// Seconds of faults (the final phase — heal, restart, read back, check — comes after)
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    duration: Duration,
    /// Seeds the fault schedule and the clients' choices
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Faults to inject: a list of kill, pause, partition, clock (or all, none)
    #[arg(long, default_value = "all", value_parser = FaultSet::parse)]
    faults: FaultSet,
    /// Switch on a seeded bug in every node (repeatable): ack-before-sync, local-read, ...
    #[arg(long = "bug", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// Client threads
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=64))]
    clients: u64,
    /// Operations per second, all clients together
    #[arg(long, default_value_t = 200.0, value_parser = parse_rate)]
    rate: f64,
    /// Where the run's directory (nemesis-SEED-PID) is made; kept there on a failure
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
    /// Keep the run's directory after a clean run too
    #[arg(long)]
    keep: bool,
    /// Time the linearizability checker may take
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = parse_seconds)]
    check_timeout: Duration,
}

fn parse_nodes(s: &str) -> Result<u8, String> {
    match s {
        "3" => Ok(3),
        "5" => Ok(5),
        _ => Err(format!("{s:?}: the nemesis runs 3 or 5 nodes")),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 100_000.0 => Ok(r),
        _ => Err(format!(
            "{s:?}: expected operations per second, more than 0"
        )),
    }
}

/// The command that runs exactly this schedule again.
fn reproduce(args: &NemesisArgs) -> String {
    let names = args.faults.names();
    let mut cmd = format!(
        "verraft nemesis --nodes {} --duration {} --seed {} --faults {} --clients {} --rate {}",
        args.nodes,
        args.duration.as_secs_f64(),
        args.seed,
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(",")
        },
        args.clients,
        args.rate
    );
    for b in &args.bugs {
        cmd += &format!(" --bug {b}");
    }
    cmd
}

pub fn run(args: NemesisArgs) -> u8 {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("verraft nemesis: cannot find the verraft binary: {e}");
            return 2;
        }
    };
    if !args.out_dir.is_dir() {
        eprintln!(
            "verraft nemesis: --out-dir {}: not a directory",
            args.out_dir.display()
        );
        return 2;
    }
    let opts = NemesisOptions {
        exe,
        dir: args
            .out_dir
            .join(format!("nemesis-{}-{}", args.seed, std::process::id())),
        nodes: args.nodes,
        duration: args.duration,
        seed: args.seed,
        faults: args.faults,
        bugs: args.bugs.clone(),
        clients: args.clients as usize,
        rate: args.rate,
        check_timeout: args.check_timeout,
        keep: args.keep,
    };
    let names = args.faults.names();
    println!(
        "verraft nemesis: {} nodes, {} s of faults ({}), seed {}, {} clients at {} ops/s{}",
        args.nodes,
        args.duration.as_secs_f64(),
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(",")
        },
        args.seed,
        args.clients,
        args.rate,
        if args.bugs.is_empty() {
            String::new()
        } else {
            let b: Vec<String> = args.bugs.iter().map(|b| b.to_string()).collect();
            format!(", SEEDED BUGS: {}", b.join(","))
        }
    );
    let interrupt = crate::interrupt::flag();
    let mut progress = Progress::new("verraft nemesis");
    let mut on_event = |event: Event<'_>| match event {
        Event::Status(s) => progress.update(|| {
            format!(
                "{}: {} ops answered, {} unknown, {} refused; {} faults{}",
                s.phase,
                thousands(s.ok),
                thousands(s.unknown),
                thousands(s.refused),
                s.faults,
                s.current
                    .as_ref()
                    .map(|c| format!(" (now: {c})"))
                    .unwrap_or_default()
            )
        }),
        Event::Line(line) => progress.println(&line),
    };
    let result = nemesis::run(&opts, &interrupt, &mut on_event);
    progress.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("verraft nemesis: {e}");
            return 2;
        }
    };
    print_report(&report);
    if report.failed() {
        println!("FAIL in {:.1} s", report.elapsed.as_secs_f64());
        println!("reproduce: {}", reproduce(&args));
        1
    } else if report.interrupted || report.check.verdict == Verdict::Unknown {
        println!(
            "STOPPED EARLY ({}) in {:.1} s: no violation in what was recorded",
            if report.interrupted {
                "interrupted"
            } else {
                "the checker ran out of time"
            },
            report.elapsed.as_secs_f64()
        );
        3
    } else {
        println!("PASS in {:.1} s", report.elapsed.as_secs_f64());
        0
    }
}

fn print_report(r: &Report) {
    println!(
        "operations: {} ({} answered, {} unknown; {} refused and left out) on {} keys; final reads: {} of {} answered",
        thousands(r.operations as u64),
        thousands(r.ok),
        thousands(r.unknown),
        thousands(r.refused),
        r.keys,
        r.final_answered,
        r.keys
    );
    let kinds: Vec<String> = r
        .faults_by_kind()
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!(
        "faults injected: {}{}",
        r.faults.len(),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        }
    );
    for (id, status) in &r.exited {
        println!("node n{id} exited on its own ({status})");
    }
    let parts = r.check.parts.len();
    println!(
        "checker: {} ({parts} keys, {})",
        r.check.verdict,
        format_duration(r.check.elapsed)
    );
    if let Some((part, explanation)) = r.violation() {
        println!("not linearizable: {part}");
        for line in explanation.lines().take(12) {
            println!("  {line}");
        }
    }
    for a in r.anomalies.iter().take(10) {
        println!("{a}");
    }
    if r.anomalies.len() > 10 {
        println!("... and {} more", r.anomalies.len() - 10);
    }
    if let Some(k) = &r.kept {
        println!("kept in {}:", k.dir.display());
        println!(
            "  {}  (verraft lincheck {})",
            k.history.display(),
            k.history.display()
        );
        println!("  {}", k.html.display());
        println!("  {}", k.faults.display());
        for log in &k.logs {
            println!("  {}", log.display());
        }
    }
}
