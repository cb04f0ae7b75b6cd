//! The one task that owns the Raft node and its storage. Everything else talks to it through
//! a channel of [`Input`]s, since the core is single-threaded and does no IO itself.
//!
//! Each turn: wait for a tick or an input, take every other input already queued (up to a
//! bound), then carry out the node's `Ready`s in the contract's order. Draining the queue
//! first is the group commit: the appends of every proposal and message taken in one turn
//! share one fsync.
use crate::storage::DiskStorage;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use verraft_core::{Message, NodeId, Payload, ReadId, Role, Storage};
use verraft_kv::{KvCommand, KvNode, KvOutput, Text};

/// Most inputs taken in one turn before the node's output is written: bounds the latency
/// of the first one.
const MAX_BATCH: usize = 512;

/// Ticks between two flushes of writes the node did not ask to sync (`Ready::must_sync`
/// off, which only the ack-before-sync seeded bug does): they wait in memory until then, so
/// a process crash loses what was acknowledged in the last 100 ms, as a power loss would
/// lose what a real node with that bug left in the page cache.
const FLUSH_TICKS: u32 = 10;

/// Something for the node.
pub enum Input {
    /// A Raft message a peer sent.
    Peer {
        /// The sender, as its connection's `Hello` named it.
        from: NodeId,
        /// The message.
        msg: Message<KvCommand>,
    },
    /// Where a peer serves clients (from its `Hello`), for redirects.
    PeerClientAddr {
        /// The peer.
        id: NodeId,
        /// Its client address.
        addr: String,
    },
    /// A client command to propose; answered once applied here, or refused.
    Client {
        /// The command, in its session.
        cmd: KvCommand,
        /// Where the answer goes.
        reply: oneshot::Sender<Answer>,
    },
    /// A linearizable read of `key` by ReadIndex (`Node::read`): no log entry, no fsync.
    /// Answered with [`KvOutput::Value`] once the leader has confirmed it still leads and
    /// applied up to the read's index.
    Read {
        /// The key.
        key: Text,
        /// Where the answer goes.
        reply: oneshot::Sender<Answer>,
    },
    /// A request for [`Status`].
    Status(oneshot::Sender<Status>),
    /// Tick every so often from now on (the nemesis's clock fault).
    Tick(Duration),
}

/// The outcome of a client command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Applied; the store's output.
    Applied(KvOutput),
    /// This node does not lead: try the leader (its client address when known).
    NotLeader {
        /// The leader, as far as this node knows.
        leader: Option<NodeId>,
        /// The leader's client address, when a connection from it said.
        addr: Option<String>,
    },
    /// The proposal may or may not commit (leadership changed before it was applied here):
    /// retry with the same session and sequence number to learn the outcome.
    Unknown(String),
}

/// What `INFO` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// This node.
    pub id: NodeId,
    /// Its role.
    pub role: Role,
    /// Its term.
    pub term: u64,
    /// The leader it knows.
    pub leader: Option<NodeId>,
    /// Its commit index.
    pub commit: u64,
    /// Its applied index.
    pub applied: u64,
    /// Its last log index.
    pub last_index: u64,
    /// Client commands and reads waiting for their answer.
    pub pending: usize,
    /// Messages dropped because a peer's send queue was full (a slow or absent peer).
    pub dropped_messages: u64,
    /// The index of its snapshot (0: none yet): its own, or one a leader sent it.
    pub snapshot_index: u64,
    /// Snapshots it sent to followers that needed entries it had compacted away
    /// (`InstallSnapshot` messages handed to the network), since it started.
    pub snapshots_sent: u64,
    /// Snapshots a leader sent it that it installed in place of its store, since it started.
    pub snapshots_installed: u64,
}

/// Channels to the peer writer tasks, one per peer.
pub type PeerSenders = HashMap<NodeId, mpsc::Sender<Message<KvCommand>>>;

/// The task's state.
pub struct CoreLoop {
    /// The node.
    pub node: KvNode,
    /// Its storage.
    pub storage: DiskStorage<KvCommand>,
    /// Outgoing message queues.
    pub peers: PeerSenders,
    /// Proposals waiting for their index to be applied: index to (term, reply).
    pending: BTreeMap<u64, (u64, oneshot::Sender<Answer>)>,
    /// Reads that came in this turn, not yet handed to the node.
    new_reads: Vec<(Text, oneshot::Sender<Answer>)>,
    /// Reads being confirmed, by the read id the node knows them by: one id per turn's batch.
    reads: HashMap<ReadId, Vec<(Text, oneshot::Sender<Answer>)>>,
    next_read: ReadId,
    client_addrs: HashMap<NodeId, String>,
    dropped_messages: u64,
    /// Ticks since unsynced writes were last flushed (see [`FLUSH_TICKS`]).
    since_flush: u32,
    /// A new tick interval to switch to.
    new_tick: Option<Duration>,
    /// The role and term last logged.
    logged_role: (Role, u64),
    snapshots_sent: u64,
    snapshots_installed: u64,
}

/// Why the core task stopped.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Storage failed: the node must not go on (its memory may be ahead of its disk).
    #[error("storage: {0}")]
    Storage(#[from] verraft_core::StorageError),
}

impl CoreLoop {
    /// A loop around a node (new or restarted from `storage`).
    pub fn new(node: KvNode, storage: DiskStorage<KvCommand>, peers: PeerSenders) -> Self {
        CoreLoop {
            node,
            storage,
            peers,
            pending: BTreeMap::new(),
            new_reads: Vec::new(),
            reads: HashMap::new(),
            next_read: 0,
            client_addrs: HashMap::new(),
            dropped_messages: 0,
            since_flush: 0,
            new_tick: None,
            logged_role: (Role::Follower, 0),
            snapshots_sent: 0,
            snapshots_installed: 0,
        }
    }

    /// Run until `inputs` (the clients') closes, `stop` completes, or storage fails. `peers`
    /// carries the peers' messages, taken before the clients' requests in every turn.
    pub async fn run(
        mut self,
        mut inputs: mpsc::Receiver<Input>,
        mut peers: mpsc::Receiver<Input>,
        tick: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), CoreError> {
        let mut ticker = tokio::time::interval(tick);
        // After a stall (a slow fsync), do not fire a burst of ticks: that would run the
        // election timer out at once.
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        let mut peers_open = true;
        loop {
            tokio::select! {
                biased;
                () = &mut stop => {
                    eprintln!("[n{}] stopping", self.node.id());
                    // A correct node has nothing unsynced: everything it acknowledged was
                    // synced first. Only with ack-before-sync is there something to write.
                    return Ok(self.storage.sync()?);
                }
                _ = ticker.tick() => {
                    self.node.tick();
                    self.flush_unsynced()?;
                }
                input = peers.recv(), if peers_open => match input {
                    Some(input) => self.handle(input),
                    None => peers_open = false,
                },
                input = inputs.recv() => match input {
                    Some(input) => self.handle(input),
                    None => return Ok(()),
                },
            }
            // Every peer message queued, then a bounded batch of client requests.
            for _ in 0..4 * MAX_BATCH {
                match peers.try_recv() {
                    Ok(input) => self.handle(input),
                    Err(_) => break,
                }
            }
            for _ in 0..MAX_BATCH {
                match inputs.try_recv() {
                    Ok(input) => self.handle(input),
                    Err(_) => break,
                }
            }
            if let Some(every) = self.new_tick.take() {
                ticker = tokio::time::interval(every);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            }
            self.start_reads();
            self.process_ready()?;
            self.log_role();
        }
    }

    /// Log a change of role or term, with the wall-clock time: a node's log then tells when
    /// it led, which is what a failed nemesis run is read against.
    fn log_role(&mut self) {
        let now = (self.node.role(), self.node.term());
        if now != self.logged_role && (now.0 == Role::Leader || self.logged_role.0 == Role::Leader)
        {
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            eprintln!(
                "[n{}] {} {:?} in term {} (leader: {:?})",
                self.node.id(),
                ms,
                now.0,
                now.1,
                self.node.leader()
            );
        }
        self.logged_role = now;
    }

    /// Write and sync what waits unsynced, every [`FLUSH_TICKS`] ticks.
    fn flush_unsynced(&mut self) -> Result<(), CoreError> {
        self.since_flush += 1;
        if self.since_flush >= FLUSH_TICKS {
            self.since_flush = 0;
            if self.storage.has_pending() {
                tokio::task::block_in_place(|| self.storage.sync())?;
            }
        }
        Ok(())
    }

    fn handle(&mut self, input: Input) {
        match input {
            Input::Peer { from, msg } => {
                let install = matches!(msg, Message::InstallSnapshot { .. });
                let before = self.node.snapshot().index;
                if let Err(e) = self.node.step(from, msg) {
                    eprintln!("[n{}] message from n{from} refused: {e}", self.node.id());
                }
                // A snapshot no newer than what this node committed is ignored: only one
                // that replaced the store counts.
                if install && self.node.snapshot().index > before {
                    self.snapshots_installed += 1;
                    eprintln!(
                        "[n{}] installed n{from}'s snapshot at index {}",
                        self.node.id(),
                        self.node.snapshot().index
                    );
                }
            }
            Input::PeerClientAddr { id, addr } => {
                self.client_addrs.insert(id, addr);
            }
            Input::Client { cmd, reply } => match self.node.propose(cmd) {
                Ok(p) => {
                    // An older proposal at this index was overwritten in the log: it will
                    // never be applied here as proposed.
                    if let Some((_, old)) = self.pending.insert(p.index, (p.term, reply)) {
                        let _ = old.send(Answer::Unknown("entry overwritten".into()));
                    }
                }
                Err(verraft_core::ProposeError::NotLeader { leader }) => {
                    let _ = reply.send(self.not_leader(leader));
                }
                // Leadership is on its way to `to`: send the client there.
                Err(verraft_core::ProposeError::Transferring { to }) => {
                    let _ = reply.send(self.not_leader(Some(to)));
                }
            },
            Input::Read { key, reply } => self.new_reads.push((key, reply)),
            Input::Tick(every) => {
                eprintln!("[n{}] clock skewed: a tick every {every:?}", self.node.id());
                self.new_tick = Some(every);
            }
            Input::Status(reply) => {
                let n = &self.node;
                let _ = reply.send(Status {
                    id: n.id(),
                    role: n.role(),
                    term: n.term(),
                    leader: n.leader(),
                    commit: n.commit_index(),
                    applied: n.applied_index(),
                    last_index: n.last_index(),
                    pending: self.pending.len() + self.reads.values().map(Vec::len).sum::<usize>(),
                    dropped_messages: self.dropped_messages,
                    snapshot_index: n.snapshot().index,
                    snapshots_sent: self.snapshots_sent,
                    snapshots_installed: self.snapshots_installed,
                });
            }
        }
    }

    /// Hand the turn's reads to the node as one ReadIndex read: one confirmation round for
    /// all of them. Its index is taken now, after every one of them arrived, so it covers
    /// every write acknowledged before any of them was sent (acknowledgements leave only in
    /// `process_ready`, after this). Only the leader serves reads: a follower would forward
    /// them, and a forwarded read whose answer is lost stays in the node until asked again,
    /// which this driver does not do; clients are redirected as for writes.
    fn start_reads(&mut self) {
        if self.new_reads.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.new_reads);
        if self.node.role() != Role::Leader {
            for (_, reply) in batch {
                let _ = reply.send(self.not_leader(self.node.leader()));
            }
            return;
        }
        self.next_read += 1;
        self.reads.insert(self.next_read, batch);
        self.node.read(self.next_read);
    }

    fn not_leader(&self, leader: Option<NodeId>) -> Answer {
        let addr = leader.and_then(|l| self.client_addrs.get(&l).cloned());
        Answer::NotLeader { leader, addr }
    }

    /// Carry out the node's output in the order the `Ready` contract demands.
    fn process_ready(&mut self) -> Result<(), CoreError> {
        while self.node.has_ready() {
            let ready = self.node.ready();
            // 1. Persist the snapshot (written and synced on its own, atomically), then
            // term, vote and log, and make them durable with one fsync.
            if let Some(snapshot) = ready.snapshot {
                tokio::task::block_in_place(|| self.storage.save_snapshot(snapshot))?;
            }
            let wrote = ready.hard_state.is_some() || ready.log_write.is_some();
            if let Some(hs) = ready.hard_state {
                self.storage.save_hard_state(hs)?;
            }
            let last = ready.log_write.as_ref().and_then(|w| w.last());
            if let Some(write) = ready.log_write {
                self.storage.write_log(write)?;
            }
            // Without `must_sync` (ack-before-sync) the writes wait in memory for the next
            // flush instead.
            if wrote && ready.must_sync {
                // fsync blocks this worker thread; tell the runtime, so the network
                // tasks go on meanwhile (and queue the inputs of the next group).
                tokio::task::block_in_place(|| self.storage.sync())?;
            }
            // 2. Durable: only now may a leader count its own copy.
            if let Some((index, term)) = last {
                self.node.log_synced(index, term);
            }
            // 3. Messages may promise what step 1 wrote: they leave only now. A full queue
            //    (a slow or absent peer) drops the message; Raft retries on heartbeats.
            // A turn's proposals, replicated one by one by the core, leave as a few
            // messages per follower.
            for env in crate::coalesce::coalesce(ready.messages) {
                if let Some(tx) = self.peers.get(&env.to) {
                    let snapshot = matches!(env.msg, Message::InstallSnapshot { .. });
                    if tx.try_send(env.msg).is_err() {
                        self.dropped_messages += 1;
                    } else if snapshot {
                        self.snapshots_sent += 1;
                    }
                }
            }
            // 4. Answer the clients whose proposals were applied.
            for a in ready.applied {
                if let Some((term, reply)) = self.pending.remove(&a.index) {
                    let answer = match (a.entry.term == term, a.entry.payload, a.output) {
                        (true, Payload::Command(_), Some(out)) => Answer::Applied(out),
                        _ => Answer::Unknown(
                            "another leader's entry took the proposal's place".into(),
                        ),
                    };
                    let _ = reply.send(answer);
                }
            }
            // 5. Reads, after `applied`: the store now holds at least everything up to each
            //    read's index, which is what the read must see.
            for r in ready.reads {
                for (key, reply) in self.reads.remove(&r.id).unwrap_or_default() {
                    let answer = match r.index {
                        Some(_) => {
                            let value = self.node.state_machine().get(&key).map(Text::from);
                            Answer::Applied(KvOutput::Value(value))
                        }
                        None => Answer::Unknown("read refused: leadership changed".into()),
                    };
                    let _ = reply.send(answer);
                }
            }
        }
        if self.node.role() != Role::Leader && !self.pending.is_empty() {
            // No longer leading: these may still commit under the next leader, or not.
            for (_, (_, reply)) in std::mem::take(&mut self.pending) {
                let _ = reply.send(Answer::Unknown("leadership lost".into()));
            }
        }
        if self.node.role() != Role::Leader && !self.reads.is_empty() {
            for (_, batch) in std::mem::take(&mut self.reads) {
                for (_, reply) in batch {
                    let _ = reply.send(Answer::Unknown("leadership lost before the read".into()));
                }
            }
        }
        Ok(())
    }
}
