//! Symmetry reduction must change how many states are stored, never a verdict: the reduced
//! and the unreduced checks agree on every property, and on the length of the shortest
//! counterexample when there is one.
mod common;

use verraft_core::{Bug, BugSet};
use verraft_models::{check, Bounds, CheckOptions, RaftModel, Report, Status};

fn run(bounds: Bounds, symmetry: bool) -> Report {
    let model = RaftModel::new(bounds).unwrap();
    let opts = CheckOptions {
        threads: 1,
        symmetry,
        ..CheckOptions::default()
    };
    check(&model, &opts, std::time::Duration::from_millis(50), |_| {}).unwrap()
}

fn verdicts(r: &Report) -> Vec<(&'static str, Status)> {
    r.properties.iter().map(|p| (p.name, p.status)).collect()
}

#[test]
fn reduced_and_unreduced_checks_agree_on_a_correct_core() {
    for bounds in [common::one_term(), common::small_faulty()] {
        let reduced = run(bounds.clone(), true);
        let full = run(bounds.clone(), false);
        assert_eq!(verdicts(&reduced), verdicts(&full), "{}", bounds.describe());
        assert!(!reduced.violated() && reduced.unreached().is_empty());
        // Three interchangeable nodes: close to 3! = 6 times fewer states.
        assert!(
            reduced.unique * 4 < full.unique,
            "{} vs {}",
            reduced.unique,
            full.unique
        );
    }
}

#[test]
fn reduced_and_unreduced_checks_agree_on_a_broken_core() {
    let bounds = Bounds {
        bugs: BugSet::NONE.with(Bug::NoUpToDateCheck),
        ..common::one_term()
    };
    let bounds = Bounds {
        max_term: 2,
        ..bounds
    };
    let reduced = run(bounds.clone(), true);
    let full = run(bounds, false);
    let a = reduced
        .counterexample
        .expect("the reduced check finds the bug");
    let b = full
        .counterexample
        .expect("the unreduced check finds the bug");
    assert_eq!(a.invariant, b.invariant);
    assert_eq!(a.scenario.steps.len(), b.scenario.steps.len());
}
