//! `verraft cluster start|status`: a local key-value cluster, one `verraft node` process per
//! node, each with its own data directory and log file under the cluster's directory.
use clap::{Args, Subcommand};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::Ordering;
use std::time::Duration;
use verraft_server::client::{info, info_field};
use verraft_server::cluster_file::{node_paths, ClusterFile};
use verraft_server::process::{self, stop_all, NodeCommand};

#[derive(Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Start every node (a new cluster, or the one DIR holds, recovered from disk); Ctrl-C
    /// stops them all
    Start(StartArgs),
    /// Each node's role, term, commit, applied and last index, snapshot index, snapshots
    /// installed from a leader (inst), and ports
    Status {
        /// The cluster's directory
        #[arg(long, default_value = "verraft-cluster")]
        data: PathBuf,
    },
}

#[derive(Args)]
struct StartArgs {
    /// Nodes in a new cluster (an existing one keeps its own)
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=9))]
    nodes: u8,
    /// The cluster's directory: cluster.json, and per node nN/ (data), nN.log, nN.pid
    #[arg(long, default_value = "verraft-cluster")]
    data: PathBuf,
    /// Node i of a new cluster takes peer port BASE+i
    #[arg(long, default_value_t = 7000)]
    peer_base: u16,
    /// Node i of a new cluster takes client port BASE+i (redis-cli -p BASE+1)
    #[arg(long, default_value_t = 6380)]
    client_base: u16,
    /// Each node snapshots its store and compacts its log every N applied entries (0:
    /// never); given to every node at each start, not kept in the cluster's directory
    #[arg(long, value_name = "N", default_value_t = verraft_server::node::SNAPSHOT_EVERY)]
    snapshot_every: u32,
}

pub fn run(args: ClusterArgs) -> u8 {
    match args.action {
        Action::Start(a) => start(a),
        Action::Status { data } => status(&data),
    }
}

fn start(args: StartArgs) -> u8 {
    if let Err(e) = fs::create_dir_all(&args.data) {
        eprintln!("{}: {e}", args.data.display());
        return 2;
    }
    let cluster = match ClusterFile::load(&args.data) {
        Ok(Some(c)) => {
            println!(
                "restarting the cluster in {} from disk",
                args.data.display()
            );
            c
        }
        Ok(None) => {
            let c = ClusterFile::loopback(args.nodes, args.peer_base, args.client_base);
            if let Err(e) = c.save(&args.data) {
                eprintln!("{e}");
                return 2;
            }
            c
        }
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot find the verraft binary: {e}");
            return 2;
        }
    };
    let stop = crate::interrupt::flag();
    let mut children: Vec<(u8, Option<Child>)> = Vec::new();
    for n in &cluster.nodes {
        match spawn(&exe, &args, &cluster, n.id, n.client.port()) {
            Ok(child) => {
                println!(
                    "n{}: pid {}, peers {}, clients {} (redis-cli -p {}), log {}",
                    n.id,
                    child.id(),
                    n.peer,
                    n.client,
                    n.client.port(),
                    node_paths(&args.data, n.id).1.display()
                );
                children.push((n.id, Some(child)));
            }
            Err(e) => {
                eprintln!("n{}: {e}", n.id);
                stop_all(&mut children);
                return 2;
            }
        }
    }
    println!("cluster running; Ctrl-C stops every node");
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        for (id, slot) in &mut children {
            if let Some(child) = slot {
                if let Ok(Some(status)) = child.try_wait() {
                    let log = node_paths(&args.data, *id).1;
                    let last = fs::read_to_string(&log).unwrap_or_default();
                    let last = last.lines().last().unwrap_or("").to_string();
                    println!(
                        "n{id} exited ({status}); last line of {}: {last}",
                        log.display()
                    );
                    *slot = None;
                }
            }
        }
        if children.iter().all(|(_, c)| c.is_none()) {
            eprintln!("every node has exited");
            return 1;
        }
    }
    stop_all(&mut children);
    println!(
        "stopped; `verraft cluster start --data {}` recovers it",
        args.data.display()
    );
    0
}

fn spawn(
    exe: &Path,
    args: &StartArgs,
    cluster: &ClusterFile,
    id: u8,
    client_port: u16,
) -> Result<Child, String> {
    let (data, log, pid) = node_paths(&args.data, id);
    process::spawn(&NodeCommand {
        exe: exe.to_path_buf(),
        id,
        peers: cluster.peers_arg(),
        client_port,
        data,
        log,
        pid_file: Some(pid),
        extra: vec!["--snapshot-every".into(), args.snapshot_every.to_string()],
        die_with_parent: false,
    })
}

fn status(dir: &Path) -> u8 {
    let cluster = match ClusterFile::load(dir) {
        Ok(Some(c)) => c,
        Ok(None) => {
            eprintln!("no cluster in {}", dir.display());
            return 2;
        }
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    println!(
        "{:<4} {:<7} {:<10} {:>5} {:>6} {:>7} {:>7} {:>7} {:>7} {:>5}  {:<16} {:<16}",
        "node",
        "pid",
        "role",
        "term",
        "leader",
        "commit",
        "applied",
        "last",
        "snap",
        "inst",
        "peer",
        "client"
    );
    for n in &cluster.nodes {
        let pid = fs::read_to_string(node_paths(dir, n.id).2).unwrap_or_default();
        let info = info(&n.client.to_string(), Duration::from_secs(2));
        let field = |k: &str| {
            info.as_ref()
                .ok()
                .and_then(|i| info_field(i, k))
                .unwrap_or_else(|| "-".into())
        };
        let role = match &info {
            Ok(_) => field("role"),
            Err(_) => "down".to_string(),
        };
        println!(
            "n{:<3} {:<7} {:<10} {:>5} {:>6} {:>7} {:>7} {:>7} {:>7} {:>5}  {:<16} {:<16}",
            n.id,
            pid.trim(),
            role,
            field("term"),
            field("leader"),
            field("commit"),
            field("applied"),
            field("last_index"),
            field("snapshot_index"),
            field("snapshots_installed"),
            n.peer,
            n.client
        );
    }
    0
}
