//! Messages in flight. A multiset: with reordering on it is kept sorted, so two worlds with
//! the same messages in flight are the same state whatever order they were sent in; with
//! reordering off it keeps send order and only the oldest message of each link can arrive.
//!
//! Each message carries a digest of its content (ids left out), taken once when it is sent:
//! telling messages apart (which ones are distinct, which can arrive) compares digests
//! before contents, and the model checker's fingerprints hash the digests instead of the
//! messages, in every state the message stays in flight.
use crate::event::MsgRef;
use crate::fingerprint::fingerprint;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::hash::{Hash, Hasher};
use verraft_core::{Envelope, KvCommand, NodeId};

#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Network {
    messages: Vec<Envelope<KvCommand>>,
    /// `digests[i]` is `fingerprint(&messages[i].msg)`.
    digests: Vec<u64>,
}

/// Equal networks hold equal messages, hence equal digests.
impl Hash for Network {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_usize(self.messages.len());
        for (e, d) in self.messages.iter().zip(&self.digests) {
            e.from.hash(h);
            e.to.hash(h);
            d.hash(h);
        }
    }
}

/// On the wire (scenario tools, JSON dumps) a network is its messages; digests are derived.
impl Serialize for Network {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.messages.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Network, D::Error> {
        let messages = Vec::<Envelope<KvCommand>>::deserialize(d)?;
        let digests = messages.iter().map(|e| fingerprint(&e.msg)).collect();
        Ok(Network { messages, digests })
    }
}

/// Links of a world of at most 9 nodes, one bit each: the links seen so far in a scan.
#[derive(Default)]
struct LinkSet(u128);

impl LinkSet {
    /// Mark the link of `e`; `true` when it was not marked before.
    fn insert(&mut self, e: &Envelope<KvCommand>) -> bool {
        let bit = 1u128 << ((usize::from(e.from) * 11 + usize::from(e.to)) % 128);
        let fresh = self.0 & bit == 0;
        self.0 |= bit;
        fresh
    }
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
        self.digests[i]
    }

    pub fn send(&mut self, env: Envelope<KvCommand>, reorder: bool) {
        let digest = fingerprint(&env.msg);
        self.insert(env, digest, reorder);
    }

    /// Put a second copy of message `i` in flight.
    pub fn duplicate(&mut self, i: usize, reorder: bool) {
        let copy = self.messages[i].clone();
        self.insert(copy, self.digests[i], reorder);
    }

    fn insert(&mut self, env: Envelope<KvCommand>, digest: u64, reorder: bool) {
        let at = if reorder {
            self.messages.partition_point(|m| *m <= env)
        } else {
            self.messages.len()
        };
        self.messages.insert(at, env);
        self.digests.insert(at, digest);
    }

    /// Whether messages `i` and `j` are the same message on the same link.
    fn same(&self, i: usize, j: usize) -> bool {
        let (a, b) = (&self.messages[i], &self.messages[j]);
        self.digests[i] == self.digests[j] && a.from == b.from && a.to == b.to && a.msg == b.msg
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
        self.digests.remove(at);
        self.messages.remove(at)
    }

    /// Keep only the messages `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Envelope<KvCommand>) -> bool) {
        let mut kept = 0;
        for i in 0..self.messages.len() {
            if keep(&self.messages[i]) {
                self.messages.swap(kept, i);
                self.digests.swap(kept, i);
                kept += 1;
            }
        }
        self.messages.truncate(kept);
        self.digests.truncate(kept);
    }

    /// Indices of the messages that can be the next to arrive, each distinct message once.
    pub fn deliverable(&self, reorder: bool) -> impl Iterator<Item = usize> + '_ {
        let mut links = LinkSet::default();
        (0..self.messages.len()).filter(move |&i| {
            if reorder {
                // Sorted: equal messages are neighbours.
                i == 0 || !self.same(i - 1, i)
            } else {
                // The oldest message of its link.
                links.insert(&self.messages[i])
            }
        })
    }

    /// Indices of each distinct message in flight, once (for drop and duplicate, which may
    /// pick any copy).
    pub fn distinct(&self, reorder: bool) -> impl Iterator<Item = usize> + '_ {
        (0..self.messages.len()).filter(move |&i| {
            if reorder {
                i == 0 || !self.same(i - 1, i)
            } else {
                let d = self.digests[i];
                !self.digests[..i]
                    .iter()
                    .enumerate()
                    .any(|(j, dj)| *dj == d && self.same(j, i))
            }
        })
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
            assert_eq!(n.distinct(reorder).count(), 3, "reorder {reorder}");
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
}
