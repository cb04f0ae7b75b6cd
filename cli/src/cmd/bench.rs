//! `verraft bench`: throughput and latency percentiles of the key-value service, fsync on.
//! The work is in `verraft_server::bench`; this module reads arguments, shows a progress
//! bar and prints.
use clap::Args;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};
use verraft_server::bench::{self, BenchOptions, BenchReport, Cluster};

const AFTER_HELP: &str = "\
Every write is fsynced on the leader and on a majority before it is acknowledged: verraft \
has no setting that turns this off, and the benchmark measures with it on. Each client is \
one connection to the leader that keeps --pipeline commands in flight; a write's latency \
runs from the send of its pipeline to its answer.

Ctrl-C stops the benchmark and prints what it measured (exit 3).

Exit codes: 0 measured; 1 operations were answered with errors; 2 bad arguments or no \
cluster; 3 interrupted.";

#[derive(Args)]
#[command(after_help = AFTER_HELP)]
pub struct BenchArgs {
    /// Connections to the leader
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
    clients: u64,
    /// Operations in all
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    ops: u64,
    /// Bytes of each value written (at most 65,536)
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    value_size: u64,
    /// The share of reads, 0 to 1 (the rest are writes)
    #[arg(long, default_value_t = 0.0, value_parser = parse_ratio)]
    read_ratio: f64,
    /// Commands each connection keeps in flight
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pipeline: u64,
    /// Keys drawn from
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    keys: u64,
    /// A running cluster's client address (any node) instead of a local 3-node cluster
    #[arg(long, value_name = "ADDR")]
    connect: Option<String>,
}

fn parse_ratio(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("{s:?}: expected a number from 0 to 1")),
    }
}

pub fn run(args: BenchArgs) -> u8 {
    let cluster = match &args.connect {
        Some(addr) => Cluster::Connect(addr.clone()),
        None => match std::env::current_exe() {
            Ok(exe) => Cluster::Local {
                exe,
                dir: std::env::temp_dir().join(format!("verraft-bench-{}", std::process::id())),
                nodes: 3,
            },
            Err(e) => {
                eprintln!("verraft bench: cannot find the verraft binary: {e}");
                return 2;
            }
        },
    };
    let opts = BenchOptions {
        cluster,
        clients: args.clients as usize,
        ops: args.ops,
        value_size: args.value_size as usize,
        read_ratio: args.read_ratio,
        pipeline: args.pipeline as usize,
        keys: args.keys,
    };
    println!(
        "verraft bench: {}, fsync on (every write fsynced on the leader and a majority before it is acknowledged); {} clients, pipeline {}, {} ops, {}-byte values, {:.0}% reads",
        match &args.connect {
            Some(addr) => format!("the cluster at {addr}"),
            None => "a local 3-node cluster (release build, data in a temporary directory)".into(),
        },
        args.clients,
        args.pipeline,
        args.ops,
        args.value_size,
        args.read_ratio * 100.0
    );
    let interrupt = crate::interrupt::flag();
    let bar = progress_bar(args.ops);
    let mut last_line = Instant::now();
    let started = Instant::now();
    let mut on_progress = |done: u64| match &bar {
        Some(bar) => bar.set_position(done),
        None if last_line.elapsed() >= Duration::from_secs(5) => {
            last_line = Instant::now();
            eprintln!(
                "verraft bench: {:.0} s  {done} of {} ops",
                started.elapsed().as_secs_f64(),
                args.ops
            );
        }
        None => {}
    };
    let result = bench::run(&opts, interrupt, &mut on_progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("verraft bench: {e}");
            return 2;
        }
    };
    print_report(&report);
    if report.errors > 0 {
        1
    } else if report.interrupted {
        3
    } else {
        0
    }
}

fn progress_bar(total: u64) -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} ops  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    })
}

fn ms(micros: u64) -> String {
    format!("{:.2} ms", micros as f64 / 1000.0)
}

fn latency_row(name: &str, h: &Histogram<u64>) -> Option<String> {
    (!h.is_empty()).then(|| {
        format!(
            "{name:<8} {:>9} {:>10} {:>10} {:>10} {:>10}",
            h.len(),
            ms(h.value_at_quantile(0.50)),
            ms(h.value_at_quantile(0.99)),
            ms(h.value_at_quantile(0.999)),
            ms(h.max())
        )
    })
}

fn print_report(r: &BenchReport) {
    println!(
        "{}throughput: {:.0} ops/s ({} ops in {:.2} s against the leader at {}; {} errors)",
        if r.interrupted {
            "STOPPED EARLY (interrupted): "
        } else {
            ""
        },
        r.throughput(),
        r.done,
        r.elapsed.as_secs_f64(),
        r.leader,
        r.errors
    );
    if let Some(e) = &r.first_error {
        println!("first error: {e}");
    }
    println!(
        "{:<8} {:>9} {:>10} {:>10} {:>10} {:>10}",
        "latency", "ops", "p50", "p99", "p999", "max"
    );
    for row in [
        latency_row("writes", &r.writes),
        latency_row("reads", &r.reads),
    ]
    .into_iter()
    .flatten()
    {
        println!("{row}");
    }
}
