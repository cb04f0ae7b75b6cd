//! The core as a library user builds it, without the `seeded-bugs` feature: switching a
//! seeded bug on is refused with an error that names the bug and the feature, and the bug
//! branches are gone, so a configuration that gets past the check still behaves correctly.
//!
//! Compiled only without the feature. A workspace build turns it on (the harness crates ask
//! for it), so this runs under `cargo test -p verraft-core` alone, which CI does.
#![cfg(not(feature = "seeded-bugs"))]
use verraft_core::*;
use verraft_kv::*;

fn config_with(bug: Bug) -> Config {
    let mut c = Config::new(1, [1, 2, 3]);
    c.bugs = BugSet::NONE.with(bug);
    c
}

#[test]
fn switching_any_bug_on_is_refused_by_validate_and_both_constructors() {
    for bug in Bug::ALL {
        let c = config_with(bug);
        let refused = ConfigError::SeededBugsNotCompiled(c.bugs);
        assert_eq!(c.validate(), Err(refused.clone()), "{bug}");
        let err = Node::new(c.clone(), KvStore::new()).unwrap_err();
        assert_eq!(err, NodeError::Config(refused.clone()), "{bug}");
        let text = err.to_string();
        assert!(
            text.contains(bug.name()) && text.contains("`seeded-bugs` feature"),
            "the error says which bug and what is missing: {text}"
        );
        let storage = MemStorage::<KvCommand>::default();
        let err = Node::restart(c, &storage, KvStore::new()).unwrap_err();
        assert_eq!(err, NodeError::Config(refused), "{bug}");
    }
}

#[test]
fn every_bug_at_once_is_refused_and_named() {
    let mut c = Config::new(1, [1, 2, 3]);
    c.bugs = Bug::ALL.into_iter().collect();
    let text = c.validate().unwrap_err().to_string();
    for bug in Bug::ALL {
        assert!(text.contains(bug.name()), "{bug} missing from: {text}");
    }
}

#[test]
fn the_correct_configuration_is_accepted() {
    let c = Config::new(1, [1, 2, 3]);
    assert_eq!(c.validate(), Ok(()));
    Node::new(c, KvStore::new()).expect("no bugs, no refusal");
}

/// `lease-drift` is the one bug a public method shows directly: with it a lease lasts the
/// whole election timeout. Set past `validate`, it must change nothing here, because the
/// branch that reads it is not compiled.
#[test]
fn a_bug_set_that_gets_past_the_check_changes_nothing() {
    let mut c = config_with(Bug::LeaseDrift);
    c.lease_reads = true;
    assert_eq!(c.lease_ticks(), c.election_ticks - c.clock_drift_ticks);
}
