//! `corpus/bugs/BUG.scn`: the shortest minimized counterexample `verraft bughunt
//! --save-corpus` kept for each seeded bug it caught. Each must break its expected invariant
//! with its `bugs BUG` header, and no invariant once that header line says `bugs none` (the
//! replay may then stop at an event the correct core never makes possible).
use std::path::{Path, PathBuf};
use verraft_core::Bug;
use verraft_harness::regression;
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario::parse;

fn files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/bugs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    files.sort();
    files
}

#[test]
fn each_bug_s_counterexample_fails_with_its_bug_and_not_without() {
    let files = files();
    assert!(files.len() >= 5, "corpus/bugs is missing its files");
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let bug: Bug = name.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = std::fs::read_to_string(&file).unwrap();
        let scenario = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            scenario.config.bugs.iter().collect::<Vec<_>>(),
            vec![bug],
            "{name}: its header switches on its own bug alone"
        );
        let checked = regression::check(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(checked.fails_at.is_some(), "{name}: fails with its bug");

        // The same file with its header's bug removed, as a person would edit it.
        let without: String = text
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("bugs ") {
                    "bugs none"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let correct = parse(&without).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(correct.config.bugs.is_empty());
        let run = replay(&correct).unwrap();
        match run.outcome {
            Outcome::Clean => assert!(
                run.world.check_history().is_ok(),
                "{name}: the correct core's history is linearizable"
            ),
            Outcome::Invalid { .. } => {}
            Outcome::Violation { step, violation } => {
                panic!("{name}: without its bug, step {step} still breaks {violation}")
            }
        }
    }
}
