//! The Raft node: its state, its inputs (`tick`, `step`, `propose`, timer events) and its
//! output batch (`ready`). The per-role rules live in `election.rs` and `replication.rs`.
use crate::bugs::Bug;
use crate::config::{Config, ConfigError};
use crate::lease::Lease;
use crate::log::RaftLog;
use crate::membership::Membership;
use crate::message::{Envelope, Message, Outgoing};
use crate::node_set::NodeSet;
use crate::peer_map::PeerMap;
use crate::read::{ReadState, Reads};
use crate::ready::{Applied, Ready};
use crate::rng::SplitMix64;
use crate::snapshot::{Snapshot, SnapshotError, SnapshotMeta};
use crate::state_machine::StateMachine;
use crate::storage::{LogWrite, Storage, StorageError};
use crate::types::{Entry, HardState, Index, NodeId, Payload, Role, Term};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// What the leader knows of one follower's log.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Progress {
    /// Highest index known to be replicated on the follower.
    pub matched: Index,
    /// Next index to send (optimistically advanced when entries are sent: pipelining).
    pub next: Index,
    /// Whether the follower answered since the leader last checked its quorum (check-quorum).
    pub recent_active: bool,
}

/// Why a node could not be built, or refused a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// The configuration failed [`Config::validate`].
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// [`Node::restart`] could not read the node's storage.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// [`Node::restart`] found a stored snapshot its state machine cannot restore.
    #[error("stored {0}")]
    Snapshot(#[from] SnapshotError),
    /// [`Node::restart`] read a log whose terms decrease: no Raft node ever writes one, so
    /// the storage is damaged (or belongs to something else) and the node refuses to start.
    #[error("stored log is not in term order at index {index}")]
    CorruptLog {
        /// The first index whose entry has a lower term than the one before it.
        index: Index,
    },
    /// [`Node::step`] got a message from id 0, which no node has. The message is dropped and
    /// the node is unchanged; a driver can log this and go on (it points at a misrouted
    /// message). Messages from ids outside the node's configuration are taken: with
    /// membership changes a node cannot know every member (one added or removed in an entry
    /// it has not received yet), and what a non-member says counts toward no quorum.
    #[error("message from {0}, which is not a node id")]
    UnknownSender(NodeId),
    /// `step` was handed a message that claims to come from this very node: a node never
    /// sends to itself, so the driver misrouted it.
    #[error("message from this node itself ({0}): a node never sends to itself")]
    FromSelf(NodeId),
}

/// Why a proposal was refused. Clients follow `leader` to the node that can take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ProposeError {
    /// This node is not the leader; nothing was appended.
    #[error("not the leader (known leader: {leader:?})")]
    NotLeader {
        /// The leader of this node's current term as far as it knows; `None` while an
        /// election is on, or before it heard from the term's leader. It may be out of date:
        /// the node it names can have lost leadership since.
        leader: Option<NodeId>,
    },
    /// This leader is handing leadership to `to` ([`Node::transfer_leadership`]) and takes
    /// no proposals meanwhile; nothing was appended. Retry at the new leader.
    #[error("leadership is being transferred to node {to}")]
    Transferring {
        /// The transfer's target.
        to: NodeId,
    },
}

/// Where a proposal went: it is committed if and when the entry at `index` has `term`.
///
/// Acceptance is not commitment: a leader that loses its leadership before a quorum has the
/// entry may see it replaced by another leader's entry at the same index. A driver that waits
/// for the result watches `applied` for `index` and checks the entry's term; any other term
/// there means the proposal was dropped and the client should retry (with the same sequence
/// number, so that it is applied at most once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Proposal {
    /// The log index the command was appended at.
    pub index: Index,
    /// The leader's term when it appended the command: the entry's term.
    pub term: Term,
}

/// A node's peers, on the stack for clusters of up to nine.
pub(crate) type Peers = SmallVec<[NodeId; 8]>;

/// Output not yet handed to the driver. Empty between `ready` calls in every state a
/// simulator stores, so it does not split otherwise equal states.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub(crate) struct Outbox<M: StateMachine> {
    /// The node's snapshot changed (taken or installed) and must be saved.
    pub(crate) snapshot_dirty: bool,
    hard_state_dirty: bool,
    persist_from: Option<Index>,
    messages: Outgoing<M::Command>,
    applied: Vec<Applied<M::Command, M::Output>>,
    pub(crate) reads: Vec<ReadState>,
}

/// One Raft node with its state machine `M`: the whole protocol state of a cluster member,
/// as a plain value.
///
/// It does no IO. Feed it inputs ([`tick`](Node::tick), [`step`](Node::step),
/// [`propose`](Node::propose), [`log_synced`](Node::log_synced)) and, after each, take its
/// output with [`ready`](Node::ready) and carry it out in the order [`Ready`] documents. Its
/// durable state lives in the driver's [`Storage`]; everything else (role, commit index,
/// state machine, timers) is rebuilt by [`restart`](Node::restart) after a crash.
///
/// The node keeps the log entries after its latest snapshot in memory, and after a restart
/// applies again the entries after the stored snapshot as it learns the commit index anew
/// (the commit index is not persisted).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Node<M: StateMachine> {
    pub(crate) config: Config,
    pub(crate) term: Term,
    pub(crate) voted_for: Option<NodeId>,
    pub(crate) log: RaftLog<M::Command>,
    pub(crate) role: Role,
    pub(crate) leader: Option<NodeId>,
    pub(crate) commit: Index,
    pub(crate) applied: Index,
    /// The highest log index the driver reported synced to this node's disk (see
    /// [`Node::log_synced`]). A leader counts its own copy of an entry toward a commit
    /// quorum only up to here: an entry still in a write buffer can vanish in a crash.
    pub(crate) synced: Index,
    /// Voters that granted this node its vote in its current (or last won) election.
    pub(crate) votes: NodeSet,
    /// Grants counted as a plain number: only read with the `vote-count` bug on.
    pub(crate) vote_tally: u32,
    pub(crate) progress: PeerMap<Progress>,
    pub(crate) election_elapsed: u32,
    pub(crate) heartbeat_elapsed: u32,
    pub(crate) election_timeout: u32,
    pub(crate) rng: SplitMix64,
    pub(crate) state_machine: M,
    /// The latest snapshot, taken here or installed from a leader (index 0: none yet). The
    /// log starts after it; a follower that needs what it covers is sent it whole.
    pub(crate) snapshot: Snapshot,
    /// The target of the leadership transfer under way (leader only).
    pub(crate) transfer: Option<NodeId>,
    /// Reads in progress (see `read`).
    pub(crate) reads: Reads,
    /// The leader's lease and a follower's promise (see `lease`; idle without lease reads).
    pub(crate) lease: Lease,
    /// The configuration in force (see `reconfiguration`), and the index of the entry that
    /// set it (0: the voters the node was started with).
    pub(crate) membership: Membership,
    pub(crate) membership_index: Index,
    pub(crate) outbox: Outbox<M>,
}

impl<M: StateMachine> Node<M> {
    /// A brand-new node with empty storage: a follower at term 0 with an empty log, whose
    /// election timer starts now. Use it only for a node that never ran; one that has stored
    /// anything must come back through [`Node::restart`], or it may vote twice in a term.
    pub fn new(config: Config, state_machine: M) -> Result<Self, NodeError> {
        config.validate()?;
        let mut node = Node {
            term: 0,
            voted_for: None,
            log: RaftLog::from_entries(Vec::new()),
            role: Role::Follower,
            leader: None,
            commit: 0,
            applied: 0,
            synced: 0,
            votes: NodeSet::new(),
            vote_tally: 0,
            progress: PeerMap::new(),
            election_elapsed: 0,
            heartbeat_elapsed: 0,
            election_timeout: config.election_ticks,
            rng: SplitMix64(config.seed),
            state_machine,
            snapshot: Snapshot::default(),
            transfer: None,
            reads: Reads::default(),
            lease: Lease::default(),
            membership: Membership::of_voters(config.voters.iter().copied()),
            membership_index: 0,
            outbox: Outbox {
                snapshot_dirty: false,
                hard_state_dirty: false,
                persist_from: None,
                messages: Outgoing::new(),
                applied: Vec::new(),
                reads: Vec::new(),
            },
            config,
        };
        node.reset_election_timer();
        Ok(node)
    }

    /// A node rebuilt after a crash from its storage alone: its state machine restored from
    /// the stored snapshot, then brought up to date by re-applying the log after it as the
    /// commit index is learned again.
    ///
    /// It comes back as a follower with the stored term, vote, snapshot and log, commit and
    /// applied index at the snapshot's (0 without one), and the log counted as synced.
    /// `state_machine` must be empty; it is used only when no snapshot is stored. The driver
    /// sees the re-applied entries in `applied` once more. Reads the log after the snapshot
    /// into memory. `config` must be the one the node ran with.
    pub fn restart<S: Storage<M::Command>>(
        config: Config,
        storage: &S,
        state_machine: M,
    ) -> Result<Self, NodeError> {
        let hs = storage.hard_state()?;
        let snapshot = storage.snapshot()?.unwrap_or_default();
        let start = snapshot.meta;
        let entries = storage.entries(start.index + 1, storage.last_index()?)?;
        let terms = std::iter::once(start.term).chain(entries.iter().map(|e| e.term));
        let terms: Vec<Term> = terms.collect();
        if let Some(i) = terms.windows(2).position(|w| w[1] < w[0]) {
            return Err(NodeError::CorruptLog {
                index: start.index + i as Index + 1,
            });
        }
        let state_machine = if start.index == 0 {
            state_machine
        } else {
            M::restore(&snapshot.data)?
        };
        let mut node = Node::new(config, state_machine)?;
        node.term = hs.term;
        node.voted_for = hs.voted_for;
        node.log = RaftLog::after_snapshot(start, entries);
        node.commit = start.index;
        node.applied = start.index;
        node.snapshot = snapshot;
        node.refresh_membership();
        // What a restarted node reads back is on its disk by definition.
        node.synced = node.log.last_index();
        // It may have promised a leader to ignore other candidates before the crash: keep
        // the promise for an election timeout from now (see `lease`).
        node.promise_lease();
        Ok(node)
    }

    // ----- inputs -----

    /// One unit of logical time, for drivers with a clock: call it at a steady rate (every
    /// node of a cluster at the same rate; the timeouts in [`Config`] count these ticks). A
    /// leader sends heartbeats every `heartbeat_ticks`; a follower or candidate that heard
    /// nothing from a leader for its election timeout starts an election. Check
    /// [`Node::has_ready`] afterwards.
    pub fn tick(&mut self) {
        if self.role == Role::Leader {
            if self.config.lease_reads {
                self.age_lease();
            }
            self.heartbeat_elapsed += 1;
            if self.heartbeat_elapsed >= self.config.heartbeat_ticks {
                self.fire_heartbeat();
            }
            self.election_elapsed += 1;
            if self.election_elapsed >= self.config.election_ticks {
                self.fire_leader_timeout();
            }
        } else {
            self.election_elapsed += 1;
            if self.election_elapsed >= self.election_timeout {
                self.fire_election_timeout();
            }
        }
    }

    /// The heartbeat timer fired: a leader sends AppendEntries to every follower.
    /// Drivers that choose timer events themselves (the model checker) call this directly.
    pub fn fire_heartbeat(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        self.heartbeat_elapsed = 0;
        self.broadcast_heartbeat();
        if self.config.lease_reads && !self.lease.spent {
            // The lease's round also serves any read waiting for one.
            self.send_lease_round();
        } else if !self.reads.pending.is_empty() {
            // A confirmation round may have been lost: ask again, as heartbeats re-send
            // unacknowledged entries.
            self.reconfirm_reads();
        }
    }

    /// Feed a message that `from` sent to this node (the envelope's `from` and `msg`). Any
    /// message may be stale, duplicated or out of order; the node copes with all of them.
    /// Errs, changing nothing, only when `from` is this node itself or id 0.
    pub fn step(&mut self, from: NodeId, msg: Message<M::Command>) -> Result<(), NodeError> {
        if from == self.config.id {
            return Err(NodeError::FromSelf(from));
        }
        if from == 0 {
            return Err(NodeError::UnknownSender(from));
        }
        let msg_term = msg.term();
        if msg_term > self.term {
            // (A candidate that the leader handed leadership to passes the lease.)
            let asks_vote = matches!(
                msg,
                Message::RequestVote {
                    transfer: false,
                    ..
                } | Message::PreVote { .. }
            );
            if asks_vote && self.in_lease() {
                // A leader was heard from within an election timeout: this request comes
                // from a node that is cut off or removed, and must not depose it (§4.2.3).
                return Ok(());
            }
            // Pre-votes change nobody's term: a request asks about a term, and a grant
            // carries the term it was asked about.
            let pre_vote = matches!(
                msg,
                Message::PreVote { .. } | Message::PreVoteResponse { granted: true, .. }
            );
            if !pre_vote {
                let leader = matches!(msg, Message::AppendEntries { .. }).then_some(from);
                self.become_follower(msg_term, leader);
            }
        }
        if self.config.check_quorum && self.role == Role::Leader && msg_term == self.term {
            // Any message of its term from a follower shows it is reachable (check-quorum).
            if let Some(p) = self.progress.get_mut(from) {
                p.recent_active = true;
            }
        }
        match msg {
            Message::RequestVote {
                term,
                last_log_index,
                last_log_term,
                transfer: _,
            } => self.handle_request_vote(from, term, last_log_index, last_log_term),
            Message::TimeoutNow { term } => self.handle_timeout_now(from, term),
            Message::PreVote {
                term,
                last_log_index,
                last_log_term,
            } => self.handle_pre_vote(from, term, last_log_index, last_log_term),
            Message::PreVoteResponse { term, granted } => {
                self.handle_pre_vote_response(from, term, granted)
            }
            Message::ReadConfirm { term, round } => self.handle_read_confirm(from, term, round),
            Message::ReadConfirmResponse { term, round } => {
                self.handle_read_confirm_response(from, term, round)
            }
            Message::ReadIndex { id, .. } => self.handle_read_index(from, id),
            Message::ReadIndexResponse { id, index, .. } => {
                self.handle_read_index_response(id, index)
            }
            Message::RequestVoteResponse { term, granted } => {
                self.handle_vote_response(from, term, granted)
            }
            Message::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => self.handle_append_entries(
                from,
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            ),
            Message::InstallSnapshot { term, snapshot } => {
                self.handle_install_snapshot(from, term, std::sync::Arc::unwrap_or_clone(snapshot))
            }
            Message::AppendEntriesResponse {
                term,
                success,
                index,
                conflict_term,
            } => self.handle_append_response(from, term, success, index, conflict_term),
        }
        Ok(())
    }

    /// Propose a command. Only the leader takes it; it is committed once a majority has it.
    ///
    /// The command is appended to the leader's log and sent to followers that are caught up
    /// (take [`Node::ready`] next). The answer comes later, in `applied`, on this node (see
    /// [`Proposal`] for how to tell that it is this command). A leader cut off from the
    /// majority still takes proposals, which then never commit there: clients need a timeout.
    pub fn propose(&mut self, command: M::Command) -> Result<Proposal, ProposeError> {
        self.may_propose()?;
        let index = self.append_own(Payload::Command(command));
        self.replicate_new_entries();
        if self.synced >= index {
            // The leader's own copy already counts (a seeded bug): in a one-node cluster that
            // alone commits.
            self.maybe_commit();
        }
        Ok(Proposal {
            index,
            term: self.term,
        })
    }

    /// Why this node would refuse a proposal now, if it would: it does not lead, or it is
    /// handing leadership over.
    pub(crate) fn may_propose(&self) -> Result<(), ProposeError> {
        if self.role != Role::Leader {
            return Err(ProposeError::NotLeader {
                leader: self.leader,
            });
        }
        if let Some(to) = self.transfer {
            return Err(ProposeError::Transferring { to });
        }
        Ok(())
    }

    /// The driver has made the log durable up to `index`, whose entry has `term`: the
    /// `log_write` of a `Ready` is written and synced (`LogWrite::last` gives the pair to
    /// pass). Call it after every synced write; a leader's own copy of an entry counts
    /// toward the commit quorum only from then on, so in a one-node cluster (or whenever
    /// the leader's own acknowledgement completes a quorum) this is what commits.
    ///
    /// A report about an entry the log no longer holds (truncated and replaced since the
    /// write was handed out) is ignored. Afterwards `ready` may hold newly applied entries.
    pub fn log_synced(&mut self, index: Index, term: Term) {
        if index <= self.synced || self.log.term_at(index) != Some(term) {
            return;
        }
        self.synced = index;
        if self.role == Role::Leader {
            self.maybe_commit();
        }
    }

    /// Take everything the driver must do now. See [`Ready`] for the persist-before-send rule.
    ///
    /// Taking it empties the node's pending output, so each write, message and applied entry
    /// is handed out exactly once: carry out all of it before the next input.
    pub fn ready(&mut self) -> Ready<M::Command, M::Output> {
        let outbox = &mut self.outbox;
        // With the no-persist-vote bug, term and vote never reach the disk.
        let hard_state = (outbox.hard_state_dirty && !self.config.bug(Bug::NoPersistVote))
            .then_some(HardState {
                term: self.term,
                voted_for: self.voted_for,
            });
        outbox.hard_state_dirty = false;
        let snapshot = std::mem::take(&mut outbox.snapshot_dirty).then(|| self.snapshot.clone());
        // The snapshot, saved first, holds whatever was to be written up to its index.
        let first = self.log.snapshot_index() + 1;
        let log_write = outbox.persist_from.take().map(|from| LogWrite {
            from: from.max(first),
            entries: self.log.slice(from, self.log.last_index()).to_vec(),
        });
        Ready {
            snapshot,
            hard_state,
            log_write,
            must_sync: !self.config.bug(Bug::AckBeforeSync),
            messages: std::mem::take(&mut outbox.messages),
            applied: std::mem::take(&mut outbox.applied),
            reads: std::mem::take(&mut outbox.reads),
        }
    }

    /// Whether `ready` would return anything. Loop on it after [`Node::log_synced`], which
    /// can commit entries and so make new output.
    pub fn has_ready(&self) -> bool {
        self.outbox.snapshot_dirty
            || self.outbox.hard_state_dirty
            || self.outbox.persist_from.is_some()
            || !self.outbox.messages.is_empty()
            || !self.outbox.applied.is_empty()
            || !self.outbox.reads.is_empty()
    }

    // ----- observers -----

    /// This node's id (`config().id`).
    pub fn id(&self) -> NodeId {
        self.config.id
    }
    /// The configuration the node was built with; it never changes.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// Follower, candidate or leader, in [`Node::term`].
    pub fn role(&self) -> Role {
        self.role
    }
    /// The current term: the latest this node has seen (never decreases, restarts included).
    pub fn term(&self) -> Term {
        self.term
    }
    /// The candidate this node voted for in its current term (itself when it stood);
    /// `None` when it has not voted in this term.
    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }
    /// The leader of the current term as far as this node knows: itself when it leads,
    /// `None` during an election or until the term's leader has been heard from. Where a
    /// follower redirects clients to (see [`ProposeError::NotLeader`]).
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }
    /// The highest index this node knows to be committed (0: none). Never decreases while
    /// the node runs; in memory only, so a restarted node starts again from 0.
    pub fn commit_index(&self) -> Index {
        self.commit
    }
    /// The highest index applied to the state machine. Always equal to the commit index
    /// between inputs: the node applies as soon as it commits, and hands the results out in
    /// `applied`.
    pub fn applied_index(&self) -> Index {
        self.applied
    }
    /// The highest index the driver reported synced (see [`Node::log_synced`]).
    pub fn synced_index(&self) -> Index {
        self.synced
    }
    /// The log entries this node holds in memory: those after its snapshot (from index 1
    /// without one), so the entry at index `i` is `log()[i - snapshot().index - 1]`; see
    /// [`Node::entry`] to read by index. Entries past the commit index may still be replaced.
    pub fn log(&self) -> &[Entry<M::Command>] {
        self.log.entries()
    }
    /// The entry at `index`, if this node holds it (not compacted into its snapshot, not
    /// past the end of its log).
    pub fn entry(&self, index: Index) -> Option<&Entry<M::Command>> {
        self.log.get(index)
    }
    /// The term of the entry at `index`: known at the snapshot's index and after it, up to
    /// the last entry.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        self.log.term_at(index)
    }
    /// The index of the last log entry, committed or not, or of the snapshot when no entry
    /// follows it (0: empty log).
    pub fn last_index(&self) -> Index {
        self.log.last_index()
    }
    /// A digest of the first `len` log entries (0 for none), if this node knows it: for
    /// `len` from its snapshot's index up to its last index. Equal digests mean equal
    /// prefixes (up to 64-bit collisions), compacted or not.
    pub fn log_prefix_digest(&self, len: usize) -> Option<u64> {
        self.log.prefix_digest(len)
    }
    /// Where this node's snapshot stands (index 0: it has none): its log starts after it.
    pub fn snapshot(&self) -> SnapshotMeta {
        self.snapshot.meta
    }
    /// This node's snapshot with its bytes (index 0 and no bytes: none yet).
    pub fn snapshot_data(&self) -> &Snapshot {
        &self.snapshot
    }
    /// The term of the last log entry (or of the snapshot when no entry follows it; 0: empty
    /// log); with [`Node::last_index`], what a
    /// candidate's RequestVote offers to be judged by.
    pub fn last_term(&self) -> Term {
        self.log.last_term()
    }
    /// The voters that granted this node its vote in its current election, itself included,
    /// while it is a candidate or leader of that term; empty as a follower.
    pub fn votes(&self) -> &NodeSet {
        &self.votes
    }
    /// A leader's record of each follower's log; empty unless this node leads.
    pub fn progress(&self) -> &PeerMap<Progress> {
        &self.progress
    }
    /// This node's replica of the state machine, with every entry up to
    /// [`Node::applied_index`] applied. Reading it directly is a possibly stale read.
    pub fn state_machine(&self) -> &M {
        &self.state_machine
    }
    /// The election timeout currently in force, in ticks: drawn from
    /// `election_ticks ..= election_ticks + election_jitter` at every reset of the timer
    /// (exactly `election_ticks` without jitter).
    pub fn election_timeout(&self) -> u32 {
        self.election_timeout
    }

    // ----- shared helpers for the role modules -----

    /// Every other member, voters and learners (what a leader replicates to). A list on the
    /// stack (not a borrow of the config), so that callers can send to each peer while
    /// they iterate.
    pub(crate) fn peers(&self) -> Peers {
        let me = self.config.id;
        self.membership
            .members()
            .iter()
            .filter(|v| *v != me)
            .collect()
    }

    /// Every other voter, of either half of a joint configuration (whom a candidate asks).
    pub(crate) fn voter_peers(&self) -> Peers {
        let me = self.config.id;
        let m = &self.membership;
        m.members()
            .iter()
            .filter(|v| *v != me && m.is_voter(*v))
            .collect()
    }

    pub(crate) fn send(&mut self, to: NodeId, msg: Message<M::Command>) {
        self.outbox.messages.push(Envelope {
            from: self.config.id,
            to,
            msg,
        });
    }

    pub(crate) fn persist_hard_state(&mut self) {
        self.outbox.hard_state_dirty = true;
    }

    /// Mark the log from `index` on as changed, so the next `ready` writes it.
    pub(crate) fn persist_log_from(&mut self, index: Index) {
        let from = self.outbox.persist_from.map_or(index, |f| f.min(index));
        self.outbox.persist_from = Some(from);
        if self.config.bug(Bug::AckBeforeSync) {
            // The bug: a write counts as durable the moment it is made.
            self.synced = self.log.last_index();
        }
    }

    pub(crate) fn append_own(&mut self, payload: Payload<M::Command>) -> Index {
        let index = self.log.push(Entry {
            term: self.term,
            payload,
        });
        self.persist_log_from(index);
        index
    }

    /// Drop every entry at `index` or later (a follower's conflicting suffix).
    pub(crate) fn truncate_log_from(&mut self, index: Index) {
        self.log.truncate_from(index);
        self.synced = self.synced.min(index.saturating_sub(1));
        if index <= self.membership_index {
            self.refresh_membership();
        }
    }

    pub(crate) fn reset_election_timer(&mut self) {
        self.election_elapsed = 0;
        // Without jitter the rng is left alone: otherwise every timer reset would make a
        // new state for the model checker.
        if self.config.election_jitter > 0 {
            self.election_timeout =
                self.config.election_ticks + self.rng.up_to(self.config.election_jitter);
        }
    }

    pub(crate) fn become_follower(&mut self, term: Term, leader: Option<NodeId>) {
        if term > self.term || self.role == Role::Leader {
            self.drop_reads();
            self.reset_leader_lease();
        }
        if term > self.term {
            self.term = term;
            self.voted_for = None;
            self.persist_hard_state();
        }
        self.role = Role::Follower;
        self.leader = leader;
        self.transfer = None;
        self.votes.clear();
        self.vote_tally = 0;
        self.progress.clear();
        self.heartbeat_elapsed = 0;
        self.reset_election_timer();
    }

    /// Raise the commit index (never lower it) and apply what became committed.
    pub(crate) fn advance_commit(&mut self, index: Index) {
        if index <= self.commit {
            return;
        }
        self.commit = index.min(self.log.last_index());
        while self.applied < self.commit {
            self.applied += 1;
            let Some(entry) = self.log.get(self.applied).cloned() else {
                break;
            };
            let output = match &entry.payload {
                Payload::Noop | Payload::Config(_) => None,
                Payload::Command(c) => Some(self.state_machine.apply(self.applied, c)),
            };
            self.outbox.applied.push(Applied {
                index: self.applied,
                entry,
                output,
            });
        }
        if !self.reads.is_idle() {
            self.serve_reads();
        }
        self.on_commit_membership();
        let every = Index::from(self.config.snapshot_every);
        if every > 0 && self.applied >= self.snapshot.meta.index + every {
            // A state machine that cannot be saved keeps its log whole: compaction is an
            // optimisation, and the driver can still ask with `compact` and see why.
            let _ = self.compact();
        }
    }
}
