//! The benchmark (`verraft bench`): clients on one tokio thread, each a connection to the
//! leader that keeps a pipeline of commands in flight (the server proposes a pipeline's
//! writes together, so they share its group commit), latencies from a command's send to its
//! answer in HDR histograms. It starts a local 3-node cluster in a temporary directory
//! unless pointed at a running one.
use crate::client::call;
use crate::nemesis::cluster::LiveCluster;
use crate::resp::{parse_reply, Reply};
use hdrhistogram::Histogram;
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use verraft_core::rng::SplitMix64;

/// Where the cluster is.
#[derive(Clone, Debug)]
pub enum Cluster {
    /// Start `nodes` local nodes of `exe` with their data in `dir` (removed afterwards).
    Local {
        /// The `verraft` binary.
        exe: PathBuf,
        /// A directory for the nodes' data and logs.
        dir: PathBuf,
        /// Nodes.
        nodes: u8,
    },
    /// A running cluster: any node's client address (a follower redirects to the leader).
    Connect(String),
}

/// How to run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// The cluster.
    pub cluster: Cluster,
    /// Connections.
    pub clients: usize,
    /// Operations in all.
    pub ops: u64,
    /// Bytes of each value written.
    pub value_size: usize,
    /// The share of reads (GET), 0 to 1; the rest are writes (SET).
    pub read_ratio: f64,
    /// Commands each connection keeps in flight.
    pub pipeline: usize,
    /// Keys drawn from (`key:0` ...).
    pub keys: u64,
}

/// What was measured. Latencies in microseconds.
pub struct BenchReport {
    /// Operations answered.
    pub done: u64,
    /// Of them answered with an error.
    pub errors: u64,
    /// The first error seen, if any.
    pub first_error: Option<String>,
    /// From the first send to the last answer.
    pub elapsed: Duration,
    /// Write latencies.
    pub writes: Histogram<u64>,
    /// Read latencies.
    pub reads: Histogram<u64>,
    /// The leader's client address.
    pub leader: String,
    /// Stopped by Ctrl-C before every operation was done.
    pub interrupted: bool,
}

impl BenchReport {
    /// Operations per second.
    pub fn throughput(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn histogram() -> Result<Histogram<u64>, String> {
    // 1 µs to 60 s, three significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())
}

/// The leader's client address, by following a redirect from `addr`.
pub fn find_leader(addr: &str, limit: Duration) -> Result<String, String> {
    let deadline = Instant::now() + limit;
    let mut at = addr.to_string();
    let mut last = String::new();
    while Instant::now() < deadline {
        let probe = at.parse().map_err(|e| format!("{at}: {e}")).and_then(|sa| {
            let mut s = TcpStream::connect_timeout(&sa, Duration::from_secs(1))
                .map_err(|e| format!("{at}: {e}"))?;
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            call(&mut s, &[b"GET", b"key:0"]).map_err(|e| format!("{at}: {e}"))
        });
        match probe {
            Ok(Reply::Error(e)) if e.starts_with("MOVED ") => {
                at = e.rsplit(' ').next().unwrap_or_default().to_string();
            }
            Ok(Reply::Error(e)) => last = e,
            Ok(_) => return Ok(at),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("no leader found from {addr}: {last}"))
}

/// Shared by the client tasks.
struct Shared {
    /// Operations not yet claimed by a client.
    left: AtomicU64,
    /// Operations answered.
    done: Arc<AtomicU64>,
    errors: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
    interrupt: Arc<AtomicBool>,
}

/// Run the benchmark; `on_progress` is called with the operations done about ten times a
/// second. Ctrl-C (`interrupt`) stops it and reports what was measured.
pub fn run(
    opts: &BenchOptions,
    interrupt: Arc<AtomicBool>,
    on_progress: &mut dyn FnMut(u64),
) -> Result<BenchReport, String> {
    let mut local = None;
    let entry = match &opts.cluster {
        Cluster::Local { exe, dir, nodes } => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let cluster = LiveCluster::start(exe, dir, *nodes, &[], false)?;
            let first = cluster.client_addrs()[0].clone();
            local = Some(cluster);
            first
        }
        Cluster::Connect(addr) => addr.clone(),
    };
    let leader = find_leader(&entry, Duration::from_secs(30));
    let result = leader.and_then(|leader| measure(opts, leader, interrupt, on_progress));
    if let (Some(mut cluster), Cluster::Local { dir, .. }) = (local, &opts.cluster) {
        cluster.stop();
        drop(cluster);
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

fn measure(
    opts: &BenchOptions,
    leader: String,
    interrupt: Arc<AtomicBool>,
    on_progress: &mut dyn FnMut(u64),
) -> Result<BenchReport, String> {
    let done = Arc::new(AtomicU64::new(0));
    let shared = Arc::new(Shared {
        left: AtomicU64::new(opts.ops),
        done: done.clone(),
        errors: AtomicU64::new(0),
        first_error: std::sync::Mutex::new(None),
        interrupt: interrupt.clone(),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let started = Instant::now();
    let result = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            runtime.block_on(async {
                let mut tasks = Vec::new();
                for i in 0..opts.clients {
                    let (shared, leader, opts) = (shared.clone(), leader.clone(), opts.clone());
                    tasks.push(tokio::spawn(client(i as u64, opts, leader, shared)));
                }
                let mut writes = histogram()?;
                let mut reads = histogram()?;
                for t in tasks {
                    let (w, r) = t.await.map_err(|e| e.to_string())??;
                    writes.add(w).map_err(|e| e.to_string())?;
                    reads.add(r).map_err(|e| e.to_string())?;
                }
                Ok::<_, String>((writes, reads))
            })
        });
        while !worker.is_finished() {
            on_progress(done.load(Ordering::Relaxed));
            std::thread::sleep(Duration::from_millis(100));
        }
        worker
            .join()
            .map_err(|_| "the benchmark's thread panicked".to_string())?
    });
    let (writes, reads) = result?;
    let first_error = shared.first_error.lock().ok().and_then(|e| e.clone());
    Ok(BenchReport {
        done: done.load(Ordering::Relaxed),
        errors: shared.errors.load(Ordering::Relaxed),
        first_error,
        elapsed: started.elapsed(),
        writes,
        reads,
        leader,
        interrupted: interrupt.load(Ordering::Relaxed),
    })
}

async fn connect(addr: &str) -> Result<tokio::net::TcpStream, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Append one RESP command to `out`.
fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// One connection: claim up to a pipeline's worth of operations, send them at once, read
/// their answers, until none are left.
async fn client(
    index: u64,
    opts: BenchOptions,
    leader: String,
    shared: Arc<Shared>,
) -> Result<(Histogram<u64>, Histogram<u64>), String> {
    let mut writes = histogram()?;
    let mut reads = histogram()?;
    let mut leader = leader;
    let mut stream = connect(&leader).await?;
    // Where a redirect (a leader change) said to go; the commands it answered count as
    // errors, and the connection moves after the pipeline is answered.
    let mut moved: Option<String> = None;
    let mut rng = SplitMix64(index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED);
    let value = vec![b'x'; opts.value_size];
    let read_below = (opts.read_ratio.clamp(0.0, 1.0) * u64::MAX as f64) as u64;
    let mut out = Vec::with_capacity(opts.pipeline * (opts.value_size + 64));
    let mut buf = Vec::with_capacity(64 << 10);
    let mut kinds = Vec::with_capacity(opts.pipeline);
    loop {
        if shared.interrupt.load(Ordering::Relaxed) {
            break;
        }
        if let Some(to) = moved.take() {
            stream = connect(&to).await?;
            buf.clear();
            leader = to;
        }
        let want = opts.pipeline as u64;
        let claimed = shared
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
                (l > 0).then(|| l.saturating_sub(want))
            })
            .map(|l| l.min(want))
            .unwrap_or(0);
        if claimed == 0 {
            break;
        }
        out.clear();
        kinds.clear();
        for _ in 0..claimed {
            let key = format!("key:{}", rng.next_u64() % opts.keys.max(1));
            let read = rng.next_u64() < read_below;
            if read {
                encode(&mut out, &[b"GET", key.as_bytes()]);
            } else {
                encode(&mut out, &[b"SET", key.as_bytes(), &value]);
            }
            kinds.push(read);
        }
        let sent = Instant::now();
        stream
            .write_all(&out)
            .await
            .map_err(|e| format!("{leader}: {e}"))?;
        let mut answered = 0;
        while answered < kinds.len() {
            let mut used = 0;
            while let Some((reply, n)) =
                parse_reply(&buf[used..]).map_err(|e| format!("{leader}: {e}"))?
            {
                used += n;
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                let hist = if kinds[answered] {
                    &mut reads
                } else {
                    &mut writes
                };
                hist.saturating_record(micros.max(1));
                if let Reply::Error(e) = reply {
                    if let Some(to) = e.strip_prefix("MOVED 0 ") {
                        moved = Some(to.to_string());
                    }
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut first) = shared.first_error.lock() {
                        first.get_or_insert(e);
                    }
                }
                answered += 1;
                shared.done.fetch_add(1, Ordering::Relaxed);
                if answered == kinds.len() {
                    break;
                }
            }
            buf.drain(..used);
            if answered < kinds.len() {
                let n = stream
                    .read_buf(&mut buf)
                    .await
                    .map_err(|e| format!("{leader}: {e}"))?;
                if n == 0 {
                    return Err(format!("{leader} closed the connection"));
                }
            }
        }
    }
    Ok((writes, reads))
}
