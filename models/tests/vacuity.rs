//! A bounded model in which some expected behaviour can never happen proves nothing about
//! it. Such a run must name the unreached `sometimes` property.
use verraft_models::{check, Bounds, CheckOptions, RaftModel, Status};
use verraft_sim::Faults;

#[test]
fn a_log_too_short_for_any_command_is_reported_as_vacuous() {
    // The leader's own no-op fills a one-entry log: no client command can ever commit.
    let bounds = Bounds {
        max_ops: 1,
        max_log: Some(1),
        max_term: 1,
        faults: Faults {
            reorder: true,
            ..Faults::NONE
        },
        max_in_flight: 3,
        crashes: 0,
        ..Bounds::default()
    };
    let model = RaftModel::new(bounds).unwrap();
    let opts = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    let report = check(&model, &opts, std::time::Duration::from_millis(50), |_| {}).unwrap();
    assert!(report.exhaustive && !report.violated());
    assert_eq!(report.unreached(), vec!["a client command commits"]);
    let elected = report
        .properties
        .iter()
        .find(|p| p.name == "a leader is elected")
        .unwrap();
    assert_eq!(elected.status, Status::Reached);
}
