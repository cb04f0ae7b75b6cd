//! What decoded schedules are made of: the share of each kind of event, and the average
//! number of messages in flight, over 5,000 pseudo-random 260-byte inputs on 3 nodes. A
//! quick look at whether the decoding picks a useful mix (mostly deliveries, some timeouts,
//! clients and faults) after a change to the world or to `decode`.
//!
//! `cargo run --release -p verraft-harness --example schedule_mix`
use arbitrary::Unstructured;
use std::collections::BTreeMap;
use verraft_sim::World;
fn main() {
    let opts = verraft_harness::FuzzOptions {
        nodes: Some(3),
        ..Default::default()
    };
    let mut x: u64 = 1;
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    let mut bytes = vec![0u8; 260];
    let mut inflight = 0usize;
    let mut steps = 0usize;
    for _ in 0..5000 {
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let mut u = Unstructured::new(&bytes);
        let config = verraft_harness::decode::config(&mut u, &opts);
        let mut w = World::new(config).unwrap();
        let mut choices = Vec::new();
        while !u.is_empty() {
            w.choices(&mut choices);
            if choices.is_empty() {
                break;
            }
            let at = u.choose_index(choices.len()).unwrap_or(0);
            let c = choices[at];
            let name = format!("{c:?}");
            let name = name.split('(').next().unwrap().to_string();
            *tally.entry(name).or_default() += 1;
            inflight += w.network.len();
            steps += 1;
            if w.apply_choice(c).unwrap().is_some() {
                break;
            }
        }
    }
    println!(
        "avg in flight {:.1}, steps {}",
        inflight as f64 / steps as f64,
        steps
    );
    for (k, v) in tally {
        println!("{k:>14} {:5.1}%", 100.0 * v as f64 / steps as f64);
    }
}
