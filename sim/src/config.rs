//! What a world is: its size, its faults, its bounds, its clients. Everything in here is
//! written into the header of a scenario file, so a scenario replays the same world.
use serde::{Deserialize, Serialize};
use verraft_core::{BugSet, NodeId, Term};
use verraft_kv::KvOp;

/// The faults the world may inject. A fault that is off is never an enabled event.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Faults {
    /// Messages can be lost.
    pub loss: bool,
    /// Messages can be delivered more than once.
    pub duplication: bool,
    /// Messages on one link can overtake each other (off: each link is FIFO).
    pub reorder: bool,
    /// Nodes can crash and restart.
    pub crash: bool,
    /// The network can split into groups and heal.
    pub partition: bool,
}

impl Faults {
    pub const NONE: Faults = Faults {
        loss: false,
        duplication: false,
        reorder: false,
        crash: false,
        partition: false,
    };
    pub const ALL: Faults = Faults {
        loss: true,
        duplication: true,
        reorder: true,
        crash: true,
        partition: true,
    };

    /// The names used in scenario headers and on the command line.
    pub const NAMES: [&'static str; 5] = ["loss", "dup", "reorder", "crash", "partition"];

    pub fn names(&self) -> Vec<&'static str> {
        let on = [
            self.loss,
            self.duplication,
            self.reorder,
            self.crash,
            self.partition,
        ];
        Faults::NAMES
            .iter()
            .zip(on)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }

    /// The command-line list of these faults (`none` for none).
    pub fn list(&self) -> String {
        list_of(&self.names())
    }

    /// Parse a comma-separated list such as `loss,dup,crash`; `none` and `all` also work.
    pub fn parse(list: &str) -> Result<Faults, String> {
        let mut f = Faults::NONE;
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "none" => {}
                "all" => f = Faults::ALL,
                "loss" => f.loss = true,
                "dup" => f.duplication = true,
                "reorder" => f.reorder = true,
                "crash" => f.crash = true,
                "partition" => f.partition = true,
                other => {
                    return Err(format!(
                        "unknown fault '{other}' (known: loss, dup, reorder, crash, partition, all, none)"
                    ))
                }
            }
        }
        Ok(f)
    }
}

/// The optional parts of the Raft core that are switched on in a world. A feature that is off
/// is not in the core at all for that world: its messages and events never happen.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Features {
    /// Pre-vote before every election (`Config::pre_vote`).
    pub pre_vote: bool,
    /// Check-quorum and the leader lease on votes (`Config::check_quorum`).
    pub check_quorum: bool,
    /// Clients' reads are served without the log, by ReadIndex (`Node::read`); off, a read
    /// goes through the log like a write.
    pub read_index: bool,
    /// Nodes snapshot their state machine and compact their log, on their own every
    /// `WorldConfig::snapshot_every` applied entries and at `snapshot nN` events; a leader
    /// sends its snapshot to a follower that needs compacted entries.
    pub snapshots: bool,
    /// Leaders can be asked to hand leadership to another node (`transfer nA->nB` events).
    pub transfer: bool,
    /// Leaders answer reads from their lease (`Config::lease_reads`). Leases are about time,
    /// so the world keeps time with it on: nodes' timers run on clock ticks (`tick`, and
    /// `tick nN` for a clock running ahead within the drift bound, see `Timing`) instead of
    /// firing at will. Opt-in, as in the core: `all` does not include it.
    pub lease_reads: bool,
    /// Leaders can be asked to change the cluster's membership (`reconfig nL ...` events):
    /// learners added and promoted, voters added and removed, joint changes. Nodes beyond
    /// `WorldConfig::voters` start as spares that join only when added. Opt-in: `all` does
    /// not include it.
    pub membership: bool,
}

impl Features {
    /// Nothing optional: the textbook Raft of the paper's Figure 2 (and the world of every
    /// scenario file written before features existed).
    pub const NONE: Features = Features {
        pre_vote: false,
        check_quorum: false,
        read_index: false,
        snapshots: false,
        transfer: false,
        lease_reads: false,
        membership: false,
    };
    /// What a node runs by default: every feature but the opt-in lease reads.
    pub const ALL: Features = Features {
        pre_vote: true,
        check_quorum: true,
        read_index: true,
        snapshots: true,
        transfer: true,
        lease_reads: false,
        membership: false,
    };

    /// The names used in scenario headers and on the command line.
    pub const NAMES: [&'static str; 7] = [
        "pre-vote",
        "check-quorum",
        "read-index",
        "snapshots",
        "transfer",
        "lease-reads",
        "membership",
    ];

    pub fn names(&self) -> Vec<&'static str> {
        let on = [
            self.pre_vote,
            self.check_quorum,
            self.read_index,
            self.snapshots,
            self.transfer,
            self.lease_reads,
            self.membership,
        ];
        Features::NAMES
            .iter()
            .zip(on)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }

    /// The names as one word: a comma-separated list, or `none`.
    pub fn list(&self) -> String {
        list_of(&self.names())
    }

    /// Parse a comma-separated list such as `pre-vote,check-quorum`; `none` and `all` too.
    pub fn parse(list: &str) -> Result<Features, String> {
        if list.trim().is_empty() {
            return Err("empty list of features (say 'none' for none)".into());
        }
        let mut f = Features::NONE;
        for name in list.split(',').map(str::trim) {
            match name {
                "none" => {}
                "all" => f = Features::ALL,
                "pre-vote" => f.pre_vote = true,
                "check-quorum" => f.check_quorum = true,
                "read-index" => f.read_index = true,
                "snapshots" => f.snapshots = true,
                "transfer" => f.transfer = true,
                "lease-reads" => f.lease_reads = true,
                "membership" => f.membership = true,
                other => {
                    return Err(format!(
                        "unknown feature '{other}' (known: pre-vote, check-quorum, read-index, snapshots, transfer, lease-reads, membership; all (every one but lease-reads and membership), none)"
                    ))
                }
            }
        }
        Ok(f)
    }
}

/// What a crash does to writes that were not synced (only the `ack-before-sync` bug leaves
/// any: a correct node syncs before it sends).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum CrashMode {
    /// The process dies, the operating system still writes its buffers out.
    KeepUnsynced,
    /// The machine loses power: unsynced writes are gone.
    LoseUnsynced,
}

/// Bounds that keep the world finite for exhaustive search. `None` means unbounded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Limits {
    /// No election timeout fires at a node whose term is already this high.
    pub max_term: Option<Term>,
    /// Crashes allowed in the whole run.
    pub max_crashes: Option<u32>,
    /// Messages in flight at once; duplication is off at the bound (sends are never refused).
    pub max_in_flight: Option<u32>,
    /// Partitions allowed in the whole run.
    pub max_partitions: Option<u32>,
    /// Client timeouts (each followed by a retry) allowed in the whole run.
    pub max_client_timeouts: Option<u32>,
    /// No heartbeat fires at a leader once this many heartbeats were sent in the run.
    pub max_heartbeats: Option<u32>,
    /// `snapshot nN` events allowed in the whole run (the automatic snapshots every
    /// `snapshot_every` applied entries are not counted).
    pub max_snapshots: Option<u32>,
    /// `transfer nA->nB` events allowed in the whole run.
    pub max_transfers: Option<u32>,
    /// `tick` and `tick nN` events allowed in the whole run (with lease reads).
    pub max_ticks: Option<u32>,
    /// Messages lost (`drop` events) in the whole run; sends to a down node or across a
    /// partition are lost on the wire and not counted.
    pub max_losses: Option<u32>,
    /// Election timeouts at followers and candidates (a pre-vote round or an election) in
    /// the whole run, in a world without clocks. Pre-vote rounds change no term, so
    /// `max_term` alone does not bound them.
    pub max_elections: Option<u32>,
    /// `reconfig` events (membership changes asked of a leader) in the whole run.
    pub max_reconfigs: Option<u32>,
}

impl Limits {
    pub const NONE: Limits = Limits {
        max_term: None,
        max_crashes: None,
        max_in_flight: None,
        max_partitions: None,
        max_client_timeouts: None,
        max_heartbeats: None,
        max_snapshots: None,
        max_transfers: None,
        max_ticks: None,
        max_losses: None,
        max_elections: None,
        max_reconfigs: None,
    };
}

/// The nodes' timing in a world that keeps time (lease reads on), in clock ticks: the
/// core's `Config` fields of the same names. The world lets clocks run apart: between two
/// `tick`s (every clock once), a `tick nN` advances n's clock alone, as long as no clock
/// gets more than `clock_drift / 2` ticks ahead of the slowest. So over any stretch of
/// time, a clock counts at most `clock_drift` ticks more than another: the bound the
/// nodes' leases assume.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Timing {
    pub election_ticks: u32,
    pub election_jitter: u32,
    pub heartbeat_ticks: u32,
    pub clock_drift: u32,
}

impl Timing {
    /// Short timeouts, so that a lease runs out in a handful of ticks, with jitter so that
    /// elections settle, and clocks that may run two ticks apart over a timeout.
    pub const DEFAULT: Timing = Timing {
        election_ticks: 6,
        election_jitter: 1,
        heartbeat_ticks: 2,
        clock_drift: 4,
    };

    /// How far ahead of the slowest clock any clock may run.
    pub fn max_ahead(&self) -> u8 {
        (self.clock_drift / 2).min(15) as u8
    }
}

/// Applied entries between a node's own snapshots in a world that does not say (with the
/// snapshots feature on).
pub const DEFAULT_SNAPSHOT_EVERY: u32 = 2;

/// The world's complete description.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct WorldConfig {
    pub nodes: u8,
    /// With the membership feature: the voters the cluster starts with are nodes 1 to
    /// this; the others are spares that join only when a leader adds them (`None`: every
    /// node votes from the start).
    pub voters: Option<u8>,
    pub bugs: BugSet,
    pub faults: Faults,
    /// The optional parts of the core the nodes run.
    pub features: Features,
    /// With the snapshots feature, each node snapshots on its own once this many entries
    /// were applied since its last snapshot (`Config::snapshot_every`; 0: only at
    /// `snapshot nN` events).
    pub snapshot_every: u32,
    pub crash_mode: CrashMode,
    pub limits: Limits,
    /// Timers and clocks, used only with lease reads (the world keeps time then).
    pub timing: Timing,
    /// Most entries per AppendEntries message.
    pub max_append_entries: u32,
    /// Each client's operations, performed one after the other.
    pub clients: Vec<Vec<KvOp>>,
    /// The seed the run was generated from. The world itself draws nothing; the quiet
    /// phase below picks its candidates with it.
    pub seed: u64,
    /// After the listed events, run the fault-free quiet phase of random simulation for at
    /// most this many events, in which every client must finish: a liveness check that a
    /// replay repeats exactly (`None`: the events are the whole run).
    pub quiet_phase: Option<usize>,
    /// Check the auxiliary invariants of the safety proofs after every event, besides the
    /// properties of the paper's Figure 3 (off: only those, to see where a bug that breaks
    /// an auxiliary invariant first would show in the end).
    pub auxiliary: bool,
    /// Check that nodes keep check-quorum's promise to their leader (`auxiliary::
    /// promise_kept`), with what they promised tracked by the world. Off in the model
    /// checker: what a node promised is history, not state, and hashing it made the default
    /// check a quarter slower (set 1: 3.81 M states where 3.41 M had been; 77 s against 62
    /// s in all), while leaving it out of the fingerprint merged states whose promises
    /// differ, and the check then raised a false alarm. The simulator, the fuzzer and every
    /// replay check it.
    pub promises: bool,
}

impl WorldConfig {
    pub fn new(nodes: u8) -> WorldConfig {
        WorldConfig {
            nodes,
            voters: None,
            bugs: BugSet::NONE,
            faults: Faults::ALL,
            features: Features::ALL,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
            crash_mode: CrashMode::KeepUnsynced,
            limits: Limits::NONE,
            timing: Timing::DEFAULT,
            max_append_entries: 64,
            clients: Vec::new(),
            seed: 0,
            quiet_phase: None,
            auxiliary: true,
            promises: true,
        }
    }

    /// Keep this configuration for the rest of the process: for the few a process
    /// model-checks, whose states then share it without a reference count.
    pub fn leak(self) -> &'static WorldConfig {
        Box::leak(Box::new(self))
    }

    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> {
        1..=self.nodes
    }

    /// The voters every node starts with: nodes 1 to `voters`, or every node.
    pub fn initial_voters(&self) -> std::ops::RangeInclusive<NodeId> {
        1..=self.voters.unwrap_or(self.nodes)
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(1..=9).contains(&self.nodes) {
            return Err(format!("nodes must be between 1 and 9, not {}", self.nodes));
        }
        if self.max_append_entries == 0 {
            return Err("max-append must be at least 1".into());
        }
        if self.features.lease_reads {
            if !(self.features.check_quorum && self.features.read_index) {
                return Err("lease-reads needs check-quorum (the followers' side of the lease) and read-index (the reads it serves)".into());
            }
            let t = self.timing;
            if t.heartbeat_ticks == 0 || t.heartbeat_ticks >= t.election_ticks {
                return Err(format!("the heartbeat interval ({}) must be at least 1 and below the election timeout ({})", t.heartbeat_ticks, t.election_ticks));
            }
            if t.clock_drift >= t.election_ticks {
                return Err(format!(
                    "the clock drift bound ({}) must be below the election timeout ({})",
                    t.clock_drift, t.election_ticks
                ));
            }
        }
        if let Some(v) = self.voters {
            if v == 0 || v > self.nodes {
                return Err(format!(
                    "voters must be between 1 and the node count ({}), not {v}",
                    self.nodes
                ));
            }
            if v < self.nodes && !self.features.membership {
                return Err(format!(
                    "{} spare nodes but membership changes are off: they could never join",
                    self.nodes - v
                ));
            }
        }
        if self.clients.len() > 9 {
            return Err(format!("at most 9 clients, not {}", self.clients.len()));
        }
        for op in self.clients.iter().flatten() {
            let words = op_words(op);
            if let Some(bad) = words.iter().find(|w| !is_token(w)) {
                return Err(format!("'{bad}' in '{op}': keys and values must be non-empty words without spaces, ';' or '#'"));
            }
        }
        Ok(())
    }
}

/// The keys and values of an operation (a cas's absent expectation `None` is not a word).
fn op_words(op: &KvOp) -> Vec<&str> {
    match op {
        KvOp::Get { key } | KvOp::Delete { key } => vec![key],
        KvOp::Put { key, value } | KvOp::Append { key, value } => vec![key, value],
        KvOp::Cas { key, expected, new } => {
            let mut w = vec![key.as_str(), new.as_str()];
            w.extend(expected.as_deref());
            w
        }
    }
}

/// Scenario files write operations as words: `-` means "absent", `;` separates, `#` comments.
fn is_token(w: &str) -> bool {
    !w.is_empty() && w != "-" && !w.contains(|c: char| c.is_whitespace() || c == ';' || c == '#')
}

/// A world's configuration: the same in every state of a run, so shared by all of them. A
/// model checker copies worlds millions of times a second on several threads, and a
/// reference count would be one counter every copy and every drop touches, on every
/// thread: a configuration made to live as long as the process (`WorldConfig::leak`) is
/// shared by a plain reference instead. Others (simulation runs, fuzz inputs, replays: many short
/// worlds, none copied much) are counted.
#[derive(Clone)]
pub enum SharedConfig {
    Counted(std::sync::Arc<WorldConfig>),
    Forever(&'static WorldConfig),
}

impl std::ops::Deref for SharedConfig {
    type Target = WorldConfig;
    fn deref(&self) -> &WorldConfig {
        match self {
            SharedConfig::Counted(c) => c,
            SharedConfig::Forever(c) => c,
        }
    }
}

impl From<WorldConfig> for SharedConfig {
    fn from(config: WorldConfig) -> SharedConfig {
        SharedConfig::Counted(std::sync::Arc::new(config))
    }
}

impl PartialEq for SharedConfig {
    fn eq(&self, other: &SharedConfig) -> bool {
        **self == **other
    }
}
impl Eq for SharedConfig {}

impl std::fmt::Debug for SharedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl Serialize for SharedConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for SharedConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SharedConfig, D::Error> {
        WorldConfig::deserialize(d).map(SharedConfig::from)
    }
}

/// Names as one command-line word: a comma-separated list, or `none`.
fn list_of(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}
