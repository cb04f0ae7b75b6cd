//! The default portfolio's smaller bound sets each exist to catch a kind of bug the large
//! ones cannot reach: these tests run them with the seeded bugs they were added for (each
//! must break) and with the correct core (each must hold, with every `sometimes` reached).
use verraft_core::{Bug, BugSet};
use verraft_models::{check, Bounds, CheckOptions, RaftModel, Report};

fn set(label_start: &str) -> Bounds {
    Bounds::portfolio()
        .into_iter()
        .find(|(label, _)| label.starts_with(label_start))
        .unwrap_or_else(|| panic!("no bound set '{label_start}…' in the portfolio"))
        .1
}

fn run(bounds: Bounds) -> Report {
    let model = RaftModel::new(bounds).unwrap();
    let opts = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    check(&model, &opts, std::time::Duration::from_millis(50), |_| {}).unwrap()
}

fn with_bug(bounds: &Bounds, bug: Bug) -> Bounds {
    Bounds {
        bugs: BugSet::NONE.with(bug),
        ..bounds.clone()
    }
}

#[test]
fn one_entry_appends_with_two_in_flight_catch_what_the_large_sets_miss() {
    let pipelined = set("one-entry appends");
    let clean = run(pipelined.clone());
    assert!(clean.exhaustive && !clean.violated(), "{:?}", clean.stopped);
    assert!(clean.unreached().is_empty(), "{:?}", clean.unreached());
    assert_eq!(clean.unique, 300_200);
    for bug in [Bug::StaleTermVote, Bug::CommitOverrun, Bug::Figure8] {
        let report = run(with_bug(&pipelined, bug));
        assert!(report.violated(), "{bug:?} not caught");
    }
}

#[test]
fn power_loss_catches_acknowledging_before_the_sync() {
    let power_loss = set("a crash that loses");
    let clean = run(power_loss.clone());
    assert!(clean.exhaustive && !clean.violated(), "{:?}", clean.stopped);
    assert!(clean.unreached().is_empty(), "{:?}", clean.unreached());
    let report = run(with_bug(&power_loss, Bug::AckBeforeSync));
    assert!(report.violated(), "ack-before-sync not caught");
}

/// The membership set reaches every membership `sometimes` (a learner added and promoted, a
/// joint change completing, a learner dropped, a leader removing itself) with every
/// invariant holding, Config Lineage among them.
#[test]
fn the_membership_set_reaches_every_kind_of_change() {
    let membership = set("membership changes");
    let report = run(membership.clone());
    assert!(
        report.exhaustive && !report.violated(),
        "{:?}",
        report.stopped
    );
    assert!(report.unreached().is_empty(), "{:?}", report.unreached());
    assert_eq!(report.unique, 1_078_672);
    // Depth first and breadth first meet the same states (a partial renaming of
    // configurations once made the two counts differ by 10 %).
    let opts = CheckOptions {
        threads: 1,
        breadth_first: true,
        ..CheckOptions::default()
    };
    let model = RaftModel::new(membership).unwrap();
    let bfs = check(&model, &opts, std::time::Duration::from_millis(50), |_| {}).unwrap();
    assert_eq!(bfs.unique, report.unique);
}
