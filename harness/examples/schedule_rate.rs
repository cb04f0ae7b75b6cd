//! Runs the schedule target's check over seeded pseudo-random inputs of a fixed length and
//! prints schedules per second: a quick stable-toolchain estimate of what libFuzzer's
//! `exec/s` will be, and a hunt for crashes without nightly.
//!
//! `cargo run --release -p verraft-harness --example schedule_rate -- [INPUTS] [LEN] [SEED]`
//! runs random inputs; `... -- DIR [REPEATS]` replays the files of a corpus directory
//! (REPEATS times, 20 by default), which is closer to what libFuzzer runs once its corpus
//! has grown. Honours VERRAFT_FUZZ_BUGS and VERRAFT_FUZZ_NODES like the fuzz target.
use std::time::Instant;
use verraft_harness::{schedule, FuzzOptions};

fn main() -> std::process::ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if let Some(dir) = raw.first().filter(|a| std::path::Path::new(a).is_dir()) {
        let repeats = raw.get(1).and_then(|r| r.parse().ok()).unwrap_or(20);
        return replay_corpus(dir, repeats);
    }
    let args: Vec<u64> = raw.iter().map(|a| a.parse().unwrap_or(0)).collect();
    let inputs = args.first().copied().unwrap_or(20_000);
    let len = args.get(1).copied().unwrap_or(260) as usize;
    let mut x = args.get(2).copied().unwrap_or(1).max(1);
    let opts = match FuzzOptions::from_env() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut bytes = vec![0u8; len];
    let (mut events, mut failures) = (0usize, 0usize);
    let start = Instant::now();
    for _ in 0..inputs {
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        events += len;
        match schedule::check(&bytes, &opts) {
            Ok(Ok(())) => {}
            Ok(Err(f)) => {
                failures += 1;
                if failures == 1 {
                    println!("first failure:\n{f}");
                }
            }
            Err(e) => {
                eprintln!("harness error: {e}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{inputs} inputs of {len} bytes in {secs:.2}s: {:.0} schedules/s, {failures} failing, ~{:.0} bytes/s",
        inputs as f64 / secs,
        events as f64 / secs
    );
    std::process::ExitCode::SUCCESS
}

/// Run every file of `dir` `repeats` times and print schedules per second.
fn replay_corpus(dir: &str, repeats: usize) -> std::process::ExitCode {
    let opts = match FuzzOptions::from_env() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut inputs = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!("cannot read {dir}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    for entry in entries.flatten() {
        match std::fs::read(entry.path()) {
            Ok(bytes) => inputs.push(bytes),
            Err(e) => {
                eprintln!("cannot read {}: {e}", entry.path().display());
                return std::process::ExitCode::from(2);
            }
        }
    }
    // Directory order is the file system's: sort so that two runs replay the same sequence.
    inputs.sort();
    let bytes: usize = inputs.iter().map(Vec::len).sum();
    let start = Instant::now();
    let mut failures = 0usize;
    for _ in 0..repeats {
        for input in &inputs {
            match schedule::check(input, &opts) {
                Ok(Ok(())) => {}
                Ok(Err(_)) => failures += 1,
                Err(e) => {
                    eprintln!("harness error: {e}");
                    return std::process::ExitCode::from(2);
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let runs = inputs.len() * repeats;
    println!(
        "{} files ({bytes} bytes) x {repeats} in {secs:.2}s: {:.0} schedules/s, {failures} failing",
        inputs.len(),
        runs as f64 / secs
    );
    std::process::ExitCode::SUCCESS
}
