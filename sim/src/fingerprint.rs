//! State fingerprints for the model checker. A world is fingerprinted under a renaming of
//! node ids without building the renamed world: the id-free parts (a node's log, terms,
//! timers and state machine, a disk's log, the history, the committed entries) are hashed
//! once into digests that the unchanged parts keep from world to world (`Memo`), and only
//! the ids, renamed, and those digests are hashed per renaming.
//!
//! `symmetric_fingerprint` is the fingerprint of a world's class under renaming: the
//! smallest fingerprint over the candidate renamings `World::representative` chooses from
//! (nodes ordered by an id-free signature, every order tried among ties). Two worlds get
//! the same one exactly when they are renamings of each other, up to 64-bit collisions,
//! the odds every fingerprinting model checker takes.
//!
//! Both are taken with ReadIndex confirmation rounds renumbered densely (`rounds.rs`).
use crate::client::HistoryOp;
use crate::invariants::{AppliedEntries, CommittedEntries, KvNode};
use crate::memo::IdFree;
use crate::symmetry::{inverse, number_by_first_member, rename_hs, Candidates, Order};
use crate::world::World;
use smallvec::SmallVec;
use std::hash::{BuildHasher, Hash, Hasher};
use verraft_core::digest::Digester;
use verraft_core::symmetry::{mix, rename};
use verraft_core::{MemStorage, NodeId};
use verraft_kv::KvCommand;

/// The hasher of state fingerprints: fixed seeds, so fingerprints are the same in every run.
pub fn fingerprint_hasher() -> ahash::AHasher {
    ahash::RandomState::with_seeds(
        0x5eed_0001_2345_6789,
        0x0bad_cafe_f00d_d00d,
        0x1357_9bdf_2468_ace0,
        0x0f0f_0f0f_f0f0_f0f0,
    )
    .build_hasher()
}

/// A 64-bit fingerprint of `value` (fixed seeds: deterministic).
pub fn fingerprint<T: Hash>(value: &T) -> u64 {
    let mut h = fingerprint_hasher();
    value.hash(&mut h);
    h.finish()
}

impl IdFree for KvNode {
    fn hash_id_free<H: Hasher>(&self, h: &mut H) {
        verraft_core::Node::hash_id_free(self, h);
    }
}

/// A disk's snapshot, log and term; its vote names a node and is hashed renamed.
impl IdFree for MemStorage<KvCommand> {
    fn hash_id_free<H: Hasher>(&self, h: &mut H) {
        self.snapshot.hash(h);
        self.log.hash(h);
        self.hard_state.term.hash(h);
    }
}

impl IdFree for Vec<HistoryOp> {
    fn hash_id_free<H: Hasher>(&self, h: &mut H) {
        self.hash(h);
    }
}

impl IdFree for CommittedEntries {
    fn hash_id_free<H: Hasher>(&self, h: &mut H) {
        self.hash(h);
    }
}

impl IdFree for AppliedEntries {
    fn hash_id_free<H: Hasher>(&self, h: &mut H) {
        self.hash(h);
    }
}

/// Most nodes a world has (`WorldConfig::validate`): per-node scratch lives in arrays.
pub(crate) const MAX_NODES: usize = 9;

/// The messages of one link, in the order they keep (send order on a FIFO link, content
/// order when links reorder: neither depends on node ids), hashed together.
#[derive(Clone, Copy)]
struct Link {
    from: NodeId,
    to: NodeId,
    messages: u64,
}

/// Digests of one world's parts, computed once per fingerprint and shared by the
/// signatures and every candidate renaming.
struct Digests {
    /// Per node: its digest, 0 while it is down.
    nodes: [u64; MAX_NODES],
    disks: [u64; MAX_NODES],
    /// Every link with messages in flight.
    links: SmallVec<[Link; 12]>,
}

/// A set or multiset of mixed items, summed: the same whatever order they come in.
#[derive(Default, Clone, Copy)]
struct Sum(u64);

impl Sum {
    fn add(&mut self, item: u64) {
        self.0 = self.0.wrapping_add(mix(item, 0x9e37_79b9_7f4a_7c15));
    }
}

/// Node ids as bits (ids are at most `MAX_NODES`), each renamed by `map`.
fn renamed_mask(ids: impl Iterator<Item = NodeId>, map: &[NodeId]) -> u64 {
    ids.fold(0, |mask, id| mask | 1 << rename(map, id))
}

impl World {
    #[inline(always)]
    fn digests(&self) -> Digests {
        let mut nodes = [0; MAX_NODES];
        let mut disks = [0; MAX_NODES];
        for (i, n) in self.nodes.iter().enumerate() {
            nodes[i] = n.as_ref().map_or(0, |n| n.digest());
        }
        for (i, d) in self.disks.iter().enumerate() {
            disks[i] = d.durable.digest();
        }
        let mut links: SmallVec<[Link; 12]> = SmallVec::new();
        for (k, e) in self.network.messages().iter().enumerate() {
            let digest = self.network.digest(k);
            match links.iter_mut().find(|l| l.from == e.from && l.to == e.to) {
                Some(l) => l.messages = mix(l.messages, digest),
                None => links.push(Link {
                    from: e.from,
                    to: e.to,
                    messages: mix(0, digest),
                }),
            }
        }
        Digests {
            nodes,
            disks,
            links,
        }
    }

    /// The fingerprint of this world's class under renaming of node ids.
    pub fn symmetric_fingerprint(&self) -> u64 {
        if let Some(dense) = self.with_dense_read_rounds() {
            return dense.symmetric_fingerprint();
        }
        if !self.renaming_applies() {
            return self.fingerprint_as_is();
        }
        let digests = self.digests();
        let candidates = self.candidate_orders_with(&digests);
        let mut best = u64::MAX;
        for order in candidates.iter() {
            let mut h = fingerprint_hasher();
            if !self.hash_with(&digests, &inverse(order), &mut h) {
                return fingerprint(self);
            }
            best = best.min(h.finish());
        }
        best
    }

    /// The fingerprint the model checker stores: the class's with symmetry reduction, the
    /// world's own without.
    pub fn fingerprint(&self, symmetric: bool) -> u64 {
        if symmetric {
            self.symmetric_fingerprint()
        } else {
            self.fingerprint_as_is()
        }
    }

    /// The fingerprint of this very world (no renaming), in the same scheme.
    pub fn fingerprint_as_is(&self) -> u64 {
        if let Some(dense) = self.with_dense_read_rounds() {
            return dense.fingerprint_as_is();
        }
        let identity: Order = (1..=self.config.nodes).collect();
        let mut h = fingerprint_hasher();
        if self.hash_renamed(&identity, &mut h) {
            h.finish()
        } else {
            fingerprint(self)
        }
    }

    /// Feed `h` this world as renamed by `map`, in the digest scheme: equal to what
    /// `self.renamed(map)` feeds under the identity renaming. `false` (and nothing
    /// meaningful written) when `renamed` would return `None`.
    pub fn hash_renamed<H: Hasher>(&self, map: &[NodeId], h: &mut H) -> bool {
        self.hash_with(&self.digests(), map, h)
    }

    /// Whether this world has images under renaming worth looking for: two nodes or more,
    /// no violation (its text names nodes), and no membership changes. Configuration
    /// entries name nodes inside log entries, on disks, in messages and snapshots, and the
    /// starting voters are fixed ids (a restart builds a node's configuration from its id),
    /// so a renaming would have to reach all of those; until it does, a world with
    /// membership changes is its own representative (exploring a depth-first and a
    /// breadth-first search then gives the same count, which a partial renaming did not).
    fn renaming_applies(&self) -> bool {
        self.config.nodes >= 2 && self.violation.is_none() && !self.config.features.membership
    }

    /// Node orders to try (see `Candidates`). `None` when the world is its own
    /// representative.
    pub(crate) fn candidate_orders(&self) -> Option<Candidates> {
        if !self.renaming_applies() {
            return None;
        }
        Some(self.candidate_orders_with(&self.digests()))
    }

    fn candidate_orders_with(&self, d: &Digests) -> Candidates {
        let n = self.config.nodes as usize;
        let signatures = self.signatures(d);
        // Ids by signature (a stable insertion sort: a handful of nodes).
        let mut order = [0 as NodeId; MAX_NODES];
        for id in 1..=n as NodeId {
            let sig = signatures[id as usize - 1];
            let mut at = id as usize - 1;
            while at > 0 && signatures[order[at - 1] as usize - 1] > sig {
                order[at] = order[at - 1];
                at -= 1;
            }
            order[at] = id;
        }
        Candidates::tied(&order[..n], &signatures)
    }

    fn hash_with<H: Hasher>(&self, d: &Digests, map: &[NodeId], h: &mut H) -> bool {
        // Every field, so that a new one cannot be forgotten here.
        let World {
            config,
            nodes,
            disks,
            network,
            partition,
            clients,
            history,
            clock,
            clocks,
            counters,
            ghost,
            violation,
            touched: _,
        } = self;
        let n = config.nodes as usize;
        // inv[k] = the old id that becomes id k+1.
        let mut inv = [0 as NodeId; MAX_NODES];
        for old in 1..=n as NodeId {
            inv[rename(map, old) as usize - 1] = old;
        }
        for old in &inv[..n] {
            let i = *old as usize - 1;
            match &nodes[i] {
                Some(node) => {
                    d.nodes[i].hash(h);
                    if !node.hash_ids_renamed(map, h) {
                        return false;
                    }
                }
                None => 0u64.hash(h),
            }
            let disk = &disks[i];
            let vote = disk.durable.hard_state.voted_for;
            let ids = vote.map_or(0, |v| 1 + u64::from(rename(map, v)));
            h.write_u64(mix(d.disks[i], ids | (disk.unsynced.len() as u64) << 16));
            for write in &disk.unsynced {
                write.snapshot.hash(h);
                write.hard_state.map(|hs| rename_hs(hs, map)).hash(h);
                write.log.hash(h);
            }
        }
        // Each link's messages keep their order; the links themselves form a set.
        let mut links = Sum::default();
        for l in &d.links {
            let link = u64::from(rename(map, l.from)) << 8 | u64::from(rename(map, l.to));
            links.add(mix(link, l.messages));
        }
        h.write_usize(network.len());
        h.write_u64(links.0);
        std::mem::discriminant(partition).hash(h);
        if let Some(groups) = partition {
            let mut moved = [0u8; MAX_NODES];
            for old in 1..=n as NodeId {
                moved[rename(map, old) as usize - 1] = groups[old as usize - 1];
            }
            number_by_first_member(&moved[..n]).hash(h);
        }
        h.write_usize(clients.len());
        for c in clients {
            c.id.hash(h);
            c.started.hash(h);
            c.state.renamed(|n| rename(map, n)).hash(h);
            c.history_index.hash(h);
        }
        history.digest().hash(h);
        clock.hash(h);
        clocks.renamed(config.nodes, |n| rename(map, n)).hash(h);
        counters.hash(h);
        ghost.terms_led.hash(h);
        ghost.quorum_lost.hash(h);
        ghost.read_after_change.hash(h);
        ghost.snapshot_installed.hash(h);
        ghost.recovered_from_snapshot.hash(h);
        ghost
            .transfer_campaign
            .map(|(n, t)| (rename(map, n), t))
            .hash(h);
        ghost.transfer_completed.hash(h);
        ghost.lease_read.hash(h);
        // `ghost.promises` is left out: the model checker does not track them (see
        // `WorldConfig::promises`).
        let mut leaders = Sum::default();
        for (term, record) in ghost.leaders.iter() {
            let node = u64::from(rename(map, record.node));
            let votes = renamed_mask(record.votes.iter(), map);
            leaders.add(mix(mix(*term, node), votes));
        }
        h.write_usize(ghost.leaders.len());
        h.write_u64(leaders.0);
        let mut votes = Sum::default();
        for ((voter, term), cand) in ghost.votes.iter() {
            let ids = u64::from(rename(map, *voter)) << 8 | u64::from(rename(map, *cand));
            votes.add(mix(*term, ids));
        }
        h.write_usize(ghost.votes.len());
        h.write_u64(votes.0);
        ghost.committed.digest().hash(h);
        ghost.applied.digest().hash(h);
        violation.hash(h);
        true
    }

    /// What each node looks like without any id in it: its own state and disk, the links
    /// it sends and receives on, the clients waiting on it, the size of its partition
    /// group, and what the ghost records say it did (terms it led, votes it cast for itself
    /// or not). Nodes that differ here are never images of each other, so they order the
    /// nodes of a canonical renaming.
    fn signatures(&self, d: &Digests) -> [u64; MAX_NODES] {
        let n = self.config.nodes as usize;
        let mut around = [Sum::default(); MAX_NODES];
        for l in &d.links {
            around[l.from as usize - 1].add(mix(1, l.messages));
            around[l.to as usize - 1].add(mix(2, l.messages));
        }
        for c in &self.clients {
            if let Some(node) = c.state.node() {
                around[node as usize - 1].add(3);
            }
        }
        for (term, record) in self.ghost.leaders.iter() {
            around[record.node as usize - 1].add(mix(4, *term));
        }
        for ((voter, term), cand) in self.ghost.votes.iter() {
            around[*voter as usize - 1].add(mix(5 + u64::from(voter == cand), *term));
        }
        let mut out = [0; MAX_NODES];
        for (i, sig) in out.iter_mut().enumerate().take(n) {
            let id = i as NodeId + 1;
            let mut h = Digester::new();
            d.nodes[i].hash(&mut h);
            if let Some(node) = &self.nodes[i] {
                node.symmetric_signature(&mut h);
            }
            let disk = &self.disks[i];
            d.disks[i].hash(&mut h);
            disk.durable
                .hard_state
                .voted_for
                .map(|v| v == id)
                .hash(&mut h);
            disk.unsynced.len().hash(&mut h);
            self.clocks.ahead(id).hash(&mut h);
            if let Some(groups) = &self.partition {
                groups
                    .iter()
                    .filter(|g| **g == groups[i])
                    .count()
                    .hash(&mut h);
            }
            h.write_u64(around[i].0);
            *sig = h.finish();
        }
        out
    }
}
