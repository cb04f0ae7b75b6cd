//! TCP between nodes. Each node dials every peer and keeps one outgoing connection per peer
//! (a writer task fed by the core), and accepts the peers' connections to it (a reader task
//! each, feeding the core). Messages are one-way, so two connections per pair is simpler
//! than sharing one, and a lost connection costs only lost messages, which Raft retries.
use crate::core_loop::Input;
use crate::wire::{decode_frame, encode_frame, PeerFrame};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use verraft_core::{Message, NodeId};
use verraft_kv::KvCommand;

/// Time a new connection has to say `Hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait between two attempts to dial a peer.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Accept peer connections forever, each served by its own task.
pub async fn accept(
    listener: TcpListener,
    me: NodeId,
    peers: BTreeMap<NodeId, SocketAddr>,
    core: mpsc::Sender<Input>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                let (core, peers) = (core.clone(), peers.clone());
                tokio::spawn(async move {
                    if let Err(reason) = serve(stream, me, &peers, core).await {
                        eprintln!("[n{me}] peer connection from {addr} closed: {reason}");
                    }
                });
            }
            Err(e) => {
                eprintln!("[n{me}] accepting a peer connection failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Read `Hello` and then messages from one peer connection, until it ends or misbehaves.
async fn serve(
    mut stream: TcpStream,
    me: NodeId,
    peers: &BTreeMap<NodeId, SocketAddr>,
    core: mpsc::Sender<Input>,
) -> Result<(), String> {
    let mut buf = Vec::with_capacity(64 << 10);
    let hello = tokio::time::timeout(HELLO_TIMEOUT, next_frame(&mut stream, &mut buf))
        .await
        .map_err(|_| "no hello in time".to_string())??;
    let from = match hello {
        Some(PeerFrame::Hello {
            from,
            to,
            client_addr,
        }) => {
            if to != me {
                return Err(format!("peer n{from} thinks it dialed n{to}"));
            }
            if from == me || !peers.contains_key(&from) {
                return Err(format!(
                    "peer claims id {from}, not one of this node's peers"
                ));
            }
            let _ = core
                .send(Input::PeerClientAddr {
                    id: from,
                    addr: client_addr,
                })
                .await;
            from
        }
        Some(PeerFrame::Msg(_)) => return Err("a message before hello".into()),
        None => return Ok(()),
    };
    loop {
        match next_frame(&mut stream, &mut buf).await? {
            Some(PeerFrame::Msg(msg)) => {
                if core.send(Input::Peer { from, msg }).await.is_err() {
                    return Ok(()); // the node is stopping
                }
            }
            Some(PeerFrame::Hello { .. }) => return Err("a second hello".into()),
            None => return Ok(()),
        }
    }
}

/// The next frame from `stream` (`None`: closed cleanly between frames).
async fn next_frame(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Result<Option<PeerFrame>, String> {
    loop {
        if let Some((frame, used)) = decode_frame(buf).map_err(|e| e.to_string())? {
            buf.drain(..used);
            return Ok(Some(frame));
        }
        let n = stream
            .read_buf(buf)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(format!(
                    "closed inside a frame ({} bytes buffered)",
                    buf.len()
                ))
            };
        }
    }
}

/// Dial `to` and send it what the core queues for it, forever, redialling after errors.
pub async fn dial(
    me: NodeId,
    to: NodeId,
    addr: SocketAddr,
    client_addr: String,
    mut queue: mpsc::Receiver<Message<KvCommand>>,
) {
    let mut backoff = Duration::from_millis(50);
    let mut logged = false;
    loop {
        let mut stream = match TcpStream::connect(addr).await {
            Ok(s) => s,
            Err(e) => {
                if !logged {
                    eprintln!("[n{me}] cannot reach n{to} at {addr}: {e} (retrying)");
                    logged = true;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        backoff = Duration::from_millis(50);
        logged = false;
        // What the core queued while the peer was unreachable is dropped, as a connection
        // that was down would have lost it: heartbeats resend from what the peer last
        // acknowledged. Delivered now, those old appends would hand a restarted peer
        // entries in an order and at a time the leader no longer tracks, and, since the
        // queue is bounded, only the first of them: the leader's snapshot and its latest
        // heartbeats would wait behind them.
        let mut stale = 0;
        while queue.try_recv().is_ok() {
            stale += 1;
        }
        if stale > 0 {
            eprintln!("[n{me}] connected to n{to}; dropped {stale} messages queued while it was unreachable");
        }
        let hello = PeerFrame::Hello {
            from: me,
            to,
            client_addr: client_addr.clone(),
        };
        match send_loop(&mut stream, hello, &mut queue).await {
            Ok(()) => return, // the core is gone: the node is stopping
            Err(e) => eprintln!("[n{me}] connection to n{to} lost: {e}"),
        }
    }
}

async fn send_loop(
    stream: &mut TcpStream,
    hello: PeerFrame,
    queue: &mut mpsc::Receiver<Message<KvCommand>>,
) -> Result<(), String> {
    let mut out = Vec::new();
    encode_frame(&hello, &mut out).map_err(|e| e.to_string())?;
    stream.write_all(&out).await.map_err(|e| e.to_string())?;
    while let Some(msg) = queue.recv().await {
        out.clear();
        push(&mut out, msg);
        // Take whatever else is queued, so a burst goes out in one write.
        while out.len() < 1 << 20 {
            match queue.try_recv() {
                Ok(msg) => push(&mut out, msg),
                Err(_) => break,
            }
        }
        stream.write_all(&out).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Encode a message onto `out`; one that cannot be framed (over the size limit) is dropped
/// and logged, as a lost message, rather than cutting the connection.
fn push(out: &mut Vec<u8>, msg: Message<KvCommand>) {
    let mark = out.len();
    if let Err(e) = encode_frame(&PeerFrame::Msg(msg), out) {
        out.truncate(mark);
        eprintln!("a message was dropped: {e}");
    }
}
