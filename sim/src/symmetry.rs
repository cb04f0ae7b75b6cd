//! Symmetry reduction over node ids. Nodes are interchangeable: a world and the same world
//! with its node ids permuted satisfy the same invariants and have mirrored futures. The
//! model checker stores one fingerprint per class of such worlds: the fingerprint of
//! `World::representative`.
//!
//! Soundness needs only that the representative is the world renamed by *some*
//! permutation, in full: every id in nodes, disks, messages, partition, clients and ghost
//! is renamed, so two worlds get the same representative only if they are renamings of
//! each other. Choosing the *same* permutation for every world of a class only makes the
//! reduction stronger: nodes are ordered by an id-free signature, and when several nodes
//! share a signature the few orders between them are all tried and the smallest hash wins.
//!
//! Two normalizations make equivalent worlds equal as well: without reordering only the
//! order of messages *within* a link matters (links are FIFO, different links are
//! independent), so messages are sorted by link keeping their order within it; and
//! partition groups are numbered by their first member.
use crate::client::ClientState;
use crate::invariants::{Ghost, LeaderRecord};
use crate::memo::Memo;
use crate::network::Network;
use crate::world::World;
use smallvec::SmallVec;
use std::collections::BTreeMap;
use std::hash::Hasher;
use std::sync::Arc;
use verraft_core::symmetry::{rename, renamed_envelope};
use verraft_core::{HardState, NodeId};

/// Most node orders tried between nodes of equal signature (3! = 6: every order of three).
const MAX_CANDIDATES: usize = 6;

impl World {
    /// The world renamed to its class's chosen member. A world after a violation is returned
    /// unchanged: it is terminal, and its violation text names nodes.
    pub fn representative(&self) -> World {
        let Some(candidates) = self.candidate_orders() else {
            return self.clone();
        };
        if let [only] = candidates.as_slice() {
            // No ties: the order is the class's own, nothing to compare.
            return self.renamed(&inverse(only)).unwrap_or_else(|| self.clone());
        }
        let mut best: Option<(u64, World)> = None;
        for order in candidates {
            let Some(w) = self.renamed(&inverse(&order)) else {
                return self.clone();
            };
            // The same choice as `symmetric_fingerprint`: the smallest fingerprint wins.
            let fp = w.fingerprint_as_is();
            if best.as_ref().is_none_or(|(b, _)| fp < *b) {
                best = Some((fp, w));
            }
        }
        best.map_or_else(|| self.clone(), |(_, w)| w)
    }

    /// The world with node `i` renamed to `map[i - 1]` everywhere, normalized as described
    /// in the module comment. `None` if a node holds output not yet handed to the world.
    pub fn renamed(&self, map: &[NodeId]) -> Option<World> {
        let n = self.config.nodes as usize;
        let mut nodes = vec![None; n];
        let mut disks = self.disks.clone();
        for old in 1..=n as NodeId {
            let new = rename(map, old) as usize - 1;
            nodes[new] = match &self.nodes[old as usize - 1] {
                Some(node) => Some(Arc::new(Memo::new(node.renamed(map)?))),
                None => None,
            };
            let mut disk = self.disks[old as usize - 1].clone();
            let durable = Arc::make_mut(&mut disk.durable);
            durable.hard_state = rename_hs(durable.hard_state, map);
            for (hs, _) in &mut disk.unsynced {
                *hs = hs.map(|hs| rename_hs(hs, map));
            }
            disks[new] = disk;
        }
        let reorder = self.config.faults.reorder;
        let mut messages: Vec<_> = self
            .network
            .messages()
            .iter()
            .map(|e| renamed_envelope(e, map))
            .collect();
        // Stable: messages of one link keep their order.
        messages.sort_by_key(|e| (e.from, e.to));
        let mut network = Network::default();
        for env in messages {
            network.send(env, reorder);
        }
        let partition = self.partition.as_ref().map(|groups| {
            let mut moved = vec![0u8; n];
            for old in 1..=n as NodeId {
                moved[rename(map, old) as usize - 1] = groups[old as usize - 1];
            }
            number_by_first_member(&moved)
        });
        let mut clients = self.clients.clone();
        for c in &mut clients {
            if let ClientState::Waiting { node, .. } = &mut c.state {
                *node = rename(map, *node);
            }
        }
        // A struct literal, so that a new ghost field cannot be forgotten here.
        let ghost = Ghost {
            terms_led: self.ghost.terms_led,
            leaders: self
                .ghost
                .leaders
                .iter()
                .map(|(term, r)| {
                    let record = LeaderRecord {
                        node: rename(map, r.node),
                        votes: r.votes.iter().map(|v| rename(map, *v)).collect(),
                    };
                    (*term, record)
                })
                .collect::<BTreeMap<_, _>>()
                .into(),
            votes: self
                .ghost
                .votes
                .iter()
                .map(|((voter, term), cand)| ((rename(map, *voter), *term), rename(map, *cand)))
                .collect::<BTreeMap<_, _>>()
                .into(),
            committed: self.ghost.committed.clone(),
            applied: self.ghost.applied.clone(),
        };
        Some(World {
            config: self.config.clone(),
            nodes,
            disks,
            network,
            partition,
            clients,
            history: self.history.clone(),
            clock: self.clock,
            counters: self.counters,
            ghost,
            violation: self.violation.clone(),
            log_touched: false,
        })
    }
}

/// The Fx hash (rustc's): much faster than SipHash on the many small writes a world makes,
/// and deterministic. It only picks among candidate renamings, so its quality barely matters.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The renaming that sends `order[k]` to id `k + 1`.
/// A node order or a renaming, on the stack (clusters have at most 9 nodes).
pub(crate) type Order = SmallVec<[NodeId; 9]>;

pub(crate) fn inverse(order: &[NodeId]) -> Order {
    let mut map: Order = SmallVec::from_elem(0, order.len());
    for (k, old) in order.iter().enumerate() {
        map[*old as usize - 1] = k as NodeId + 1;
    }
    map
}

pub(crate) fn rename_hs(hs: HardState, map: &[NodeId]) -> HardState {
    HardState {
        term: hs.term,
        voted_for: hs.voted_for.map(|v| rename(map, v)),
    }
}

/// Group labels numbered in order of their first member, so that the same split always has
/// the same labels.
pub(crate) fn number_by_first_member(groups: &[u8]) -> Vec<u8> {
    let mut seen: Vec<u8> = Vec::new();
    groups
        .iter()
        .map(|g| match seen.iter().position(|s| s == g) {
            Some(p) => p as u8,
            None => {
                seen.push(*g);
                seen.len() as u8 - 1
            }
        })
        .collect()
}

/// Every order that keeps `sorted` sorted by signature, permuting only nodes whose
/// signatures tie; at most `MAX_CANDIDATES` of them (beyond that ties keep id order, which
/// stays sound and only reduces less).
pub(crate) fn tie_orders(sorted: &[NodeId], signatures: &[u64]) -> SmallVec<[Order; 6]> {
    let mut out: SmallVec<[Order; 6]> = SmallVec::new();
    out.push(Order::from_slice(sorted));
    let mut start = 0;
    while start < sorted.len() {
        let sig = signatures[sorted[start] as usize - 1];
        let end = (start..sorted.len())
            .find(|&k| signatures[sorted[k] as usize - 1] != sig)
            .unwrap_or(sorted.len());
        if end - start > 1 {
            let perms = permutations(&sorted[start..end]);
            if out.len() * perms.len() > MAX_CANDIDATES {
                return out;
            }
            out = out
                .iter()
                .flat_map(|base| {
                    perms.iter().map(move |p| {
                        let mut o: Order = base.clone();
                        o[start..end].copy_from_slice(p);
                        o
                    })
                })
                .collect();
        }
        start = end;
    }
    out
}

fn permutations(items: &[NodeId]) -> Vec<Vec<NodeId>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, *first);
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Faults, WorldConfig};
    use crate::event::Event;

    fn world() -> World {
        let mut c = WorldConfig::new(3);
        c.faults = Faults::NONE;
        World::new(c).unwrap()
    }

    fn after(events: &[Event]) -> World {
        let mut w = world();
        for e in events {
            assert_eq!(w.apply(e), Ok(None), "{e}");
        }
        w
    }

    #[test]
    fn mirrored_elections_share_a_representative() {
        let a = after(&[Event::Timeout(1)]);
        let b = after(&[Event::Timeout(3)]);
        assert_ne!(a, b);
        assert_eq!(a.representative(), b.representative());
    }

    #[test]
    fn different_worlds_keep_different_representatives() {
        let one = after(&[Event::Timeout(1)]);
        let two = after(&[Event::Timeout(1), Event::Timeout(2)]);
        assert_ne!(one.representative(), two.representative());
    }

    #[test]
    fn the_representative_is_a_renaming_of_the_world() {
        let w = after(&[Event::Timeout(2), Event::Timeout(3)]);
        let r = w.representative();
        let candidates: Vec<World> = permutations(&[1, 2, 3])
            .iter()
            .map(|p| w.renamed(p).unwrap())
            .collect();
        assert!(candidates.contains(&r));
        assert!(r.enabled_events().len() == w.enabled_events().len());
    }

    #[test]
    fn partition_labels_are_numbered_by_first_member() {
        assert_eq!(number_by_first_member(&[1, 0, 1]), vec![0, 1, 0]);
    }
}
