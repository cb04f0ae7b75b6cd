//! A world for the tests that walk many states at random: every fault on, lost unsynced
//! writes, two clients, enough room in flight and terms for elections to overlap.
use verraft_kv::KvOp;
use verraft_sim::{CrashMode, Faults, WorldConfig};

pub fn config(nodes: u8, reorder: bool) -> WorldConfig {
    let mut c = WorldConfig::new(nodes);
    c.faults = Faults::ALL;
    c.faults.reorder = reorder;
    c.crash_mode = CrashMode::LoseUnsynced;
    c.clients = vec![
        vec![
            KvOp::Put {
                key: "x".into(),
                value: "1".into(),
            },
            KvOp::Get { key: "x".into() },
        ],
        vec![KvOp::Put {
            key: "x".into(),
            value: "2".into(),
        }],
    ];
    c.limits.max_in_flight = Some(8);
    c.limits.max_term = Some(4);
    c
}

/// The same world keeping time for lease reads: timers fire at ticks, clocks drift.
#[allow(dead_code)] // not every test file walks timed worlds
pub fn timed(mut c: WorldConfig) -> WorldConfig {
    c.features.lease_reads = true;
    c.features.check_quorum = true;
    c.features.read_index = true;
    c
}
