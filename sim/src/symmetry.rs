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
use crate::fingerprint::MAX_NODES;
use crate::invariants::{Ghost, LeaderRecord};
use crate::memo::Memo;
use crate::network::Network;
use crate::vec_map::VecMap;
use crate::world::World;
use smallvec::SmallVec;
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
        if candidates.len() == 1 {
            // No ties: the order is the class's own, nothing to compare.
            let only = candidates.iter().next().unwrap_or_default();
            return self.renamed(&inverse(only)).unwrap_or_else(|| self.clone());
        }
        let mut best: Option<(u64, World)> = None;
        for order in candidates.iter() {
            let Some(w) = self.renamed(&inverse(order)) else {
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
            for write in &mut disk.unsynced {
                write.hard_state = write.hard_state.map(|hs| rename_hs(hs, map));
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
            c.state = c.state.renamed(|n| rename(map, n));
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
                        votes: r.votes.map(|v| rename(map, v)),
                    };
                    (*term, record)
                })
                .collect::<VecMap<_, _>>()
                .into(),
            votes: self
                .ghost
                .votes
                .iter()
                .map(|((voter, term), cand)| ((rename(map, *voter), *term), rename(map, *cand)))
                .collect::<VecMap<_, _>>()
                .into(),
            committed: self.ghost.committed.clone(),
            applied: self.ghost.applied.clone(),
            quorum_lost: self.ghost.quorum_lost,
            read_after_change: self.ghost.read_after_change,
            snapshot_installed: self.ghost.snapshot_installed,
            recovered_from_snapshot: self.ghost.recovered_from_snapshot,
            transfer_campaign: self
                .ghost
                .transfer_campaign
                .map(|(n, t)| (rename(map, n), t)),
            transfer_completed: self.ghost.transfer_completed,
            lease_read: self.ghost.lease_read,
            promises: self.ghost.promises.renamed(n as u8, |id| rename(map, id)),
            read_witnesses: self.ghost.read_witnesses.renamed(map),
            heard: self.ghost.heard.renamed(map),
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
            clocks: self.clocks.renamed(n as u8, |id| rename(map, id)),
            counters: self.counters,
            ghost,
            violation: self.violation.clone(),
            touched: Default::default(),
        })
    }
}

/// The renaming that sends `order[k]` to id `k + 1`.
/// A node order or a renaming, on the stack (clusters have at most 9 nodes).
pub(crate) type Order = SmallVec<[NodeId; 9]>;

pub(crate) fn inverse(order: &[NodeId]) -> Order {
    let mut map = [0; MAX_NODES];
    for (k, old) in order.iter().enumerate() {
        map[*old as usize - 1] = k as NodeId + 1;
    }
    Order::from_buf_and_len(map, order.len())
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

/// The node orders a canonical renaming chooses from (`orders[k][j]` = the old id that
/// becomes id j+1): every order that keeps the nodes sorted by signature, permuting only
/// nodes whose signatures tie; at most `MAX_CANDIDATES` of them (beyond that ties keep id
/// order, which stays sound and only reduces less). On the stack: fingerprinting a world
/// allocates nothing.
pub(crate) struct Candidates {
    nodes: usize,
    len: usize,
    orders: [[NodeId; MAX_NODES]; MAX_CANDIDATES],
}

impl Candidates {
    pub(crate) fn tied(sorted: &[NodeId], signatures: &[u64]) -> Candidates {
        let nodes = sorted.len();
        let mut c = Candidates {
            nodes,
            len: 1,
            orders: [[0; MAX_NODES]; MAX_CANDIDATES],
        };
        c.orders[0][..nodes].copy_from_slice(sorted);
        let sig = |k: usize| signatures[sorted[k] as usize - 1];
        if (1..nodes).all(|k| sig(k - 1) != sig(k)) {
            // No ties (the usual case): the sorted order is the only one.
            return c;
        }
        let mut start = 0;
        while start < nodes {
            let sig = signatures[sorted[start] as usize - 1];
            let end = (start..nodes)
                .find(|&k| signatures[sorted[k] as usize - 1] != sig)
                .unwrap_or(nodes);
            if end - start > 1 {
                let perms: usize = (1..=end - start).product();
                if c.len * perms > MAX_CANDIDATES {
                    return c;
                }
                // Every base order so far, with the tied run in each of its orders.
                for base in 0..c.len {
                    let mut run = c.orders[base];
                    run[start..end].sort_unstable();
                    for k in 0..perms {
                        let at = if k == 0 {
                            base
                        } else {
                            c.len + base * (perms - 1) + k - 1
                        };
                        c.orders[at] = run;
                        next_permutation(&mut run[start..end]);
                    }
                }
                c.len *= perms;
            }
            start = end;
        }
        c
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[NodeId]> + '_ {
        self.orders[..self.len].iter().map(|o| &o[..self.nodes])
    }
}

/// Step `ids` to its next order in lexicographic order (wrapping to the first).
fn next_permutation(ids: &mut [NodeId]) {
    let Some(i) = (1..ids.len()).rev().find(|&i| ids[i - 1] < ids[i]) else {
        ids.reverse();
        return;
    };
    let j = (i..ids.len())
        .rev()
        .find(|&j| ids[j] > ids[i - 1])
        .unwrap_or(i);
    ids.swap(i - 1, j);
    ids[i..].reverse();
}

#[cfg(test)]
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
    fn tied_nodes_are_tried_in_every_order_up_to_the_cap() {
        let orders = |sorted: &[NodeId], sigs: &[u64]| -> Vec<Vec<NodeId>> {
            Candidates::tied(sorted, sigs)
                .iter()
                .map(<[NodeId]>::to_vec)
                .collect()
        };
        assert_eq!(orders(&[2, 1, 3], &[5, 1, 9]), vec![vec![2, 1, 3]]);
        // n1 and n3 tie: both orders, the rest in place.
        let mut two = orders(&[2, 1, 3], &[5, 1, 5]);
        two.sort();
        assert_eq!(two, vec![vec![2, 1, 3], vec![2, 3, 1]]);
        // Three ties: all six orders, each once.
        let mut six = orders(&[1, 2, 3], &[7, 7, 7]);
        six.sort();
        six.dedup();
        assert_eq!(six, permutations(&[1, 2, 3]));
        // Two runs of two: four orders.
        assert_eq!(orders(&[1, 2, 3, 4], &[1, 1, 2, 2]).len(), 4);
        // More than six would be needed: ties keep id order from the run that overflows on.
        let capped = orders(&[1, 2, 3, 4], &[3, 3, 3, 3]);
        assert_eq!(capped, vec![vec![1, 2, 3, 4]]);
        let capped = orders(&[1, 2, 3, 4, 5], &[1, 1, 2, 2, 2]);
        assert_eq!(capped.len(), 2);
    }

    #[test]
    fn partition_labels_are_numbered_by_first_member() {
        assert_eq!(number_by_first_member(&[1, 0, 1]), vec![0, 1, 0]);
    }
}
