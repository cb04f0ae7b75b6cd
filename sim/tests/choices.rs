//! `pick_choice` and `choice_count` find an enabled event without listing them all; they
//! must agree with the list `choices` writes (and `enabled_events` spells out), position
//! by position, in every kind of world.
use verraft_core::rng::SplitMix64;
use verraft_core::KvOp;
use verraft_sim::{CrashMode, Faults, World, WorldConfig};

fn config(nodes: u8, faults: Faults) -> WorldConfig {
    let mut c = WorldConfig::new(nodes);
    c.faults = faults;
    c.crash_mode = CrashMode::LoseUnsynced;
    c.clients = vec![
        vec![
            KvOp::Put {
                key: "x".into(),
                value: "1".into(),
            },
            KvOp::Get { key: "x".into() },
        ],
        vec![KvOp::Get { key: "x".into() }],
    ];
    c.limits.max_in_flight = Some(10);
    c.limits.max_term = Some(4);
    c.limits.max_crashes = Some(3);
    c.limits.max_partitions = Some(3);
    c
}

#[test]
fn picking_by_position_agrees_with_the_list() {
    let mut faults = Faults::ALL;
    let mut checked = 0;
    for (nodes, reorder) in [(3, true), (3, false), (4, true), (5, false)] {
        faults.reorder = reorder;
        for seed in 0..30 {
            let mut rng = SplitMix64(seed);
            let mut w = World::new(config(nodes, faults)).unwrap();
            let mut list = Vec::new();
            for _ in 0..120 {
                w.choices(&mut list);
                assert_eq!(w.choice_count(), list.len());
                for (k, c) in list.iter().enumerate() {
                    assert_eq!(w.pick_choice(|_| k), Some(*c), "position {k} in {w:?}");
                    checked += 1;
                }
                let Some(c) = w.pick_choice(|n| rng.next_u64() as usize % n) else {
                    break;
                };
                if w.apply_choice(c).unwrap().is_some() {
                    break;
                }
            }
            assert_eq!(w.pick_choice(|n| n - 1).is_some(), w.choice_count() > 0);
        }
    }
    assert!(checked > 50_000, "{checked}");
}
