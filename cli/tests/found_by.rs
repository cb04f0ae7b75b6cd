//! Every recorded command reproduces: the "found by" line of each file in
//! `corpus/regressions/` that names a `verraft` command is run again, today, and must find
//! the same counterexample (the same events, breaking the same invariant).
mod common;
use common::*;
use verraft_sim::scenario::{parse, Scenario};

/// The command of a file's first line, if it records one: `# found by verraft check ...;
/// shortest counterexample, N events` or `# found by: verraft sim ...`.
fn recorded_command(text: &str) -> Option<Vec<String>> {
    let first = text.lines().next()?;
    let rest = first
        .strip_prefix("# found by verraft ")
        .or_else(|| first.strip_prefix("# found by: verraft "))?;
    let command = rest.split(';').next()?;
    Some(command.split_whitespace().map(str::to_string).collect())
}

fn scenario_at(path: &std::path::Path) -> Scenario {
    parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_recorded_command_finds_the_same_counterexample() {
    let dir = temp_dir("found-by");
    let mut files: Vec<_> = std::fs::read_dir(corpus(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    files.sort();
    let mut run = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let Some(mut args) = recorded_command(&text) else {
            continue;
        };
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let kept = scenario_at(file);
        let found = match args[0].as_str() {
            "check" => {
                let out_file = dir.join(&name);
                args.extend(["--out".into(), out_file.display().to_string()]);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let out = verraft(&args);
                assert_eq!(out.status.code(), Some(1), "{name}: {}", stdout(&out));
                out_file
            }
            "sim" => {
                let out_dir = dir.join(name.trim_end_matches(".scn"));
                std::fs::create_dir_all(&out_dir).unwrap();
                args.extend(["--out-dir".into(), out_dir.display().to_string()]);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let out = verraft(&args);
                assert_eq!(out.status.code(), Some(1), "{name}: {}", stdout(&out));
                let seed = kept.config.seed;
                out_dir.join(format!("sim-{seed}.scn"))
            }
            other => panic!("{name}: unknown command '{other}' in its found-by line"),
        };
        let again = scenario_at(&found);
        assert_eq!(again.expect, kept.expect, "{name}: another invariant");
        assert_eq!(
            again.steps.len(),
            kept.steps.len(),
            "{name}: another length"
        );
        let events = |s: &Scenario| s.events().cloned().collect::<Vec<_>>();
        assert_eq!(events(&again), events(&kept), "{name}: other events");
        assert_eq!(again.config, kept.config, "{name}: another world");
        if let Some(stated) = text
            .lines()
            .next()
            .and_then(|l| l.split(", ").last())
            .and_then(|l| l.strip_suffix(" events"))
        {
            assert_eq!(
                stated,
                kept.steps.len().to_string(),
                "{name}: the line's count"
            );
        }
        run += 1;
    }
    assert!(run >= 6, "only {run} files record a command");
}

#[test]
fn a_line_that_leaves_a_bound_to_its_default_is_recognised_as_a_command() {
    // The parser of the test itself: a wrong reading would silently skip files.
    let line = "# found by verraft check --nodes 3 --bug x; shortest counterexample, 5 events\n";
    assert_eq!(
        recorded_command(line).unwrap(),
        vec!["check", "--nodes", "3", "--bug", "x"]
    );
    assert!(recorded_command("# found by: hand, from a paper\n").is_none());
    assert!(recorded_command("# found by fuzz target schedule, bug x\n").is_none());
}
