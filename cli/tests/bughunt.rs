//! `verraft bughunt`: a quick bug is caught (exit 0, its row and its counterexample
//! written), the correct core alone raises no alarm, a bug given too little to be found
//! is reported missed (exit 1), and bad arguments get clap's whole message (exit 2).
mod common;
use common::*;

#[test]
fn wrong_quorum_is_caught_by_the_simulator_and_kept_as_a_scenario() {
    let dir = temp_dir("bughunt-caught");
    let out = verraft(&[
        "bughunt",
        "--bug",
        "wrong-quorum",
        "--engine",
        "sim",
        "--budget",
        "5",
        "--json",
        "--save-corpus",
        dir.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    let table: serde_json::Value = serde_json::from_str(&text).expect("the table as JSON");
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        2,
        "the bug's row and the correct core's: {text}"
    );
    assert_eq!(rows[0]["bug"], "wrong-quorum");
    assert_eq!(rows[0]["verdict"], "caught");
    assert_eq!(rows[0]["engine"], "sim");
    let raw = rows[0]["raw"]["events"].as_u64().unwrap();
    let minimized = rows[0]["minimized"]["events"].as_u64().unwrap();
    assert!((1..=raw).contains(&minimized), "{text}");
    assert!(rows[1]["bug"].is_null());
    assert_eq!(rows[1]["verdict"], "not-caught", "{text}");
    // Progress: one line per finished hunt on standard error, off a terminal too.
    let err = stderr(&out);
    assert!(err.contains("wrong-quorum"), "{err}");
    let kept = std::fs::read_to_string(dir.join("wrong-quorum.scn")).unwrap();
    assert!(
        kept.contains("\n# found by verraft bughunt --bug wrong-quorum --engine sim"),
        "{kept}"
    );
    assert!(kept.contains("bugs wrong-quorum"), "{kept}");
    let replayed = verraft(&["replay", dir.join("wrong-quorum.scn").to_str().unwrap()]);
    // The kept file replays to the invariant the hunt saw fire.
    let invariant = rows[0]["invariant"].as_str().unwrap();
    assert_eq!(replayed.status.code(), Some(1), "{}", stdout(&replayed));
    assert!(stdout(&replayed).contains("VIOLATION at step"));
    assert!(
        stdout(&replayed).contains(invariant),
        "{}",
        stdout(&replayed)
    );
}

#[test]
fn a_bug_out_of_reach_of_its_budget_is_reported_missed() {
    // lease-drift takes random simulation far more than a fraction of a second.
    let out = verraft(&[
        "bughunt",
        "--bug",
        "lease-drift",
        "--engine",
        "sim",
        "--budget",
        "0.2",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("not caught"), "{text}");
    assert!(
        text.contains("MISSED by every engine: lease-drift"),
        "{text}"
    );
    assert!(text.contains("(correct core)"), "{text}");
}

#[test]
fn the_correct_core_raises_no_alarm_in_the_model_checker_or_the_simulator() {
    // --bug with a budget too small for it still runs the correct core per engine; the
    // correct core's rows are what this test reads.
    let out = verraft(&[
        "bughunt",
        "--bug",
        "wrong-quorum",
        "--engine",
        "check,sim",
        "--budget",
        "3",
        "--threads",
        "1",
    ]);
    let text = stdout(&out);
    let core: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("(correct core)"))
        .collect();
    assert_eq!(core.len(), 2, "{text}");
    for line in core {
        assert!(line.contains(" clean "), "{line}");
    }
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
}

#[test]
fn bad_arguments_get_clap_s_whole_message() {
    for (args, want) in [
        (
            vec!["bughunt", "--bug", "no-such-bug"],
            "unknown bug 'no-such-bug'",
        ),
        (
            vec!["bughunt", "--all", "--engine", "tla"],
            "unknown engine 'tla'",
        ),
        (
            vec!["bughunt", "--all", "--budget", "0"],
            "must be more than 0 seconds",
        ),
        (
            vec!["bughunt"],
            "the following required arguments were not provided",
        ),
        (
            vec!["bughunt", "--all", "--bug", "figure-8"],
            "cannot be used with",
        ),
    ] {
        let out = verraft(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        // clap's whole message: the error, then where to read more.
        assert!(err.contains("error: "), "{args:?}: {err}");
        assert!(err.contains("try '--help'"), "{args:?}: {err}");
    }
}

#[test]
fn ctrl_c_prints_the_hunts_finished_so_far_and_exits_3() {
    use std::process::{Command, Stdio};
    // wrong-quorum is caught at once; lease-drift then runs until the interrupt.
    let child = Command::new(env!("CARGO_BIN_EXE_verraft"))
        .args([
            "bughunt",
            "--bug",
            "wrong-quorum",
            "--bug",
            "lease-drift",
            "--engine",
            "sim",
            "--budget",
            "120",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}\n{}", stderr(&out));
    assert!(text.contains("INTERRUPTED"), "{text}");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("wrong-quorum") || l.starts_with("lease-drift"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].contains("caught"), "{text}");
    assert!(rows[1].contains("interrupted"), "{text}");
}
