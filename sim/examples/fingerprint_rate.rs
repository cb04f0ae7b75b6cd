//! Prints how long a symmetric fingerprint takes, over worlds met along seeded random walks
//! of the default model-checking world (3 nodes, a put and a get, loss, duplication,
//! reordering and one crash): the model checker computes one for every state it generates.
//!
//! `cargo run --release -p verraft-sim --example fingerprint_rate -- [WORLDS] [ROUNDS]`
use std::hint::black_box;
use std::time::Instant;
use verraft_core::rng::SplitMix64;
use verraft_kv::KvOp;
use verraft_sim::{Faults, World, WorldConfig};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let wanted = args.first().copied().unwrap_or(20_000);
    let rounds = args.get(1).copied().unwrap_or(20);
    let mut config = WorldConfig::new(3);
    config.faults = Faults {
        partition: false,
        ..Faults::ALL
    };
    config.clients = vec![vec![
        KvOp::Put {
            key: "x".into(),
            value: "1".into(),
        },
        KvOp::Get { key: "x".into() },
    ]];
    config.limits.max_term = Some(3);
    config.limits.max_crashes = Some(1);
    config.limits.max_in_flight = Some(3);
    let mut worlds = Vec::with_capacity(wanted);
    let mut seed = 0;
    while worlds.len() < wanted {
        let mut rng = SplitMix64(seed);
        seed += 1;
        let mut w = World::new(config.clone()).expect("valid world");
        for _ in 0..40 {
            let Some(c) = w.pick_choice(|n| rng.next_u64() as usize % n) else {
                break;
            };
            if !matches!(w.apply_choice(c), Ok(None)) {
                break;
            }
            worlds.push(w.clone());
        }
    }
    worlds.truncate(wanted);
    let start = Instant::now();
    let mut sum = 0u64;
    for _ in 0..rounds {
        for w in &worlds {
            sum = sum.wrapping_add(black_box(w).symmetric_fingerprint());
        }
    }
    let per = start.elapsed().as_nanos() as f64 / (rounds * worlds.len()) as f64;
    println!(
        "{} worlds x {rounds} rounds: {per:.0} ns per symmetric fingerprint (checksum {sum:x})",
        worlds.len()
    );
}
