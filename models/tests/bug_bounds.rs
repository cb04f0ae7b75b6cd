//! The bounds of each seeded bug are written once, in `verraft_models::bug_bounds`: the
//! "found by" command of every `corpus/regressions/check-BUG.scn` (and of its
//! `-figure3` twin, the same bounds with only Figure 3's properties) must be the command
//! the table gives.
use std::path::PathBuf;
use verraft_core::Bug;
use verraft_models::bug_bounds::{check_bounds, check_command};

/// The command of a file's first line: `# found by verraft check ...; shortest ...`.
fn found_by(text: &str) -> Option<&str> {
    text.lines()
        .next()?
        .strip_prefix("# found by verraft ")?
        .split(';')
        .next()
}

#[test]
fn every_check_counterexample_was_found_with_the_bounds_of_the_table() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(stem) = name
            .strip_prefix("check-")
            .and_then(|n| n.strip_suffix(".scn"))
        else {
            continue;
        };
        let (bug, figure3) = match stem.strip_suffix("-figure3") {
            Some(b) => (b, true),
            None => (stem, false),
        };
        let bug: Bug = bug.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut bounds = check_bounds(bug);
        bounds.auxiliary = !figure3;
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            found_by(&text),
            Some(check_command(&bounds).as_str()),
            "{name}: its found-by command is not the table's"
        );
        seen += 1;
    }
    assert!(seen >= 9, "the check-*.scn files are missing ({seen} seen)");
}

#[test]
fn the_readme_lists_every_bug_with_the_bounds_of_the_table() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    for bug in Bug::ALL {
        let row = verraft_models::bug_bounds::readme_row(bug);
        assert!(
            readme.lines().any(|l| l == row),
            "README.md lacks the row of {bug} the table gives:\n{row}"
        );
    }
}

/// A `corpus/bugs/BUG.scn` that `verraft bughunt` found with the simulator names its seed:
/// the simulator's options for the bug, from the same table, must break the file's
/// invariant again at that seed (before minimizing), so its found-by line reproduces.
#[test]
fn every_simulated_counterexample_reproduces_at_its_seed_with_the_table_s_options() {
    let mut seen = 0;
    for path in verraft_harness::regression::corpus_files("bugs").unwrap() {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let found_by_sim = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .any(|l| l.starts_with("# found by verraft bughunt") && l.contains("--engine sim"));
        if !found_by_sim {
            continue;
        }
        let bug: Bug = name.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        let scenario = verraft_sim::scenario::parse(&text).unwrap();
        let opts = verraft_models::bug_bounds::sim_options(bug);
        let run = verraft_sim::random::run_one(&opts, scenario.config.seed).unwrap();
        assert_eq!(
            run.violation.map(|v| v.invariant),
            scenario.expect,
            "{name}: seed {} with the table's options",
            scenario.config.seed
        );
        seen += 1;
    }
    assert!(
        seen >= 2,
        "the simulator's corpus files are missing ({seen} seen)"
    );
}
