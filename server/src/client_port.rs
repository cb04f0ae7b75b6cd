//! The client port: RESP over TCP, so `redis-cli`, `redis-benchmark` and Redis client
//! libraries work.
//!
//! Sessions: a command wrapped in `VSESSION client seq ...` (what `verraft kv` sends) runs in
//! that session, so a retry after a lost answer, on any node, is applied at most once. A plain
//! Redis connection gets a session of its own: a random client id, numbered from 1 by command.
//! That makes each command at most once *per connection*: a command whose answer is an error
//! (`-TRYAGAIN`, or a dropped connection) may or may not have been applied, and sending it
//! again on a new connection may apply it twice, as with Redis itself.
//!
//! Commands on one connection run one after another (the session allows one request in
//! flight), so throughput comes from many connections.
use crate::command::{self, Request, Shape};
use crate::core_loop::{Answer, Input, Status};
use crate::resp::{parse_command, Reply};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use verraft_core::{NodeId, Role};
use verraft_kv::{ClientId, KvCommand, KvOp};

/// Most bytes buffered for one unfinished command: the parser bounds each argument and their
/// number, but not their product, so a client announcing many large arguments is cut off here.
const MAX_REQUEST: usize = 8 << 20;

/// How long a command may wait to be applied before the client is told to retry.
const APPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Accept client connections forever.
pub async fn accept(listener: TcpListener, me: NodeId, core: mpsc::Sender<Input>) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                let core = core.clone();
                tokio::spawn(async move {
                    if let Err(reason) = serve(stream, core).await {
                        eprintln!("[n{me}] client {addr} disconnected: {reason}");
                    }
                });
            }
            Err(e) => {
                eprintln!("[n{me}] accepting a client failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A client id that no other connection or client picks: 64 random bits, from the
/// standard library's randomly keyed hasher (no extra dependency for one number).
pub fn random_client_id() -> ClientId {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

async fn serve(mut stream: TcpStream, core: mpsc::Sender<Input>) -> Result<(), String> {
    let client = random_client_id();
    let mut seq = 0;
    let mut buf = Vec::with_capacity(16 << 10);
    let mut out = Vec::new();
    loop {
        // Answer every whole command buffered (pipelining), then write the answers at once.
        while let Some((args, used)) = parse_command(&buf).map_err(|e| e.to_string())? {
            buf.drain(..used);
            if args.is_empty() {
                continue;
            }
            let reply = match command::parse(&args) {
                Err(reply) => reply,
                Ok(Request::Quit) => {
                    Reply::Simple("OK".into()).encode(&mut out);
                    stream.write_all(&out).await.map_err(|e| e.to_string())?;
                    return Ok(());
                }
                Ok(Request::Local(reply)) => reply,
                Ok(Request::Info) => info(&core).await,
                Ok(Request::Kv { session, op, shape }) => {
                    let (client, seq) = session.unwrap_or_else(|| {
                        seq += 1;
                        (client, seq)
                    });
                    execute(&core, KvCommand { client, seq, op }, shape).await
                }
            };
            reply.encode(&mut out);
        }
        if !out.is_empty() {
            stream.write_all(&out).await.map_err(|e| e.to_string())?;
            out.clear();
        }
        if buf.len() > MAX_REQUEST {
            return Err(format!("a command of more than {MAX_REQUEST} bytes"));
        }
        let n = stream.read_buf(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(())
            } else {
                Err("closed inside a command".into())
            };
        }
    }
}

async fn execute(core: &mpsc::Sender<Input>, cmd: KvCommand, shape: Shape) -> Reply {
    let (tx, rx) = oneshot::channel();
    // Reads take the ReadIndex path: they change nothing, so they need no session and no
    // log entry (the sequence number they were given is skipped, which a session allows).
    let input = match cmd.op {
        KvOp::Get { key } => Input::Read { key, reply: tx },
        op => Input::Client {
            cmd: KvCommand { op, ..cmd },
            reply: tx,
        },
    };
    if core.send(input).await.is_err() {
        return Reply::Error("TRYAGAIN node stopping".into());
    }
    match tokio::time::timeout(APPLY_TIMEOUT, rx).await {
        Ok(Ok(Answer::Applied(out))) => command::render(shape, out),
        Ok(Ok(Answer::NotLeader {
            addr: Some(addr), ..
        })) => Reply::Error(format!("MOVED 0 {addr}")),
        Ok(Ok(Answer::NotLeader { leader, addr: None })) => Reply::Error(match leader {
            Some(l) => format!("TRYAGAIN leader is n{l}, its client address is not known yet"),
            None => "TRYAGAIN no leader known (election in progress)".into(),
        }),
        Ok(Ok(Answer::Unknown(why))) => Reply::Error(format!(
            "TRYAGAIN outcome unknown ({why}); retry in the same session"
        )),
        Ok(Err(_)) => Reply::Error("TRYAGAIN node stopping".into()),
        Err(_) => Reply::Error("TRYAGAIN not applied in time; retry in the same session".into()),
    }
}

/// Ask the core for its status (`None`: the node is stopping).
pub async fn status(core: &mpsc::Sender<Input>) -> Option<Status> {
    let (tx, rx) = oneshot::channel();
    core.send(Input::Status(tx)).await.ok()?;
    rx.await.ok()
}

async fn info(core: &mpsc::Sender<Input>) -> Reply {
    let Some(s) = status(core).await else {
        return Reply::Error("TRYAGAIN node stopping".into());
    };
    let role = match s.role {
        Role::Leader => "leader",
        Role::Follower => "follower",
        Role::Candidate => "candidate",
        Role::PreCandidate => "precandidate",
    };
    let leader = s.leader.map_or("-".to_string(), |l| l.to_string());
    Reply::bulk(format!(
        "# verraft\r\nid:{}\r\nrole:{role}\r\nterm:{}\r\nleader:{leader}\r\ncommit:{}\r\napplied:{}\r\nlast_index:{}\r\nsnapshot_index:{}\r\nsnapshots_sent:{}\r\nsnapshots_installed:{}\r\npending:{}\r\ndropped_messages:{}\r\n",
        s.id,
        s.term,
        s.commit,
        s.applied,
        s.last_index,
        s.snapshot_index,
        s.snapshots_sent,
        s.snapshots_installed,
        s.pending,
        s.dropped_messages
    ))
}
