//! Small bounds shared by the tests: each exhausts in well under a second.
use verraft_models::Bounds;
use verraft_sim::{Faults, Features};

/// Elections in one term with reordering: the smallest space with a leader in it.
pub fn one_term() -> Bounds {
    Bounds {
        max_term: 1,
        max_ops: 0,
        crashes: 0,
        faults: Faults {
            reorder: true,
            ..Faults::NONE
        },
        max_in_flight: 3,
        heartbeats: 1,
        features: Features::NONE,
        ..Bounds::default()
    }
}

/// A write and a read, a crash and restart, message loss: every kind of event, still small.
pub fn small_faulty() -> Bounds {
    Bounds {
        max_term: 1,
        max_ops: 2,
        crashes: 1,
        faults: Faults {
            loss: true,
            crash: true,
            ..Faults::NONE
        },
        max_in_flight: 1,
        heartbeats: 0,
        features: Features::NONE,
        ..Bounds::default()
    }
}
