//! Every history listed in the acceptance data (`tests/data/porcupine`, kept in the
//! repository) gets its expected verdict.
use std::path::PathBuf;
use std::time::Duration;
use verraft_checker::report::check_parsed;
use verraft_checker::{parse_history, CheckOptions, Format, Verdict};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/porcupine")
}

#[test]
fn every_expected_verdict() {
    let dir = data_dir();
    let expected = std::fs::read_to_string(dir.join("EXPECTED.tsv"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join("EXPECTED.tsv").display()));
    let options = CheckOptions {
        // Generous: the slowest file takes milliseconds. A timeout shows up as Unknown and
        // fails the comparison below, so it cannot hide a wrong verdict.
        timeout: Some(Duration::from_secs(120)),
        // Only the verdict is compared: the first failing part settles it.
        stop_at_first_failure: true,
        ..CheckOptions::default()
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in expected.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "bad EXPECTED.tsv line {line:?}");
        let (file, ops, lin) = (cols[0], cols[1], cols[2]);
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let history = parse_history(&bytes, Format::Auto).unwrap_or_else(|e| panic!("{file}: {e}"));
        let result = check_parsed(&history, None, &options).unwrap();
        let want = match lin {
            "yes" => Verdict::Linearizable,
            "no" => Verdict::NotLinearizable,
            other => panic!("{file}: bad expectation {other:?}"),
        };
        let ops: usize = ops.parse().unwrap();
        if result.verdict != want || history.len() != ops {
            failures.push(format!(
                "{file}: got {} with {} operations, expected {want} with {ops}",
                result.verdict,
                history.len()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 108, "only {checked} histories listed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The data and its list agree: no history sits in the folder unchecked, none is listed
/// that is missing (a copy that lost files would otherwise pass on what is left).
#[test]
fn every_history_in_the_folder_is_listed() {
    let dir = data_dir();
    let expected = std::fs::read_to_string(dir.join("EXPECTED.tsv"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join("EXPECTED.tsv").display()));
    let mut listed: Vec<String> = expected
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|f| !f.trim().is_empty())
        .map(str::to_string)
        .collect();
    let mut present = Vec::new();
    for sub in ["jepsen", "kv"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            present.push(format!("{sub}/{name}"));
        }
    }
    listed.sort();
    present.sort();
    assert_eq!(listed, present);
}
