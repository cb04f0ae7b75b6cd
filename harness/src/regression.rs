//! Regression files: every counterexample ever found, kept as a scenario file in
//! `corpus/regressions/`. Each must still fail with the bug it came from (while that bug can
//! still be switched on) and must not fail on the correct core: with its bugs cleared the
//! replay reports no violation, though it may stop at an event that is no longer possible.
//!
//! A file that says `expect none` keeps a run the core once got wrong without any seeded bug
//! (a one-node cluster that never committed): every one of its events must be possible and
//! the run must end clean, with a linearizable history.
use verraft_core::BugSet;
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario::{parse, Scenario};
use verraft_sim::Invariant;

/// What replaying one regression file showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The step at which the file's own bugs broke its expected invariant (`None`: the bug no
    /// longer exists in the core, so only the correct-core half was checked).
    pub fails_at: Option<usize>,
    /// How the replay on the correct core ended: `None` clean, `Some(step)` stopped at an
    /// event that is no longer possible.
    pub correct_stops_at: Option<usize>,
}

/// Check one regression file's text. `Err` says what no longer holds.
pub fn check(text: &str) -> Result<Checked, String> {
    let (scenario, bug_exists) = match parse(text) {
        Ok(s) => (s, true),
        Err(e) => {
            // A bug removed from the core no longer parses; the file still proves the
            // correct core right, so check that half alone.
            let line = text.lines().nth(e.line.saturating_sub(1)).unwrap_or("");
            if !line.trim_start().starts_with("bugs ") {
                return Err(format!("does not parse: {e}"));
            }
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
            (
                parse(&without).map_err(|e| format!("does not parse: {e}"))?,
                false,
            )
        }
    };
    if scenario.expect.is_none() {
        if !scenario.config.bugs.is_empty() || !bug_exists {
            return Err(
                "a file that switches on seeded bugs must say which invariant it breaks ('expect ...')"
                    .into(),
            );
        }
        return match correct_core_passes(&scenario)? {
            None => Ok(Checked {
                fails_at: None,
                correct_stops_at: None,
            }),
            Some(step) => Err(format!(
                "the file expects a clean run, but step {step} is not possible"
            )),
        };
    }
    let fails_at = if bug_exists {
        Some(still_fails(&scenario)?)
    } else {
        None
    };
    let correct_stops_at = correct_core_passes(&scenario)?;
    Ok(Checked {
        fails_at,
        correct_stops_at,
    })
}

fn still_fails(scenario: &Scenario) -> Result<usize, String> {
    let expect = scenario
        .expect
        .ok_or("a regression file must say which invariant it breaks ('expect ...')")?;
    let r = replay(scenario)?;
    let steps = scenario.steps.len();
    match r.outcome {
        Outcome::Violation { step, violation } if violation.invariant == expect => Ok(step),
        Outcome::Violation { step, violation } => Err(format!(
            "expected {expect}, but step {step} broke {violation}"
        )),
        // A history that is not linearizable shows only once the run is over.
        Outcome::Clean => match r.world.check_history() {
            Err(v) if v.invariant == expect => Ok(steps),
            Err(v) => Err(format!("expected {expect}, but the history check says {v}")),
            Ok(()) => Err(format!("expected {expect}, but the replay ran clean")),
        },
        Outcome::Invalid { step, error } => Err(format!(
            "expected {expect}, but step {step} is not possible: {error}"
        )),
    }
}

fn correct_core_passes(scenario: &Scenario) -> Result<Option<usize>, String> {
    let mut correct = scenario.clone();
    correct.config.bugs = BugSet::NONE;
    let r = replay(&correct)?;
    match r.outcome {
        Outcome::Clean => match r.world.check_history() {
            Ok(()) => Ok(None),
            Err(v) => Err(format!(
                "the correct core's history is not linearizable: {v}"
            )),
        },
        Outcome::Invalid { step, .. } => Ok(Some(step)),
        Outcome::Violation { step, violation } => Err(format!(
            "the correct core breaks an invariant: step {step}: {violation}"
        )),
    }
}

/// The invariant a regression file says it breaks, for reports.
pub fn expected(text: &str) -> Option<Invariant> {
    parse(text).ok().and_then(|s| s.expect)
}

/// A regression file's text: `found_by` as the first line, then the scenario (whose own notes
/// follow, minus any older "found by" line it replaces).
pub fn file_text(scenario: &Scenario, found_by: &str) -> String {
    let mut s = scenario.clone();
    s.notes.retain(|n| !n.starts_with("found by"));
    let body = s.to_text();
    // The printer opens with its banner line; the file opens with what found it instead.
    let body = body.strip_prefix("# verraft scenario\n").unwrap_or(&body);
    format!("# {found_by}\n{body}")
}

/// The files of `corpus/DIR` in this repository (`regressions`, `bugs`, `schedule`, …),
/// sorted by name: what the tests that replay the corpus read.
pub fn corpus_files(dir: &str) -> std::io::Result<Vec<std::path::PathBuf>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus")
        .join(dir);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Found with Figure 3's properties alone (with the auxiliary invariants, Vote Sound
    // breaks first, at step 5).
    const FILE: &str =
        "nodes 4\nbugs vote-count\nfaults dup\nauxiliary off\nexpect Election Safety\n\
        timeout n1\ndeliver n1->n3 RV t1 last=0/0\ntimeout n2\ndup n2->n4 RV t1 last=0/0\n\
        dup n3->n1 V+ t1\ndeliver n3->n1 V+ t1\ndeliver n2->n4 RV t1 last=0/0\n\
        deliver n2->n4 RV t1 last=0/0\ndeliver n3->n1 V+ t1\ndeliver n4->n2 V+ t1\n\
        deliver n4->n2 V+ t1\n";

    #[test]
    fn a_counterexample_fails_with_its_bug_and_passes_without() {
        let c = check(FILE).unwrap();
        assert_eq!(c.fails_at, Some(11));
        // Without the bug the second leader never wins; every event is still possible.
        assert_eq!(c.correct_stops_at, None);
    }

    #[test]
    fn a_file_that_no_longer_fails_is_reported() {
        let cut = FILE.replace("deliver n4->n2 V+ t1\ndeliver n4->n2 V+ t1\n", "");
        assert!(check(&cut).unwrap_err().contains("ran clean"));
        let wrong = FILE.replace("expect Election Safety", "expect Log Matching");
        assert!(check(&wrong).is_err());
        let none = FILE.replace("expect Election Safety\n", "");
        assert!(check(&none).is_err());
    }

    const ONE_NODE: &str = "nodes 1\nfaults none\nclient c1 put x 1; get x\nexpect none\n\
        timeout n1\ninvoke c1 n1\nreply c1\ninvoke c1 n1\nreply c1\n";

    #[test]
    fn a_clean_regression_must_run_every_event() {
        assert_eq!(
            check(ONE_NODE),
            Ok(Checked {
                fails_at: None,
                correct_stops_at: None
            })
        );
        // An answer that never comes makes the file fail (as it did when a lone leader
        // never committed).
        let stuck = ONE_NODE.replace("reply c1\ninvoke c1 n1\n", "reply c1\nreply c1\n");
        assert!(check(&stuck).unwrap_err().contains("not possible"));
        let buggy = ONE_NODE.replace("expect none", "bugs dedup-lost\nexpect none");
        assert!(check(&buggy)
            .unwrap_err()
            .contains("must say which invariant"));
    }

    #[test]
    fn a_violation_on_the_correct_core_is_reported() {
        let correct = FILE.replace("bugs vote-count", "bugs none");
        assert!(check(&correct).is_err());
    }

    #[test]
    fn a_bug_the_core_no_longer_has_checks_the_correct_half_only() {
        let gone = FILE.replace("bugs vote-count", "bugs long-gone-bug");
        assert_eq!(
            check(&gone),
            Ok(Checked {
                fails_at: None,
                correct_stops_at: None
            })
        );
    }

    #[test]
    fn the_file_opens_with_what_found_it() {
        let s = parse(FILE).unwrap();
        let text = file_text(&s, "found by hand");
        assert!(text.starts_with("# found by hand\nnodes 4\n"), "{text}");
        assert_eq!(parse(&text).unwrap().steps, s.steps);
    }
}
