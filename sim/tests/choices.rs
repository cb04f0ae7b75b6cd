//! `pick_choice` and `choice_count` find an enabled event without listing them all; they
//! must agree with the list `choices` writes (and `enabled_events` spells out), position
//! by position, in every kind of world.
use verraft_core::rng::SplitMix64;
use verraft_sim::World;

mod common;
use common::config;

/// The random-walk world, with crashes and splits bounded so walks keep finding messages.
fn world(nodes: u8, reorder: bool) -> World {
    let mut c = config(nodes, reorder);
    c.limits.max_crashes = Some(3);
    c.limits.max_partitions = Some(3);
    World::new(c).unwrap()
}

#[test]
fn picking_by_position_agrees_with_the_list() {
    let mut checked = 0;
    for (nodes, reorder) in [(3, true), (3, false), (4, true), (5, false)] {
        for seed in 0..30 {
            let mut rng = SplitMix64(seed);
            let mut w = world(nodes, reorder);
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
