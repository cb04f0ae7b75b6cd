//! `verraft lincheck` and the ways it decides a part: the distinct-values check on the
//! generated 2,000-operation registers, the search on porcupine's key-value histories
//! (every key of c50-bad), `--search-only`, and the "checked by" line that tells which.
use std::path::Path;
use std::process::{Command, Output};

fn lincheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verraft"))
        .arg("lincheck")
        .args(args)
        .output()
        .expect("runs")
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../checker/tests/data")
        .join(name)
        .display()
        .to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_key_of_c50_bad_gets_a_verdict() {
    let out = lincheck(&[
        "--all-parts",
        "--explain",
        &data("porcupine/kv/c50-bad.txt"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("(0 linearizable, 10 not, 0 unknown)"),
        "{text}"
    );
    assert!(text.contains("checked by: search 10 parts"), "{text}");
    // Without --all-parts it is the same: no key is left for a later round.
    let text = stdout(&lincheck(&[&data("porcupine/kv/c50-bad.txt")]));
    assert!(
        text.contains("(0 linearizable, 10 not, 0 unknown)"),
        "{text}"
    );
}

#[test]
fn generated_registers_are_decided_by_the_distinct_values_check() {
    let expected = std::fs::read_to_string(data("generated/EXPECTED.tsv")).unwrap();
    let mut rows = 0;
    for line in expected.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let file = data(&format!("generated/{}", cols[0]));
        let out = lincheck(&["--explain", &file]);
        let text = stdout(&out);
        let (code, verdict) = match cols[2] {
            "yes" => (0, ": linearizable, 2000 operations"),
            _ => (1, ": NOT linearizable, 2000 operations"),
        };
        assert_eq!(out.status.code(), Some(code), "{text}");
        assert!(text.contains(verdict), "{text}");
        assert!(
            text.contains("checked by: distinct values 1 part"),
            "{text}"
        );
        if code == 1 {
            assert!(text.contains("(distinct-values check)"), "{text}");
        }
        rows += 1;
    }
    assert!(rows >= 6);
}

#[test]
fn search_only_leaves_the_distinct_values_check_out() {
    let file = data("generated/r2000-c10-ok.json");
    let out = lincheck(&["--search-only", "--explain", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("checked by: search 1 part"),
        "{}",
        stdout(&out)
    );
    let help = stdout(&lincheck(&["--help"]));
    assert!(help.contains("--search-only"), "{help}");
}
