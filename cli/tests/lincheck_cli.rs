//! `verraft lincheck` as a user meets it: verdicts and exit codes on the acceptance data
//! kept in the repository, a check that stops once its verdict is settled, Ctrl-C and
//! timeouts that still report what was decided, and arguments that are refused rather than
//! silently ignored.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn verraft() -> Command {
    Command::new(env!("CARGO_BIN_EXE_verraft"))
}

fn lincheck(args: &[&str]) -> Output {
    verraft().arg("lincheck").args(args).output().expect("runs")
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../checker/tests/data/porcupine")
        .join(name)
        .display()
        .to_string()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("verraft-lincheck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn op(client: u64, f: &str, key: &str, value: &str, call: u64, ret: u64) -> String {
    let (input, output) = match f {
        "get" => (
            format!(r#"{{"f": "get", "key": "{key}"}}"#),
            format!(r#"{{"value": "{value}"}}"#),
        ),
        _ => (
            format!(r#"{{"f": "{f}", "key": "{key}", "value": "{value}"}}"#),
            "{}".to_string(),
        ),
    };
    format!(
        r#"{{"client": {client}, "input": {input}, "output": {output}, "call": {call}, "ret": {ret}}}"#
    )
}

/// A key-value history in verraft JSON: key "h" is hard (`n` concurrent puts, a read of
/// each, and after them two concurrent reads of different values, which takes about 2^n
/// steps to rule out: n = 14 a second, n = 22 many minutes; an empty append keeps it from
/// the distinct-values check, which would decide it at once), key "a" has a stale read,
/// key "b" is linearizable (when `with_failure` is false only "h" and "b" are there).
fn hard_history(n: u64, with_failure: bool) -> String {
    let mut ops = Vec::new();
    for i in 0..n {
        let v = i.to_string();
        ops.push(op(100 + i, "put", "h", &v, 0, 100));
        ops.push(op(100 + n + i, "get", "h", &v, 1, 100));
    }
    ops.push(op(100 + 2 * n, "append", "h", "", 0, 100));
    ops.push(op(101 + 2 * n, "get", "h", "0", 101, 102));
    ops.push(op(102 + 2 * n, "get", "h", "1", 101, 102));
    if with_failure {
        ops.push(op(0, "put", "a", "1", 0, 1));
        ops.push(op(1, "get", "a", "", 2, 3));
    }
    ops.push(op(2, "put", "b", "1", 0, 1));
    ops.push(op(3, "get", "b", "1", 2, 3));
    format!(
        "{{\"model\": \"kv\", \"operations\": [\n{}\n]}}\n",
        ops.join(",\n")
    )
}

#[test]
fn every_acceptance_history_gets_its_expected_verdict() {
    let expected = std::fs::read_to_string(data("EXPECTED.tsv")).unwrap();
    let rows: Vec<(String, bool)> = expected
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (data(cols[0]), cols[2] == "yes")
        })
        .collect();
    assert!(rows.len() >= 108, "only {} histories listed", rows.len());
    let files: Vec<&str> = rows.iter().map(|(f, _)| f.as_str()).collect();
    let out = lincheck(&files);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    for (file, linearizable) in &rows {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{file}: ")))
            .unwrap_or_else(|| panic!("no verdict for {file}:\n{text}"));
        let want = if *linearizable {
            ": linearizable,"
        } else {
            ": NOT linearizable,"
        };
        assert!(line.contains(want), "{line}");
    }
}

#[test]
fn a_history_settled_by_one_key_is_reported_without_waiting_for_the_others() {
    // Key "h" takes longer than anyone waits; key "a" fails in microseconds.
    let file = temp_file("settled.json", &hard_history(22, true));
    let file = file.to_str().unwrap();
    let out = lincheck(&[file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(": NOT linearizable, 51 operations"), "{text}");
    assert!(text.contains("\n  not linearizable: key "), "{text}");
    assert!(text.contains("\n  not checked: key "), "{text}");
    assert!(text.contains("--all-parts judges every part"), "{text}");
    // --stop-early, the old way to ask for this, is still accepted.
    let out = lincheck(&["--stop-early", file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn all_parts_judges_every_part() {
    let file = temp_file("all-parts.json", &hard_history(14, true));
    let file = file.to_str().unwrap();
    let out = lincheck(&[file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("1 linearizable, 1 not, 0 unknown, 1 not checked"),
        "{text}"
    );
    assert!(text.contains("  not checked: key \"h\""), "{text}");

    let out = lincheck(&["--all-parts", file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("(1 linearizable, 2 not, 0 unknown)"),
        "{text}"
    );
    assert!(
        text.contains("  not linearizable: key \"a\", key \"h\""),
        "{text}"
    );
    assert!(!text.contains("not checked"), "{text}");

    let out = lincheck(&["--all-parts", "--stop-early", file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_empty_history_is_refused_with_a_warning() {
    for (name, text) in [("empty.json", "[]\n"), ("empty.txt", "")] {
        let file = temp_file(name, text);
        let out = lincheck(&[file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.contains("holds no operations"), "{name}: {err}");
        assert!(
            err.contains("wrong file, or wrong --format?"),
            "{name}: {err}"
        );
        assert!(
            !stdout(&out).contains("linearizable"),
            "{name}: {}",
            stdout(&out)
        );
    }
}

#[test]
fn any_timeout_is_accepted_without_panicking() {
    for timeout in ["1e300", "inf", "none", "18446744073709551616"] {
        let out = lincheck(&["--timeout", timeout, &data("kv/c10-ok.txt")]);
        assert_eq!(out.status.code(), Some(0), "{timeout}: {}", stderr(&out));
        assert!(stdout(&out).contains(": linearizable,"), "{timeout}");
        assert!(
            !stderr(&out).contains("panicked"),
            "{timeout}: {}",
            stderr(&out)
        );
    }
    for timeout in ["nan", "-1", "soon"] {
        let out = lincheck(&[&format!("--timeout={timeout}"), &data("kv/c10-ok.txt")]);
        assert_eq!(out.status.code(), Some(2), "{timeout}");
        assert!(
            stderr(&out).contains("--timeout"),
            "{timeout}: {}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("panicked"),
            "{timeout}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_timeout_reports_what_was_decided_and_exits_3() {
    let file = temp_file("timeout.json", &hard_history(22, false));
    let out = lincheck(&["--timeout", "0.5", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(": unknown (timeout),"), "{text}");
    assert!(text.contains("  unknown (timeout): key \"h\""), "{text}");
    assert!(text.contains("  linearizable: key \"b\""), "{text}");
}

#[test]
fn repeat_without_bench_is_refused() {
    let out = lincheck(&["--repeat", "3", &data("kv/c10-ok.txt")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("--bench"), "{err}");
    assert!(err.contains("Usage:"), "{err}");
    let out = lincheck(&["--bench", "--repeat", "0", &data("kv/c10-ok.txt")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--repeat"), "{}", stderr(&out));
    let out = lincheck(&["--bench", "--repeat", "2", &data("kv/c10-ok.txt")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("(median of 2)"), "{}", stdout(&out));
}

#[test]
fn help_documents_exit_codes_and_budgets() {
    let out = lincheck(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for needle in [
        "3 unknown",
        "holds no operations",
        "--all-parts",
        "[default: 60]",
        "[default: 4096]",
        "Ctrl-C",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

/// Waits for a line of `child`'s stderr that contains `needle` (the process keeps running).
fn wait_for_stderr(child: &mut Child, needle: &'static str) -> Result<String, String> {
    let err = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let found = line.contains(needle);
            let _ = tx.send(line);
            if found {
                break;
            }
        }
    });
    let mut seen = String::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(needle) {
            return Ok(seen);
        }
    }
    Err(seen)
}

#[cfg(unix)]
#[test]
fn ctrl_c_reports_what_was_decided_and_exits_3() {
    let hard = temp_file("interrupt.json", &hard_history(22, false));
    let mut child = verraft()
        .args(["lincheck", "--timeout", "none"])
        .arg(&hard)
        .arg(data("kv/c10-ok.txt"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // Off a terminal, a progress line comes every few seconds; once it has, the check is
    // well under way (and Ctrl-C is caught).
    let progress = wait_for_stderr(&mut child, "parts decided");
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("ends");
    let progress = progress.expect("no progress line");
    assert!(sent.is_ok_and(|s| s.success()));
    assert!(progress.contains("1 of 2 parts decided"), "{progress}");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(": unknown (interrupted),"), "{text}");
    assert!(
        text.contains("  unknown (interrupted): key \"h\""),
        "{text}"
    );
    assert!(text.contains("  linearizable: key \"b\""), "{text}");
    assert!(
        text.contains("c10-ok.txt: not checked (interrupted)"),
        "{text}"
    );
}
