//! The model checker fingerprints states through `World::hash_renamed` and
//! `World::symmetric_fingerprint`, never building the renamed world. These tests hold them
//! to the slow, obvious definition: hash the world `renamed` built.
use std::hash::{DefaultHasher, Hash, Hasher};
use verraft_core::rng::SplitMix64;
use verraft_core::{KvOp, NodeId};
use verraft_sim::symmetry::fingerprint;
use verraft_sim::{CrashMode, Faults, World, WorldConfig};

fn config(nodes: u8, reorder: bool) -> WorldConfig {
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

/// Worlds along seeded random walks with every fault on.
fn walk_worlds(nodes: u8, reorder: bool, walks: u64, steps: usize) -> Vec<World> {
    let mut out = Vec::new();
    for seed in 0..walks {
        let mut rng = SplitMix64(seed);
        let mut w = World::new(config(nodes, reorder)).unwrap();
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

fn sip<T: Hash>(v: &T) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

#[test]
fn streamed_renamed_hash_equals_the_hash_of_the_renamed_world() {
    let mut compared = 0;
    for (nodes, reorder) in [(3, true), (3, false), (4, true)] {
        let maps = permutations(nodes);
        for w in walk_worlds(nodes, reorder, 40, 60) {
            for map in &maps {
                let mut h = DefaultHasher::new();
                let streamed = w.hash_renamed(map, &mut h).then(|| h.finish());
                let built = w.renamed(map).map(|r| sip(&r));
                assert_eq!(streamed, built, "map {map:?} on {w:?}");
                compared += 1;
            }
        }
    }
    assert!(compared > 10_000, "{compared}");
}

#[test]
fn the_symmetric_fingerprint_is_the_representatives_fingerprint() {
    for w in walk_worlds(3, true, 30, 60) {
        assert_eq!(w.symmetric_fingerprint(), fingerprint(&w.representative()));
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
    let mut by_fp = std::collections::HashMap::new();
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
