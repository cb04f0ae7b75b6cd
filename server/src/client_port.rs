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
//! Pipelining: the writes a connection sends without waiting are all proposed before the
//! first is awaited, so they share the leader's group commit, and answered in order. A read
//! waits for the writes before it on its connection to be answered first, so it sees them.
//! The connection's own session numbers its commands in order and is never retried, so
//! several in flight are safe (a `VSESSION` client that pipelines must not retry an earlier
//! number once a later one was applied: the session would answer it stale).
use crate::command::{self, Request, Shape};
use crate::core_loop::{Answer, Input, Status};
use crate::resp::{parse_command, Reply};
use std::collections::VecDeque;
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

/// Accept client connections forever. `clock_control`: whether `VCLOCK` is obeyed.
pub async fn accept(
    listener: TcpListener,
    me: NodeId,
    core: mpsc::Sender<Input>,
    clock_control: bool,
) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                let core = core.clone();
                tokio::spawn(async move {
                    if let Err(reason) = serve(stream, core, clock_control).await {
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

/// An answer a connection owes, in the order its commands came.
enum Owed {
    /// Known already.
    Now(Reply),
    /// Coming from the core; `write`: whether it is a write (a later read waits for it).
    Later {
        rx: oneshot::Receiver<Answer>,
        shape: Shape,
        deadline: tokio::time::Instant,
        write: bool,
    },
}

async fn serve(
    mut stream: TcpStream,
    core: mpsc::Sender<Input>,
    clock_control: bool,
) -> Result<(), String> {
    let client = random_client_id();
    let mut seq = 0;
    let mut buf = Vec::with_capacity(16 << 10);
    let mut out = Vec::new();
    let mut owed: VecDeque<Owed> = VecDeque::new();
    loop {
        // Take every whole command buffered (a pipeline), then answer them in order.
        while let Some((args, used)) = parse_command(&buf).map_err(|e| e.to_string())? {
            buf.drain(..used);
            if args.is_empty() {
                continue;
            }
            let next = match command::parse(&args) {
                Err(reply) => Owed::Now(reply),
                Ok(Request::Quit) => {
                    settle(&mut owed, &mut out).await;
                    Reply::Simple("OK".into()).encode(&mut out);
                    stream.write_all(&out).await.map_err(|e| e.to_string())?;
                    return Ok(());
                }
                Ok(Request::Local(reply)) => Owed::Now(reply),
                Ok(Request::Info) => Owed::Now(info(&core).await),
                Ok(Request::Clock(rate)) => Owed::Now(clock(&core, rate, clock_control).await),
                Ok(Request::Kv { session, op, shape }) => {
                    let (client, seq) = session.unwrap_or_else(|| {
                        seq += 1;
                        (client, seq)
                    });
                    let read = matches!(op, KvOp::Get { .. });
                    if read
                        && owed
                            .iter()
                            .any(|o| matches!(o, Owed::Later { write: true, .. }))
                    {
                        settle(&mut owed, &mut out).await;
                    }
                    submit(&core, KvCommand { client, seq, op }, shape).await
                }
            };
            owed.push_back(next);
        }
        settle(&mut owed, &mut out).await;
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

/// Hand a command to the core; its answer is owed.
async fn submit(core: &mpsc::Sender<Input>, cmd: KvCommand, shape: Shape) -> Owed {
    let (tx, rx) = oneshot::channel();
    // Reads take the ReadIndex path: they change nothing, so they need no session and no
    // log entry (the sequence number they were given is skipped, which a session allows).
    let (input, write) = match cmd.op {
        KvOp::Get { key } => (Input::Read { key, reply: tx }, false),
        op => (
            Input::Client {
                cmd: KvCommand { op, ..cmd },
                reply: tx,
            },
            true,
        ),
    };
    if core.send(input).await.is_err() {
        return Owed::Now(Reply::Error("TRYAGAIN node stopping".into()));
    }
    Owed::Later {
        rx,
        shape,
        deadline: tokio::time::Instant::now() + APPLY_TIMEOUT,
        write,
    }
}

/// Wait for every answer owed, and encode them in order.
async fn settle(owed: &mut VecDeque<Owed>, out: &mut Vec<u8>) {
    while let Some(o) = owed.pop_front() {
        let reply = match o {
            Owed::Now(reply) => reply,
            Owed::Later {
                rx,
                shape,
                deadline,
                ..
            } => answer(tokio::time::timeout_at(deadline, rx).await, shape),
        };
        reply.encode(out);
    }
}

/// The reply to a command's answer (or to its lack of one).
fn answer(
    got: Result<Result<Answer, oneshot::error::RecvError>, tokio::time::error::Elapsed>,
    shape: Shape,
) -> Reply {
    match got {
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

/// `VCLOCK rate`: the nemesis skews this node's clock.
async fn clock(core: &mpsc::Sender<Input>, rate: f64, allowed: bool) -> Reply {
    if !allowed {
        return Reply::Error(
            "ERR clock control is off (the node runs without --clock-control)".into(),
        );
    }
    if !crate::node::CLOCK_RATES.contains(&rate) {
        return Reply::Error(format!(
            "ERR clock rate {rate} is outside {:?}",
            crate::node::CLOCK_RATES
        ));
    }
    match core
        .send(Input::Tick(crate::node::TICK.div_f64(rate)))
        .await
    {
        Ok(()) => Reply::Simple("OK".into()),
        Err(_) => Reply::Error("TRYAGAIN node stopping".into()),
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
