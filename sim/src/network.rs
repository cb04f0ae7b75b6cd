//! Messages in flight. A multiset: with reordering on it is kept sorted, so two worlds with
//! the same messages in flight are the same state whatever order they were sent in; with
//! reordering off it keeps send order and only the oldest message of each link can arrive.
use crate::event::MsgRef;
use serde::{Deserialize, Serialize};
use verraft_core::{Envelope, KvCommand, NodeId};

#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Network {
    messages: Vec<Envelope<KvCommand>>,
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

    pub fn send(&mut self, env: Envelope<KvCommand>, reorder: bool) {
        if reorder {
            let at = self.messages.partition_point(|m| *m <= env);
            self.messages.insert(at, env);
        } else {
            self.messages.push(env);
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
        self.messages.remove(at)
    }

    /// Keep only the messages `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Envelope<KvCommand>) -> bool) {
        self.messages.retain(keep);
    }

    /// Indices of the messages that can be the next to arrive, each distinct message once.
    pub fn deliverable(&self, reorder: bool) -> impl Iterator<Item = usize> + '_ {
        let m = &self.messages;
        (0..m.len()).filter(move |&i| {
            if reorder {
                // Sorted: equal messages are neighbours.
                i == 0 || m[i - 1] != m[i]
            } else {
                !m[..i]
                    .iter()
                    .any(|e| e.from == m[i].from && e.to == m[i].to)
            }
        })
    }

    /// Indices of each distinct message in flight, once (for drop and duplicate, which may
    /// pick any copy).
    pub fn distinct(&self, reorder: bool) -> impl Iterator<Item = usize> + '_ {
        let m = &self.messages;
        (0..m.len()).filter(move |&i| {
            if reorder {
                i == 0 || m[i - 1] != m[i]
            } else {
                !m[..i].contains(&m[i])
            }
        })
    }
}
