//! Renaming node ids, for symmetry reduction in the model checker: two clusters that differ
//! only in which id each node has behave the same, so the checker explores one of them.
//! Node fields are private to this crate, so the renaming of a node lives here.
use crate::config::Config;
use crate::membership::Membership;
use crate::message::Envelope;
use crate::node::Node;
use crate::node_set::NodeSet;
use crate::rng::SplitMix64;
use crate::state_machine::StateMachine;
use crate::types::{Entry, NodeId, Payload};
use std::hash::{Hash, Hasher};

/// A renaming of node ids: id `i` becomes `map[i - 1]`. Must be a permutation of `1..=n`.
pub type Renaming<'a> = &'a [NodeId];

/// The new name of `id` under `map`. An id outside the map (beyond its length) keeps its
/// name. Ids start at 1: id 0 overflows the subtraction (a panic in debug builds).
pub fn rename(map: Renaming, id: NodeId) -> NodeId {
    map.get(id as usize - 1).copied().unwrap_or(id)
}

/// Mix two words into one (wyhash's folded multiply): every input bit reaches every output
/// bit. Fingerprints sum mixed items to hash a set or multiset whose order must not matter
/// (a follower's progress, the messages on each link, the ghost records): a sum needs no
/// sorting, and renamed copies of a set sum alike.
#[inline]
pub fn mix(a: u64, b: u64) -> u64 {
    let p = u128::from(a ^ 0x2d35_8dcc_aa6c_78a5) * u128::from(b ^ 0x8bb8_4b93_962e_acc9);
    (p as u64) ^ ((p >> 64) as u64)
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
        let mut config = self.config.clone();
        config.id = new;
        config.voters = self.config.voters.iter().map(|v| rename(map, *v)).collect();
        config.voters.sort_unstable();
        if self.config.seed == u64::from(old) && self.rng == SplitMix64(self.config.seed) {
            config.seed = u64::from(new);
            n.rng = SplitMix64(config.seed);
        }
        n.config = config;
        n.voted_for = self.voted_for.map(|v| rename(map, v));
        n.leader = self.leader.map(|v| rename(map, v));
        n.transfer = self.transfer.map(|v| rename(map, v));
        n.votes = self.votes.map(|v| rename(map, v));
        n.progress = self
            .progress
            .iter()
            .map(|(p, pr)| (rename(map, p), *pr))
            .collect();
        for r in &mut n.reads.pending {
            r.from = r.from.map(|f| rename(map, f));
            r.acks = r.acks.map(|v| rename(map, v));
        }
        for r in &mut n.lease.rounds {
            r.acks = r.acks.map(|v| rename(map, v));
        }
        n.membership = rename_membership(&self.membership, map);
        n.snapshot.membership = self.snapshot.membership.map(|m| rename_membership(&m, map));
        if n.log
            .entries()
            .iter()
            .any(|e| matches!(e.payload, Payload::Config(_)))
        {
            let entries = n
                .log
                .entries()
                .iter()
                .map(|e| match &e.payload {
                    Payload::Config(m) => Entry {
                        term: e.term,
                        payload: Payload::Config(rename_membership(m, map)),
                    },
                    _ => e.clone(),
                })
                .collect();
            n.log = crate::log::RaftLog::after_snapshot(self.log.start(), entries);
        }
        Some(n)
    }

    /// Feed `h` the part of this node's state that holds no node id (its term, role, log,
    /// commit and apply indices, timers, state machine...): what every renaming leaves
    /// alone, so a model checker can hash it once per node and reuse the digest for every
    /// renaming it tries. `hash_ids_renamed` covers the rest; together they cover every
    /// field (the destructuring below fails to compile when a field is added).
    pub fn hash_id_free<H: Hasher>(&self, h: &mut H) {
        let Node {
            config,
            term,
            voted_for: _,
            log,
            role,
            leader: _,
            commit,
            applied,
            synced,
            votes: _,
            vote_tally,
            progress: _,
            election_elapsed,
            heartbeat_elapsed,
            election_timeout,
            rng: _,
            state_machine,
            snapshot,
            transfer: _,
            reads,
            lease,
            membership: _,
            membership_index,
            outbox,
        } = self;
        let Config {
            id: _,
            voters,
            election_ticks,
            election_jitter,
            heartbeat_ticks,
            max_append_entries,
            pre_vote,
            check_quorum,
            lease_reads,
            clock_drift_ticks,
            snapshot_every,
            seed: _,
            bugs,
        } = config;
        voters.len().hash(h);
        election_ticks.hash(h);
        election_jitter.hash(h);
        heartbeat_ticks.hash(h);
        max_append_entries.hash(h);
        pre_vote.hash(h);
        check_quorum.hash(h);
        lease_reads.hash(h);
        clock_drift_ticks.hash(h);
        snapshot_every.hash(h);
        bugs.hash(h);
        term.hash(h);
        log.hash(h);
        role.hash(h);
        commit.hash(h);
        applied.hash(h);
        synced.hash(h);
        vote_tally.hash(h);
        election_elapsed.hash(h);
        heartbeat_elapsed.hash(h);
        election_timeout.hash(h);
        state_machine.hash(h);
        snapshot.hash(h);
        // Reads without the nodes they name (a forwarding follower, the acknowledgers):
        // `hash_ids_renamed` covers those.
        reads.last_round.hash(h);
        reads.forwarded.hash(h);
        h.write_usize(reads.pending.len());
        for r in &reads.pending {
            (r.id, r.index, r.round, r.acks.len(), r.from.is_some()).hash(h);
        }
        // The lease without its acknowledgers (`hash_ids_renamed` covers those).
        (lease.remaining, lease.spent, lease.promised).hash(h);
        h.write_usize(lease.rounds.len());
        for r in &lease.rounds {
            (r.round, r.age, r.acks.len()).hash(h);
        }
        membership_index.hash(h);
        outbox.hash(h);
    }

    /// Feed `h` the id-bearing part of this node's state as it would be after renaming by
    /// `map` (see `renamed`), without building the renamed node. Returns `false`, having
    /// written nothing, when `renamed` would return `None` (output not yet taken names peers).
    pub fn hash_ids_renamed<H: Hasher>(&self, map: Renaming, h: &mut H) -> bool {
        if self.has_ready() {
            return false;
        }
        let old = self.config.id;
        let new = rename(map, old);
        // The unused timeout generator is seeded with the id and renamed with it.
        let fresh_rng =
            self.config.seed == u64::from(old) && self.rng == SplitMix64(self.config.seed);
        // The single ids in one word (an absent one as 0, id v as v + 1), the sets as sets
        // (the renamed node keeps its voters sorted: as a set, their order is moot).
        let one = |v: Option<NodeId>| v.map_or(0, |v| 1 + u64::from(rename(map, v)));
        h.write_u64(
            u64::from(new)
                | one(self.voted_for) << 16
                | one(self.leader) << 32
                | u64::from(fresh_rng) << 48,
        );
        let voters: NodeSet = self.config.voters.iter().map(|v| rename(map, *v)).collect();
        voters.hash(h);
        if !fresh_rng {
            self.config.seed.hash(h);
            self.rng.hash(h);
        }
        self.votes.map(|v| rename(map, v)).hash(h);
        // The starting configuration is the voters', hashed above: only a changed one is
        // hashed (the model checker renames every node of every state it meets).
        if self.membership_index != 0 || self.snapshot.membership.is_some() {
            rename_membership(&self.membership, map).hash(h);
        }
        one(self.transfer).hash(h);
        // Followers' progress as a set of (renamed peer, progress): summed, so that no
        // renamed copy needs sorting.
        h.write_usize(self.progress.len());
        let progress = self.progress.iter().fold(0u64, |sum, (p, pr)| {
            let peer = u64::from(rename(map, p));
            let next = pr.next | u64::from(pr.recent_active) << 63;
            sum.wrapping_add(mix(mix(peer, pr.matched), next))
        });
        h.write_u64(progress);
        for r in &self.reads.pending {
            r.from.map(|f| rename(map, f)).hash(h);
            r.acks.map(|v| rename(map, v)).hash(h);
        }
        for r in &self.lease.rounds {
            r.acks.map(|v| rename(map, v)).hash(h);
        }
        true
    }

    /// Feed `h` what this node's id-bearing state says about the node itself without naming
    /// anyone: whether it voted for itself, leads, how many votes it holds, its followers'
    /// progress as a multiset. With `hash_id_free` this orders nodes for a canonical
    /// renaming: nodes that differ here are never images of each other.
    pub fn symmetric_signature<H: Hasher>(&self, h: &mut H) {
        let me = self.config.id;
        self.voted_for.map(|v| v == me).hash(h);
        self.leader.map(|v| v == me).hash(h);
        self.transfer.is_some().hash(h);
        self.votes.len().hash(h);
        // Followers' progress as a multiset, summed (no order to agree on).
        h.write_usize(self.progress.len());
        let progress = self.progress.values().fold(0u64, |sum, p| {
            let next = p.next | u64::from(p.recent_active) << 63;
            sum.wrapping_add(mix(p.matched, next))
        });
        h.write_u64(progress);
    }
}

impl<M: StateMachine> Node<M> {
    /// The confirmation rounds this node's state names besides its count of rounds
    /// started: round 0 (which names no round), the rounds its pending reads wait for and
    /// its lease rounds. Only their order matters to the protocol (an answer to round `r`
    /// counts for reads and lease rounds up to `r`), so a model checker may renumber them
    /// densely (`renumber_read_rounds`) to keep a leader that confirms read after read
    /// within one term from making endless distinct states.
    pub fn read_rounds(&self) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(0)
            .chain(self.reads.pending.iter().map(|r| r.round))
            .chain(self.lease.rounds.iter().map(|r| r.round))
    }

    /// The number of the last confirmation round this node started (0: none this term).
    pub fn last_read_round(&self) -> u64 {
        self.reads.last_round
    }

    /// Renumber this node's confirmation rounds by `map`, which must preserve their order
    /// and keep 0 at 0 (and be applied alike to the rounds of messages in flight to and from
    /// this node in its term), and make `last` its count of rounds started: at least every
    /// round still in use, so that the next round it starts is later than all of them and
    /// the node behaves exactly as before.
    pub fn renumber_read_rounds(&mut self, map: impl Fn(u64) -> u64, last: u64) {
        self.reads.last_round = last;
        for r in &mut self.reads.pending {
            r.round = map(r.round);
        }
        for r in &mut self.lease.rounds {
            r.round = map(r.round);
        }
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

/// A configuration with every id renamed by `map`.
fn rename_membership(m: &Membership, map: Renaming) -> Membership {
    Membership {
        voters: m.voters.map(|v| rename(map, v)),
        outgoing: m.outgoing.map(|v| rename(map, v)),
        learners: m.learners.map(|v| rename(map, v)),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::message::Message;
    use crate::node::Node;
    use crate::state_machine::StateMachine;
    use crate::types::Index;
    use serde::{Deserialize, Serialize};

    /// The smallest state machine: renaming never looks inside it, but a node needs one.
    #[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
    struct Sum(u64);

    impl StateMachine for Sum {
        type Command = u64;
        type Output = u64;
        fn apply(&mut self, _index: Index, add: &u64) -> u64 {
            self.0 = self.0.wrapping_add(*add);
            self.0
        }
    }

    fn node(id: u8) -> Node<Sum> {
        let mut c = Config::new(id, vec![1, 2, 3]).without_options();
        c.election_jitter = 0;
        Node::new(c, Sum::default()).unwrap()
    }

    /// Node `id` after winning term 1 with the vote of `voter`, its output taken.
    fn elected(id: u8, voter: u8) -> Node<Sum> {
        let mut n = node(id);
        n.fire_election_timeout();
        n.ready();
        n.step(
            voter,
            Message::RequestVoteResponse {
                term: 1,
                granted: true,
            },
        )
        .unwrap();
        n.ready();
        n
    }

    /// Renaming commutes with stepping: rename-then-act equals act-then-rename.
    #[test]
    fn renaming_commutes_with_an_election() {
        let map = [3, 1, 2];
        let renamed_after = elected(1, 2).renamed(&map).unwrap();

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
        assert_eq!(b.votes().iter().collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(renamed_after, b);
    }

    /// A log that starts after a snapshot keeps its start when configuration entries in it
    /// are renamed (rebuilt from the renamed entries, it must sit at the same indexes).
    #[test]
    fn renaming_configuration_entries_keeps_the_log_after_its_snapshot() {
        use crate::membership::MembershipChange;
        use crate::types::{Payload, Role};
        let mut a = elected(1, 2);
        a.log_synced(1, 1);
        a.step(
            2,
            Message::AppendEntriesResponse {
                term: 1,
                success: true,
                index: 1,
                conflict_term: None,
            },
        )
        .unwrap();
        assert_eq!(a.commit_index(), 1);
        a.ready();
        assert_eq!(a.compact().unwrap().map(|m| m.index), Some(1));
        a.change_membership(MembershipChange::RemoveVoter(3))
            .unwrap();
        a.ready();
        assert_eq!(a.role(), Role::Leader);
        let map = [2, 3, 1];
        let r = a.renamed(&map).unwrap();
        assert_eq!(r.log.start(), a.log.start());
        assert_eq!(r.last_index(), 2);
        let Payload::Config(m) = &r.log.get(2).unwrap().payload else {
            panic!("entry 2 is the configuration");
        };
        assert_eq!(m.voters.iter().collect::<Vec<_>>(), vec![2, 3]);
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

    /// The id-free part is the same for a node and its renamings; the id part of a node
    /// renamed by `map` is what `hash_ids_renamed(map)` writes; and the two parts together
    /// tell apart nodes that differ.
    #[test]
    fn hashing_under_a_renaming_matches_the_renamed_node() {
        use std::hash::{DefaultHasher, Hasher};
        let both = |n: &Node<Sum>, map: &[u8]| {
            let mut h = DefaultHasher::new();
            n.hash_id_free(&mut h);
            assert!(n.hash_ids_renamed(map, &mut h));
            h.finish()
        };
        let mut candidate = node(2);
        candidate.fire_election_timeout();
        candidate.ready();
        let mut a = elected(2, 3);
        assert_eq!(a.role(), crate::types::Role::Leader);
        for map in [
            [1, 2, 3],
            [2, 3, 1],
            [3, 1, 2],
            [1, 3, 2],
            [2, 1, 3],
            [3, 2, 1],
        ] {
            let r = a.renamed(&map).unwrap();
            assert_eq!(both(&a, &map), both(&r, &[1, 2, 3]), "{map:?}");
        }
        assert_ne!(both(&a, &[1, 2, 3]), both(&candidate, &[1, 2, 3]));
        assert_ne!(both(&a, &[1, 2, 3]), both(&a, &[2, 1, 3]));
        a.fire_heartbeat();
        assert!(!a.hash_ids_renamed(&[1, 2, 3], &mut DefaultHasher::new()));
    }
}
