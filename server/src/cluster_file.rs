//! `cluster.json` in a cluster's data directory: which nodes there are and their ports, so
//! that `verraft cluster start` restarts the same cluster and `status` and `kv` find it.
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use verraft_core::NodeId;

/// The file's name in the data directory.
pub const FILE: &str = "cluster.json";

/// One node's place in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeEntry {
    /// Its id.
    pub id: NodeId,
    /// Its peer address.
    pub peer: SocketAddr,
    /// Its client (RESP) address.
    pub client: SocketAddr,
}

/// The whole cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterFile {
    /// Every node, by id.
    pub nodes: Vec<NodeEntry>,
}

impl ClusterFile {
    /// `n` nodes on loopback: node `i` at peer port `peer_base + i`, client port
    /// `client_base + i`.
    pub fn loopback(n: u8, peer_base: u16, client_base: u16) -> ClusterFile {
        let addr = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        ClusterFile {
            nodes: (1..=n)
                .map(|id| NodeEntry {
                    id,
                    peer: addr(peer_base + u16::from(id)),
                    client: addr(client_base + u16::from(id)),
                })
                .collect(),
        }
    }

    /// Read `dir/cluster.json` (`Ok(None)` when there is none).
    pub fn load(dir: &Path) -> Result<Option<ClusterFile>, String> {
        let path = dir.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Write `dir/cluster.json`.
    pub fn save(&self, dir: &Path) -> Result<(), String> {
        let path = dir.join(FILE);
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The `--peers` argument of `verraft node`: `1=host:port,2=host:port,...`.
    pub fn peers_arg(&self) -> String {
        let parts: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("{}={}", n.id, n.peer))
            .collect();
        parts.join(",")
    }

    /// Every client address, for `verraft kv`.
    pub fn client_addrs(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.client.to_string()).collect()
    }
}

/// Node `id`'s data directory, log file and pid file under the cluster's directory.
pub fn node_paths(dir: &Path, id: NodeId) -> (PathBuf, PathBuf, PathBuf) {
    (
        dir.join(format!("n{id}")),
        dir.join(format!("n{id}.log")),
        dir.join(format!("n{id}.pid")),
    )
}
