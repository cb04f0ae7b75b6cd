//! The command line as a user meets it: exit codes, one-line errors, scenario files written
//! by `sim` that `replay` reproduces.
mod common;
use common::*;
use std::path::{Path, PathBuf};

fn corpus_file(name: &str) -> String {
    corpus(name).display().to_string()
}

#[test]
fn replay_of_a_violation_exits_1_and_tells_the_story() {
    let out = verraft(&["replay", &corpus_file("ux-no-persist-vote.scn")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "VIOLATION at step 7  Single Vote: n2 voted for n1 and then for n3 in term 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("its restart at step 5 came back at term 0 with no vote"),
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.trim_start().starts_with(char::is_numeric))
            .count(),
        7,
        "one line per step"
    );
}

#[test]
fn replay_of_the_same_scenario_without_the_bug_does_not_violate() {
    let dir = temp_dir("nobug");
    let text = std::fs::read_to_string(corpus_file("ux-no-persist-vote.scn"))
        .unwrap()
        .replace("bugs no-persist-vote", "bugs none");
    let path = dir.join("fixed.scn");
    std::fs::write(&path, text).unwrap();
    let out = verraft(&["replay", path.to_str().unwrap()]);
    // Without the bug n2 refuses the second vote, so the last grant never exists: the
    // scenario stops at an impossible event (exit 2), never at a violation.
    assert_eq!(out.status.code(), Some(2));
    assert!(!stdout(&out).contains("VIOLATION"));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("fixed.scn:17: step 8 (deliver n2->n3 V+ t1): not possible now"),
        "{err}"
    );
}

#[test]
fn malformed_scenarios_get_one_line_naming_file_and_line_and_exit_2() {
    let dir = temp_dir("bad");
    let bad = dir.join("bad.scn");
    std::fs::write(
        &bad,
        "nodes 3\ntimeout n1\ndeliver n1->n2 RV t1 last=zero\n",
    )
    .unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["replay", bad.to_str().unwrap()],
            "bad.scn:3: expected INDEX/TERM, found 'zero'",
        ),
        (vec!["replay", "/no/such/file.scn"], "/no/such/file.scn"),
    ];
    for (args, want) in cases {
        let out = verraft(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line, got {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn sim_writes_a_scenario_that_replay_reproduces() {
    let dir = temp_dir("sim");
    let out = verraft(&[
        "sim",
        "--runs",
        "300",
        "--bug",
        "gap-append",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let file = text
        .split("reproduce: verraft replay ")
        .nth(1)
        .and_then(|r| r.lines().next())
        .expect("a reproduce line")
        .trim();
    let replayed = verraft(&["replay", "--quiet", file]);
    assert_eq!(replayed.status.code(), Some(1));
    let first = text.lines().find(|l| l.starts_with("FAIL")).unwrap();
    let invariant = first.split(": ").nth(1).unwrap();
    assert!(
        stdout(&replayed).contains(invariant),
        "replay ends in the same invariant: {invariant}"
    );
}

#[test]
fn sim_of_the_correct_core_is_clean_and_deterministic() {
    let dir = temp_dir("clean");
    let out = verraft(&[
        "sim",
        "--runs",
        "200",
        "--check-determinism",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("200 of 200 runs, 0 failed")
            && text.contains("events/s")
            && text.contains("deterministic"),
        "{text}"
    );
}

#[test]
fn a_fuzz_input_decodes_to_a_scenario_that_replays_the_same_way() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/schedule");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&seeds)
        .expect("corpus/schedule exists")
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    let dir = temp_dir("fuzz");
    for input in inputs.iter().take(5) {
        let out_file = dir.join("decoded.scn");
        let decoded = verraft(&[
            "replay",
            "--from-fuzz",
            input.to_str().unwrap(),
            "--bug",
            "none",
            "-o",
            out_file.to_str().unwrap(),
            "-q",
        ]);
        let replayed = verraft(&["replay", "-q", out_file.to_str().unwrap()]);
        assert_eq!(
            decoded.status.code(),
            replayed.status.code(),
            "{}",
            input.display()
        );
        assert_ne!(
            decoded.status.code(),
            Some(2),
            "{}: {}",
            input.display(),
            stderr(&decoded)
        );
    }
    let missing = verraft(&["replay", "--from-fuzz", "/no/such/artifact"]);
    assert_eq!(missing.status.code(), Some(2));
}

/// A seeded bug runs in the world it needs (README's table, `bug_bounds::sim_options`):
/// early-config needs membership changes and five nodes, four of them voters, which `sim`'s
/// defaults leave off. The flags a user gives still win.
#[test]
fn sim_runs_a_bug_in_the_world_it_needs_unless_told_otherwise() {
    let dir = temp_dir("bug-world");
    let sim = |flags: &[&str]| {
        let mut args = vec![
            "sim",
            "--seed",
            "19289",
            "--runs",
            "1",
            "--bug",
            "early-config",
        ];
        args.extend_from_slice(flags);
        args.extend(["--out-dir", dir.to_str().unwrap()]);
        verraft(&args)
    };
    let out = sim(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}\n{}", stdout(&out));
    assert!(
        err.contains("--bug early-config runs in the world it needs: --nodes 5")
            && err.contains("--voters 4")
            && err.contains("membership"),
        "{err}"
    );
    let found_by = std::fs::read_to_string(dir.join("sim-19289.scn")).unwrap();
    assert!(
        found_by.contains("--nodes 5") && found_by.contains("--voters 4"),
        "the found-by line spells the world out: {found_by}"
    );

    // Told three nodes and no membership changes, the bug's code never runs.
    let told = sim(&["--nodes", "3", "--features", "none"]);
    let err = stderr(&told);
    assert_eq!(told.status.code(), Some(0), "{err}");
    assert!(!err.contains("runs in the world"), "{err}");
}
