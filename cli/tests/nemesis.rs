//! `verraft nemesis` and `verraft bench` end to end. The correct server passes a short
//! nemesis run with every fault,
//! and each of two seeded bugs fails one — local-read (a leader with a slow clock cut off
//! from the others answers reads from its own, stale state) and ack-before-sync (writes
//! acknowledged before they are durable, then a majority killed) — with the history, its
//! HTML view and the node logs kept, and the history rejected again by `verraft lincheck`.
//!
//! The seeds are chosen for their schedules: seeds 7 and 11 slow the leader's clock to 0.25x
//! and then isolate that leader for about 3 s; seed 2 kills a majority twice and then every
//! node. The runs
//! go one at a time: each is a whole cluster of processes, and they are timing-sensitive.
mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn nemesis(out_dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["nemesis", "--out-dir", out_dir.to_str().unwrap()];
    all.extend_from_slice(args);
    common::verraft(&all)
}

/// The run directories left in `dir`.
fn kept(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("nemesis-")
        })
        .collect()
}

fn show(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        common::stdout(o),
        common::stderr(o)
    )
}

/// A failing run: exit 1 with one of `findings` said, and its directory holds what a
/// reader needs, the history again not linearizable by `verraft lincheck`.
fn assert_fails_and_keeps(dir: &Path, out: &Output, findings: &[&str]) {
    let text = common::stdout(out);
    assert_eq!(out.status.code(), Some(1), "{}", show(out));
    assert!(findings.iter().any(|f| text.contains(f)), "{}", show(out));
    assert!(text.contains("FAIL in"), "{}", show(out));
    let runs = kept(dir);
    assert_eq!(runs.len(), 1, "{runs:?}");
    for f in [
        "history.json",
        "history.html",
        "faults.txt",
        "n1.log",
        "n2.log",
        "n3.log",
    ] {
        assert!(runs[0].join(f).is_file(), "{f} not kept");
    }
    let html = std::fs::read_to_string(runs[0].join("history.html")).unwrap();
    assert!(
        html.contains("NOT linearizable"),
        "the HTML view says otherwise"
    );
    let again = common::verraft(&["lincheck", runs[0].join("history.json").to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1), "{}", show(&again));
}

#[test]
fn the_correct_server_passes_every_fault() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = common::temp_dir("nemesis-pass");
    let out = nemesis(
        &dir,
        &["--duration", "12", "--seed", "7", "--faults", "all"],
    );
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(text.contains("checker: linearizable"), "{text}");
    assert!(text.contains("PASS in"), "{text}");
    assert!(text.contains("faults injected: "), "{text}");
    // A clean run leaves nothing behind.
    assert!(kept(&dir).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// How long the cut-off leader keeps answering after the others elected a new one depends
/// on how fast they elect, which the machine's load varies: a run whose election was slow
/// may see no stale read (on one CI machine neither of two such runs did). Four schedules
/// that slow the leader and then isolate it are tried, stopping at the first that catches
/// it; on this machine each of them does, alone.
#[test]
fn local_reads_on_a_cut_off_leader_are_caught() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = common::temp_dir("nemesis-local-read");
    let mut outputs = Vec::new();
    for seed in ["7", "11", "3", "13"] {
        let out = nemesis(
            &dir,
            &[
                "--duration",
                "12",
                "--seed",
                seed,
                "--faults",
                "partition,clock",
                "--bug",
                "local-read",
                // More clients bound to the old leader read more from it while it is cut off.
                "--clients",
                "8",
            ],
        );
        if out.status.code() != Some(0) {
            assert_fails_and_keeps(&dir, &out, &["checker: NOT linearizable"]);
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
        outputs.push(show(&out));
    }
    panic!(
        "local-read not caught by any of the runs:\n{}",
        outputs.join("\n")
    );
}

/// A SIGKILL loses only what a node had not yet handed to the operating system, so whether
/// an acknowledged write is lost depends on where each kill lands, which the machine's load
/// varies (seed 2 alone once passed under load). Four schedules are tried, stopping at the
/// first that catches it; on this machine seeds 2, 7, 8 and 12 each do alone.
#[test]
fn acknowledged_writes_lost_in_a_crash_are_caught() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = common::temp_dir("nemesis-ack-before-sync");
    let mut outputs = Vec::new();
    for seed in ["2", "7", "8", "12"] {
        let out = nemesis(
            &dir,
            &[
                "--duration",
                "12",
                "--seed",
                seed,
                "--faults",
                "kill",
                "--bug",
                "ack-before-sync",
            ],
        );
        if out.status.code() != Some(0) {
            // Lost appends are named; a lost put or compare-and-set shows as a history that
            // is not linearizable.
            assert_fails_and_keeps(
                &dir,
                &out,
                &["lost write: append", "checker: NOT linearizable"],
            );
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
        outputs.push(show(&out));
    }
    panic!(
        "ack-before-sync not caught by any of the runs:\n{}",
        outputs.join("\n")
    );
}

#[test]
fn bad_arguments_get_clap_errors_and_exit_2() {
    for (args, says) in [
        (vec!["nemesis", "--nodes", "4"], "3 or 5 nodes"),
        (
            vec!["nemesis", "--faults", "kill,skew"],
            "unknown fault 'skew'",
        ),
        (vec!["nemesis", "--duration", "0"], "more than 0 seconds"),
        (vec!["nemesis", "--bug", "nope"], "unknown bug 'nope'"),
    ] {
        let out = common::verraft(&args);
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.contains("try '--help'"), "{args:?}: {err}");
    }
}

/// `verraft bench` on its own local cluster: a short mixed run is measured and reported.
#[test]
fn bench_measures_a_local_cluster() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let out = common::verraft(&[
        "bench",
        "--clients",
        "4",
        "--pipeline",
        "4",
        "--ops",
        "2000",
        "--read-ratio",
        "0.5",
    ]);
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(text.contains("fsync on"), "{text}");
    assert!(text.contains("throughput: "), "{text}");
    assert!(text.contains("2000 ops in"), "{text}");
    assert!(text.contains("; 0 errors)"), "{text}");
    for row in ["writes ", "reads "] {
        assert!(
            text.lines().any(|l| l.starts_with(row)),
            "no {row}row: {text}"
        );
    }
    for (args, says) in [
        (vec!["bench", "--read-ratio", "2"], "from 0 to 1"),
        (vec!["bench", "--clients", "0"], "--clients"),
    ] {
        let out = common::verraft(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(common::stderr(&out).contains(says), "{args:?}");
    }
}
