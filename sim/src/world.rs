//! The world: nodes, their disks, the network, clients and what they observed. Every engine
//! drives it through `enabled_events` and `apply`, and every event is followed by the
//! invariant checks.
use crate::auxiliary::{self, LogView};
use crate::client::{read_id, read_of, Client, ClientState, HistoryOp};
use crate::clocks::Clocks;
use crate::config::{CrashMode, SharedConfig, WorldConfig};
use crate::disk::{Disk, PendingWrite};
use crate::event::Event;
use crate::invariants::{self, Before, Ghost, Invariant, KvNode, Violation};
use crate::memo::Memo;
use crate::network::Network;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use verraft_core::{
    Config, ConfigError, Index, Membership, MembershipChange, Message, Node, NodeId, NodeSet,
    Ready, Role, Term,
};
use verraft_kv::{ClientId, KvCommand, KvOp, KvOutput, KvStore, Text};

/// Why an event could not be applied: it is not possible in this state (a scenario that does
/// not fit the world it describes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("no such node n{0}")]
    NoSuchNode(NodeId),
    #[error("no such client c{0}")]
    NoSuchClient(ClientId),
    #[error("not possible now: {0}")]
    NotEnabled(String),
    #[error("the run already stopped at a violation")]
    AfterViolation,
}

/// Counts of bounded faults used so far.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Counters {
    pub crashes: u32,
    pub partitions: u32,
    pub client_timeouts: u32,
    pub heartbeats: u32,
    /// `snapshot nN` events so far.
    pub snapshots: u32,
    /// `transfer nA->nB` events so far.
    pub transfers: u32,
    /// `tick` and `tick nN` events so far (with lease reads).
    pub ticks: u32,
    /// `drop` events so far.
    pub losses: u32,
    /// Election timeouts at followers and candidates so far.
    pub elections: u32,
    /// `reconfig` events so far.
    pub reconfigs: u32,
}

/// A world is cloned for every state the model checker generates, and one event changes
/// one node, maybe its disk, the network and rarely the clients' history or the ghost
/// records. So nodes, disks' durable state, the history and the ghost records are shared
/// between a world and its clones (`Arc`, copied on write with `Arc::make_mut`), and a clone
/// copies what the next event is likely to change.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct World {
    /// The same in every state of a run: shared, never copied.
    pub config: SharedConfig,
    pub nodes: Vec<Option<Arc<Memo<KvNode>>>>,
    pub disks: Vec<Disk>,
    pub network: Network,
    /// Group of each node while the network is split.
    pub partition: Option<Vec<u8>>,
    pub clients: Vec<Client>,
    pub history: Arc<Memo<Vec<HistoryOp>>>,
    /// Logical time of client-visible events.
    pub clock: u32,
    /// How far each node's clock runs ahead (with lease reads, when the world keeps time).
    pub clocks: Clocks,
    pub counters: Counters,
    pub ghost: Ghost,
    pub violation: Option<Violation>,
    /// What the event being applied touched (transient: always empty between events, so it
    /// never tells two states apart).
    #[serde(skip)]
    pub(crate) touched: Touched,
}

/// What one event changed that the invariants need to know, beyond the node states.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Touched {
    /// The lowest index of the target's in-memory log that the event wrote.
    pub log_from: Option<Index>,
    /// The lowest index of the target's durable log that the event wrote.
    pub durable_from: Option<Index>,
    /// The RequestVote the event delivered: its candidate and the last index and term of its
    /// log, as it said.
    pub vote_request: Option<(NodeId, Index, Term)>,
    /// The PreVote the event delivered: its pre-candidate, the term it asked about, and the
    /// last index and term of its log.
    pub pre_vote_request: Option<(NodeId, Term, Index, Term)>,
    /// The PreVoteResponse the event delivered: its term and whether it granted.
    pub pre_vote_answer: Option<(Term, bool)>,
    /// The sender of the message the event delivered.
    pub delivered_from: Option<NodeId>,
    /// The event delivered a RequestVote (not a transfer's) or a PreVote for a term later
    /// than the receiver's: one its promise to a leader must make it ignore.
    pub asks_past_promise: bool,
}

fn lowest(a: Option<Index>, b: Option<Index>) -> Option<Index> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The configuration is the same in every state of one run, so it is left out of the hash:
/// states are hashed millions of times by the model checker.
impl Hash for World {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nodes.hash(state);
        self.disks.hash(state);
        self.network.hash(state);
        self.partition.hash(state);
        self.clients.hash(state);
        self.history.hash(state);
        self.clock.hash(state);
        self.clocks.hash(state);
        self.counters.hash(state);
        self.ghost.hash(state);
        self.violation.hash(state);
    }
}

impl World {
    pub fn new(config: impl Into<SharedConfig>) -> Result<World, String> {
        let config: SharedConfig = config.into();
        config.validate()?;
        let nodes = config
            .node_ids()
            .map(|id| {
                let store = state_machine(&config).map_err(|e| e.to_string())?;
                Node::new(node_config(&config, id), store)
                    .map(|n| Some(Arc::new(Memo::new(n))))
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let clients = (1..=config.clients.len() as ClientId)
            .map(Client::new)
            .collect();
        Ok(World {
            nodes,
            disks: vec![Disk::default(); config.nodes as usize],
            network: Network::default(),
            partition: None,
            clients,
            history: Arc::default(),
            clock: 0,
            clocks: Clocks::default(),
            counters: Counters::default(),
            ghost: Ghost::default(),
            violation: None,
            touched: Touched::default(),
            config,
        })
    }

    pub fn node(&self, id: NodeId) -> Option<&KvNode> {
        self.nodes
            .get(id as usize - 1)
            .and_then(Option::as_deref)
            .map(|n| &**n)
    }

    pub fn live_nodes(&self) -> impl Iterator<Item = &KvNode> {
        self.nodes.iter().flatten().map(|n| &***n)
    }

    pub fn leaders(&self) -> Vec<NodeId> {
        self.live_nodes()
            .filter(|n| n.role() == Role::Leader)
            .map(|n| n.id())
            .collect()
    }

    /// Whether every client has finished its script.
    pub fn clients_done(&self) -> bool {
        self.clients.iter().all(|c| {
            c.state == ClientState::Idle
                && c.started == self.config.clients[c.id as usize - 1].len()
        })
    }

    fn connected(&self, a: NodeId, b: NodeId) -> bool {
        self.partition
            .as_ref()
            .is_none_or(|g| g[a as usize - 1] == g[b as usize - 1])
    }

    fn room_in_flight(&self) -> bool {
        self.config
            .limits
            .max_in_flight
            .is_none_or(|m| (self.network.len() as u32) < m)
    }

    fn under(limit: Option<u32>, used: u32) -> bool {
        limit.is_none_or(|m| used < m)
    }

    // ----- what can happen -----

    /// Every event possible now, in a fixed order. Empty after a violation.
    pub fn enabled_events(&self) -> Vec<Event> {
        let mut choices = Vec::new();
        self.choices(&mut choices);
        choices.into_iter().map(|c| self.event_of(c)).collect()
    }

    /// The events possible now as cheap `Choice`s, in the order of `enabled_events`, written
    /// into `out` (cleared first) so a caller can reuse one buffer for a whole run. Only the
    /// chosen one needs to become an `Event` (see `event_of`) or can be applied directly
    /// (`apply_choice`): engines that pick one event per step never build the others, and
    /// `pick_choice` does not even list them.
    ///
    /// The list: deliveries, then each node's timer and each client's next step and the
    /// crashes and restarts (the "local" choices), then losses, copies, and splits or heal.
    pub fn choices(&self, out: &mut Vec<Choice>) {
        out.clear();
        if self.violation.is_some() {
            return;
        }
        let f = self.config.faults;
        out.extend(self.network.deliverable(f.reorder).map(Choice::Deliver));
        self.each_local_choice(|c| {
            out.push(c);
            false
        });
        if self.drops_enabled() {
            out.extend(self.network.distinct().map(Choice::Drop));
        }
        if self.copies_enabled() {
            out.extend(self.network.distinct().map(Choice::Duplicate));
        }
        out.extend((0..self.split_choices()).map(|k| self.split_choice(k)));
    }

    /// How many events are possible now: the length of `choices`' list.
    pub fn choice_count(&self) -> usize {
        let mut count = 0;
        self.pick_choice(|n| {
            count = n;
            0
        });
        count
    }

    /// One event of `choices`' list without building the list: `pick` is told how many
    /// there are and answers the position of the one to take (wrapped into range). `None`
    /// when nothing is possible.
    pub fn pick_choice(&self, pick: impl FnOnce(usize) -> usize) -> Option<Choice> {
        if self.violation.is_some() {
            return None;
        }
        let reorder = self.config.faults.reorder;
        let deliveries = self.network.deliverable_count(reorder);
        let locals = self.local_choice_count();
        let distinct = self.network.distinct_count();
        let drops = if self.drops_enabled() { distinct } else { 0 };
        let copies = if self.copies_enabled() { distinct } else { 0 };
        let splits = self.split_choices();
        let count = deliveries + locals + drops + copies + splits;
        if count == 0 {
            return None;
        }
        let mut k = pick(count);
        if k >= count {
            k %= count;
        }
        if k < deliveries {
            return self
                .network
                .nth_deliverable(k, reorder)
                .map(Choice::Deliver);
        }
        k -= deliveries;
        if k < locals {
            let mut found = None;
            self.each_local_choice(|c| {
                if k == 0 {
                    found = Some(c);
                    return true;
                }
                k -= 1;
                false
            });
            return found;
        }
        k -= locals;
        if k < drops {
            return self.network.nth_distinct(k).map(Choice::Drop);
        }
        k -= drops;
        if k < copies {
            return self.network.nth_distinct(k).map(Choice::Duplicate);
        }
        Some(self.split_choice(k - copies))
    }

    /// How many choices `each_local_choice` visits, counted in one pass over nodes and
    /// clients without building any (the count is needed before every event; the visit
    /// only when a local choice is the one taken). `tests/choices.rs` holds the two equal.
    fn local_choice_count(&self) -> usize {
        // The config behind its shared pointer once, not at every field.
        let config: &WorldConfig = &self.config;
        let limits = &config.limits;
        let room = self.room_in_flight();
        let heartbeats = room
            && Self::under(limits.max_heartbeats, self.counters.heartbeats)
            && config.nodes > 1;
        let (mut timers, mut leaders, mut up) = (0, 0, 0);
        // Syncs and the crashes that keep part of the unsynced writes, in the same pass (a
        // correct core leaves no unsynced writes, so this is one empty check per node).
        let (mut syncs, mut torn) = (0, 0);
        let leader_timer = self.leader_timer_runs();
        let timed = config.features.lease_reads;
        let tick = timed && self.can_tick();
        let max_ahead = config.timing.max_ahead();
        for node in self.live_nodes() {
            up += 1;
            let disk = &self.disks[node.id() as usize - 1];
            if !disk.unsynced.is_empty() {
                syncs += 1;
                torn += disk.pending_units() as usize;
            }
            if node.role() == Role::Leader {
                leaders += 1;
            }
            if timed {
                timers += usize::from(tick && self.clocks.can_tick_alone(node.id(), max_ahead));
            } else if node.role() == Role::Leader {
                let timer = leader_timer || node.transfer_target().is_some();
                timers += usize::from(heartbeats) + usize::from(timer);
            } else {
                timers += usize::from(room && self.may_campaign(node));
            }
        }
        let timeouts = Self::under(limits.max_client_timeouts, self.counters.client_timeouts);
        let mut clients = 0;
        for client in &self.clients {
            let script = config.clients[client.id as usize - 1].len();
            if client.can_invoke(script) && room {
                clients += if self.reads_anywhere(client) {
                    up
                } else {
                    leaders
                };
            }
            let answered = matches!(client.state, ClientState::Answered { .. });
            let waiting = answered || client.state.node().is_some();
            clients += usize::from(answered) + usize::from(waiting && timeouts);
        }
        let faults = if config.faults.crash {
            let crashes = Self::under(limits.max_crashes, self.counters.crashes);
            let down = config.nodes as usize - up;
            let lose = config.crash_mode == CrashMode::LoseUnsynced;
            down + if crashes {
                up + if lose { torn } else { 0 }
            } else {
                0
            }
        } else {
            0
        };
        timers += usize::from(tick);
        let snapshots = self.snapshot_choices_count();
        let transfers = self.transfer_choices_count();
        let reconfigs = self.reconfig_choices_count();
        timers + clients + syncs + snapshots + transfers + reconfigs + faults
    }

    /// Whether `transfer nA->nB` events are possible at all now (the feature, its bound, and
    /// room in flight for what the leader sends).
    fn transfers_allowed(&self) -> bool {
        self.config.features.transfer
            && self.config.nodes > 1
            && self.room_in_flight()
            && Self::under(self.config.limits.max_transfers, self.counters.transfers)
    }

    /// Leaders that can be asked to transfer: not already transferring.
    fn leaders_free_to_transfer(&self) -> impl Iterator<Item = &KvNode> {
        self.live_nodes()
            .filter(|n| n.role() == Role::Leader && n.transfer_target().is_none())
    }

    fn transfer_choices_count(&self) -> usize {
        if !self.transfers_allowed() {
            return 0;
        }
        self.leaders_free_to_transfer()
            .map(|l| self.transfer_targets(l).count())
            .sum()
    }

    /// Whom a leader can hand leadership to: every other node, or with membership changes
    /// every other voter of its configuration.
    fn transfer_targets<'a>(&'a self, leader: &'a KvNode) -> impl Iterator<Item = NodeId> + 'a {
        let me = leader.id();
        let membership = self.config.features.membership;
        self.config
            .node_ids()
            .filter(move |to| *to != me && (!membership || leader.membership().is_voter(*to)))
    }

    /// Whether `reconfig` events are possible at all now (the feature, its bound, and room
    /// in flight for what the leader sends).
    fn reconfigs_allowed(&self) -> bool {
        self.config.features.membership
            && self.room_in_flight()
            && Self::under(self.config.limits.max_reconfigs, self.counters.reconfigs)
    }

    /// The membership changes `leader` would accept now, in a fixed order, each handed to
    /// `visit` until it returns `true` (then `true`): for every node, adding it as a learner
    /// or a voter, promoting or dropping it as a learner, or removing it as a voter; and
    /// every joint change that swaps one voter for one learner.
    fn each_reconfig(
        leader: &KvNode,
        nodes: u8,
        mut visit: impl FnMut(MembershipChange) -> bool,
    ) -> bool {
        if leader.may_change_membership().is_err() {
            return false;
        }
        let m = *leader.membership();
        let mut offer =
            |c: MembershipChange| leader.check_membership_change(&c).is_ok() && visit(c);
        for id in 1..=nodes {
            let stop = if m.voters.contains(id) {
                offer(MembershipChange::RemoveVoter(id))
            } else if m.learners.contains(id) {
                offer(MembershipChange::Promote(id)) || offer(MembershipChange::RemoveLearner(id))
            } else {
                offer(MembershipChange::AddLearner(id)) || offer(MembershipChange::AddVoter(id))
            };
            if stop {
                return true;
            }
        }
        for out in m.voters.iter() {
            for learner in m.learners.iter() {
                let mut voters = m.voters;
                voters.remove(out);
                voters.insert(learner);
                if offer(MembershipChange::Joint(voters)) {
                    return true;
                }
            }
        }
        false
    }

    fn reconfig_choices_count(&self) -> usize {
        if !self.reconfigs_allowed() {
            return 0;
        }
        let nodes = self.config.nodes;
        self.nodes
            .iter()
            .flatten()
            .filter(|n| n.role() == Role::Leader)
            .map(|leader| {
                // Remembered with the node until it changes (it depends on the node and
                // the cluster's size alone): each count asks the core about every
                // possible change, and most events leave the leader as it was.
                let known = leader.derived(|node| {
                    let mut count = 0;
                    Self::each_reconfig(node, nodes, |_| {
                        count += 1;
                        false
                    });
                    count + 1
                });
                known as usize - 1
            })
            .sum()
    }

    /// The `k`-th change `each_reconfig` offers at `leader`.
    fn nth_reconfig(&self, leader: NodeId, k: u16) -> Option<MembershipChange> {
        let node = self.node(leader)?;
        let mut seen = 0;
        let mut found = None;
        Self::each_reconfig(node, self.config.nodes, |c| {
            if seen == k {
                found = Some(c);
                return true;
            }
            seen += 1;
            false
        });
        found
    }

    /// Whether `snapshot nN` events are possible at all now (the feature, and its bound).
    fn snapshots_allowed(&self) -> bool {
        self.config.features.snapshots
            && Self::under(self.config.limits.max_snapshots, self.counters.snapshots)
    }

    /// Whether a node has applied entries since its last snapshot: what `snapshot nN` needs.
    fn can_snapshot(node: &KvNode) -> bool {
        node.applied_index() > node.snapshot().index
    }

    fn snapshot_choices_count(&self) -> usize {
        if !self.snapshots_allowed() {
            return 0;
        }
        self.live_nodes().filter(|n| Self::can_snapshot(n)).count()
    }

    /// Timers of live nodes, each client's next step, crashes and restarts, in that order,
    /// each handed to `visit` until it answers `true` (stop).
    fn each_local_choice(&self, mut visit: impl FnMut(Choice) -> bool) {
        let limits = self.config.limits;
        let room = self.room_in_flight();
        let heartbeats = room
            && Self::under(limits.max_heartbeats, self.counters.heartbeats)
            && self.config.nodes > 1;
        let leader_timer = self.leader_timer_runs();
        let timed = self.config.features.lease_reads;
        for node in self.live_nodes() {
            let id = node.id();
            if timed {
                if self.can_tick_alone(id) && visit(Choice::TickOne(id)) {
                    return;
                }
                continue;
            }
            if node.role() == Role::Leader {
                if heartbeats && visit(Choice::Heartbeat(id)) {
                    return;
                }
                let timer = leader_timer || node.transfer_target().is_some();
                if timer && visit(Choice::Timeout(id)) {
                    return;
                }
                continue;
            }
            let timer = (room && self.may_campaign(node)).then_some(Choice::Timeout(id));
            if timer.is_some_and(&mut visit) {
                return;
            }
        }
        if timed && self.can_tick() && visit(Choice::Tick) {
            return;
        }
        let timeouts = Self::under(limits.max_client_timeouts, self.counters.client_timeouts);
        for client in &self.clients {
            let script = self.config.clients[client.id as usize - 1].len();
            if client.can_invoke(script) && room {
                let anywhere = self.reads_anywhere(client);
                for node in self
                    .live_nodes()
                    .filter(|n| anywhere || n.role() == Role::Leader)
                {
                    if visit(Choice::Invoke(client.id, node.id())) {
                        return;
                    }
                }
            }
            let answered = matches!(client.state, ClientState::Answered { .. });
            if answered && visit(Choice::Reply(client.id)) {
                return;
            }
            let waiting = answered || client.state.node().is_some();
            if waiting && timeouts && visit(Choice::ClientTimeout(client.id)) {
                return;
            }
        }
        for id in self.config.node_ids() {
            let pending = !self.disks[id as usize - 1].unsynced.is_empty();
            if pending && self.node(id).is_some() && visit(Choice::Sync(id)) {
                return;
            }
        }
        if self.snapshots_allowed() {
            for node in self.live_nodes() {
                if Self::can_snapshot(node) && visit(Choice::Snapshot(node.id())) {
                    return;
                }
            }
        }
        if self.transfers_allowed() {
            for leader in self.leaders_free_to_transfer() {
                let from = leader.id();
                for to in self.transfer_targets(leader) {
                    if visit(Choice::Transfer(from, to)) {
                        return;
                    }
                }
            }
        }
        if self.reconfigs_allowed() {
            for leader in self.live_nodes().filter(|n| n.role() == Role::Leader) {
                let mut k = 0u16;
                let stop = Self::each_reconfig(leader, self.config.nodes, |_| {
                    let stop = visit(Choice::Reconfig(leader.id(), k));
                    k += 1;
                    stop
                });
                if stop {
                    return;
                }
            }
        }
        if self.config.faults.crash {
            let crashes = Self::under(limits.max_crashes, self.counters.crashes);
            let lose = self.config.crash_mode == CrashMode::LoseUnsynced;
            for id in self.config.node_ids() {
                if self.node(id).is_none() {
                    if visit(Choice::Restart(id)) {
                        return;
                    }
                    continue;
                }
                if !crashes {
                    continue;
                }
                if visit(Choice::Crash(id)) {
                    return;
                }
                // A power loss may keep any prefix of the unsynced writes, torn ones too.
                let units = if lose {
                    self.disks[id as usize - 1].pending_units()
                } else {
                    0
                };
                for keep in 1..=units {
                    if visit(Choice::CrashKeeping(id, keep)) {
                        return;
                    }
                }
            }
        }
    }

    /// Whether the client's next request is a read any node can take (read-index: a follower
    /// forwards it to its leader). Writes, and reads through the log, go to leaders only.
    fn reads_anywhere(&self, client: &Client) -> bool {
        if !self.config.features.read_index {
            return false;
        }
        let script = &self.config.clients[client.id as usize - 1];
        let next = match client.state {
            ClientState::Idle => client.started,
            _ => client.started.saturating_sub(1),
        };
        script.get(next).is_some_and(KvOp::is_read)
    }

    /// Whether time can pass (`tick`): the world keeps time, within the bound on ticks, and
    /// with room in flight for the heartbeats and votes the timers may send.
    fn can_tick(&self) -> bool {
        self.config.features.lease_reads
            && self.room_in_flight()
            && Self::under(self.config.limits.max_ticks, self.counters.ticks)
    }

    /// Count one tick of time passing (`tick` or `tick nN`), if it can.
    fn time_passes(&mut self) -> Result<(), EventError> {
        if !self.can_tick() {
            return Err(EventError::NotEnabled(
                "the world keeps no time (lease reads off), or its bound on ticks is reached"
                    .into(),
            ));
        }
        self.counters.ticks += 1;
        Ok(())
    }

    /// Whether node `id` is on the minority side of a partition (or an even split): it
    /// cannot reach a majority.
    pub fn cut_off(&self, id: NodeId) -> bool {
        self.partition.as_ref().is_some_and(|group| {
            let mine = group[id as usize - 1];
            group.iter().filter(|g| **g == mine).count() * 2 <= group.len()
        })
    }

    /// Whether node `id`'s clock can tick alone (`tick nN`): it runs no further ahead of the
    /// slowest than the drift bound allows.
    fn can_tick_alone(&self, id: NodeId) -> bool {
        self.can_tick()
            && self
                .clocks
                .can_tick_alone(id, self.config.timing.max_ahead())
    }

    fn clocks_after_tick(&self, id: NodeId) -> Option<Clocks> {
        let max_ahead = self.config.timing.max_ahead();
        if max_ahead == 0 {
            return None;
        }
        let live = |n: NodeId| self.nodes[n as usize - 1].is_some();
        self.clocks
            .after_tick(id, live, self.config.nodes, max_ahead)
    }

    /// Whether a leader's election timer runs: with check-quorum it is the timer at which the
    /// leader checks that a majority still answers (a lone node always has one).
    fn leader_timer_runs(&self) -> bool {
        self.config.features.check_quorum && self.config.nodes > 1
    }

    /// Counts one use of a bounded fault, but only under a limit: the count is part of the
    /// state, and without a limit it would tell apart states that differ in nothing else.
    fn count_under(limit: Option<u32>, used: &mut u32) {
        if limit.is_some() {
            *used += 1;
        }
    }

    /// Whether a follower's or candidate's election timer may fire: within the term bound and
    /// the run's elections (room in flight is checked by the caller).
    fn may_campaign(&self, node: &KvNode) -> bool {
        let limits = &self.config.limits;
        limits.max_term.is_none_or(|t| node.term() < t)
            && Self::under(limits.max_elections, self.counters.elections)
            // (A node outside the voters ignores its timer: no event.)
            && (!self.config.features.membership
                || node.may_campaign()
                // (Its timer still ends check-quorum's lease on its vote.)
                || (self.config.features.check_quorum && node.leader().is_some()))
    }

    fn drops_enabled(&self) -> bool {
        self.config.faults.loss && Self::under(self.config.limits.max_losses, self.counters.losses)
    }

    fn copies_enabled(&self) -> bool {
        self.config.faults.duplication && self.room_in_flight()
    }

    /// How many split-or-heal events are possible: heal while split, otherwise one per
    /// two-group split with node 1 in the first group (so each split appears once).
    fn split_choices(&self) -> usize {
        if !self.config.faults.partition {
            0
        } else if self.partition.is_some() {
            1
        } else if Self::under(self.config.limits.max_partitions, self.counters.partitions) {
            (1 << (self.config.nodes - 1)) - 1
        } else {
            0
        }
    }

    fn split_choice(&self, k: usize) -> Choice {
        if self.partition.is_some() {
            Choice::Heal
        } else {
            Choice::Partition(k as u32 + 1)
        }
    }

    /// The event a choice stands for.
    pub fn event_of(&self, choice: Choice) -> Event {
        let msg = |i: usize| {
            let e = &self.network.messages()[i];
            (e.from, e.to, crate::event::MsgRef::of(&e.msg))
        };
        match choice {
            Choice::Deliver(i) => {
                let (from, to, msg) = msg(i);
                Event::Deliver { from, to, msg }
            }
            Choice::Drop(i) => {
                let (from, to, msg) = msg(i);
                Event::Drop { from, to, msg }
            }
            Choice::Duplicate(i) => {
                let (from, to, msg) = msg(i);
                Event::Duplicate { from, to, msg }
            }
            Choice::Timeout(id) => Event::Timeout(id),
            Choice::Tick => Event::Tick,
            Choice::TickOne(id) => Event::TickOne(id),
            Choice::Heartbeat(id) => Event::Heartbeat(id),
            Choice::Crash(id) => Event::Crash(id),
            Choice::CrashKeeping(node, keep) => Event::CrashKeeping { node, keep },
            Choice::Sync(id) => Event::Sync(id),
            Choice::Snapshot(id) => Event::Snapshot(id),
            Choice::Transfer(from, to) => Event::Transfer { from, to },
            Choice::Reconfig(leader, k) => match self.nth_reconfig(leader, k) {
                Some(change) => Event::Reconfig { leader, change },
                // Not listed by `choices` in this state: an event no world accepts.
                None => Event::Reconfig {
                    leader,
                    change: MembershipChange::Joint(NodeSet::EMPTY),
                },
            },
            Choice::Restart(id) => Event::Restart(id),
            Choice::Partition(mask) => Event::Partition(split(self.config.nodes, mask)),
            Choice::Heal => Event::Heal,
            Choice::Invoke(client, node) => Event::Invoke { client, node },
            Choice::Reply(c) => Event::Reply(c),
            Choice::ClientTimeout(c) => Event::ClientTimeout(c),
        }
    }

    /// Apply a choice from `choices` on this same state: like `apply(&event_of(choice))`, but
    /// a message is taken by its position instead of being looked up by its summary.
    pub fn apply_choice(&mut self, choice: Choice) -> Result<Option<Violation>, EventError> {
        match choice {
            Choice::Deliver(i) | Choice::Drop(i) | Choice::Duplicate(i)
                if i >= self.network.len() =>
            {
                Err(EventError::NotEnabled(format!("no message #{i} in flight")))
            }
            Choice::Deliver(i) => {
                let to = self.network.messages()[i].to;
                self.step_checked(Some(to), |w| w.deliver_at(i))
            }
            Choice::Drop(i) => self.step_checked(None, |w| {
                w.network.take(i);
                Self::count_under(w.config.limits.max_losses, &mut w.counters.losses);
                Ok(Ok(()))
            }),
            Choice::Duplicate(i) => self.step_checked(None, |w| {
                w.network.duplicate(i, w.config.faults.reorder);
                Ok(Ok(()))
            }),
            // Listed by `choices`, so within the ids and the limits already: only its effect
            // and the invariants are left to do (this is the engines' hot path).
            other => {
                let event = self.event_of(other);
                self.step_checked(event.node(), |w| w.perform(&event))
            }
        }
    }

    // ----- making it happen -----

    /// Perform one event and check the invariants. `Ok(Some(v))`: the event broke invariant `v`
    /// (the world keeps it in `violation` and enables nothing more). `Err`: the event is not
    /// possible in this state.
    pub fn apply(&mut self, event: &Event) -> Result<Option<Violation>, EventError> {
        if self.violation.is_some() {
            return Err(EventError::AfterViolation);
        }
        self.check_ids(event)?;
        self.check_limits(event)?;
        self.step_checked(event.node(), |w| w.perform(event))
    }

    /// The world's limits for an event named from outside (a scenario, the minimizer, the
    /// random simulation), as the enabled choices apply them: without this a replayed or
    /// minimized scenario could hold more messages in flight, or more crashes, heartbeats,
    /// terms, partitions, losses or client timeouts than its own `limits` line allows, and a
    /// counterexample would leave the bounds it was found in. (The bounds checked in
    /// `perform` itself, ticks, snapshots and transfers, are not repeated here.)
    fn check_limits(&self, event: &Event) -> Result<(), EventError> {
        let limits = &self.config.limits;
        let refuse = |what: String| Err(EventError::NotEnabled(what));
        let in_flight = |what: &str| {
            if self.room_in_flight() {
                Ok(())
            } else {
                refuse(format!(
                    "{what}: {} messages are in flight, the limit",
                    self.network.len()
                ))
            }
        };
        match event {
            Event::Duplicate { .. } => in_flight("no duplicate"),
            Event::Drop { .. } if !Self::under(limits.max_losses, self.counters.losses) => refuse(
                format!("the run's {} message losses are used", self.counters.losses),
            ),
            Event::Invoke { .. } => in_flight("no request"),
            Event::Reconfig { .. } => {
                if !Self::under(limits.max_reconfigs, self.counters.reconfigs) {
                    return refuse(format!(
                        "the run's {} membership changes are used",
                        self.counters.reconfigs
                    ));
                }
                in_flight("no membership change")
            }
            Event::Heartbeat(id) => {
                if !Self::under(limits.max_heartbeats, self.counters.heartbeats) {
                    return refuse(format!(
                        "n{id}: the run's {} heartbeats are used",
                        self.counters.heartbeats
                    ));
                }
                in_flight("no heartbeat")
            }
            // A leader's election timer (check-quorum, or an abandoned transfer) sends
            // nothing, and is bounded neither by terms nor by room in flight.
            Event::Timeout(id) => match self.node(*id) {
                Some(node) if node.role() != Role::Leader => {
                    if limits.max_term.is_some_and(|t| node.term() >= t) {
                        return refuse(format!(
                            "n{id} is at term {}, the limit: no election",
                            node.term()
                        ));
                    }
                    if !Self::under(limits.max_elections, self.counters.elections) {
                        return refuse(format!(
                            "n{id}: the run's {} elections are used",
                            self.counters.elections
                        ));
                    }
                    in_flight("no election")
                }
                _ => Ok(()),
            },
            Event::Crash(id) | Event::CrashKeeping { node: id, .. }
                if !Self::under(limits.max_crashes, self.counters.crashes) =>
            {
                refuse(format!(
                    "n{id}: the run's {} crashes are used",
                    self.counters.crashes
                ))
            }
            Event::Partition(_)
                if !Self::under(limits.max_partitions, self.counters.partitions) =>
            {
                refuse(format!(
                    "the run's {} partitions are used",
                    self.counters.partitions
                ))
            }
            Event::ClientTimeout(c)
                if !Self::under(limits.max_client_timeouts, self.counters.client_timeouts) =>
            {
                refuse(format!(
                    "c{c}: the run's {} client timeouts are used",
                    self.counters.client_timeouts
                ))
            }
            _ => Ok(()),
        }
    }

    /// Run one event's effect on the node it targets, then the invariants.
    fn step_checked(
        &mut self,
        target: Option<NodeId>,
        effect: impl FnOnce(&mut World) -> Result<Result<(), Violation>, EventError>,
    ) -> Result<Option<Violation>, EventError> {
        if self.violation.is_some() {
            return Err(EventError::AfterViolation);
        }
        let before = target.map(|id| Before::of(id, self.node(id)));
        let durable_term =
            |w: &World| target.map(|id| w.disks[id as usize - 1].durable.hard_state.term);
        let term_before = durable_term(self);
        self.touched = Touched::default();
        let result = effect(self);
        let touched = std::mem::take(&mut self.touched);
        if let Err(v) = result? {
            return Ok(Some(self.fail(v)));
        }
        if let (Some(id), Some(before)) = (target, before) {
            if let Err(v) = self.check_node(id, &before, &touched) {
                return Ok(Some(self.fail(v)));
            }
            // Records become unreachable only when a durable term rises, and only a node's
            // own event raises its durable term.
            if durable_term(self) != term_before {
                let floors: SmallVec<[Term; 9]> = self
                    .disks
                    .iter()
                    .map(|d| d.durable.hard_state.term)
                    .collect();
                self.ghost.prune(&floors);
            }
        }
        Ok(None)
    }

    fn fail(&mut self, v: Violation) -> Violation {
        self.violation = Some(v.clone());
        v
    }

    fn check_ids(&self, event: &Event) -> Result<(), EventError> {
        let n = self.config.nodes;
        let node_ok = |id: NodeId| {
            if (1..=n).contains(&id) {
                Ok(())
            } else {
                Err(EventError::NoSuchNode(id))
            }
        };
        let client_ok = |c: ClientId| {
            if (1..=self.clients.len() as ClientId).contains(&c) {
                Ok(())
            } else {
                Err(EventError::NoSuchClient(c))
            }
        };
        match event {
            Event::Deliver { from, to, .. }
            | Event::Drop { from, to, .. }
            | Event::Duplicate { from, to, .. } => {
                node_ok(*from)?;
                node_ok(*to)
            }
            Event::Tick => Ok(()),
            Event::Timeout(id)
            | Event::TickOne(id)
            | Event::Heartbeat(id)
            | Event::Crash(id)
            | Event::Restart(id)
            | Event::Sync(id)
            | Event::Snapshot(id)
            | Event::CrashKeeping { node: id, .. } => node_ok(*id),
            Event::Transfer { from, to } => {
                node_ok(*from)?;
                node_ok(*to)
            }
            Event::Reconfig { leader, change } => {
                node_ok(*leader)?;
                crate::event::change_ids(change).try_for_each(node_ok)
            }
            Event::Partition(groups) => groups.iter().flatten().try_for_each(|id| node_ok(*id)),
            Event::Heal => Ok(()),
            Event::Invoke { client, node } => {
                client_ok(*client)?;
                node_ok(*node)
            }
            Event::ClientTimeout(c) | Event::Reply(c) => client_ok(*c),
        }
    }

    fn live_mut(&mut self, id: NodeId) -> Result<&mut KvNode, EventError> {
        self.nodes[id as usize - 1]
            .as_mut()
            .map(|n| &mut **Arc::make_mut(n))
            .ok_or_else(|| EventError::NotEnabled(format!("n{id} is down")))
    }

    /// The event's effect. The outer `Result` is "possible at all", the inner one a violation.
    fn perform(&mut self, event: &Event) -> Result<Result<(), Violation>, EventError> {
        let f = self.config.faults;
        match event {
            Event::Deliver { from, to, msg } => {
                if !self.connected(*from, *to) {
                    return Err(EventError::NotEnabled(format!(
                        "n{from} and n{to} are partitioned"
                    )));
                }
                let at = self
                    .network
                    .find(*from, *to, msg, f.reorder)
                    .ok_or_else(|| {
                        EventError::NotEnabled(format!(
                            "no message n{from}->n{to} {msg} can be delivered"
                        ))
                    })?;
                self.deliver_at(at)
            }
            Event::Drop { from, to, msg } => {
                if !f.loss {
                    return Err(EventError::NotEnabled("message loss is off".into()));
                }
                let at = self.find_any(*from, *to, msg)?;
                self.network.take(at);
                Self::count_under(self.config.limits.max_losses, &mut self.counters.losses);
                Ok(Ok(()))
            }
            Event::Duplicate { from, to, msg } => {
                if !f.duplication {
                    return Err(EventError::NotEnabled("duplication is off".into()));
                }
                let at = self.find_any(*from, *to, msg)?;
                self.network.duplicate(at, f.reorder);
                Ok(Ok(()))
            }
            Event::Tick => {
                self.time_passes()?;
                for id in self.config.node_ids() {
                    if let Some(v) = self.tick_node(id) {
                        return Ok(Err(v));
                    }
                }
                Ok(Ok(()))
            }
            Event::TickOne(id) => {
                self.live_mut(*id)?;
                let clocks = self.clocks_after_tick(*id).ok_or_else(|| {
                    EventError::NotEnabled(format!(
                        "n{id}'s clock would run more than the drift bound ahead"
                    ))
                })?;
                self.time_passes()?;
                self.clocks = clocks;
                Ok(self.tick_node(*id).map_or(Ok(()), Err))
            }
            Event::Timeout(id) | Event::Heartbeat(id) if self.config.features.lease_reads => {
                Err(EventError::NotEnabled(format!(
                    "the world keeps time: n{id}'s timers fire on their own at ticks"
                )))
            }
            Event::Timeout(id) => {
                let check_quorum = self.config.features.check_quorum;
                let node = self.live_mut(*id)?;
                if node.role() == Role::Leader && !check_quorum && node.transfer_target().is_none()
                {
                    return Err(EventError::NotEnabled(format!(
                        "n{id} is leader, check-quorum is off and it transfers nothing: its election timer does not run"
                    )));
                }
                let campaigns = node.role() != Role::Leader;
                let term = node.term();
                node.fire_election_timeout();
                let mut ready = take_ready(node);
                let unheard = if campaigns {
                    Ok(())
                } else {
                    self.leader_checked(*id, term)
                };
                if campaigns {
                    // Its election timer fired: whatever it promised is over.
                    self.set_promise(*id, 0);
                    Self::count_under(
                        self.config.limits.max_elections,
                        &mut self.counters.elections,
                    );
                }
                Ok(unheard.and_then(|()| self.flush_ready(*id, ready.as_mut())))
            }
            Event::Heartbeat(id) => {
                let node = self.live_mut(*id)?;
                if node.role() != Role::Leader {
                    return Err(EventError::NotEnabled(format!(
                        "n{id} is not leader: it sends no heartbeats"
                    )));
                }
                node.fire_heartbeat();
                let mut ready = take_ready(node);
                self.counters.heartbeats += 1;
                Ok(self.flush_ready(*id, ready.as_mut()))
            }
            Event::Crash(id) => self.crash(*id, None),
            Event::CrashKeeping { node, keep } => self.crash(*node, Some(*keep)),
            Event::Sync(id) => {
                self.live_mut(*id)?;
                let disk = &mut self.disks[*id as usize - 1];
                if disk.unsynced.is_empty() {
                    return Err(EventError::NotEnabled(format!(
                        "n{id} has no unsynced writes"
                    )));
                }
                self.touched.durable_from = disk.lowest_pending_from();
                Ok(disk
                    .sync()
                    .map_err(|e| Violation::new(Invariant::DurableState, format!("n{id}: {e}"))))
            }
            Event::Snapshot(id) => {
                if !self.snapshots_allowed() {
                    return Err(EventError::NotEnabled(
                        "snapshots are off, or their limit is reached".into(),
                    ));
                }
                let node = self.live_mut(*id)?;
                match node.compact() {
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        return Err(EventError::NotEnabled(format!(
                            "n{id} applied nothing since its last snapshot"
                        )))
                    }
                    Err(e) => {
                        return Ok(Err(Violation::new(
                            Invariant::DurableState,
                            format!("n{id}: {e}"),
                        )))
                    }
                }
                let mut ready = take_ready(node);
                self.counters.snapshots += 1;
                Ok(self.flush_ready(*id, ready.as_mut()))
            }
            Event::Transfer { from, to } => {
                if !self.transfers_allowed() {
                    return Err(EventError::NotEnabled(
                        "transfers are off, or their limit is reached".into(),
                    ));
                }
                let node = self.live_mut(*from)?;
                node.transfer_leadership(*to)
                    .map_err(|e| EventError::NotEnabled(format!("n{from}: {e}")))?;
                let term = node.term();
                let mut ready = take_ready(node);
                self.counters.transfers += 1;
                self.ghost.heard.timer_restarted(*from, term);
                Ok(self.flush_ready(*from, ready.as_mut()))
            }
            Event::Reconfig { leader, change } => {
                if !self.config.features.membership {
                    return Err(EventError::NotEnabled("membership changes are off".into()));
                }
                let node = self.live_mut(*leader)?;
                node.change_membership(*change)
                    .map_err(|e| EventError::NotEnabled(format!("n{leader}: {e}")))?;
                let mut ready = take_ready(node);
                self.counters.reconfigs += 1;
                Ok(self.flush_ready(*leader, ready.as_mut()))
            }
            Event::Restart(id) => {
                if self.node(*id).is_some() {
                    return Err(EventError::NotEnabled(format!("n{id} is running")));
                }
                let cfg = node_config(&self.config, *id);
                // The store is built as `World::new` built it, so it is not refused here.
                let store = state_machine(&self.config)
                    .map_err(|e| EventError::NotEnabled(format!("n{id}: {e}")))?;
                match Node::restart(cfg, &**self.disks[*id as usize - 1].durable, store) {
                    Ok(node) => {
                        if node.snapshot().index > 0 {
                            self.ghost.recovered_from_snapshot = true;
                        }
                        self.nodes[*id as usize - 1] = Some(Arc::new(Memo::new(node)));
                        // With leases a restarted node keeps the promise it may have made
                        // before the crash, for an election timeout from now.
                        let keeps = self.config.features.lease_reads;
                        let ticks = if keeps { self.promise_ticks() } else { 0 };
                        self.set_promise(*id, ticks);
                        Ok(Ok(()))
                    }
                    Err(e) => Ok(Err(Violation::new(
                        Invariant::DurableState,
                        format!("n{id} cannot restart from its disk: {e}"),
                    ))),
                }
            }
            Event::Partition(groups) => {
                if !f.partition {
                    return Err(EventError::NotEnabled("partitions are off".into()));
                }
                let mut group_of = vec![u8::MAX; self.config.nodes as usize];
                for (g, members) in groups.iter().enumerate() {
                    for id in members {
                        if group_of[*id as usize - 1] != u8::MAX {
                            return Err(EventError::NotEnabled(format!("n{id} is in two groups")));
                        }
                        group_of[*id as usize - 1] = g as u8;
                    }
                }
                if let Some(missing) = group_of.iter().position(|g| *g == u8::MAX) {
                    return Err(EventError::NotEnabled(format!(
                        "n{} is in no group",
                        missing + 1
                    )));
                }
                self.network
                    .retain(|e| group_of[e.from as usize - 1] == group_of[e.to as usize - 1]);
                self.partition = Some(group_of);
                self.counters.partitions += 1;
                Ok(Ok(()))
            }
            Event::Heal => {
                if self.partition.take().is_none() {
                    return Err(EventError::NotEnabled(
                        "the network is not partitioned".into(),
                    ));
                }
                Ok(Ok(()))
            }
            Event::Invoke { client, node } => self.invoke(*client, *node),
            Event::ClientTimeout(c) => {
                let client = &mut self.clients[*c as usize - 1];
                if !matches!(
                    client.state,
                    ClientState::Waiting { .. }
                        | ClientState::Reading { .. }
                        | ClientState::Answered { .. }
                ) {
                    return Err(EventError::NotEnabled(format!("c{c} is not waiting")));
                }
                client.state = ClientState::Retrying;
                self.counters.client_timeouts += 1;
                Ok(Ok(()))
            }
            Event::Reply(c) => {
                let client = &mut self.clients[*c as usize - 1];
                let ClientState::Answered { output } = &client.state else {
                    return Err(EventError::NotEnabled(format!(
                        "c{c} has no answer on its way"
                    )));
                };
                self.clock += 1;
                Arc::make_mut(&mut self.history)[client.history_index].returned =
                    Some((self.clock, output.clone()));
                client.state = ClientState::Idle;
                Ok(Ok(()))
            }
        }
    }

    /// A node crashes. `keep`: with crash-mode lose-unsynced, how many parts of its unsynced
    /// writes reached the disk first (`None`: what the crash mode says, all or none).
    fn crash(
        &mut self,
        id: NodeId,
        keep: Option<u32>,
    ) -> Result<Result<(), Violation>, EventError> {
        if !self.config.faults.crash {
            return Err(EventError::NotEnabled("crashes are off".into()));
        }
        self.live_mut(id)?;
        let mode = self.config.crash_mode;
        if let Some(keep) = keep {
            let units = self.disks[id as usize - 1].pending_units();
            if mode != CrashMode::LoseUnsynced || keep > units {
                return Err(EventError::NotEnabled(format!(
                    "n{id} cannot keep {keep} parts of its unsynced writes: it has {units} (and the crash mode must be lose-unsynced)"
                )));
            }
        }
        self.nodes[id as usize - 1] = None;
        self.set_promise(id, 0);
        self.ghost.read_witnesses.crashed(id);
        self.ghost.heard.checked(id);
        let live = |n: NodeId| self.nodes[n as usize - 1].is_some();
        self.clocks = self.clocks.stopped(id, live, self.config.nodes);
        self.counters.crashes += 1;
        // Connections to the dead process are reset: what was on its way to it is lost.
        self.network.retain(|e| e.to != id);
        for c in &mut self.clients {
            match &mut c.state {
                ClientState::Waiting { node, index } if *node == id => *index = None,
                // A read in progress dies with the node: no answer will come.
                ClientState::Reading { node } if *node == id => {
                    c.state = ClientState::Waiting {
                        node: id,
                        index: None,
                    }
                }
                _ => {}
            }
        }
        let disk = &mut self.disks[id as usize - 1];
        if keep.is_some() || mode == CrashMode::KeepUnsynced {
            self.touched.durable_from = disk.lowest_pending_from();
        }
        let result = match keep {
            Some(keep) => disk.crash_keeping(keep),
            None => disk.crash(mode),
        };
        Ok(result.map_err(|e| Violation::new(Invariant::DurableState, format!("n{id}: {e}"))))
    }

    fn deliver_at(&mut self, at: usize) -> Result<Result<(), Violation>, EventError> {
        let (from, to) = (
            self.network.messages()[at].from,
            self.network.messages()[at].to,
        );
        // Never true of a message in flight (what is on its way to a node that crashes, or
        // across a split, is lost then; sends to a down node or across a split are lost on
        // the wire), which is why the enabled deliveries are simply the deliverable messages.
        if !self.connected(from, to) {
            return Err(EventError::NotEnabled(format!(
                "n{from} and n{to} are partitioned"
            )));
        }
        if self.node(to).is_none() {
            return Err(EventError::NotEnabled(format!("n{to} is down")));
        }
        let env = self.network.take(at);
        self.touched.delivered_from = Some(env.from);
        match env.msg {
            Message::RequestVote {
                last_log_index,
                last_log_term,
                ..
            } => {
                self.touched.vote_request = Some((env.from, last_log_index, last_log_term));
            }
            Message::PreVote {
                term,
                last_log_index,
                last_log_term,
            } => {
                self.touched.pre_vote_request =
                    Some((env.from, term, last_log_index, last_log_term));
            }
            Message::PreVoteResponse { term, granted } => {
                self.touched.pre_vote_answer = Some((term, granted));
            }
            _ => {}
        }
        let forwarded_read = matches!(env.msg, Message::ReadIndex { .. });
        let installs = matches!(env.msg, Message::InstallSnapshot { .. });
        let timeout_now = matches!(env.msg, Message::TimeoutNow { .. });
        let msg_term = env.msg.term();
        // Word from a leader: an append, or a confirmation round (a read's, or with leases
        // the round each heartbeat sends, whose answer the leader counts as this node's
        // promise). Either resets the node's election timer.
        let from_leader = matches!(
            env.msg,
            Message::AppendEntries { .. } | Message::ReadConfirm { .. }
        );
        let asks_vote = matches!(
            env.msg,
            Message::RequestVote {
                transfer: false,
                ..
            } | Message::PreVote { .. }
        );
        let term_before = self.node(to).map_or(0, |n| n.term());
        let follower_of = self
            .node(to)
            .map(|n| (n.role(), n.term(), n.leader()))
            .filter(|_| timeout_now);
        self.touched.asks_past_promise =
            self.config.promises && asks_vote && msg_term > term_before;
        let node = self.live_mut(to)?;
        let snapshot_before = node.snapshot().index;
        node.step(env.from, env.msg)
            .map_err(|e| EventError::NotEnabled(e.to_string()))?;
        let installed = installs && node.snapshot().index != snapshot_before;
        let campaign = (timeout_now && node.role() == Role::Candidate).then(|| (to, node.term()));
        if installed {
            self.ghost.snapshot_installed = true;
        }
        if campaign.is_some() {
            self.ghost.transfer_campaign = campaign;
            // (A candidate already campaigning ignores the message: only a new campaign,
            // which raises the term, is judged.)
            if let (true, Some((_, term)), Some(before)) =
                (self.config.auxiliary, campaign, follower_of)
            {
                if term > before.1 {
                    let checked =
                        auxiliary::campaign_on_timeout_now_sound(to, from, msg_term, before);
                    if let Err(v) = checked {
                        return Ok(Err(v));
                    }
                }
            }
        }
        if forwarded_read {
            self.note_reads_began(to);
        }
        if self.judges_check_quorum() {
            let leads_term = self
                .node(to)
                .is_some_and(|n| n.role() == Role::Leader && n.term() == msg_term);
            if leads_term {
                self.ghost.heard.heard(to, msg_term, from);
            }
        }
        let node = self.live_mut(to)?;
        let term_after = node.term();
        let mut ready = take_ready(node);
        let checked = self.flush_ready(to, ready.as_mut());
        // Hearing a leader of its term or a later one starts a promise; a later term without
        // one ends it (it outlives a term change only with leases, whose safety rests on it).
        if from_leader && msg_term >= term_before {
            self.set_promise(to, self.promise_ticks());
        } else if term_after > term_before && !self.config.features.lease_reads {
            self.set_promise(to, 0);
        }
        Ok(checked)
    }

    /// Check-Quorum Sound at leader `id`'s check (its election timer fired in `term`): it
    /// must have stepped down unless a quorum, itself included, was heard from since its last
    /// check, as the world saw messages delivered. (The converse, no step-down while a
    /// quorum answered, is judged from the node's own marks in `check_auxiliary`.) The record
    /// starts afresh either way.
    fn leader_checked(&mut self, id: NodeId, term: Term) -> Result<(), Violation> {
        if !self.judges_check_quorum() {
            return Ok(());
        }
        let mut heard = self.ghost.heard.since_check(id, term);
        self.ghost.heard.checked(id);
        let Some(node) = self.nodes[id as usize - 1].as_deref() else {
            return Ok(());
        };
        let membership = node.membership();
        if membership.is_voter(id) {
            heard.insert(id);
        }
        if node.role() != Role::Leader || membership.has_quorum(&heard) {
            return Ok(());
        }
        let names: Vec<String> = heard.iter().map(|n| format!("n{n}")).collect();
        Err(Violation::new(
            Invariant::CheckQuorumSound,
            format!(
                "leader n{id} of term {term} keeps leading at its check-quorum check, but since its last check it heard from only {}: not a quorum of {membership}, so a leader cut off from the cluster would never step down",
                names.join(", ")
            ),
        ))
    }

    /// Whether the world keeps the record of whom leaders heard from (`ghost.heard`) and
    /// judges their check-quorum checks by it.
    fn judges_check_quorum(&self) -> bool {
        self.config.auxiliary && self.config.features.check_quorum
    }

    /// Note the reads leader `id` began confirming in the event just run (Read Sound).
    fn note_reads_began(&mut self, id: NodeId) {
        if !self.config.auxiliary {
            return;
        }
        let Some(node) = self.nodes[id as usize - 1].as_deref() else {
            return;
        };
        if node.role() != Role::Leader || node.pending_reads().is_empty() {
            return;
        }
        let leased = (node.lease_remaining() > 0).then(|| *node.membership());
        self.ghost
            .read_witnesses
            .began(id, node.term(), node.pending_reads(), leased.as_ref());
    }

    /// Read Sound for node `id`'s output: its answers to confirmation rounds vouch for their
    /// leader; a read it serves as leader must have a quorum vouching for it since it began.
    fn witness_reads(&mut self, id: NodeId, ready: &KvReady) -> Result<(), Violation> {
        let Some(node) = self.nodes[id as usize - 1].as_deref() else {
            return Ok(());
        };
        let (term, membership) = (node.term(), *node.membership());
        let leads = node.role() == Role::Leader;
        let leased = node.lease_remaining() > 0;
        let witnesses = &mut self.ghost.read_witnesses;
        for env in &ready.messages {
            match env.msg {
                Message::ReadConfirmResponse { term, .. } => witnesses.answered(id, env.to, term),
                Message::ReadIndexResponse {
                    term,
                    id: read,
                    index,
                } => match index {
                    Some(_) => {
                        witnesses.served(id, term, read, Some(env.to), &membership, leased)?
                    }
                    None => witnesses.dropped(id, read, Some(env.to)),
                },
                _ => {}
            }
        }
        for read in &ready.reads {
            match read.index {
                // A follower answers the reads it forwarded: the leader's were judged.
                Some(_) if leads => {
                    witnesses.served(id, term, read.id, None, &membership, leased)?
                }
                Some(_) => {}
                None => witnesses.dropped(id, read.id, None),
            }
        }
        Ok(())
    }

    /// Record what node `id` promised its leader, when the world tracks promises.
    fn set_promise(&mut self, id: NodeId, ticks: u32) {
        if self.config.promises {
            self.ghost.promises.set(id, ticks);
        }
    }

    /// How long a promise lasts, in ticks of the node's clock (in a world without clocks
    /// nothing counts it down: it lasts until the node's election timer fires).
    fn promise_ticks(&self) -> u32 {
        self.config.timing.election_ticks
    }

    fn find_any(
        &self,
        from: NodeId,
        to: NodeId,
        msg: &crate::event::MsgRef,
    ) -> Result<usize, EventError> {
        self.network.find(from, to, msg, true).ok_or_else(|| {
            EventError::NotEnabled(format!("no message n{from}->n{to} {msg} in flight"))
        })
    }

    fn invoke(
        &mut self,
        c: ClientId,
        node_id: NodeId,
    ) -> Result<Result<(), Violation>, EventError> {
        let script = &self.config.clients[c as usize - 1];
        let client = &self.clients[c as usize - 1];
        if !client.can_invoke(script.len()) {
            return Err(EventError::NotEnabled(format!("c{c} has nothing to send")));
        }
        let fresh = client.state == ClientState::Idle;
        let started = client.started + usize::from(fresh);
        let op = script[started - 1].clone();
        let read = op.is_read() && self.config.features.read_index;
        let cmd = KvCommand {
            client: c,
            seq: started as u64,
            op: op.clone(),
        };
        let node = self.live_mut(node_id)?;
        let proposal = if read {
            // Served without the log: the answer comes in `Ready::reads`.
            node.read(read_id(c, started as u64));
            None
        } else {
            Some(node.propose(cmd))
        };
        let mut ready = take_ready(node);
        if read {
            self.note_reads_began(node_id);
        }
        if fresh {
            self.clock += 1;
            let client = &mut self.clients[c as usize - 1];
            client.started = started;
            client.history_index = self.history.len();
            Arc::make_mut(&mut self.history).push(HistoryOp {
                client: c,
                seq: started as u64,
                op,
                invoked_at: self.clock,
                returned: None,
            });
        }
        let client = &mut self.clients[c as usize - 1];
        client.state = match proposal {
            None => ClientState::Reading { node: node_id },
            Some(Ok(p)) => ClientState::Waiting {
                node: node_id,
                index: Some((p.index, p.term)),
            },
            // Refused outright: the request was not taken, the client will try again.
            Some(Err(_)) => ClientState::Retrying,
        };
        Ok(self.flush_ready(node_id, ready.as_mut()))
    }

    /// Hand a node's output to the world: disk first, then the network, then the clients.
    /// By reference: the output holds its messages inline, and moving it once more was a
    /// measurable copy on every event.
    fn flush_ready(&mut self, id: NodeId, ready: Option<&mut KvReady>) -> Result<(), Violation> {
        let Some(ready) = ready else {
            return Ok(());
        };
        let i = id as usize - 1;
        let written = ready.log_write.as_ref().map(|w| w.from);
        // A snapshot changes the log just after its index (a follower that installs one
        // may drop everything after it); the entries it covers were committed.
        let snapshot_from = ready.snapshot.as_ref().map(|s| s.meta.index + 1);
        let written = lowest(written, snapshot_from);
        self.touched.log_from = lowest(self.touched.log_from, written);
        if ready.must_sync {
            let durable = lowest(self.disks[i].lowest_pending_from(), written);
            self.touched.durable_from = lowest(self.touched.durable_from, durable);
        }
        if self.config.auxiliary {
            if let Some(node) = self.node(id) {
                let pre_vote = self.touched.pre_vote_request;
                let promised = self.config.features.check_quorum
                    && self.touched.asks_past_promise
                    && self.ghost.promises.left(id) > 0;
                for env in &ready.messages {
                    auxiliary::append_sound(node, env.to, &env.msg)?;
                    auxiliary::pre_vote_granted_sound(node, env.to, &env.msg, pre_vote)?;
                    auxiliary::promise_kept(id, env.to, &env.msg, promised)?;
                    if matches!(env.msg, Message::TimeoutNow { .. }) {
                        let target = self.log_view(env.to);
                        auxiliary::timeout_now_sound(node, env.to, target, &self.ghost.committed)?;
                    }
                }
            }
            if self.config.features.read_index {
                self.witness_reads(id, ready)?;
            }
        }
        let synced = ready
            .log_write
            .as_ref()
            .filter(|_| ready.must_sync)
            .and_then(|w| w.last());
        // When a crash keeps unsynced writes (the process dies, the machine lives) nothing
        // can tell a pending write from a durable one, so the disk takes every write as
        // durable at once: a core that never syncs (ack-before-sync) would otherwise pile
        // up pending writes without end and give the model checker endless states.
        let durable_now = ready.must_sync || self.config.crash_mode == CrashMode::KeepUnsynced;
        let snapshot_at = ready.snapshot.as_ref().map(|s| s.meta.index);
        let write = PendingWrite {
            snapshot: ready.snapshot.take(),
            hard_state: ready.hard_state,
            log: ready.log_write.take(),
        };
        self.disks[i]
            .write(write, durable_now)
            .map_err(|e| Violation::new(Invariant::DurableState, format!("n{id}: {e}")))?;
        let reorder = self.config.faults.reorder;
        for env in ready.messages.drain(..) {
            // Sends to a down node or across a partition are lost on the wire.
            if self.nodes[env.to as usize - 1].is_some() && self.connected(env.from, env.to) {
                self.network.send(env, reorder);
            }
        }
        invariants::record_applied(&mut self.ghost, id, &ready.applied)?;
        for a in &ready.applied {
            for client in &mut self.clients {
                if let ClientState::Waiting {
                    node,
                    index: Some((index, term)),
                } = client.state
                {
                    if node == id && index == a.index {
                        let ours = a.entry.term == term
                            && matches!(&a.entry.payload, verraft_core::Payload::Command(c) if c.client == client.id && c.seq == client.seq());
                        client.state = match (&a.output, ours) {
                            (Some(output), true) => ClientState::Answered {
                                output: output.clone(),
                            },
                            // Another entry took the slot: no answer will come, the client times out.
                            _ => ClientState::Waiting { node, index: None },
                        };
                    }
                }
            }
        }
        if let Some(snapshot) = snapshot_at {
            // A request whose entry a snapshot from the leader covered was never applied
            // here: no answer will come from this node, the client times out.
            for client in &mut self.clients {
                if let ClientState::Waiting {
                    node,
                    index: Some((index, _)),
                } = client.state
                {
                    if node == id && index <= snapshot {
                        client.state = ClientState::Waiting { node, index: None };
                    }
                }
            }
        }
        if !ready.reads.is_empty() {
            self.serve_reads(id, &ready.reads);
        }
        if let Some((index, term)) = synced {
            // The node learns its write is durable: a leader may now count its own copy
            // (in a one-node cluster that is what commits), which may apply entries.
            let node = self
                .live_mut(id)
                .map_err(|e| Violation::new(Invariant::DurableState, format!("n{id}: {e}")))?;
            node.log_synced(index, term);
            if let Some(mut more) = take_ready(node) {
                self.flush_ready(id, Some(&mut more))?;
            }
        }
        Ok(())
    }

    /// Reads node `id` may now answer (from its state machine, which has applied all they
    /// must see) or refused: the client reading there gets its answer, or will ask again.
    fn serve_reads(&mut self, id: NodeId, reads: &[verraft_core::ReadState]) {
        let Some(node) = self.nodes[id as usize - 1].as_deref() else {
            return;
        };
        for read in reads {
            let (client, seq) = read_of(read.id);
            let Some(c) = self.clients.get_mut(client as usize - 1) else {
                continue;
            };
            if c.state != (ClientState::Reading { node: id }) || c.seq() != seq {
                continue; // an answer to a read the client gave up
            }
            c.state = match read.index {
                None => ClientState::Retrying,
                Some(_) => {
                    let op = &self.config.clients[client as usize - 1][seq as usize - 1];
                    let value = node.state_machine().get(op.key()).map(Text::from);
                    if self.ghost.terms_led >= 2 {
                        self.ghost.read_after_change = true;
                    }
                    if node.lease_remaining() > 0 {
                        self.ghost.lease_read = true;
                    }
                    ClientState::Answered {
                        output: KvOutput::Value(value),
                    }
                }
            };
        }
    }

    /// The invariants that involve the node an event touched. The expensive comparisons run
    /// only when what they compare changed: another node's log cannot change in this event,
    /// so Log Matching needs checking only when this node's log did.
    fn check_node(
        &mut self,
        id: NodeId,
        before: &Before,
        touched: &Touched,
    ) -> Result<(), Violation> {
        let Some(node) = self.nodes[id as usize - 1].as_ref() else {
            return Ok(());
        };
        let log_touched = touched.log_from.is_some();
        // A node that stayed up in the same term with the same vote (and, for leadership,
        // the same role) has nothing new for these two: its vote and its leadership of the
        // term were recorded and checked when they began, and records of a term a node is
        // still in are never pruned.
        let same_term = before.alive && before.term == node.term();
        if !(same_term && before.voted_for == node.voted_for()) {
            invariants::single_vote(&mut self.ghost, node)?;
        }
        if !(same_term && before.role == Role::Leader) {
            invariants::election_safety(&mut self.ghost, node)?;
        }
        invariants::leader_append_only(before, node)?;
        invariants::commit_monotonic(before, node)?;
        if before.alive
            && before.role == Role::Leader
            && node.role() == Role::Follower
            && before.term == node.term()
        {
            self.ghost.quorum_lost = true;
        }
        if let Some((target, term)) = self.ghost.transfer_campaign {
            if target == id && node.term() >= term {
                // The transfer's election is over for this node: won, or gone by.
                if node.role() == Role::Leader && node.term() == term {
                    self.ghost.transfer_completed = true;
                    self.ghost.transfer_campaign = None;
                } else if node.term() > term || node.role() == Role::Follower {
                    self.ghost.transfer_campaign = None;
                }
            }
        }
        let restarted = !before.alive;
        if log_touched || restarted {
            let others: SmallVec<[&KvNode; 8]> =
                self.live_nodes().filter(|n| n.id() != id).collect();
            invariants::log_matching(node, &others)?;
        }
        let committed_before = self.ghost.committed.len();
        if log_touched || node.commit_index() != before.commit {
            invariants::record_commit(&mut self.ghost, node)?;
        }
        if restarted || node.snapshot().index != before.snapshot {
            invariants::snapshot_sound(&self.ghost, node)?;
        }
        if self.ghost.committed.len() != committed_before {
            // New committed entries: every leader must hold them.
            let leaders: SmallVec<[&KvNode; 8]> = self
                .live_nodes()
                .filter(|n| n.role() == Role::Leader)
                .collect();
            invariants::leader_completeness(&self.ghost, &leaders)?;
        } else if node.role() == Role::Leader && (log_touched || before.role != Role::Leader) {
            invariants::leader_completeness(&self.ghost, &[node])?;
        }
        if self.config.auxiliary {
            self.check_auxiliary(id, before, touched, committed_before)?;
        }
        Ok(())
    }

    /// The auxiliary invariants of the safety proofs for the event's node (`auxiliary`).
    fn check_auxiliary(
        &self,
        id: NodeId,
        before: &Before,
        touched: &Touched,
        committed_before: usize,
    ) -> Result<(), Violation> {
        let Some(node) = self.node(id) else {
            return Ok(());
        };
        let restarted = !before.alive;
        let log_from = if restarted { Some(1) } else { touched.log_from };
        let leaders = || self.live_nodes().filter(|n| n.role() == Role::Leader);
        auxiliary::commit_term(before, node)?;
        if let Some(from) = log_from {
            auxiliary::term_order(node, from)?;
            let leaders: SmallVec<[&KvNode; 8]> = leaders().collect();
            auxiliary::leader_sublog(node, from, &leaders)?;
        }
        if let Some((candidate, last_index, last_term)) = touched.vote_request {
            let newly = before.voted_for != Some(candidate) || before.term != node.term();
            if newly && node.voted_for() == Some(candidate) {
                auxiliary::vote_granted_sound(node, candidate, last_index, last_term)?;
            }
        }
        auxiliary::check_quorum_sound(before, node)?;
        if let (Some(from), true) = (log_from, self.config.features.membership) {
            let holders: SmallVec<[auxiliary::Holder; 9]> = self
                .config
                .node_ids()
                .map(|n| (n, self.log_view(n).1))
                .collect();
            let initial = Membership::of_voters(self.config.initial_voters());
            auxiliary::config_lineage(
                &self.ghost.committed,
                (id, LogView::Live(node)),
                from,
                &holders,
                &initial,
            )?;
        }
        if let Some((term, granted)) = touched.pre_vote_answer {
            auxiliary::pre_vote_counted_sound(before, node, touched.delivered_from, term, granted)?;
        }
        if node.role() != Role::Follower
            && (before.votes != *node.votes()
                || before.role != node.role()
                || before.term != node.term())
        {
            let floors: SmallVec<[Term; 9]> = self
                .disks
                .iter()
                .map(|d| d.durable.hard_state.term)
                .collect();
            auxiliary::votes_sound(&self.ghost, node, &floors)?;
        }
        if node.role() == Role::Leader {
            // A leader's count for a follower rises only with that follower's answer, and a
            // new leader counts nothing yet: the logs are compared for the sender of what the
            // event delivered (the ranges of `next` are cheap and checked for everyone).
            let committed = &self.ghost.committed;
            for peer in self.config.node_ids().filter(|p| *p != id) {
                let compare = touched.delivered_from == Some(peer);
                let log = compare.then(|| self.log_view(peer));
                auxiliary::match_sound(node, peer, log, committed)?;
            }
        } else if log_from.is_some() {
            for leader in leaders() {
                let log = Some((node.term(), LogView::Live(node)));
                auxiliary::match_sound(leader, id, log, &self.ghost.committed)?;
            }
        }
        // Commit Quorum: for what was just committed, and for what a durable write may have
        // taken away (a truncation, a write a crash tore).
        let committed = self.ghost.committed.len();
        let from_durable = touched.durable_from.map_or(usize::MAX, |f| f as usize);
        let membership = self.config.features.membership;
        let first = if membership {
            // (See `Quorum::Of`: only as they are committed.)
            committed_before + 1
        } else {
            (committed_before + 1).min(from_durable)
        };
        if first <= committed {
            let keep_unsynced = self.config.crash_mode == CrashMode::KeepUnsynced;
            let holders: SmallVec<[auxiliary::Holder; 9]> = self
                .config
                .node_ids()
                .map(|n| match self.node(n) {
                    // A crash keeps a running node's unsynced writes: it holds what it holds.
                    Some(live) if keep_unsynced => (n, LogView::Live(live)),
                    _ => (n, LogView::Disk(&self.disks[n as usize - 1].durable)),
                })
                .collect();
            let quorum = if membership {
                auxiliary::Quorum::Of(*node.membership())
            } else {
                auxiliary::Quorum::Majority(self.config.nodes as usize)
            };
            auxiliary::commit_quorum(&self.ghost.committed, &holders, &quorum, first, committed)?;
        }
        Ok(())
    }

    /// A node's term and log as the invariants read them: a running node's own, or what its
    /// disk holds while it is down.
    fn log_view(&self, id: NodeId) -> (Term, LogView<'_>) {
        match self.node(id) {
            Some(n) => (n.term(), LogView::Live(n)),
            None => {
                let disk = &self.disks[id as usize - 1].durable;
                (disk.hard_state.term, LogView::Disk(disk))
            }
        }
    }
}

fn node_config(world: &WorldConfig, id: NodeId) -> Config {
    let voters = world.initial_voters();
    let mut c = if voters.contains(&id) {
        Config::new(id, voters)
    } else {
        // A spare: it joins when a leader adds it.
        Config::joining(id)
    };
    c.election_jitter = 0;
    c.max_append_entries = world.max_append_entries;
    c.pre_vote = world.features.pre_vote;
    c.check_quorum = world.features.check_quorum;
    if world.features.lease_reads {
        let t = world.timing;
        c.lease_reads = true;
        c.election_ticks = t.election_ticks;
        c.election_jitter = t.election_jitter;
        c.heartbeat_ticks = t.heartbeat_ticks;
        c.clock_drift_ticks = t.clock_drift;
    }
    if world.features.snapshots {
        c.snapshot_every = world.snapshot_every;
    }
    c.bugs = world.bugs;
    c
}

/// A node's store, with the `dedup-lost` bug if the world has it (refused where the seeded
/// bugs are not compiled in, as the node's configuration is).
fn state_machine(world: &WorldConfig) -> Result<KvStore, ConfigError> {
    if world.bugs.contains(verraft_core::Bug::DedupLost) {
        KvStore::without_dedup()
    } else {
        Ok(KvStore::new())
    }
}

/// The two-group split a `Choice::Partition` mask stands for: bit `id - 2` set puts node
/// `id` in the second group; node 1 is always in the first.
pub fn split(nodes: u8, mask: u32) -> Vec<Vec<NodeId>> {
    let second: Vec<NodeId> = (2..=nodes)
        .filter(|id| mask & (1 << (id - 2)) != 0)
        .collect();
    let first: Vec<NodeId> = (1..=nodes).filter(|id| !second.contains(id)).collect();
    vec![first, second]
}

/// One enabled event, cheap to list: messages are named by their position in the network.
/// Valid only for the state that listed it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Choice {
    Deliver(usize),
    Drop(usize),
    Duplicate(usize),
    Timeout(NodeId),
    Heartbeat(NodeId),
    /// Every live clock ticks once.
    Tick,
    /// One node's clock ticks alone (runs ahead, within the drift bound).
    TickOne(NodeId),
    Crash(NodeId),
    /// A crash that keeps this many parts of the node's unsynced writes.
    CrashKeeping(NodeId, u32),
    Restart(NodeId),
    /// The node's unsynced writes become durable.
    Sync(NodeId),
    /// The node snapshots and compacts its log.
    Snapshot(NodeId),
    /// The leader is asked to hand leadership to the second node.
    Transfer(NodeId, NodeId),
    /// The leader is asked for the `k`-th membership change it would accept now (see
    /// `each_reconfig`; a number, so that choices stay small).
    Reconfig(NodeId, u16),
    Partition(u32),
    Heal,
    Invoke(ClientId, NodeId),
    Reply(ClientId),
    ClientTimeout(ClientId),
}

type KvReady = Ready<KvCommand, KvOutput>;

/// What a node has to hand to the world after an event, taken while the caller still holds
/// it mutably (taking it later would mean a second copy-on-write check of the node).
impl World {
    /// One tick of node `id`'s clock, if it runs: its timers may fire.
    fn tick_node(&mut self, id: NodeId) -> Option<Violation> {
        if self.config.promises {
            self.ghost.promises.tick(id);
        }
        let node = self.nodes[id as usize - 1].as_mut()?;
        let node = &mut **Arc::make_mut(node);
        let led = (node.role() == Role::Leader).then(|| node.term());
        node.tick();
        let mut ready = take_ready(node);
        if let Err(v) = self.flush_ready(id, ready.as_mut()) {
            return Some(v);
        }
        // A leader's check-quorum check comes every election timeout's worth of its ticks.
        let term = led.filter(|_| self.judges_check_quorum())?;
        if self.ghost.heard.ticked(id, term) >= self.config.timing.election_ticks {
            return self.leader_checked(id, term).err();
        }
        None
    }
}

fn take_ready(node: &mut KvNode) -> Option<KvReady> {
    node.has_ready().then(|| node.ready())
}
