//! What the node hands to its driver after each input.
use crate::message::Outgoing;
use crate::read::ReadState;
use crate::snapshot::Snapshot;
use crate::storage::LogWrite;
use crate::types::{Entry, HardState, Index};
use serde::{Deserialize, Serialize};

/// One committed entry the node applied, with the state machine's output (`None` for a no-op).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Applied<C, O> {
    /// The entry's log index. Applied entries come in increasing index order, with no gaps
    /// except over a snapshot installed from the leader; after a restart they start over
    /// just past the stored snapshot (index 1 without one): the commit index is not persisted.
    pub index: Index,
    /// The committed entry.
    pub entry: Entry<C>,
    /// What the state machine answered, for the client that proposed the command. `None`
    /// exactly when the entry is a [`Payload::Noop`](crate::Payload::Noop).
    pub output: Option<O>,
}

/// A batch of work for the driver. The contract: write `hard_state` and `log_write` to storage
/// (and sync them when `must_sync`) **before** sending any of `messages`, because those messages
/// may promise what was just written (a vote, an acknowledged entry).
///
/// In full, in this order:
///
/// 1. save `snapshot`, then `hard_state`, then apply `log_write` to the node's
///    [`Storage`](crate::Storage), durably when `must_sync`;
/// 2. report the write with [`Node::log_synced`](crate::Node::log_synced), passing
///    [`LogWrite::last`];
/// 3. send `messages`;
/// 4. hand `applied` to whoever waits for it (clients, a local read path).
///
/// Step 2 can commit entries, which makes new output: take [`Node::ready`](crate::Node::ready)
/// again while [`Node::has_ready`](crate::Node::has_ready) is true. `core/examples/three_nodes.rs`
/// is a driver loop that does all of this.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Ready<C, O> {
    /// A snapshot to save ([`Storage::save_snapshot`](crate::Storage::save_snapshot)), which
    /// also drops the stored entries it covers: one this node took, or one a leader sent it.
    /// Saved before `log_write`, which then starts after the snapshot's index.
    pub snapshot: Option<Snapshot>,
    /// The term and vote to save, when either changed since the last batch (`None`: nothing
    /// to write). A vote must be on disk before the grant in `messages` leaves.
    pub hard_state: Option<HardState>,
    /// The change to the stored log since the last batch (`None`: none). It may cut a
    /// conflicting suffix as well as append; see [`LogWrite`].
    pub log_write: Option<LogWrite<C>>,
    /// Whether `hard_state` and `log_write` must be durable (synced) before `messages` are
    /// sent. Always true, except with the seeded `ack-before-sync` bug.
    pub must_sync: bool,
    /// Messages to send, each to its `to`, in any order and over any unreliable network.
    pub messages: Outgoing<C>,
    /// Entries newly committed and applied to this node's state machine, in log order, with
    /// their outputs. Every node applies the same entries in the same order; answer clients
    /// from the node they proposed to.
    pub applied: Vec<Applied<C, O>>,
    /// Reads that may now be answered from the state machine, or were refused (see
    /// [`Node::read`](crate::Node::read)). Hand them out after `applied`: a read's answer
    /// must reflect every entry applied in this batch.
    pub reads: Vec<ReadState>,
}

impl<C, O> Ready<C, O> {
    /// Nothing to write, send or apply (`must_sync` alone does not count).
    pub fn is_empty(&self) -> bool {
        self.snapshot.is_none()
            && self.hard_state.is_none()
            && self.log_write.is_none()
            && self.messages.is_empty()
            && self.applied.is_empty()
            && self.reads.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Envelope, Message};
    use crate::types::Payload;

    /// Empty means nothing at all to do, `must_sync` aside; any one part makes it non-empty.
    #[test]
    fn a_ready_is_empty_only_with_nothing_in_any_part() {
        let empty = || Ready::<u8, u8> {
            snapshot: None,
            hard_state: None,
            log_write: None,
            must_sync: true,
            messages: Outgoing::new(),
            applied: Vec::new(),
            reads: Vec::new(),
        };
        assert!(empty().is_empty());
        let noop = Entry {
            term: 1,
            payload: Payload::Noop,
        };
        type SetOnePart<'a> = Box<dyn Fn(&mut Ready<u8, u8>) + 'a>;
        let one_part: [SetOnePart; 6] = [
            Box::new(|r| r.snapshot = Some(Snapshot::default())),
            Box::new(|r| r.hard_state = Some(HardState::default())),
            Box::new(|r| {
                r.log_write = Some(LogWrite {
                    from: 1,
                    entries: vec![noop.clone()],
                })
            }),
            Box::new(|r| {
                r.messages.push(Envelope {
                    from: 1,
                    to: 2,
                    msg: Message::TimeoutNow { term: 1 },
                })
            }),
            Box::new(|r| {
                r.applied.push(Applied {
                    index: 1,
                    entry: noop.clone(),
                    output: None,
                })
            }),
            Box::new(|r| r.reads.push(ReadState { id: 1, index: None })),
        ];
        for (k, set) in one_part.iter().enumerate() {
            let mut r = empty();
            set(&mut r);
            assert!(!r.is_empty(), "part {k}");
        }
    }
}
