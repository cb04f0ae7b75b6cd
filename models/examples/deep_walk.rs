//! A depth-first walk that only ever steps into worlds it has not seen, printing the deepest
//! one it reached and the events that led there: a quick way to see which part of a world
//! keeps growing when the model checker's depth runs away within bounds that should be
//! finite (it found the ReadIndex rounds that `sim/src/rounds.rs` now renumbers). Usage:
//! `cargo run --release -p verraft-models --example deep_walk [-- DEPTH]` walks the default
//! bounds (`Bounds::default()`, edit it here for others) until DEPTH events (2,000).
use std::collections::HashSet;
use verraft_models::{Bounds, RaftModel};

fn main() {
    let limit: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    let model = RaftModel::new(Bounds::default()).unwrap();
    let mut seen = HashSet::new();
    let init = model.init_world();
    seen.insert(init.fingerprint(true));
    // The path: each world with the events not yet tried from it (None: not listed yet).
    let mut path: Vec<(verraft_sim::World, Option<Vec<verraft_sim::Event>>, String)> =
        vec![(init, None, String::new())];
    let mut deepest = 0;
    while !path.is_empty() && path.len() < limit {
        let depth = path.len();
        let top = &mut path[depth - 1];
        let untried = top.1.get_or_insert_with(|| {
            let mut events = top.0.enabled_events();
            events.reverse();
            events
        });
        let Some(event) = untried.pop() else {
            path.pop();
            continue;
        };
        let Some(next) = model.step(&top.0, &event).filter(|w| model.within(w)) else {
            continue;
        };
        if !seen.insert(next.fingerprint(true)) {
            continue;
        }
        path.push((next, None, event.to_string()));
        deepest = deepest.max(path.len());
    }
    println!("deepest {deepest}, {} worlds seen", seen.len());
    for (_, _, e) in path.iter().rev().take(80).rev() {
        println!("{e}");
    }
    if let Some((w, _, _)) = path.last() {
        println!("{w:#?}");
    }
}
