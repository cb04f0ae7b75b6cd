//! `pick_choice` and `choice_count` find an enabled event without listing them all; they
//! must agree with the list `choices` writes (and `enabled_events` spells out), position
//! by position, in every kind of world.
use verraft_core::rng::SplitMix64;
use verraft_sim::World;

mod common;
use common::config;

/// The random-walk world, with crashes and splits bounded so walks keep finding messages.
fn world(nodes: u8, reorder: bool, unsynced: bool) -> World {
    let mut c = config(nodes, reorder);
    if nodes == 4 {
        // Timed worlds too: ticks and clocks running ahead.
        c = common::timed(c);
    }
    c.limits.max_crashes = Some(3);
    c.limits.max_partitions = Some(3);
    if unsynced {
        // Writes left unsynced: syncs and crashes that keep part of them become choices.
        c.bugs = c.bugs.with(verraft_core::Bug::AckBeforeSync);
    }
    World::new(c).unwrap()
}

#[test]
fn picking_by_position_agrees_with_the_list() {
    let mut checked = 0;
    let mut unsynced_choices = 0;
    for (nodes, reorder, unsynced) in [
        (3, true, false),
        (3, false, false),
        (4, true, false),
        (5, false, false),
        (3, true, true),
        (4, false, true),
    ] {
        for seed in 0..30 {
            let mut rng = SplitMix64(seed);
            let mut w = world(nodes, reorder, unsynced);
            let mut list = Vec::new();
            for _ in 0..120 {
                w.choices(&mut list);
                assert_eq!(w.choice_count(), list.len());
                for (k, c) in list.iter().enumerate() {
                    assert_eq!(w.pick_choice(|_| k), Some(*c), "position {k} in {w:?}");
                    checked += 1;
                    unsynced_choices += usize::from(matches!(
                        c,
                        verraft_sim::world::Choice::Sync(_)
                            | verraft_sim::world::Choice::CrashKeeping(..)
                    ));
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
    assert!(unsynced_choices > 1_000, "{unsynced_choices}");
}
