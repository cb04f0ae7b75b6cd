//! Messages in flight. A multiset: with reordering on it is kept sorted, so two worlds with
//! the same messages in flight are the same state whatever order they were sent in; with
//! reordering off it keeps send order and only the oldest message of each link can arrive.
//!
//! Each message carries two flags kept up to date as messages come and go: whether it is the
//! first copy of itself in flight, and whether it is the oldest message on its link. Listing
//! or counting the distinct messages (what drop and duplicate may pick) and the deliverable
//! ones then compares nothing. It also carries a digest of its content (ids left out), taken
//! the first time the model checker's fingerprint asks for it and kept while the message
//! stays in flight, in every state that holds it: the fingerprints hash digests, not
//! messages. A run that never fingerprints (simulation, fuzzing) never pays for one.
use crate::event::MsgRef;
use crate::fingerprint::fingerprint;
use crate::memo::DigestSlot;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::hash::{Hash, Hasher};
use verraft_core::{Envelope, NodeId};
use verraft_kv::KvCommand;

#[derive(Clone, Default)]
pub struct Network {
    messages: Vec<Envelope<KvCommand>>,
    /// What is known of `messages[i]` beyond its content; derived from the messages alone.
    slots: Vec<Slot>,
    /// How many slots are `first`, and how many are `head`.
    firsts: usize,
    heads: usize,
}

#[derive(Clone, Debug)]
struct Slot {
    /// `fingerprint(&msg)` of the message, once asked for.
    digest: DigestSlot,
    /// No equal message (same link, same content) comes before it.
    first: bool,
    /// No message of the same link comes before it.
    head: bool,
}

/// Networks are equal when they hold the same messages in the same order: everything else
/// is derived from the messages.
impl PartialEq for Network {
    fn eq(&self, other: &Network) -> bool {
        self.messages == other.messages
    }
}
impl Eq for Network {}

/// A person reading a state (the Explorer, test failures) wants the messages; the rest is
/// derived from them.
impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.messages).finish()
    }
}

/// Equal networks hold equal messages, hence equal digests.
impl Hash for Network {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_usize(self.messages.len());
        for (e, slot) in self.messages.iter().zip(&self.slots) {
            e.from.hash(h);
            e.to.hash(h);
            slot.digest.get_or(|| fingerprint(&e.msg)).hash(h);
        }
    }
}

/// On the wire (scenario tools, JSON dumps) a network is its messages; the rest is derived.
impl Serialize for Network {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.messages.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Network, D::Error> {
        let mut network = Network {
            messages: Vec::<Envelope<KvCommand>>::deserialize(d)?,
            ..Network::default()
        };
        network.rebuild_slots();
        Ok(network)
    }
}

fn same_link(a: &Envelope<KvCommand>, b: &Envelope<KvCommand>) -> bool {
    a.from == b.from && a.to == b.to
}

impl Network {
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn messages(&self) -> &[Envelope<KvCommand>] {
        &self.messages
    }

    /// The content digest of message `i` (ids left out): equal for equal messages.
    pub fn digest(&self, i: usize) -> u64 {
        self.slots[i]
            .digest
            .get_or(|| fingerprint(&self.messages[i].msg))
    }

    pub fn send(&mut self, env: Envelope<KvCommand>, reorder: bool) {
        self.insert(env, DigestSlot::default(), reorder);
    }

    /// Put a second copy of message `i` in flight.
    pub fn duplicate(&mut self, i: usize, reorder: bool) {
        let copy = self.messages[i].clone();
        let slot = Slot {
            digest: self.slots[i].digest.clone(),
            // Both orders put a copy after the original, on the original's link.
            first: false,
            head: false,
        };
        let at = if reorder {
            self.messages.partition_point(|m| *m <= copy)
        } else {
            self.messages.len()
        };
        self.messages.insert(at, copy);
        self.slots.insert(at, slot);
    }

    fn insert(&mut self, env: Envelope<KvCommand>, digest: DigestSlot, reorder: bool) {
        let (at, first, head) = if reorder {
            // After every message it does not sort before: after its equal copies, if any.
            // Sorted by link first, so a link's messages are neighbours, and so are copies.
            let at = self.messages.partition_point(|m| *m <= env);
            let before = at.checked_sub(1).map(|b| &self.messages[b]);
            let first = before.is_none_or(|b| *b != env);
            let head = !before.is_some_and(|b| same_link(b, &env));
            if head && self.messages.get(at).is_some_and(|m| same_link(m, &env)) {
                // The link's oldest message so far now comes after this one.
                self.slots[at].head = false;
                self.heads -= 1;
            }
            (at, first, head)
        } else {
            let first = !self.messages.contains(&env);
            let head = !self.messages.iter().any(|m| same_link(m, &env));
            (self.messages.len(), first, head)
        };
        self.firsts += usize::from(first);
        self.heads += usize::from(head);
        self.messages.insert(at, env);
        self.slots.insert(
            at,
            Slot {
                digest,
                first,
                head,
            },
        );
    }

    /// Whether messages `i` and `j` are the same message on the same link.
    fn same(&self, i: usize, j: usize) -> bool {
        self.messages[i] == self.messages[j]
    }

    fn rebuild_slots(&mut self) {
        let messages = std::mem::take(&mut self.messages);
        *self = Network::default();
        for env in messages {
            // In the order kept: appending keeps it, and derives every flag.
            self.insert(env, DigestSlot::default(), false);
        }
    }

    /// Rewrite messages in place: `rewrite` changes a message and says whether it did.
    /// When any changed, the order kept is restored (content order when links reorder,
    /// send order otherwise) and every derived flag and digest is taken anew.
    pub fn rewrite(
        &mut self,
        mut rewrite: impl FnMut(&mut Envelope<KvCommand>) -> bool,
        reorder: bool,
    ) {
        let mut changed = false;
        for env in &mut self.messages {
            changed |= rewrite(env);
        }
        if changed {
            if reorder {
                self.messages.sort();
            }
            self.rebuild_slots();
        }
    }

    /// Where a message named by an event is, if it may be delivered now.
    pub fn find(&self, from: NodeId, to: NodeId, msg: &MsgRef, reorder: bool) -> Option<usize> {
        if reorder {
            self.messages
                .iter()
                .position(|e| e.from == from && e.to == to && msg.matches(&e.msg))
        } else {
            let head = self
                .messages
                .iter()
                .position(|e| e.from == from && e.to == to)?;
            msg.matches(&self.messages[head].msg).then_some(head)
        }
    }

    pub fn take(&mut self, at: usize) -> Envelope<KvCommand> {
        let slot = self.slots[at].clone();
        if slot.first {
            // The next copy of it, if any, is now the first.
            self.firsts -= 1;
            if let Some(next) = (at + 1..self.messages.len()).find(|&k| self.same(at, k)) {
                self.slots[next].first = true;
                self.firsts += 1;
            }
        }
        if slot.head {
            // The next message of its link, if any, is now the oldest.
            self.heads -= 1;
            let env = &self.messages[at];
            if let Some(next) =
                (at + 1..self.messages.len()).find(|&k| same_link(&self.messages[k], env))
            {
                self.slots[next].head = true;
                self.heads += 1;
            }
        }
        self.slots.remove(at);
        self.messages.remove(at)
    }

    /// Keep only the messages `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Envelope<KvCommand>) -> bool) {
        let before = self.messages.len();
        self.messages.retain(|e| keep(e));
        if self.messages.len() != before {
            self.rebuild_slots();
        }
    }

    /// Indices of the messages that can be the next to arrive, each distinct message once:
    /// with reordering the first copy of each, without it the oldest message of each link.
    pub fn deliverable(&self, reorder: bool) -> impl Iterator<Item = usize> + '_ {
        (0..self.messages.len()).filter(move |&i| {
            let s = &self.slots[i];
            if reorder {
                s.first
            } else {
                s.head
            }
        })
    }

    /// How many indices `deliverable` lists.
    pub fn deliverable_count(&self, reorder: bool) -> usize {
        if reorder {
            self.firsts
        } else {
            self.heads
        }
    }

    /// The `k`-th index `deliverable` lists.
    pub fn nth_deliverable(&self, k: usize, reorder: bool) -> Option<usize> {
        self.deliverable(reorder).nth(k)
    }

    /// Indices of each distinct message in flight, once (for drop and duplicate, which may
    /// pick any copy): the first copy of each.
    pub fn distinct(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.messages.len()).filter(move |&i| self.slots[i].first)
    }

    /// How many indices `distinct` lists.
    pub fn distinct_count(&self) -> usize {
        self.firsts
    }

    /// The `k`-th index `distinct` lists.
    pub fn nth_distinct(&self, k: usize) -> Option<usize> {
        self.distinct().nth(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verraft_core::Message;

    fn vote(from: NodeId, to: NodeId, term: u64) -> Envelope<KvCommand> {
        Envelope {
            from,
            to,
            msg: Message::RequestVoteResponse {
                term,
                granted: true,
            },
        }
    }

    fn network(reorder: bool, msgs: &[Envelope<KvCommand>]) -> Network {
        let mut n = Network::default();
        for m in msgs {
            n.send(m.clone(), reorder);
        }
        n
    }

    #[test]
    fn fifo_links_deliver_only_their_oldest_message() {
        let n = network(
            false,
            &[vote(1, 2, 1), vote(1, 2, 2), vote(1, 3, 1), vote(2, 1, 1)],
        );
        assert_eq!(n.deliverable(false).collect::<Vec<_>>(), vec![0, 2, 3]);
    }

    #[test]
    fn copies_are_listed_once_and_keep_their_digest() {
        for reorder in [false, true] {
            let mut n = network(reorder, &[vote(1, 2, 1), vote(2, 1, 1), vote(1, 3, 1)]);
            let first = n
                .messages()
                .iter()
                .position(|e| *e == vote(1, 2, 1))
                .unwrap();
            n.duplicate(first, reorder);
            assert_eq!(n.len(), 4);
            // Same content on another link is another message.
            assert_eq!(n.distinct().count(), 3, "reorder {reorder}");
            for i in 0..n.len() {
                assert_eq!(n.digest(i), fingerprint(&n.messages()[i].msg));
            }
            n.retain(|e| e.to != 2);
            assert_eq!(n.len(), 2);
            for i in 0..n.len() {
                assert_eq!(n.digest(i), fingerprint(&n.messages()[i].msg));
            }
        }
    }

    /// The first-copy and oldest-on-link flags and their counts, kept up to date message by
    /// message, always say what comparing every pair of messages says, whatever mix of
    /// sends, copies, losses and resets.
    #[test]
    fn first_copy_flags_follow_every_change() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for reorder in [false, true] {
            let mut n = Network::default();
            for _ in 0..5_000 {
                match next(5) {
                    0 | 1 => {
                        let (from, to) = (1 + next(2) as u8, 2 + next(2) as u8);
                        n.send(vote(from, to, next(3)), reorder);
                    }
                    2 if !n.is_empty() => n.duplicate(next(n.len() as u64) as usize, reorder),
                    3 if !n.is_empty() => {
                        n.take(next(n.len() as u64) as usize);
                    }
                    4 => {
                        let gone = 1 + next(3) as u8;
                        n.retain(|e| e.to != gone || next(2) == 0);
                    }
                    _ => {}
                }
                let m = n.messages();
                let brute: Vec<usize> = (0..m.len()).filter(|&i| !m[..i].contains(&m[i])).collect();
                assert_eq!(n.distinct().collect::<Vec<_>>(), brute);
                let heads: Vec<usize> = (0..m.len())
                    .filter(|&i| {
                        if reorder {
                            !m[..i].contains(&m[i])
                        } else {
                            !m[..i]
                                .iter()
                                .any(|e| e.from == m[i].from && e.to == m[i].to)
                        }
                    })
                    .collect();
                assert_eq!(n.deliverable(reorder).collect::<Vec<_>>(), heads);
                assert_eq!(n.distinct_count(), brute.len());
                assert_eq!(n.deliverable_count(reorder), heads.len());
                for (k, i) in heads.iter().enumerate() {
                    assert_eq!(n.nth_deliverable(k, reorder), Some(*i));
                }
                assert_eq!(n.nth_distinct(brute.len()), None);
                if n.len() > 12 {
                    n.retain(|_| next(2) == 0);
                }
            }
        }
    }
}
