//! The model checker fingerprints a world with its ReadIndex confirmation rounds renumbered
//! densely (`World::with_dense_read_rounds`), so that a leader confirming read after read in
//! one long term does not make endless states. That is sound only if the renumbered world
//! behaves exactly like the original: these tests check it step by step on random walks, and
//! show that a renumbering which changed the order between a leader's reads and the answers
//! in flight would be told apart.
use std::collections::BTreeSet;
use std::sync::Arc;
use verraft_core::rng::SplitMix64;
use verraft_core::{Message, Role};
use verraft_sim::{Event, World};

mod common;
use common::config;

/// Worlds along seeded random walks with every fault and feature on, biased towards
/// deliveries and client requests (a uniform pick among drops, duplicates, crashes and
/// timeouts rarely lets a leader emerge) and with clients that keep reading, so that leaders
/// run many confirmation rounds.
fn walk_worlds(walks: u64, steps: usize) -> Vec<World> {
    let mut out = Vec::new();
    for seed in 0..walks {
        let mut rng = SplitMix64(seed);
        let mut c = config(3, seed % 2 == 0);
        for _ in 0..4 {
            c.clients[1].push(verraft_kv::KvOp::Get { key: "x".into() });
        }
        let mut w = World::new(c).unwrap();
        for _ in 0..steps {
            let events = w.enabled_events();
            if events.is_empty() || w.violation.is_some() {
                break;
            }
            let wanted: Vec<&Event> = events
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        Event::Deliver { .. } | Event::Invoke { .. } | Event::Reply(_)
                    )
                })
                .collect();
            let e = if !wanted.is_empty() && !rng.next_u64().is_multiple_of(8) {
                wanted[rng.next_u64() as usize % wanted.len()]
            } else {
                &events[rng.next_u64() as usize % events.len()]
            };
            w.apply(e).unwrap();
            out.push(w.clone());
        }
    }
    out
}

/// The fingerprints of every world one event away.
fn successors(w: &World) -> BTreeSet<u64> {
    w.enabled_events()
        .iter()
        .map(|e| {
            let mut next = w.clone();
            next.apply(e).unwrap();
            next.fingerprint(true)
        })
        .collect()
}

#[test]
fn a_world_with_dense_rounds_behaves_like_the_original() {
    let mut renumbered = 0;
    for w in walk_worlds(300, 120) {
        let Some(dense) = w.with_dense_read_rounds() else {
            continue;
        };
        renumbered += 1;
        assert!(dense.with_dense_read_rounds().is_none(), "idempotent");
        assert_eq!(w.fingerprint(true), dense.fingerprint(true));
        assert_eq!(w.fingerprint(false), dense.fingerprint(false));
        assert_eq!(w.violation, dense.violation);
        // Step for step: the same worlds (up to renumbering) one event away.
        assert_eq!(successors(&w), successors(&dense), "{w:?}");
    }
    assert!(
        renumbered > 200,
        "only {renumbered} worlds had rounds to renumber"
    );
}

/// A leader with a read waiting for round `r` and an answer to round `r` in flight.
fn leader_with_answer_in_flight(w: &World) -> Option<(usize, u64)> {
    w.nodes.iter().enumerate().find_map(|(i, n)| {
        let n = n.as_ref()?;
        if n.role() != Role::Leader {
            return None;
        }
        let waiting: Vec<u64> = n.read_rounds().skip(1).collect();
        w.network.messages().iter().find_map(|e| match e.msg {
            Message::ReadConfirmResponse { term, round }
                if e.to == n.id() && term == n.term() && waiting.contains(&round) =>
            {
                Some((i, round))
            }
            _ => None,
        })
    })
}

#[test]
fn a_renumbering_that_changes_which_answers_count_is_told_apart() {
    let mut compared = 0;
    for w in walk_worlds(300, 120) {
        let Some((i, _)) = leader_with_answer_in_flight(&w) else {
            continue;
        };
        let leader = w.nodes[i].as_ref().unwrap().id();
        // Every round of the leader one higher, its messages' too: the same behaviour.
        // (Round 0 stays: it names no round.)
        let last = w.nodes[i].as_ref().unwrap().last_read_round() + 1;
        let mut shifted = w.clone();
        Arc::make_mut(shifted.nodes[i].as_mut().unwrap()).renumber_read_rounds(up, last);
        let reorder = w.config.faults.reorder;
        shifted.network.rewrite(|e| shift_round(e, leader), reorder);
        assert_eq!(w.fingerprint(true), shifted.fingerprint(true));
        // The leader's rounds one higher but not the answers in flight: an answer that
        // counted for a waiting read no longer does. A different state.
        let mut stale = w.clone();
        Arc::make_mut(stale.nodes[i].as_mut().unwrap()).renumber_read_rounds(up, last);
        assert_ne!(w.fingerprint(true), stale.fingerprint(true), "{w:?}");
        compared += 1;
    }
    assert!(
        compared > 20,
        "only {compared} worlds had an answer in flight"
    );
}

/// One round later (round 0 names no round and stays).
fn up(round: u64) -> u64 {
    if round == 0 {
        0
    } else {
        round + 1
    }
}

/// Add one to the round of a confirmation request from `leader` or an answer to it.
fn shift_round(e: &mut verraft_core::Envelope<verraft_kv::KvCommand>, leader: u8) -> bool {
    match &mut e.msg {
        Message::ReadConfirm { round, .. } if e.from == leader => *round = up(*round),
        Message::ReadConfirmResponse { round, .. } if e.to == leader => *round = up(*round),
        _ => return false,
    }
    true
}
