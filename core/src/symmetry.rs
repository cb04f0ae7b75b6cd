//! Renaming node ids, for symmetry reduction in the model checker: two clusters that differ
//! only in which id each node has behave the same, so the checker explores one of them.
//! Node fields are private to this crate, so the renaming of a node lives here.
use crate::message::Envelope;
use crate::node::Node;
use crate::rng::SplitMix64;
use crate::state_machine::StateMachine;
use crate::types::NodeId;
use std::hash::{Hash, Hasher};

/// A renaming of node ids: id `i` becomes `map[i - 1]`. Must be a permutation of `1..=n`.
pub type Renaming<'a> = &'a [NodeId];

pub fn rename(map: Renaming, id: NodeId) -> NodeId {
    map.get(id as usize - 1).copied().unwrap_or(id)
}

impl<M: StateMachine> Node<M> {
    /// This node as it would be had every id been renamed by `map`. Voters are kept sorted,
    /// so renamed nodes compare equal whatever renaming produced them; the order of voters
    /// only decides in which order a node's messages to *different* peers are sent.
    ///
    /// The election-timeout generator is seeded with the node's id; renaming is only
    /// meaningful when it is unused (no jitter, as in the simulator), and then it is
    /// renamed with the id so that it stays the default of the new id.
    ///
    /// `None` while the node has output its driver has not taken (`has_ready`): that output
    /// names peers too. Drivers take it after every input, so stored states never have any.
    pub fn renamed(&self, map: Renaming) -> Option<Node<M>> {
        if self.has_ready() {
            return None;
        }
        let mut n = self.clone();
        let old = self.config.id;
        let new = rename(map, old);
        n.config.id = new;
        n.config.voters = self.config.voters.iter().map(|v| rename(map, *v)).collect();
        n.config.voters.sort_unstable();
        if self.config.seed == u64::from(old) && self.rng == SplitMix64(self.config.seed) {
            n.config.seed = u64::from(new);
            n.rng = SplitMix64(n.config.seed);
        }
        n.voted_for = self.voted_for.map(|v| rename(map, v));
        n.leader = self.leader.map(|v| rename(map, v));
        n.votes = self.votes.iter().map(|v| rename(map, *v)).collect();
        n.progress = self
            .progress
            .iter()
            .map(|(p, pr)| (rename(map, *p), *pr))
            .collect();
        Some(n)
    }

    /// Feed `h` exactly what hashing `self.renamed(map)` would, without building the renamed
    /// node (the model checker fingerprints every generated state this way, so a renamed
    /// copy per state would cost more than the rest of the step). Returns `false`, having
    /// written nothing, when `renamed` would return `None`.
    ///
    /// The order of writes mirrors the derived `Hash` of `Node` and `Config` field by field;
    /// a test checks the two agree, so a new field that is forgotten here fails it.
    pub fn hash_renamed<H: Hasher>(&self, map: Renaming, h: &mut H) -> bool {
        if self.has_ready() {
            return false;
        }
        let old = self.config.id;
        let new = rename(map, old);
        let fresh_rng =
            self.config.seed == u64::from(old) && self.rng == SplitMix64(self.config.seed);
        let seed = if fresh_rng {
            u64::from(new)
        } else {
            self.config.seed
        };
        let c = &self.config;
        new.hash(h);
        let mut voters = IdBuf::renamed(c.voters.iter().copied(), map);
        voters.sort();
        voters.as_slice().hash(h);
        c.election_ticks.hash(h);
        c.election_jitter.hash(h);
        c.heartbeat_ticks.hash(h);
        c.max_append_entries.hash(h);
        seed.hash(h);
        c.bugs.hash(h);
        self.term.hash(h);
        self.voted_for.map(|v| rename(map, v)).hash(h);
        self.log.hash(h);
        self.role.hash(h);
        self.leader.map(|v| rename(map, v)).hash(h);
        self.commit.hash(h);
        self.applied.hash(h);
        // A BTreeSet hashes its length, then each element in order.
        let mut votes = IdBuf::renamed(self.votes.iter().copied(), map);
        votes.sort();
        h.write_usize(votes.len);
        for v in votes.as_slice() {
            v.hash(h);
        }
        self.vote_tally.hash(h);
        // A BTreeMap hashes its length, then each (key, value) in key order.
        let mut peers = IdBuf::renamed(self.progress.keys().copied(), map);
        peers.sort();
        h.write_usize(peers.len);
        for p in peers.as_slice() {
            let progress = self
                .progress
                .iter()
                .find(|(old, _)| rename(map, **old) == *p);
            if let Some((_, pr)) = progress {
                p.hash(h);
                pr.hash(h);
            }
        }
        self.election_elapsed.hash(h);
        self.heartbeat_elapsed.hash(h);
        self.election_timeout.hash(h);
        if fresh_rng {
            SplitMix64(seed).hash(h);
        } else {
            self.rng.hash(h);
        }
        self.state_machine.hash(h);
        self.outbox.hash(h);
        true
    }

    /// Feed the id-free part of this node's state to `h`: what stays the same under every
    /// renaming. Nodes with different signatures are never images of each other, so the
    /// signature orders nodes for a canonical renaming.
    pub fn symmetric_signature<H: Hasher>(&self, h: &mut H) {
        let me = self.config.id;
        self.term.hash(h);
        self.role.hash(h);
        self.voted_for.map(|v| v == me).hash(h);
        self.leader.map(|v| v == me).hash(h);
        self.log.hash(h);
        self.commit.hash(h);
        self.applied.hash(h);
        self.votes.len().hash(h);
        self.vote_tally.hash(h);
        let mut progress: Vec<_> = self
            .progress
            .values()
            .map(|p| (p.matched, p.next))
            .collect();
        progress.sort_unstable();
        progress.hash(h);
        self.election_elapsed.hash(h);
        self.heartbeat_elapsed.hash(h);
        self.election_timeout.hash(h);
        self.state_machine.hash(h);
    }
}

/// An envelope with both ends renamed.
pub fn renamed_envelope<C: Clone>(env: &Envelope<C>, map: Renaming) -> Envelope<C> {
    Envelope {
        from: rename(map, env.from),
        to: rename(map, env.to),
        msg: env.msg.clone(),
    }
}

/// Node ids on the stack: renaming for a fingerprint must not allocate. Clusters have at
/// most 255 nodes (ids are `u8`).
pub struct IdBuf {
    ids: [NodeId; 255],
    pub len: usize,
}

impl IdBuf {
    /// `ids` renamed by `map`, in the order given.
    pub fn renamed(ids: impl Iterator<Item = NodeId>, map: Renaming) -> IdBuf {
        let mut buf = IdBuf {
            ids: [0; 255],
            len: 0,
        };
        for id in ids {
            buf.ids[buf.len] = rename(map, id);
            buf.len += 1;
        }
        buf
    }

    pub fn sort(&mut self) {
        self.ids[..self.len].sort_unstable();
    }

    pub fn as_slice(&self) -> &[NodeId] {
        &self.ids[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::kv::KvStore;
    use crate::message::Message;
    use crate::node::Node;

    fn node(id: u8) -> Node<KvStore> {
        let mut c = Config::new(id, vec![1, 2, 3]);
        c.election_jitter = 0;
        Node::new(c, KvStore::new()).unwrap()
    }

    /// Renaming commutes with stepping: rename-then-act equals act-then-rename.
    #[test]
    fn renaming_commutes_with_an_election() {
        let map = [3, 1, 2];
        let mut a = node(1);
        a.fire_election_timeout();
        a.ready();
        a.step(
            2,
            Message::RequestVoteResponse {
                term: 1,
                granted: true,
            },
        )
        .unwrap();
        a.ready();
        let renamed_after = a.renamed(&map).unwrap();

        let mut b = node(1).renamed(&map).unwrap();
        b.fire_election_timeout();
        b.ready();
        b.step(
            1,
            Message::RequestVoteResponse {
                term: 1,
                granted: true,
            },
        )
        .unwrap();
        b.ready();
        assert_eq!(b.id(), 3);
        assert_eq!(b.votes().iter().copied().collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(renamed_after, b);
    }

    #[test]
    fn the_identity_renaming_changes_nothing() {
        let mut a = node(2);
        a.fire_election_timeout();
        a.ready();
        assert_eq!(a.renamed(&[1, 2, 3]), Some(a.clone()));
        a.fire_election_timeout();
        assert_eq!(a.renamed(&[1, 2, 3]), None, "pending output names peers");
    }

    /// `hash_renamed` writes what hashing the renamed node writes, for every renaming.
    #[test]
    fn hash_renamed_matches_the_hash_of_the_renamed_node() {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut a = node(2);
        a.fire_election_timeout();
        a.ready();
        a.step(
            3,
            Message::RequestVoteResponse {
                term: 1,
                granted: true,
            },
        )
        .unwrap();
        a.ready();
        assert_eq!(a.role(), crate::types::Role::Leader);
        for map in [
            [1, 2, 3],
            [2, 3, 1],
            [3, 1, 2],
            [1, 3, 2],
            [2, 1, 3],
            [3, 2, 1],
        ] {
            let mut streamed = DefaultHasher::new();
            assert!(a.hash_renamed(&map, &mut streamed));
            let mut built = DefaultHasher::new();
            a.renamed(&map).unwrap().hash(&mut built);
            assert_eq!(streamed.finish(), built.finish(), "{map:?}");
        }
        a.fire_heartbeat();
        assert!(!a.hash_renamed(&[1, 2, 3], &mut DefaultHasher::new()));
    }
}
