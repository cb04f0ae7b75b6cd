//! Every counterexample `verraft check` found for a seeded bug is kept in
//! `corpus/regressions/check-*.scn`. Each must still replay to its violation at its last
//! event, and must still be a shortest one: a breadth-first search over the file's own
//! world finds no shorter path to the same invariant.
use std::path::PathBuf;
use verraft_models::shortest::shortest_violation;
use verraft_models::RaftModel;
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario::parse;

fn files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/regressions");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("check-") && n.ends_with(".scn"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_check_counterexample_still_reproduces_and_is_shortest() {
    let files = files();
    assert!(files.len() >= 5, "expected the seeded-bug counterexamples");
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# found by verraft check"),
            "{name}: first line says what found it"
        );
        let scenario = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expect = scenario
            .expect
            .unwrap_or_else(|| panic!("{name}: no expect"));
        assert!(!scenario.config.bugs.is_empty(), "{name}: names its bug");
        let run = replay(&scenario).unwrap();
        let steps = scenario.steps.len();
        match run.outcome {
            Outcome::Violation { step, violation } => {
                assert_eq!(violation.invariant, expect, "{name}");
                assert_eq!(step, steps, "{name}: breaks at its last event");
            }
            // A history is judged once the run is over: the last event completes it.
            Outcome::Clean if expect == verraft_sim::Invariant::Linearizability => {
                let verdict = run.world.check_history().err().map(|v| v.invariant);
                assert_eq!(verdict, Some(expect), "{name}: the history breaks");
            }
            other => panic!("{name}: {other:?}"),
        }
        let model = RaftModel::from_config(scenario.config.clone(), None).unwrap();
        // The history is judged when the clients are done, not after every event: a
        // search for any violation would not see it.
        let target = (expect == verraft_sim::Invariant::Linearizability).then_some(expect);
        let shortest = shortest_violation(&model, target, true, 5_000_000)
            .unwrap_or_else(|| panic!("{name}: the search finds no violation"));
        assert_eq!(shortest.events.len(), steps, "{name}: still shortest");
        assert_eq!(shortest.invariant, expect, "{name}: the first to break");
    }
}
