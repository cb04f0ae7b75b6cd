//! A whole node: storage opened (a damaged tail cut and reported), the Raft node restarted
//! from it, the core task, the peer listener and dialers, and the client port.
use crate::client_port;
use crate::core_loop::{CoreLoop, Input, PeerSenders};
use crate::peer;
use crate::storage::{DiskStorage, OpenError};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use verraft_core::{BugSet, Config, NodeId};
use verraft_kv::{KvNode, KvStore};

/// One wall-clock tick of the core.
pub const TICK: Duration = Duration::from_millis(10);

/// How to run a node.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// This node's id.
    pub id: NodeId,
    /// Every node's peer address, this one's included (it listens there).
    pub peers: BTreeMap<NodeId, SocketAddr>,
    /// Where this node serves clients (RESP).
    pub client_addr: SocketAddr,
    /// Its data directory.
    pub data: PathBuf,
    /// Applied entries between two snapshots ([`Config::snapshot_every`]; 0: never). The
    /// nodes of a cluster may differ: each compacts its own log. [`SNAPSHOT_EVERY`] unless
    /// a test or an operator wants snapshots sooner.
    pub snapshot_every: u32,
    /// Seeded bugs switched on (empty in every real deployment: they exist so that the
    /// nemesis can show it catches them).
    pub bugs: BugSet,
    /// How fast this node's timers run against real time (1.0 in real use). A fault to
    /// inject: Raft compares no timestamps, so the rate of its timers is all of a clock it
    /// sees, and a node with a fast or slow clock is a node whose ticks come faster or slower.
    pub clock_rate: f64,
    /// Obey `VCLOCK rate` on the client port (the nemesis's clock fault; off in real use).
    pub clock_control: bool,
}

impl NodeOptions {
    /// The wall-clock time between two ticks of this node's core.
    pub fn tick(&self) -> Duration {
        TICK.div_f64(self.clock_rate)
    }
}

/// Why a node did not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum NodeFailure {
    /// `peers` does not list this node.
    #[error("--peers does not list this node's own id {0}")]
    NotInPeers(NodeId),
    /// The data directory could not be opened.
    #[error("data directory: {0}")]
    Open(#[from] OpenError),
    /// Restarting the node from storage failed.
    #[error("restart: {0}")]
    Node(#[from] verraft_core::NodeError),
    /// Binding a port failed.
    #[error("cannot listen on {addr}: {err}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        err: std::io::Error,
    },
    /// The core stopped on a storage failure.
    #[error(transparent)]
    Core(#[from] crate::core_loop::CoreError),
    /// A clock rate outside [`CLOCK_RATES`].
    #[error("clock rate {0} is outside {lo}..={hi}", lo = CLOCK_RATES.start(), hi = CLOCK_RATES.end())]
    ClockRate(f64),
}

/// The clock rates a node accepts. Far outside them the timings stop making sense: a
/// leader's heartbeats (every 5 ticks) would come later than a normal follower's shortest
/// election timeout (30 ticks), or ticks would come faster than the loop can take them.
pub const CLOCK_RATES: std::ops::RangeInclusive<f64> = 0.2..=5.0;

/// Applied entries between two snapshots of a node of the service, by default: the log in
/// memory and in its file stays bounded, and a snapshot (the whole store) is written seldom.
pub const SNAPSHOT_EVERY: u32 = 10_000;

/// The timings for a 10 ms tick: an election timeout of 300..600 ms, a heartbeat every
/// 50 ms. Loopback and LAN round trips are well under a heartbeat, and an fsync (a few ms)
/// well under an election timeout.
pub fn config(
    id: NodeId,
    voters: impl IntoIterator<Item = NodeId>,
    snapshot_every: u32,
    bugs: BugSet,
) -> Config {
    let mut c = Config::new(id, voters);
    c.bugs = bugs;
    c.election_ticks = 30;
    c.election_jitter = 30;
    c.heartbeat_ticks = 5;
    // Compact the log every so many applied entries: the log in memory and in its file stay
    // bounded, and a follower far behind catches up by snapshot.
    c.snapshot_every = snapshot_every;
    // The jitter must differ between nodes and between runs, or restarted nodes could keep
    // splitting votes: seed it from the clock and the id.
    c.seed = client_port::random_client_id() ^ u64::from(id);
    c
}

/// Run a node until `shutdown` completes (or storage fails).
pub async fn run(opts: NodeOptions, shutdown: impl Future<Output = ()>) -> Result<(), NodeFailure> {
    let me = opts.id;
    let my_peer_addr = *opts.peers.get(&me).ok_or(NodeFailure::NotInPeers(me))?;
    let (storage, recovery) = DiskStorage::open(&opts.data)?;
    if let Some(cut) = &recovery.cut {
        eprintln!(
            "[n{me}] RECOVERY: the log's tail was damaged and is cut: {} bytes at offset {} ({}); nothing past it is applied",
            cut.dropped_bytes, cut.offset, cut.reason
        );
    }
    if !(CLOCK_RATES.contains(&opts.clock_rate)) {
        return Err(NodeFailure::ClockRate(opts.clock_rate));
    }
    let config = config(
        me,
        opts.peers.keys().copied(),
        opts.snapshot_every,
        opts.bugs,
    );
    let node = KvNode::restart(config, &storage, KvStore::new())?;
    eprintln!(
        "[n{me}] opened {} ({} records, term {}, snapshot at {}, last index {})",
        opts.data.display(),
        recovery.records,
        node.term(),
        node.snapshot().index,
        node.last_index()
    );
    let peer_listener = bind_retrying(me, my_peer_addr).await?;
    let client_listener = bind_retrying(me, opts.client_addr).await?;
    let client_addr = client_listener
        .local_addr()
        .map_err(|err| NodeFailure::Bind {
            addr: opts.client_addr,
            err,
        })?
        .to_string();

    // Peers and clients queue apart: the core takes the peers' messages first, so a flood of
    // client requests cannot hold back the answers that keep a leader's quorum lease (it
    // steps down when it has not heard from a majority within an election timeout).
    let (core_tx, core_rx) = mpsc::channel::<Input>(4096);
    let (peer_tx, peer_rx) = mpsc::channel::<Input>(4096);
    let mut senders = PeerSenders::new();
    let mut tasks = Vec::new();
    for (&id, &addr) in opts.peers.iter().filter(|(&id, _)| id != me) {
        let (tx, rx) = mpsc::channel(1024);
        senders.insert(id, tx);
        tasks.push(tokio::spawn(peer::dial(
            me,
            id,
            addr,
            client_addr.clone(),
            rx,
        )));
    }
    tasks.push(tokio::spawn(peer::accept(
        peer_listener,
        me,
        opts.peers.clone(),
        peer_tx,
    )));
    tasks.push(tokio::spawn(client_port::accept(
        client_listener,
        me,
        core_tx.clone(),
        opts.clock_control,
    )));
    drop(core_tx);
    eprintln!("[n{me}] serving peers on {my_peer_addr}, clients on {client_addr}");
    if !opts.bugs.is_empty() {
        let names: Vec<&str> = opts.bugs.iter().map(|b| b.name()).collect();
        eprintln!("[n{me}] SEEDED BUGS ON: {}", names.join(", "));
    }
    if opts.clock_rate != 1.0 {
        eprintln!(
            "[n{me}] clock rate {}: a tick every {:?}",
            opts.clock_rate,
            opts.tick()
        );
    }

    let result = CoreLoop::new(node, storage, senders)
        .run(core_rx, peer_rx, opts.tick(), shutdown)
        .await
        .map_err(NodeFailure::from);
    for t in tasks {
        t.abort();
    }
    result
}

/// How long a starting node keeps trying a port that is in use.
const BIND_PATIENCE: Duration = Duration::from_secs(10);

/// Listen on `addr`, retrying for a while when the port is in use: a node restarted at once
/// on its old port can find it held for a moment by the connection of another process that
/// the kernel gave the same number as its local port while this node was down (loopback
/// clusters take their ports from the same range as outgoing connections).
async fn bind_retrying(me: NodeId, addr: SocketAddr) -> Result<TcpListener, NodeFailure> {
    let started = tokio::time::Instant::now();
    let mut logged = false;
    loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(err)
                if err.kind() == std::io::ErrorKind::AddrInUse
                    && started.elapsed() < BIND_PATIENCE =>
            {
                if !logged {
                    eprintln!("[n{me}] {addr} is in use; retrying for {BIND_PATIENCE:?}");
                    logged = true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => return Err(NodeFailure::Bind { addr, err }),
        }
    }
}
