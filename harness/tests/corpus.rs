//! Replays the whole corpus on the stable toolchain: every regression file (still failing with
//! its bug, clean on the correct core), and every seed input of every fuzz target (none may
//! fail on the correct core).
use std::path::{Path, PathBuf};
use verraft_harness::{regression, scenario_target, schedule, FuzzOptions};

fn corpus(dir: &str) -> Vec<PathBuf> {
    regression::corpus_files(dir).unwrap_or_else(|e| panic!("corpus/{dir}: {e}"))
}

#[test]
fn every_regression_still_fails_with_its_bug_and_passes_without() {
    let files: Vec<PathBuf> = corpus("regressions")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    assert!(files.len() >= 3, "the regression corpus is missing");
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        match regression::check(&text) {
            Ok(c) => println!(
                "{}: fails at step {:?} with its bug; correct core {}",
                file.display(),
                c.fails_at,
                c.correct_stops_at.map_or("clean".to_string(), |s| format!(
                    "stops at impossible step {s}"
                ))
            ),
            Err(e) => failures.push(format!("{}: {e}", file.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fuzz_found_regression_says_what_found_it_on_its_first_line() {
    for file in corpus("regressions") {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("fuzz-") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with("# found by fuzz target "),
            "{name}: first line is '{first}'"
        );
    }
}

#[test]
fn no_schedule_seed_fails_on_the_correct_core() {
    let files = corpus("schedule");
    assert!(!files.is_empty());
    let opts = FuzzOptions::default();
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        match schedule::check(&bytes, &opts) {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => panic!("{}: {failure}", file.display()),
            Err(e) => panic!("{}: harness error: {e}", file.display()),
        }
    }
}

#[test]
fn the_crash_seeds_still_find_their_bugs() {
    for (seed, bug) in [
        ("crash-vote-count", "vote-count"),
        ("crash-forget-vote", "forget-vote"),
        ("crash-figure-8", "figure-8"),
    ] {
        let bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../corpus/schedule")
                .join(seed),
        )
        .unwrap();
        // They were found before optional features existed: their worlds have none.
        let opts = FuzzOptions::from_values(Some(bug), None, Some("none")).unwrap();
        let failure = schedule::check(&bytes, &opts)
            .unwrap()
            .expect_err("the input that found the bug still finds it");
        let text = failure.scenario.to_text();
        assert!(!text.contains("WARNING"), "{text}");
    }
}

#[test]
fn every_scenario_seed_round_trips() {
    for file in corpus("scenario") {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            verraft_sim::scenario::parse(&text).is_ok(),
            "{}: a seed should parse",
            file.display()
        );
        if let Err(e) = scenario_target::check(&bytes) {
            panic!("{}: {e}", file.display());
        }
    }
}

#[test]
fn every_lincheck_seed_agrees_with_brute_force() {
    let files = corpus("lincheck");
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        if let Err(e) = verraft_harness::lincheck_target::check(&bytes) {
            panic!("{}: {e}", file.display());
        }
    }
}
