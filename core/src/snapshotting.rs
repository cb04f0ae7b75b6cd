//! Log compaction and snapshot installation (Raft §7): a node snapshots its state machine
//! and drops the log entries the snapshot covers; a leader sends its snapshot to a follower
//! that needs entries it no longer holds.
use crate::bugs::Bug;
use crate::message::Message;
use crate::node::Node;
use crate::snapshot::{Snapshot, SnapshotError, SnapshotMeta};
use crate::state_machine::StateMachine;
use crate::types::{NodeId, Term};
use std::sync::Arc;

impl<M: StateMachine> Node<M> {
    /// Snapshot the state machine at the applied index and compact the log up to it: the
    /// driver is asked (in [`Ready::snapshot`](crate::Ready::snapshot)) to save the snapshot,
    /// which drops the stored entries it covers. Does nothing (`Ok(None)`) when nothing was
    /// applied since the last snapshot. [`Config::snapshot_every`](crate::Config) does this
    /// on its own. Errs, changing nothing, when the state machine cannot be serialized.
    pub fn compact(&mut self) -> Result<Option<SnapshotMeta>, SnapshotError> {
        if self.applied <= self.snapshot.meta.index {
            return Ok(None);
        }
        let data: Arc<[u8]> = self.state_machine.snapshot()?.into();
        // The configuration must survive the entries that set it (index 0: the starting
        // one, which every node knows anyway).
        let (m, set_at) = self.membership_at(self.applied);
        let membership = (set_at > 0).then_some(m);
        let Some(meta) = self.log.compact_to(self.applied) else {
            // The applied entries are in the log by construction; a log that lacks them is
            // left alone rather than compacted wrongly.
            return Ok(None);
        };
        self.snapshot = Snapshot {
            meta,
            data,
            membership,
        };
        self.outbox.snapshot_dirty = true;
        Ok(Some(meta))
    }

    /// A leader sends its snapshot to `peer`, whose next entry it has compacted away, and
    /// goes on from just after it (pipelined, like appends: a lost snapshot is sent again
    /// by the next heartbeat, which falls back to the acknowledged index).
    pub(crate) fn send_snapshot(&mut self, peer: NodeId) {
        let snapshot = std::sync::Arc::new(self.snapshot.clone());
        if let Some(p) = self.progress.get_mut(peer) {
            p.next = snapshot.meta.index + 1;
        }
        let msg = Message::InstallSnapshot {
            term: self.term,
            snapshot,
        };
        self.send(peer, msg);
    }

    /// InstallSnapshot receiver (Raft §7, Figure 13). A snapshot that covers no more than
    /// this node has committed is old news (a delayed or duplicated message): it changes
    /// nothing. Otherwise the state machine is replaced; the log entries after the
    /// snapshot's index are kept when the entry at that index matches the snapshot (the
    /// log agrees with the leader's up to there), and all are dropped when it does not
    /// (they may conflict with what the snapshot committed). Either way the answer is an
    /// append acknowledgement of the snapshot's index.
    pub(crate) fn handle_install_snapshot(
        &mut self,
        leader: NodeId,
        term: Term,
        snapshot: Snapshot,
    ) {
        if !self.accept_leader(leader, term) {
            return;
        }
        let meta = snapshot.meta;
        if meta.index <= self.commit {
            self.reply_append(leader, true, meta.index, None);
            return;
        }
        let Ok(state_machine) = M::restore(&snapshot.data) else {
            // Bytes that do not decode promise nothing: no answer, and the leader sends the
            // snapshot again on its next heartbeat.
            return;
        };
        let matches = self.log.term_at(meta.index) == Some(meta.term);
        let keeps_suffix = matches || self.config.bug(Bug::SnapshotCut);
        if keeps_suffix && self.log.last_index() >= meta.index {
            if matches {
                self.log.compact_to(meta.index);
            } else {
                // The bug: the entries after the index stay on top of the snapshot.
                let kept = self
                    .log
                    .slice(meta.index + 1, self.log.last_index())
                    .to_vec();
                self.log = crate::log::RaftLog::after_snapshot(meta, kept);
                self.persist_log_from(meta.index + 1);
            }
        } else {
            self.log.reset_to(meta);
            // Drop whatever the disk holds after the snapshot's index.
            self.persist_log_from(meta.index + 1);
            self.synced = meta.index;
        }
        // The snapshot is saved (synced) before anything this answer promises is sent.
        self.synced = self.synced.max(meta.index);
        self.state_machine = state_machine;
        self.commit = meta.index;
        self.applied = meta.index;
        self.snapshot = snapshot;
        self.outbox.snapshot_dirty = true;
        self.refresh_membership();
        if !self.reads.is_idle() {
            self.serve_reads();
        }
        self.reply_append(leader, true, meta.index, None);
    }
}
