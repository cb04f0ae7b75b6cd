//! Bad arguments get clap's whole message (the error, its hint, the usage) and exit 2; a
//! bare `verraft` shows the help; flags are never silently clamped or ignored.
mod common;
use common::*;

fn fails_with(args: &[&str], wants: &[&str]) {
    let out = verraft(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for want in wants {
        assert!(err.contains(want), "{args:?}: wanted '{want}' in\n{err}");
    }
}

#[test]
fn a_bare_verraft_shows_the_help() {
    fails_with(
        &[],
        &[
            "Usage: verraft <COMMAND>",
            "check",
            "lincheck",
            "Exit codes",
        ],
    );
}

#[test]
fn a_missing_argument_is_named_with_the_usage() {
    fails_with(
        &["minimize"],
        &[
            "the following required arguments were not provided",
            "<FILE>",
            "Usage: verraft minimize",
        ],
    );
}

#[test]
fn a_misspelt_flag_gets_clap_s_hint() {
    fails_with(
        &["check", "--node", "3"],
        &[
            "unexpected argument '--node'",
            "a similar argument exists: '--nodes'",
        ],
    );
}

#[test]
fn values_clap_rejects_keep_their_whole_message() {
    fails_with(
        &["sim", "--faults", "teleport"],
        &["unknown fault 'teleport'", "--help"],
    );
    fails_with(
        &["sim", "--bug", "figure-9"],
        &["unknown bug 'figure-9'", "--help"],
    );
    fails_with(&["sim", "--nodes", "0"], &["--nodes", "--help"]);
    fails_with(&["frobnicate"], &["frobnicate", "Usage:"]);
    fails_with(&["check", "--timeout=-1"], &["more than 0 seconds"]);
    fails_with(
        &["sim", "--timeout", "soon"],
        &["expected a number of seconds"],
    );
}

#[test]
fn contradictory_or_empty_flags_are_refused_not_clamped() {
    fails_with(
        &["check", "--clients", "5", "--max-ops", "2"],
        &["--clients 5 needs at least as many operations (--max-ops 2)"],
    );
    fails_with(&["check", "--faults", ""], &["empty list"]);
    fails_with(&["sim", "--faults", ""], &["empty list"]);
    fails_with(&["sim", "--runs", "0"], &["--runs must be at least 1"]);
    fails_with(
        &["check", "--max-states", "0"],
        &["--max-states must be at least 1"],
    );
}

#[test]
fn check_refuses_an_output_it_could_not_write_before_searching() {
    let out = verraft(&["check", "--out", "/no/such/dir/cx.scn"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--out /no/such/dir/cx.scn"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "no search ran: {}", stdout(&out));
}

/// A seeded bug is not a bound: `check --bug NAME` alone runs the default portfolio with the
/// bug on, and the counterexample's found-by line names the bound set that caught it.
#[test]
fn a_bug_alone_is_checked_against_the_default_portfolio() {
    let dir = temp_dir("bug-portfolio");
    let cx = dir.join("cx.scn");
    let out = verraft(&[
        "check",
        "--bug",
        "wrong-quorum",
        "--out",
        cx.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("bound set 1 of 7"), "{text}");
    assert!(text.contains("Commit Quorum"), "{text}");
    let scenario = std::fs::read_to_string(&cx).unwrap();
    assert!(
        scenario.starts_with("# found by verraft check --nodes 3")
            && scenario.contains("--features pre-vote,check-quorum,read-index")
            && scenario.contains("--bug wrong-quorum"),
        "{scenario}"
    );
}

/// `--preset tlc` mirrors the published TLC run of the standard Raft TLA+ spec, whose Raft is
/// Figure 2's: the optional features stay off, and the state count is the one
/// `models/BENCHMARKS.md` compares with TLC's.
#[test]
fn the_tlc_preset_is_the_figure_2_core_at_its_published_count() {
    let out = verraft(&["check", "--preset", "tlc"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("features=none"), "{text}");
    assert!(text.contains("exhaustive: 8,226 unique states"), "{text}");
}

/// `--preset full` turns on every untimed feature and every fault; what keeps it finite in
/// ten minutes is counting the one-off events (one loss, two elections, no heartbeat). The
/// whole run (34,107,675 states) is measured in `models/BENCHMARKS.md`, not here: this
/// pins the bounds it is measured at.
#[test]
fn the_full_preset_has_every_feature_and_fault_at_the_measured_bounds() {
    let out = verraft(&["check", "--preset", "full", "--max-states", "2000"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    for bound in [
        "nodes=3 max-term=2 max-ops=2 clients=1 crashes=1 in-flight=1 heartbeats=0 max-log=3",
        "partitions=1 losses=1 elections=2",
        "features=pre-vote,check-quorum,read-index,snapshots,transfer",
        "transfers=1",
        "faults=loss,dup,reorder,crash,partition",
    ] {
        assert!(text.contains(bound), "{bound}: {text}");
    }
}

/// `--preset membership`: three voters and a spare, two membership changes, a crash, a
/// lost message, three election timeouts; the whole run (10,346,071 states, every
/// membership `sometimes` reached) is measured in `models/BENCHMARKS.md`.
#[test]
fn the_membership_preset_has_a_spare_and_two_changes() {
    let out = verraft(&["check", "--preset", "membership", "--max-states", "2000"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    for bound in [
        "nodes=4 max-term=2",
        "losses=1 elections=3",
        "features=membership voters=3 reconfigs=2",
        "faults=loss,crash",
    ] {
        assert!(text.contains(bound), "{bound}: {text}");
    }
}

/// `--bfs` explores the same space in another order: an exhaustive search meets as many
/// states breadth first as depth first (three nodes, where the symmetry reduction is
/// canonical), and a seeded bug is found either way, its shortest counterexample the same.
#[test]
fn breadth_first_meets_the_same_states_and_the_same_bug() {
    let count = |extra: &[&str]| {
        let mut args = vec!["check", "--preset", "tlc"];
        args.extend_from_slice(extra);
        let out = verraft(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        let text = stdout(&out);
        text.split("exhaustive: ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .expect("an exhaustive count")
            .to_string()
    };
    assert_eq!(count(&[]), count(&["--bfs"]));
    let dir = temp_dir("bfs");
    let mut shortest = Vec::new();
    for extra in [None, Some("--bfs")] {
        let cx = dir.join(format!("cx{}.scn", shortest.len()));
        let mut args = vec![
            "check",
            "--nodes",
            "3",
            "--max-term",
            "2",
            "--max-ops",
            "0",
            "--faults",
            "reorder",
            "--features",
            "none",
            "--max-in-flight",
            "3",
            "--bug",
            "wrong-quorum",
            "--out",
        ];
        args.push(cx.to_str().unwrap());
        args.extend(extra);
        let out = verraft(&args);
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("Commit Quorum: VIOLATED"),
            "{}",
            stdout(&out)
        );
        let text = std::fs::read_to_string(&cx).unwrap();
        shortest.push(
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    assert_eq!(shortest[0], shortest[1]);
}
