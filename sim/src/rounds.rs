//! Dense ReadIndex confirmation rounds, for the model checker's fingerprints.
//!
//! A leader numbers its confirmation rounds with a counter that only grows within its term
//! (an answer to round `r` counts for every read of a round up to `r`, and never for a read
//! that came after the round was sent). With pre-vote on, a term can last for ever within the
//! bounds: a follower times out, is refused a pre-vote, a client retries its read... and each
//! read starts a new round. Only the order of the rounds in use matters to the protocol, so
//! the fingerprint of a world is taken on its copy with the rounds each leader has in use
//! (round 0, which answers to an earlier term's round carry and which counts for nothing; its
//! reads' and lease rounds; those of its messages in flight) renumbered `0, 1, ...` in their
//! order, its count of rounds started set to the last of them (the next round it starts is
//! then later than every round in use, as before), and the rounds nobody will count
//! (messages of a past leadership)
//! renumbered among themselves likewise (set all to 0, two of them on one FIFO link would
//! become one message twice, and dropping "the second" would no longer be a choice).
//! The two worlds behave alike step for step, so exploring one of them explores both.
//! The world itself keeps its numbers: traces and replays show the rounds as they were.
use crate::world::World;
use std::collections::BTreeMap;
use std::sync::Arc;
use verraft_core::{Message, NodeId, Role, Term};
use verraft_kv::KvCommand;

/// Per node, the rounds in use when it leads (sorted, deduplicated), else `None`.
type RoundsInUse = Vec<Option<(Term, Vec<u64>)>>;

impl World {
    /// A copy of this world with its confirmation rounds renumbered densely, or `None` when
    /// they already are (or no node uses any): the world is then its own dense copy.
    pub fn with_dense_read_rounds(&self) -> Option<World> {
        if !self.config.features.read_index {
            return None;
        }
        let in_use = self.rounds_in_use();
        let stale = self.stale_rounds(&in_use);
        let dense = |rounds: &[u64]| rounds.iter().enumerate().all(|(k, r)| *r == k as u64);
        // A leader's count is dense when it is its last round in use.
        let last_dense = |i: usize, rounds: &[u64]| {
            let node = self.nodes[i].as_deref();
            node.is_none_or(|n| n.last_read_round() + 1 == rounds.len() as u64)
        };
        let leaders_dense = in_use
            .iter()
            .enumerate()
            .all(|(i, r)| r.as_ref().is_none_or(|(_, r)| dense(r) && last_dense(i, r)));
        if stale.values().all(|r| dense(r)) && leaders_dense {
            return None;
        }
        let rank = |rounds: &[u64], round: u64| rounds.partition_point(|r| *r < round) as u64;
        let mut copy = self.clone();
        for (i, slot) in copy.nodes.iter_mut().enumerate() {
            if let (Some(node), Some((_, rounds))) = (slot, &in_use[i]) {
                if !dense(rounds) || !last_dense(i, rounds) {
                    let last = rounds.len() as u64 - 1;
                    Arc::make_mut(node).renumber_read_rounds(|r| rank(rounds, r), last);
                }
            }
        }
        let reorder = self.config.faults.reorder;
        copy.network.rewrite(
            |e| {
                let Some((owner, term, round)) = round_owner(&e.msg, e.from, e.to) else {
                    return false;
                };
                // Stale rounds (of a term their owner no longer leads) are renumbered among
                // themselves: two of them on one FIFO link must stay two messages.
                let new = match &in_use[owner as usize - 1] {
                    Some((t, rounds)) if *t == term => rank(rounds, round),
                    _ => stale
                        .get(&(owner, term))
                        .map_or(0, |rounds| rank(rounds, round)),
                };
                set_round(&mut e.msg, new);
                new != round
            },
            reorder,
        );
        Some(copy)
    }

    /// The rounds of messages in flight whose owner no longer leads their term, by owner
    /// and term (sorted, deduplicated). Nobody acts on them any more, but they are still
    /// distinct messages.
    fn stale_rounds(&self, in_use: &RoundsInUse) -> BTreeMap<(NodeId, Term), Vec<u64>> {
        let mut stale: BTreeMap<(NodeId, Term), Vec<u64>> = BTreeMap::new();
        for e in self.network.messages() {
            if let Some((owner, term, round)) = round_owner(&e.msg, e.from, e.to) {
                if !leads_in(in_use, owner, term) {
                    stale.entry((owner, term)).or_default().push(round);
                }
            }
        }
        for rounds in stale.values_mut() {
            rounds.sort_unstable();
            rounds.dedup();
        }
        stale
    }

    /// Each leading node's rounds in use: its own, and those of the messages of its term
    /// that it sent or that answer it.
    fn rounds_in_use(&self) -> RoundsInUse {
        let mut in_use: RoundsInUse = self
            .nodes
            .iter()
            .map(|n| {
                let n = n.as_ref()?;
                (n.role() == Role::Leader).then(|| (n.term(), n.read_rounds().collect()))
            })
            .collect();
        for e in self.network.messages() {
            if let Some((owner, term, round)) = round_owner(&e.msg, e.from, e.to) {
                if let Some((t, rounds)) = &mut in_use[owner as usize - 1] {
                    if *t == term {
                        rounds.push(round);
                    }
                }
            }
        }
        for (_, rounds) in in_use.iter_mut().flatten() {
            rounds.sort_unstable();
            rounds.dedup();
        }
        in_use
    }
}

/// The leader whose round a message names (its sender for a confirmation request, its
/// receiver for an answer), with the message's term and round.
fn round_owner(msg: &Message<KvCommand>, from: NodeId, to: NodeId) -> Option<(NodeId, Term, u64)> {
    match msg {
        Message::ReadConfirm { term, round } => Some((from, *term, *round)),
        Message::ReadConfirmResponse { term, round } => Some((to, *term, *round)),
        _ => None,
    }
}

fn leads_in(in_use: &RoundsInUse, node: NodeId, term: Term) -> bool {
    matches!(&in_use[node as usize - 1], Some((t, _)) if *t == term)
}

fn set_round(msg: &mut Message<KvCommand>, new: u64) {
    if let Message::ReadConfirm { round, .. } | Message::ReadConfirmResponse { round, .. } = msg {
        *round = new;
    }
}
