//! A local cluster under the nemesis's control: `verraft node` processes whose peer links
//! run through proxies of this process, and the faults done to them — kill and restart,
//! pause and resume, links cut and reopened, clocks run fast or slow.
use super::proxy::LinkProxy;
use crate::client::{call, info, info_field};
use crate::cluster_file::{node_paths, ClusterFile, NodeEntry};
use crate::process::{self, NodeCommand};
use crate::resp::Reply;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};
use verraft_core::{Bug, NodeId};

/// One node and what has been done to it.
struct Slot {
    entry: NodeEntry,
    child: Option<Child>,
    paused: bool,
    clock_rate: f64,
}

/// The cluster.
pub struct LiveCluster {
    exe: PathBuf,
    dir: PathBuf,
    slots: Vec<Slot>,
    /// The proxy of each link (from, to).
    links: BTreeMap<(NodeId, NodeId), LinkProxy>,
    bugs: Vec<Bug>,
    // Last, so the proxies' tasks end after the nodes are gone.
    _runtime: tokio::runtime::Runtime,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl LiveCluster {
    /// Start `n` nodes with their data and logs in `dir`, every peer link through a proxy
    /// when `proxied` (else the nodes talk directly: no partitions, nothing in the way).
    /// Call from a thread that lives as long as the cluster: the nodes die with it.
    pub fn start(
        exe: &Path,
        dir: &Path,
        n: u8,
        bugs: &[Bug],
        proxied: bool,
    ) -> Result<LiveCluster, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("nemesis-proxy")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the proxies' runtime: {e}"))?;
        let addr = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let mut entries = Vec::new();
        for id in 1..=n {
            let port = || free_port().map_err(|e| format!("no free port: {e}"));
            entries.push(NodeEntry {
                id,
                peer: addr(port()?),
                client: addr(port()?),
            });
        }
        ClusterFile {
            nodes: entries.clone(),
        }
        .save(dir)?;
        let mut links = BTreeMap::new();
        for from in entries.iter().filter(|_| proxied) {
            for to in entries.iter().filter(|t| t.id != from.id) {
                let proxy = LinkProxy::start(runtime.handle(), to.peer)
                    .map_err(|e| format!("cannot start the proxy n{}->n{}: {e}", from.id, to.id))?;
                links.insert((from.id, to.id), proxy);
            }
        }
        let mut cluster = LiveCluster {
            exe: exe.to_path_buf(),
            dir: dir.to_path_buf(),
            slots: entries
                .into_iter()
                .map(|entry| Slot {
                    entry,
                    child: None,
                    paused: false,
                    clock_rate: 1.0,
                })
                .collect(),
            links,
            bugs: bugs.to_vec(),
            _runtime: runtime,
        };
        for id in cluster.ids() {
            cluster.restart(id)?;
        }
        Ok(cluster)
    }

    /// Every node's id.
    pub fn ids(&self) -> Vec<NodeId> {
        self.slots.iter().map(|s| s.entry.id).collect()
    }

    /// Every node's client address, in id order.
    pub fn client_addrs(&self) -> Vec<String> {
        self.slots
            .iter()
            .map(|s| s.entry.client.to_string())
            .collect()
    }

    /// Node `id`'s log file.
    pub fn log_path(&self, id: NodeId) -> PathBuf {
        node_paths(&self.dir, id).1
    }

    fn slot(&mut self, id: NodeId) -> Result<&mut Slot, String> {
        self.slots
            .iter_mut()
            .find(|s| s.entry.id == id)
            .ok_or_else(|| format!("no node n{id}"))
    }

    /// Node `id`'s `--peers`: its own real address, and the proxy of its link to each other.
    fn peers_arg(&self, id: NodeId) -> String {
        let parts: Vec<String> = self
            .slots
            .iter()
            .map(|s| {
                let addr = match self.links.get(&(id, s.entry.id)) {
                    Some(proxy) => proxy.addr,
                    None => s.entry.peer,
                };
                format!("{}={addr}", s.entry.id)
            })
            .collect();
        parts.join(",")
    }

    /// Start node `id` (if it is not running) with its current clock rate.
    pub fn restart(&mut self, id: NodeId) -> Result<(), String> {
        let peers = self.peers_arg(id);
        let (exe, dir, bugs) = (self.exe.clone(), self.dir.clone(), self.bugs.clone());
        let slot = self.slot(id)?;
        if slot.child.is_some() {
            return Ok(());
        }
        let (data, log, pid) = node_paths(&dir, id);
        let mut extra = vec![
            "--clock-control".to_string(),
            "--clock-rate".to_string(),
            slot.clock_rate.to_string(),
        ];
        for b in bugs {
            extra.push("--bug".into());
            extra.push(b.name().into());
        }
        let child = process::spawn(&NodeCommand {
            exe,
            id,
            peers,
            client_port: slot.entry.client.port(),
            data,
            log,
            pid_file: Some(pid),
            extra,
            die_with_parent: true,
        })?;
        slot.child = Some(child);
        slot.paused = false;
        Ok(())
    }

    /// SIGKILL node `id` (a crash: what it had not synced is lost).
    pub fn kill(&mut self, id: NodeId) -> Result<(), String> {
        let slot = self.slot(id)?;
        if let Some(mut child) = slot.child.take() {
            child.kill().map_err(|e| format!("kill n{id}: {e}"))?;
            let _ = child.wait();
        }
        slot.paused = false;
        Ok(())
    }

    /// SIGSTOP node `id`: it keeps its sockets, answers nothing, and its timers stand still.
    pub fn pause(&mut self, id: NodeId) -> Result<(), String> {
        let slot = self.slot(id)?;
        if let Some(child) = &slot.child {
            process::signal(child, libc::SIGSTOP).map_err(|e| format!("pause n{id}: {e}"))?;
            slot.paused = true;
        }
        Ok(())
    }

    /// SIGCONT node `id`; a clock rate set while it was paused takes effect now.
    pub fn resume(&mut self, id: NodeId) -> Result<(), String> {
        let slot = self.slot(id)?;
        let was_paused = slot.paused;
        if let (Some(child), true) = (&slot.child, slot.paused) {
            process::signal(child, libc::SIGCONT).map_err(|e| format!("resume n{id}: {e}"))?;
        }
        slot.paused = false;
        let rate = slot.clock_rate;
        if was_paused && rate != 1.0 {
            self.set_clock(id, rate)?;
        }
        Ok(())
    }

    /// Run node `id`'s timers at `rate` times real time: at once if it runs (`VCLOCK` on its
    /// client port), else from its resume or restart.
    pub fn set_clock(&mut self, id: NodeId, rate: f64) -> Result<(), String> {
        let slot = self.slot(id)?;
        slot.clock_rate = rate;
        if slot.child.is_none() || slot.paused {
            return Ok(());
        }
        let addr = slot.entry.client;
        let mut conn = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
            .map_err(|e| format!("clock of n{id}: {e}"))?;
        let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
        let rate = rate.to_string();
        match call(&mut conn, &[b"VCLOCK", rate.as_bytes()]) {
            Ok(Reply::Simple(_)) => Ok(()),
            Ok(other) => Err(format!("clock of n{id}: {other}")),
            Err(e) => Err(format!("clock of n{id}: {e}")),
        }
    }

    /// Open or cut the link from `from` to `to`.
    pub fn set_link(&self, from: NodeId, to: NodeId, open: bool) {
        if let Some(p) = self.links.get(&(from, to)) {
            p.set_open(open);
        }
    }

    /// Open every link, wake every paused node, start every stopped one.
    pub fn heal(&mut self) -> Result<(), String> {
        for p in self.links.values() {
            p.set_open(true);
        }
        for id in self.ids() {
            self.resume(id)?;
            self.restart(id)?;
        }
        Ok(())
    }

    /// Stop every node gracefully and start them all again with normal clocks: each reads
    /// its state back from disk.
    pub fn restart_all(&mut self) -> Result<(), String> {
        let mut children: Vec<(NodeId, Option<Child>)> = self
            .slots
            .iter_mut()
            .map(|s| {
                s.clock_rate = 1.0;
                s.paused = false;
                (s.entry.id, s.child.take())
            })
            .collect();
        process::stop_all(&mut children);
        for id in self.ids() {
            self.restart(id)?;
        }
        Ok(())
    }

    /// Stop every node gracefully.
    pub fn stop(&mut self) {
        let mut children: Vec<(NodeId, Option<Child>)> = self
            .slots
            .iter_mut()
            .map(|s| (s.entry.id, s.child.take()))
            .collect();
        process::stop_all(&mut children);
    }

    /// Whether node `id` runs (started and not paused).
    pub fn is_up(&self, id: NodeId) -> bool {
        self.slots
            .iter()
            .any(|s| s.entry.id == id && s.child.is_some() && !s.paused)
    }

    /// The node that leads, by asking every running node: among those that say they lead,
    /// the one with the highest term (a deposed leader may not know it yet).
    pub fn leader(&self) -> Option<NodeId> {
        let mut best: Option<(u64, NodeId)> = None;
        for s in self.slots.iter().filter(|s| s.child.is_some() && !s.paused) {
            let Ok(text) = info(&s.entry.client.to_string(), Duration::from_millis(500)) else {
                continue;
            };
            let term = info_field(&text, "term").and_then(|t| t.parse().ok());
            if let (Some("leader"), Some(term)) = (info_field(&text, "role").as_deref(), term) {
                match best {
                    Some((t, _)) if t >= term => {}
                    _ => best = Some((term, s.entry.id)),
                }
            }
        }
        best.map(|(_, id)| id)
    }

    /// Wait up to `limit` for a leader.
    pub fn wait_leader(&self, limit: Duration) -> Option<NodeId> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(l) = self.leader() {
                return Some(l);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Nodes that exited on their own (not killed by the nemesis): id and exit status.
    pub fn exited(&mut self) -> Vec<(NodeId, String)> {
        let mut out = Vec::new();
        for s in &mut self.slots {
            if let Some(child) = &mut s.child {
                if let Ok(Some(status)) = child.try_wait() {
                    out.push((s.entry.id, status.to_string()));
                    s.child = None;
                }
            }
        }
        out
    }
}

impl Drop for LiveCluster {
    fn drop(&mut self) {
        self.stop();
    }
}
