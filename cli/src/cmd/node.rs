//! `verraft node`: run one node of a key-value cluster in this process.
use clap::Args;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use verraft_core::{Bug, BugSet, NodeId};
use verraft_server::node::{self, NodeOptions, CLOCK_RATES};

#[derive(Args)]
pub struct NodeArgs {
    /// This node's id (one of the ids in --peers)
    #[arg(long)]
    id: NodeId,
    /// Every node's peer address, this one's included: 1=127.0.0.1:7001,2=127.0.0.1:7002,...
    #[arg(long, value_parser = parse_peers)]
    peers: BTreeMap<NodeId, SocketAddr>,
    /// The port clients connect to (RESP: redis-cli -p PORT)
    #[arg(long)]
    client_port: u16,
    /// The address the client port listens on
    #[arg(long, default_value = "127.0.0.1")]
    client_host: IpAddr,
    /// The node's data directory (created if absent; a restarted node recovers from it)
    #[arg(long)]
    data: PathBuf,
    /// Snapshot the store and compact the log every N applied entries (0: never)
    #[arg(long, value_name = "N", default_value_t = node::SNAPSHOT_EVERY)]
    snapshot_every: u32,
    /// Run the node's timers this many times as fast as real time (a fault to inject: a
    /// node with a fast or slow clock; Raft compares no timestamps, so the rate of its
    /// timers is all of a clock it sees). 0.2 to 5
    #[arg(long, default_value_t = 1.0, value_parser = parse_clock_rate)]
    clock_rate: f64,
    /// Obey VCLOCK RATE on the client port, which sets --clock-rate anew without a restart
    /// (the nemesis's clock fault; never in real use)
    #[arg(long, hide = true)]
    clock_control: bool,
    /// Switch on a seeded bug (repeatable): for `verraft nemesis` to show it catches it,
    /// never in real use
    #[arg(long = "bug", hide = true, value_parser = parse_bug)]
    bugs: Vec<Bug>,
}

pub fn parse_bug(s: &str) -> Result<Bug, String> {
    s.parse::<Bug>().map_err(|e| e.to_string())
}

fn parse_clock_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s.parse().map_err(|e| format!("{s:?}: {e}"))?;
    if CLOCK_RATES.contains(&rate) {
        Ok(rate)
    } else {
        Err(format!(
            "{rate} is outside {}..={}",
            CLOCK_RATES.start(),
            CLOCK_RATES.end()
        ))
    }
}

fn parse_peers(s: &str) -> Result<BTreeMap<NodeId, SocketAddr>, String> {
    let mut peers = BTreeMap::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        let (id, addr) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected ID=HOST:PORT"))?;
        let id: NodeId = id.parse().map_err(|e| format!("{id:?}: {e}"))?;
        let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr:?}: {e}"))?;
        if peers.insert(id, addr).is_some() {
            return Err(format!("node {id} listed twice"));
        }
    }
    Ok(peers)
}

pub fn run(args: NodeArgs) -> u8 {
    let opts = NodeOptions {
        id: args.id,
        peers: args.peers,
        client_addr: SocketAddr::new(args.client_host, args.client_port),
        data: args.data,
        bugs: args.bugs.iter().copied().collect::<BugSet>(),
        clock_rate: args.clock_rate,
        clock_control: args.clock_control,
        snapshot_every: args.snapshot_every,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return 2;
        }
    };
    match runtime.block_on(node::run(opts, stop_signal())) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("[n{}] {e}", args.id);
            1
        }
    }
}

/// Completes on Ctrl-C or SIGTERM (what `verraft cluster` sends to stop its nodes).
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
