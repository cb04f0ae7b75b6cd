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
use verraft_core::{Config, NodeId};
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
}

/// Applied entries between two snapshots of a node of the service, by default: the log in
/// memory and in its file stays bounded, and a snapshot (the whole store) is written seldom.
pub const SNAPSHOT_EVERY: u32 = 10_000;

/// The timings for a 10 ms tick: an election timeout of 300..600 ms, a heartbeat every
/// 50 ms. Loopback and LAN round trips are well under a heartbeat, and an fsync (a few ms)
/// well under an election timeout.
pub fn config(id: NodeId, voters: impl IntoIterator<Item = NodeId>, snapshot_every: u32) -> Config {
    let mut c = Config::new(id, voters);
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
    let config = config(me, opts.peers.keys().copied(), opts.snapshot_every);
    let node = KvNode::restart(config, &storage, KvStore::new())?;
    eprintln!(
        "[n{me}] opened {} ({} records, term {}, snapshot at {}, last index {})",
        opts.data.display(),
        recovery.records,
        node.term(),
        node.snapshot().index,
        node.last_index()
    );
    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|err| NodeFailure::Bind { addr, err })
    };
    let peer_listener = bind(my_peer_addr).await?;
    let client_listener = bind(opts.client_addr).await?;
    let client_addr = client_listener
        .local_addr()
        .map_err(|err| NodeFailure::Bind {
            addr: opts.client_addr,
            err,
        })?
        .to_string();

    let (core_tx, core_rx) = mpsc::channel::<Input>(4096);
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
        core_tx.clone(),
    )));
    tasks.push(tokio::spawn(client_port::accept(
        client_listener,
        me,
        core_tx.clone(),
    )));
    drop(core_tx);
    eprintln!("[n{me}] serving peers on {my_peer_addr}, clients on {client_addr}");

    let core = CoreLoop::new(node, storage, senders).run(core_rx, TICK);
    let result = tokio::select! {
        r = core => r.map_err(NodeFailure::from),
        () = shutdown => {
            eprintln!("[n{me}] stopping");
            Ok(())
        }
    };
    // Everything the node acknowledged was synced before it said so: stopping needs no
    // flush, only the sockets closed.
    for t in tasks {
        t.abort();
    }
    result
}
