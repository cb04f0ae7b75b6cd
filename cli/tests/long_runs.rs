//! Long commands are never silent and never lose what they found: progress lines off a
//! terminal, `--timeout`/`--max-states` and Ctrl-C end them with what was found so far and
//! exit 3 ("unknown") when nothing broke.
mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bounds too large to finish within a test.
const BIG: [&str; 6] = ["--max-term", "4", "--max-in-flight", "3", "--max-log", "4"];

#[test]
fn check_stops_at_its_state_limit_and_says_what_it_saw() {
    let mut args = vec!["check", "--max-states", "20000", "--threads", "1"];
    args.extend(BIG);
    let out = verraft(&args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("stopped early"), "{text}");
    assert!(
        text.contains("STOPPED EARLY: the state limit (20000 unique states) was reached"),
        "{text}"
    );
    assert!(text.contains("Election Safety: undecided"), "{text}");
}

#[test]
fn check_stops_at_its_time_limit_and_prints_progress_off_a_terminal() {
    let mut args = vec!["check", "--timeout", "6", "--threads", "1"];
    args.extend(BIG);
    let started = Instant::now();
    let out = verraft(&args);
    assert!(started.elapsed() < Duration::from_secs(60), "it stopped");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("the time limit (6.0 s) ran out"), "{text}");
    // Standard error is a pipe here, not a terminal: plain lines every few seconds.
    let progress = stderr(&out);
    assert!(
        progress
            .lines()
            .any(|l| l.starts_with("verraft check: ") && l.contains("unique states")),
        "{progress}"
    );
}

#[test]
fn a_violation_found_before_the_limit_is_still_reported() {
    let dir = temp_dir("limit-violation");
    let out_file = dir.join("cx.scn");
    let out = verraft(&[
        "check",
        "--max-term",
        "1",
        "--max-ops",
        "0",
        "--faults",
        "crash",
        "--bug",
        "no-persist-vote",
        "--max-states",
        "1000000",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(out_file.exists());
}

/// Send SIGINT to a running command, as Ctrl-C in a terminal does.
fn interrupt_after(args: &[&str], wait: Duration) -> std::process::Output {
    let child = Command::new(env!("CARGO_BIN_EXE_verraft"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(wait);
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait_with_output().unwrap()
}

#[test]
fn ctrl_c_ends_a_check_with_what_it_found_so_far() {
    let mut args = vec!["check", "--threads", "1"];
    args.extend(BIG);
    let out = interrupt_after(&args, Duration::from_secs(3));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}\n{}", stderr(&out));
    assert!(text.contains("STOPPED EARLY: interrupted after"), "{text}");
    assert!(text.contains("unique states"), "{text}");
}

#[test]
fn ctrl_c_ends_a_simulation_with_the_runs_done_so_far() {
    let dir = temp_dir("sim-interrupt");
    let out = interrupt_after(
        &[
            "sim",
            "--runs",
            "100000000",
            "--out-dir",
            dir.to_str().unwrap(),
        ],
        Duration::from_secs(3),
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}\n{}", stderr(&out));
    assert!(text.contains("STOPPED EARLY (interrupted)"), "{text}");
    assert!(text.contains("of 100000000 runs, 0 failed"), "{text}");
}

#[test]
fn a_simulation_with_a_time_limit_stops_and_shows_progress() {
    let dir = temp_dir("sim-timeout");
    let out = verraft(&[
        "sim",
        "--runs",
        "100000000",
        "--timeout",
        "6",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("the time limit (6.0 s) ran out"), "{text}");
    assert!(
        stderr(&out)
            .lines()
            .any(|l| l.starts_with("verraft sim: ") && l.contains("runs")),
        "{}",
        stderr(&out)
    );
}
