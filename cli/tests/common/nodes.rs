//! Clusters of `verraft node` processes on free loopback ports, for the service's tests.
use std::fs::{self, OpenOptions};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use verraft_server::client::call;
use verraft_server::resp::Reply;

pub struct Node {
    pub id: u8,
    pub peer: u16,
    pub client: u16,
    pub data: PathBuf,
    pub log: PathBuf,
    /// Options of `verraft node` beyond its id, ports and data (`--snapshot-every 20`).
    pub args: Vec<String>,
    pub child: Option<Child>,
}

/// A failed assertion must not leave node processes behind (they would hold the test
/// runner's output open, and their ports).
impl Drop for Node {
    fn drop(&mut self) {
        kill(self);
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start(node: &mut Node, peers: &str) {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&node.log)
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_verraft"))
        .args(["node", "--id", &node.id.to_string(), "--peers", peers])
        .args(["--client-port", &node.client.to_string()])
        .args(&node.args)
        .arg("--data")
        .arg(&node.data)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    node.child = Some(child);
}

pub fn kill(node: &mut Node) {
    if let Some(mut c) = node.child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

pub fn info(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    match call(&mut s, &[b"INFO"]).ok()? {
        Reply::Bulk(Some(b)) => Some(String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    }
}

pub fn field(info: &str, key: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")).map(str::to_string))
}

/// The id of the node that leads, once one does (among the running ones).
pub fn wait_leader(nodes: &[Node]) -> u8 {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        for n in nodes.iter().filter(|n| n.child.is_some()) {
            if let Some(i) = info(n.client) {
                if field(&i, "role").as_deref() == Some("leader") {
                    return n.id;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no leader within 20 s");
}

pub fn bulk(s: &str) -> Reply {
    Reply::Bulk(Some(s.as_bytes().to_vec()))
}

pub fn ok() -> Reply {
    Reply::Simple("OK".into())
}

/// Three node processes on free loopback ports with their data under `dir`, started with
/// `args` besides their own: the nodes, their `--peers` list, and their client addresses.
pub fn start_three(dir: &Path, args: &[&str]) -> (Vec<Node>, String, Vec<String>) {
    let mut nodes: Vec<Node> = (1..=3)
        .map(|id| Node {
            id,
            peer: free_port(),
            client: free_port(),
            data: dir.join(format!("n{id}")),
            log: dir.join(format!("n{id}.log")),
            args: args.iter().map(|a| a.to_string()).collect(),
            child: None,
        })
        .collect();
    let peers: Vec<String> = nodes
        .iter()
        .map(|n| format!("{}=127.0.0.1:{}", n.id, n.peer))
        .collect();
    let peers = peers.join(",");
    let addrs: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.client))
        .collect();
    for n in &mut nodes {
        start(n, &peers);
    }
    (nodes, peers, addrs)
}

pub fn cleanup(dir: &Path, nodes: &mut [Node]) {
    for n in nodes.iter_mut() {
        kill(n);
    }
    let _ = fs::remove_dir_all(dir);
}
