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
use crate::client::{ClientState, HistoryOp};
use crate::invariants::{AppliedEntries, CommittedEntries, KvNode};
use crate::memo::IdFree;
use crate::symmetry::{inverse, number_by_first_member, rename_hs, tie_orders, FxHasher, Order};
use crate::world::World;
use smallvec::SmallVec;
use std::hash::{BuildHasher, Hash, Hasher};
use verraft_core::symmetry::rename;
use verraft_core::{KvCommand, MemStorage, NodeId, Term};

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

/// A disk's log and term; its vote names a node and is hashed renamed.
impl IdFree for MemStorage<KvCommand> {
    fn hash_id_free<H: Hasher>(&self, h: &mut H) {
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

/// Digests of one world's parts, computed once per fingerprint and shared by the
/// signatures and every candidate renaming.
struct Digests {
    /// Per node: its digest, 0 while it is down.
    nodes: SmallVec<[u64; 9]>,
    disks: SmallVec<[u64; 9]>,
    /// Per message in flight: a digest of its content (ids are hashed renamed).
    messages: SmallVec<[u64; 16]>,
}

impl World {
    fn digests(&self) -> Digests {
        Digests {
            nodes: self
                .nodes
                .iter()
                .map(|n| n.as_ref().map_or(0, |n| n.digest()))
                .collect(),
            disks: self.disks.iter().map(|d| d.durable.digest()).collect(),
            messages: self
                .network
                .messages()
                .iter()
                .map(|e| fingerprint(&e.msg))
                .collect(),
        }
    }

    /// The fingerprint of this world's class under renaming of node ids.
    pub fn symmetric_fingerprint(&self) -> u64 {
        let n = self.config.nodes as usize;
        if n < 2 || self.violation.is_some() {
            return self.fingerprint_as_is();
        }
        let digests = self.digests();
        let candidates = self.candidate_orders_with(&digests);
        let mut best = u64::MAX;
        for order in &candidates {
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
        let identity: SmallVec<[NodeId; 9]> = (1..=self.config.nodes).collect();
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

    /// Node orders to try (`order[k]` = the old id that becomes id k+1): sorted by
    /// signature, every order among ties. `None` when the world is its own representative.
    pub(crate) fn candidate_orders(&self) -> Option<SmallVec<[Order; 6]>> {
        let n = self.config.nodes as usize;
        if n < 2 || self.violation.is_some() {
            return None;
        }
        Some(self.candidate_orders_with(&self.digests()))
    }

    fn candidate_orders_with(&self, d: &Digests) -> SmallVec<[Order; 6]> {
        let n = self.config.nodes;
        let signatures: SmallVec<[u64; 9]> = (1..=n).map(|id| self.signature(d, id)).collect();
        let mut order: Order = (1..=n).collect();
        order.sort_by_key(|id| signatures[*id as usize - 1]);
        tie_orders(&order, &signatures)
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
            counters,
            ghost,
            violation,
            log_touched: _,
        } = self;
        let n = config.nodes as usize;
        // inv[k] = the old id that becomes id k+1.
        let mut inv: SmallVec<[NodeId; 9]> = SmallVec::from_elem(0, n);
        for old in 1..=n as NodeId {
            inv[rename(map, old) as usize - 1] = old;
        }
        for old in &inv {
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
            d.disks[i].hash(h);
            disk.durable
                .hard_state
                .voted_for
                .map(|v| rename(map, v))
                .hash(h);
            h.write_usize(disk.unsynced.len());
            for (hs, log) in &disk.unsynced {
                hs.map(|hs| rename_hs(hs, map)).hash(h);
                log.hash(h);
            }
        }
        // Messages in the renamed world's order: by link, then (when links do not keep
        // order) by content.
        let messages = network.messages();
        let link = |i: usize| (rename(map, messages[i].from), rename(map, messages[i].to));
        let mut order: SmallVec<[usize; 16]> = (0..messages.len()).collect();
        if config.faults.reorder {
            order.sort_unstable_by_key(|i| (link(*i), d.messages[*i]));
        } else {
            order.sort_by_key(|i| link(*i));
        }
        h.write_usize(order.len());
        for i in order {
            link(i).hash(h);
            d.messages[i].hash(h);
        }
        std::mem::discriminant(partition).hash(h);
        if let Some(groups) = partition {
            let mut moved: SmallVec<[u8; 9]> = SmallVec::from_elem(0, n);
            for old in 1..=n as NodeId {
                moved[rename(map, old) as usize - 1] = groups[old as usize - 1];
            }
            number_by_first_member(&moved).hash(h);
        }
        h.write_usize(clients.len());
        for c in clients {
            c.id.hash(h);
            c.started.hash(h);
            match &c.state {
                ClientState::Waiting { node, index } => ClientState::Waiting {
                    node: rename(map, *node),
                    index: *index,
                }
                .hash(h),
                other => other.hash(h),
            }
            c.history_index.hash(h);
        }
        history.digest().hash(h);
        clock.hash(h);
        counters.hash(h);
        ghost.terms_led.hash(h);
        h.write_usize(ghost.leaders.len());
        for (term, record) in ghost.leaders.iter() {
            term.hash(h);
            rename(map, record.node).hash(h);
            let mut votes: SmallVec<[NodeId; 9]> =
                record.votes.iter().map(|v| rename(map, *v)).collect();
            votes.sort_unstable();
            votes.hash(h);
        }
        let mut votes: SmallVec<[((NodeId, Term), NodeId); 16]> = ghost
            .votes
            .iter()
            .map(|((voter, term), cand)| ((rename(map, *voter), *term), rename(map, *cand)))
            .collect();
        votes.sort_unstable();
        votes.hash(h);
        ghost.committed.digest().hash(h);
        ghost.applied.digest().hash(h);
        violation.hash(h);
        true
    }

    /// What node `id` looks like without any id in it: its own state and disk, the
    /// messages to and from it, the clients waiting on it, the size of its partition group,
    /// and what the ghost records say it did (terms it led, votes it cast for itself or not).
    fn signature(&self, d: &Digests, id: NodeId) -> u64 {
        let i = id as usize - 1;
        let mut h = FxHasher::default();
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
        let mut links: SmallVec<[(bool, u64); 16]> = self
            .network
            .messages()
            .iter()
            .enumerate()
            .filter(|(_, e)| e.from == id || e.to == id)
            .map(|(k, e)| (e.from == id, d.messages[k]))
            .collect();
        links.sort_unstable();
        links.hash(&mut h);
        let waiting = self
            .clients
            .iter()
            .filter(|c| matches!(c.state, ClientState::Waiting { node, .. } if node == id))
            .count();
        waiting.hash(&mut h);
        if let Some(groups) = &self.partition {
            groups
                .iter()
                .filter(|g| **g == groups[i])
                .count()
                .hash(&mut h);
        }
        for (term, record) in self.ghost.leaders.iter() {
            if record.node == id {
                term.hash(&mut h);
            }
        }
        let mut cast: SmallVec<[(Term, bool); 16]> = self
            .ghost
            .votes
            .iter()
            .filter(|((voter, _), _)| *voter == id)
            .map(|((_, term), cand)| (*term, *cand == id))
            .collect();
        cast.sort_unstable();
        cast.hash(&mut h);
        h.finish()
    }
}
