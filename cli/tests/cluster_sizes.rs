//! Every cluster size from 1 to 5 is model-checked and simulated, with every `sometimes`
//! property reached: a one-node cluster once never committed and every engine missed it,
//! because none of them ran one.
mod common;
use common::*;

/// The bounds each size is checked with: the defaults where they exhaust quickly, and at 4
/// and 5 nodes two terms with crashes as the only fault (message faults there need minutes),
/// with the features whose states stay few there: check-quorum's leader timeouts multiply
/// them (4 nodes, every feature: 2.8 M states, 27 s in a release build; 5 nodes, pre-vote
/// and check-quorum: 23.6 M states, 266 s), so 4 nodes run pre-vote and read-index (218,577
/// states) and 5 nodes the core without options (290,712 states).
fn bounds(nodes: u8) -> Vec<String> {
    let mut args = vec!["check".to_string(), "--nodes".into(), nodes.to_string()];
    match nodes {
        4 => args.extend(["--features", "pre-vote,read-index"].map(String::from)),
        5 => args.extend(["--features", "none"].map(String::from)),
        _ => {}
    }
    if nodes >= 4 {
        args.extend(["--max-term", "2", "--faults", "crash"].map(String::from));
    }
    args
}

#[test]
fn every_size_from_one_to_five_checks_clean_and_reaches_every_sometimes() {
    for nodes in 1..=5u8 {
        if nodes == 3 {
            continue; // the default check, which CI runs as the main job
        }
        let dir = temp_dir(&format!("size-{nodes}"));
        let mut args = bounds(nodes);
        args.extend(["--out".into(), dir.join("cx.scn").display().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = verraft(&args);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{nodes} nodes: {text}");
        assert!(text.contains("exhaustive:"), "{nodes} nodes: {text}");
        for sometimes in [
            "a leader is elected: reached",
            "a client command commits: reached",
            "a node crashes, restarts and catches up: reached",
            "a client read returns a written value: reached",
            "a leader is replaced: reached",
        ] {
            assert!(
                text.contains(sometimes),
                "{nodes} nodes: {sometimes}\n{text}"
            );
        }
    }
}

#[test]
fn every_size_from_one_to_five_simulates_clean() {
    for nodes in 1..=5u8 {
        let dir = temp_dir(&format!("sim-size-{nodes}"));
        let n = nodes.to_string();
        let out = verraft(&[
            "sim",
            "--nodes",
            &n,
            "--runs",
            "1000",
            "--out-dir",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{nodes} nodes: {}",
            stdout(&out)
        );
    }
}

#[test]
fn a_fault_free_one_node_simulation_finishes_every_operation() {
    // Before the fix every one of these runs was a liveness failure.
    let dir = temp_dir("one-node-quiet");
    let out = verraft(&[
        "sim",
        "--nodes",
        "1",
        "--faults",
        "none",
        "--runs",
        "50",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}
