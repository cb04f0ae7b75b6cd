//! Scenario files keep their promises: `replay` checks the `expect` line and judges the
//! client history; a liveness failure found by `sim` replays and minimizes like any other.
mod common;
use common::*;

const ONE_NODE: &str = "nodes 1\nfaults none\nclient c1 put x 1; get x\nexpect none\n\
    timeout n1\ninvoke c1 n1\nreply c1\ninvoke c1 n1\nreply c1\n";

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn replay_holds_a_scenario_to_its_expect_line() {
    let dir = temp_dir("expect");
    let clean = write(&dir, "clean.scn", ONE_NODE);
    let out = verraft(&["replay", &clean]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("the client history is linearizable"));

    let promised = write(
        &dir,
        "promised.scn",
        &ONE_NODE.replace("expect none", "expect Single Vote"),
    );
    let out = verraft(&["replay", &promised]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "EXPECTATION NOT MET: the file expects Single Vote, but the replay ran clean"
        ),
        "{}",
        stdout(&out)
    );

    let text = std::fs::read_to_string(corpus("ux-no-persist-vote.scn"))
        .unwrap()
        .replace("expect Single Vote", "expect Log Matching");
    let other = write(&dir, "other.scn", &text);
    let out = verraft(&["replay", "-q", &other]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("the file expects Log Matching, but the replay broke Single Vote"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn replay_judges_the_client_history_of_a_clean_run() {
    // dedup-lost applies a retried write twice: no event breaks an invariant, the history
    // does (the append shows up twice).
    let dir = temp_dir("history");
    let text = "nodes 1\nbugs dedup-lost\nfaults none\nlimits client-timeouts=1\n\
        client c1 append x a; get x\nexpect Linearizability\n\
        timeout n1\ninvoke c1 n1\nclient-timeout c1\ninvoke c1 n1\nreply c1\n\
        invoke c1 n1\nreply c1\n";
    let file = write(&dir, "dedup.scn", text);
    let out = verraft(&["replay", &file]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("VIOLATION after the last step  Linearizability"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_liveness_failure_replays_and_minimizes() {
    let dir = temp_dir("liveness");
    // A quiet phase far too short for 9 clients of 50 operations: a liveness failure that
    // any scenario of this world shows (the minimizer may drop every fault).
    let out = verraft(&[
        "sim",
        "--nodes",
        "5",
        "--clients",
        "9",
        "--ops",
        "50",
        "--quiet-bound",
        "300",
        "--runs",
        "1",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL seed 1: Liveness"), "{text}");
    assert!(
        text.contains("c1: "),
        "clients in words, not debug output: {text}"
    );
    let file = dir.join("sim-1.scn").display().to_string();
    let scenario = std::fs::read_to_string(&file).unwrap();
    assert!(scenario.contains("quiet-phase 300"), "{scenario}");
    assert!(scenario.contains("--quiet-bound 300"), "{scenario}");

    let replayed = verraft(&["replay", "-q", &file]);
    assert_eq!(replayed.status.code(), Some(1), "{}", stdout(&replayed));
    assert!(stdout(&replayed).contains("Liveness: clients not done after 300 fault-free events"));

    let minimized = dir.join("min.scn").display().to_string();
    let out = verraft(&["minimize", &file, "-o", &minimized]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("still breaks Liveness"),
        "{}",
        stderr(&out)
    );
    let again = verraft(&["replay", "-q", &minimized]);
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn the_default_quiet_bound_grows_with_the_workload() {
    // 2,000 fault-free events were too few for 9 nodes, 9 clients, 50 operations each.
    let dir = temp_dir("big-workload");
    let out = verraft(&[
        "sim",
        "--nodes",
        "9",
        "--clients",
        "9",
        "--ops",
        "50",
        "--runs",
        "3",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}
