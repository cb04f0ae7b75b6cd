//! Every history listed in the acceptance data (`tests/data/porcupine` and
//! `tests/data/generated`, kept in the repository) gets its expected verdict, and each
//! generated file is what its generator options make.
use std::path::PathBuf;
use std::time::Duration;
use verraft_checker::generate::{register_history, Workload};
use verraft_checker::parse::json::to_json;
use verraft_checker::report::check_parsed;
use verraft_checker::{parse_history, CheckOptions, Format, ParsedHistory, Verdict};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/porcupine")
}

fn generated_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/generated")
}

/// The rows of an `EXPECTED.tsv` after its header: file, operations, yes/no, and more.
fn rows(dir: &std::path::Path) -> Vec<Vec<String>> {
    let path = dir.join("EXPECTED.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn every_generated_history_gets_its_verdict_and_is_what_its_options_make() {
    let dir = generated_dir();
    let options = CheckOptions {
        timeout: Some(Duration::from_secs(120)),
        ..CheckOptions::default()
    };
    let rows = rows(&dir);
    assert!(rows.len() >= 6, "only {} histories listed", rows.len());
    let mut verdicts = (0, 0);
    for row in rows {
        let [file, ops, lin, args] = &row[..] else {
            panic!("bad EXPECTED.tsv row {row:?}")
        };
        let text =
            std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let args: Vec<&str> = args.split_whitespace().collect();
        let made = register_history(&Workload::from_args(&args).unwrap()).unwrap();
        assert!(
            to_json(&ParsedHistory::Register(made.history)) == text,
            "{file} is not what `gen_register {}` makes",
            args.join(" ")
        );
        let history = parse_history(text.as_bytes(), Format::Auto).unwrap();
        assert_eq!(history.len().to_string(), *ops, "{file}");
        let result = check_parsed(&history, None, &options).unwrap();
        let want = if lin == "yes" {
            verdicts.0 += 1;
            Verdict::Linearizable
        } else {
            verdicts.1 += 1;
            Verdict::NotLinearizable
        };
        assert_eq!(result.verdict, want, "{file}");
    }
    assert!(verdicts.0 >= 2 && verdicts.1 >= 2, "{verdicts:?}");
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
    // The same for the generated histories (the folder also holds its README).
    let dir = generated_dir();
    let mut listed: Vec<String> = rows(&dir).into_iter().map(|r| r[0].clone()).collect();
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".json"))
        .collect();
    listed.sort();
    present.sort();
    assert_eq!(listed, present);
}
