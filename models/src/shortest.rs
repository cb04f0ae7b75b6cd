//! Shortest counterexamples. Stateright's DFS finds *a* violation on a long path, and its
//! BFS does not keep the first (shortest) path it found (STATERIGHT_NOTES.md). So once the
//! DFS has named the broken invariant, this breadth-first search, level by level with
//! first-discovery-wins parent links, finds a shortest event sequence that breaks it.
//!
//! With symmetry, states are deduplicated by the fingerprint of their representative but
//! the search continues from the states actually reached, so every parent link is a real
//! event and the path replays as it is. Renamings preserve distances from the (symmetric)
//! initial world, so the path is as short as without symmetry.
use crate::model::RaftModel;
use crate::properties::breaks;
use std::collections::HashMap;
use verraft_sim::{Event, Invariant, World};

pub struct Shortest {
    pub events: Vec<Event>,
    /// The invariant the last event breaks.
    pub invariant: Invariant,
    /// Distinct states the search visited.
    pub states: usize,
}

/// A shortest sequence of events from the initial world to a world that breaks `target`
/// (`None`: any invariant checked after every event, whichever breaks first), or `None` if
/// no world within the bounds does (or `max_states` ran out first).
pub fn shortest_violation(
    model: &RaftModel,
    target: Option<Invariant>,
    symmetry: bool,
    max_states: usize,
) -> Option<Shortest> {
    let hit = |w: &World| match target {
        Some(inv) => breaks(inv, w).then_some(inv),
        None => w.violation.as_ref().map(|v| v.invariant),
    };
    let key = |w: &World| w.fingerprint(symmetry);
    let init = model.init_world();
    let root = key(&init);
    // fingerprint -> (parent fingerprint, index of the event among the parent's enabled ones)
    let mut parents: HashMap<u64, Option<(u64, u32)>> = HashMap::new();
    parents.insert(root, None);
    let mut frontier = vec![(init, root)];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for (world, fp) in &frontier {
            for (i, event) in world.enabled_events().iter().enumerate() {
                let Some(w) = model.step(world, event) else {
                    continue;
                };
                if !model.within(&w) {
                    continue;
                }
                let child = key(&w);
                if parents.contains_key(&child) {
                    continue;
                }
                parents.insert(child, Some((*fp, i as u32)));
                if let Some(invariant) = hit(&w) {
                    return Some(Shortest {
                        events: rebuild(model, &parents, child),
                        invariant,
                        states: parents.len(),
                    });
                }
                if w.violation.is_none() {
                    next.push((w, child));
                }
                if parents.len() >= max_states {
                    return None;
                }
            }
        }
        frontier = next;
    }
    None
}

/// Follow parent links back to the root, then replay the event indices forward.
fn rebuild(model: &RaftModel, parents: &HashMap<u64, Option<(u64, u32)>>, end: u64) -> Vec<Event> {
    let mut indices = Vec::new();
    let mut at = end;
    while let Some(Some((parent, i))) = parents.get(&at) {
        indices.push(*i as usize);
        at = *parent;
    }
    indices.reverse();
    let mut world = model.init_world();
    let mut events = Vec::with_capacity(indices.len());
    for i in indices {
        let event = world.enabled_events().swap_remove(i);
        world = model
            .step(&world, &event)
            .expect("an event recorded by the search applies again");
        events.push(event);
    }
    events
}
