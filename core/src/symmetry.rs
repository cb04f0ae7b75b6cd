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
}
