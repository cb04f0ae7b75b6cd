//! The model checker fingerprints states through `World::hash_renamed` and
//! `World::symmetric_fingerprint`, never building the renamed world. These tests hold them
//! to the slow, obvious definition: build the world `renamed`, then hash it.
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use verraft_core::rng::SplitMix64;
use verraft_core::NodeId;
use verraft_sim::World;

mod common;
use common::config;

/// Worlds along seeded random walks with every fault on.
fn walk_worlds(nodes: u8, reorder: bool, walks: u64, steps: usize) -> Vec<World> {
    let mut out = Vec::new();
    for seed in 0..walks {
        let mut rng = SplitMix64(seed);
        // Every other walk keeps time (lease reads): clocks are renamed with their nodes.
        let c = config(nodes, reorder);
        let c = if seed % 2 == 1 { common::timed(c) } else { c };
        let mut w = World::new(c).unwrap();
        for _ in 0..steps {
            let events = w.enabled_events();
            if events.is_empty() {
                break;
            }
            let e = &events[rng.next_u64() as usize % events.len()];
            w.apply(e).unwrap();
            out.push(w.clone());
        }
    }
    out
}

fn permutations(n: u8) -> Vec<Vec<NodeId>> {
    let mut out: Vec<Vec<NodeId>> = vec![vec![]];
    for k in 1..=n {
        out = out
            .into_iter()
            .flat_map(|p| {
                (0..=p.len()).map(move |at| {
                    let mut q = p.clone();
                    q.insert(at, k);
                    q
                })
            })
            .collect();
    }
    out
}

fn streamed(w: &World, map: &[NodeId]) -> Option<u64> {
    let mut h = DefaultHasher::new();
    w.hash_renamed(map, &mut h).then(|| h.finish())
}

#[test]
fn hashing_under_a_renaming_equals_hashing_the_renamed_world() {
    let mut compared = 0;
    for (nodes, reorder) in [(3, true), (3, false), (4, true)] {
        let maps = permutations(nodes);
        let identity: Vec<NodeId> = (1..=nodes).collect();
        for w in walk_worlds(nodes, reorder, 40, 60) {
            for map in &maps {
                let built = w.renamed(map).and_then(|r| streamed(&r, &identity));
                assert_eq!(streamed(&w, map), built, "map {map:?} on {w:?}");
                compared += 1;
            }
        }
    }
    assert!(compared > 10_000, "{compared}");
}

#[test]
fn the_symmetric_fingerprint_is_the_representatives_fingerprint() {
    for w in walk_worlds(3, true, 30, 60) {
        assert_eq!(
            w.symmetric_fingerprint(),
            w.representative().fingerprint_as_is()
        );
    }
}

/// The digests leave nothing out: within one configuration (which fingerprints leave out:
/// it is the same in every state of a check), worlds with equal fingerprints are equal once
/// normalized (`renamed` by the identity: without reordering, messages on different links
/// may be listed in any order).
#[test]
fn equal_fingerprints_mean_equal_worlds() {
    for (nodes, reorder) in [(3, true), (3, false)] {
        let mut seen: HashMap<u64, World> = HashMap::new();
        for w in walk_worlds(nodes, reorder, 60, 80) {
            let identity: Vec<NodeId> = (1..=nodes).collect();
            let Some(normal) = w.renamed(&identity) else {
                continue;
            };
            if let Some(prev) = seen.insert(w.fingerprint_as_is(), normal.clone()) {
                assert_eq!(prev, normal);
            }
        }
        assert!(seen.len() > 1_000, "{}", seen.len());
    }
}

#[test]
fn renamed_worlds_share_a_fingerprint_and_different_worlds_do_not() {
    let worlds = walk_worlds(3, true, 30, 60);
    let maps = permutations(3);
    for w in &worlds {
        let fp = w.symmetric_fingerprint();
        for map in &maps {
            if let Some(r) = w.renamed(map) {
                assert_eq!(r.symmetric_fingerprint(), fp, "map {map:?}");
            }
        }
    }
    // Distinct classes keep distinct fingerprints: compare against the slow definition.
    let mut by_fp = HashMap::new();
    for w in &worlds {
        let class: Vec<World> = maps.iter().filter_map(|m| w.renamed(m)).collect();
        if let Some(prev) = by_fp.insert(w.symmetric_fingerprint(), class.clone()) {
            assert!(
                prev.iter().any(|p| class.contains(p)),
                "two classes share a fingerprint"
            );
        }
    }
}

/// With membership changes a world is its own representative: configuration entries name
/// nodes in logs, on disks, in messages and snapshots, and a restart builds a node's starting
/// configuration from its id, none of which a renaming of the nodes reaches.
#[test]
fn with_membership_changes_a_world_is_its_own_representative() {
    let mut with_config_entries = 0;
    for seed in 0..100 {
        let mut rng = SplitMix64(seed);
        let mut c = config(3, seed % 2 == 0);
        c.voters = Some(2);
        c.features.membership = true;
        c.limits.max_reconfigs = Some(2);
        // Crashes and partitions off, or the walks rarely commit anything to change.
        c.faults.crash = false;
        c.faults.partition = false;
        let mut w = World::new(c).unwrap();
        for _ in 0..150 {
            let events = w.enabled_events();
            if events.is_empty() {
                break;
            }
            let e = &events[rng.next_u64() as usize % events.len()];
            w.apply(e).unwrap();
            assert_eq!(
                w.symmetric_fingerprint(),
                w.fingerprint_as_is(),
                "after {e}"
            );
            assert!(w.representative() == w, "after {e}");
            with_config_entries +=
                usize::from((1..=3).any(|id| w.node(id).is_some_and(|n| n.membership_index() > 0)));
        }
    }
    assert!(with_config_entries > 100, "{with_config_entries}");
}
