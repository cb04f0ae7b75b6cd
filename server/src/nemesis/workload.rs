//! The clients: threads, each a session of verraft's client bound to a home node (every
//! request starts there and follows redirects), running puts, gets and compare-and-sets on
//! register keys and appends and gets on append keys, and recording every operation with
//! its real-time interval.
//!
//! Outcomes: an answer is an outcome; a definite refusal (`-ERR`) means the operation did not
//! happen and it is left out of the history; no answer in time (a timeout, connections
//! refused or dropped) is an unknown outcome — the operation may take effect later or never
//! — and the client then goes on as a new process with a new session, as Jepsen's do, so
//! that its operations stay one at a time.
//!
//! Keys: a handful are in use at once; each is retired after a fixed number of operations
//! and a fresh one takes its place, which keeps each key's history (the checker's unit of
//! work) small however long the run.
use crate::client::Client;
use crate::resp::Reply;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use verraft_checker::models::{KvInput, KvOutput};
use verraft_core::rng::SplitMix64;

/// One operation as a client saw it. Times are microseconds since the run's epoch.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The process (the checker's client): a thread, renumbered after an unknown outcome.
    pub process: u64,
    /// What was asked.
    pub input: KvInput,
    /// What was answered; `None` when unknown.
    pub output: Option<KvOutput>,
    /// When it was sent.
    pub call: u64,
    /// When the answer came (or the client gave up).
    pub ret: u64,
}

/// How the clients run.
#[derive(Clone, Debug)]
pub struct WorkloadOptions {
    /// Client threads.
    pub clients: usize,
    /// Operations per second, all clients together (each waits a random pause between
    /// operations, averaging `clients / rate`).
    pub rate: f64,
    /// Keys of each kind (register, append) in use at once.
    pub keys: usize,
    /// Operations on one key before it is retired.
    pub ops_per_key: u64,
    /// A node's time to answer before the request is tried elsewhere.
    pub attempt_timeout: Duration,
    /// Time after which an operation's outcome is unknown.
    pub op_timeout: Duration,
    /// Seeds each client's choice of operations.
    pub seed: u64,
    /// The nodes' client addresses.
    pub addrs: Vec<String>,
}

/// Counts of outcomes so far.
#[derive(Default, Debug)]
pub struct Counters {
    /// Answered.
    pub ok: AtomicU64,
    /// Refused for certain (not in the history).
    pub failed: AtomicU64,
    /// No answer in time.
    pub unknown: AtomicU64,
}

/// The two kinds of key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// Puts, gets, compare-and-sets of unique values.
    Register,
    /// Appends of unique tokens (each ending in a space) and gets.
    Append,
}

impl KeyKind {
    /// The kind of a key, by its name.
    pub fn of(key: &str) -> KeyKind {
        if key.starts_with('a') {
            KeyKind::Append
        } else {
            KeyKind::Register
        }
    }
}

/// Which key each slot uses now: slot `i` of a kind counts its operations, and every
/// `ops_per_key` of them moves it to its next generation.
struct KeySpace {
    counts: Vec<AtomicU64>,
    keys: usize,
    ops_per_key: u64,
}

impl KeySpace {
    fn name(kind: KeyKind, slot: usize, generation: u64) -> String {
        let prefix = match kind {
            KeyKind::Register => 'r',
            KeyKind::Append => 'a',
        };
        format!("{prefix}{slot}.{generation}")
    }

    fn index(&self, kind: KeyKind, slot: usize) -> usize {
        match kind {
            KeyKind::Register => slot,
            KeyKind::Append => self.keys + slot,
        }
    }

    /// The key for the next operation on `slot`.
    fn take(&self, kind: KeyKind, slot: usize) -> String {
        let n = self.counts[self.index(kind, slot)].fetch_add(1, Ordering::Relaxed);
        Self::name(kind, slot, n / self.ops_per_key)
    }

    /// Every key used so far.
    fn used(&self) -> Vec<String> {
        let mut out = Vec::new();
        for kind in [KeyKind::Register, KeyKind::Append] {
            for slot in 0..self.keys {
                let n = self.counts[self.index(kind, slot)].load(Ordering::Relaxed);
                for generation in 0..n.div_ceil(self.ops_per_key) {
                    out.push(Self::name(kind, slot, generation));
                }
            }
        }
        out
    }
}

/// The running clients.
pub struct Workload {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    log: Arc<Mutex<Vec<Recorded>>>,
    /// Outcome counts, for progress.
    pub counters: Arc<Counters>,
    keys: Arc<KeySpace>,
    next_process: Arc<AtomicU64>,
}

/// Microseconds since `epoch`.
pub fn micros(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The RESP command for an input.
fn command(input: &KvInput) -> Vec<String> {
    let s = |x: &str| x.to_string();
    match input {
        KvInput::Get { key } => vec![s("GET"), key.clone()],
        KvInput::Put { key, value } => vec![s("SET"), key.clone(), s(value.as_str())],
        KvInput::Append { key, value } => vec![s("APPEND"), key.clone(), s(value.as_str())],
        // From "" is from a missing key: the store's two-argument form.
        KvInput::Cas { key, from, to } if from.is_empty() => {
            vec![s("CAS"), key.clone(), s(to.as_str())]
        }
        KvInput::Cas { key, from, to } => {
            vec![s("CAS"), key.clone(), s(from.as_str()), s(to.as_str())]
        }
    }
}

/// What an answer means for `input`: its output, or why it is a definite refusal.
fn outcome(input: &KvInput, reply: Reply) -> Result<KvOutput, String> {
    match (input, reply) {
        (KvInput::Get { .. }, Reply::Bulk(v)) => Ok(KvOutput::Value(
            String::from_utf8_lossy(&v.unwrap_or_default())
                .as_ref()
                .into(),
        )),
        (KvInput::Put { .. } | KvInput::Append { .. }, Reply::Simple(s)) if s == "OK" => {
            Ok(KvOutput::Done)
        }
        (KvInput::Cas { .. }, Reply::Array(Some(items))) => match items.first() {
            Some(Reply::Int(n)) => Ok(KvOutput::Cas(*n == 1)),
            _ => Err(format!("malformed CAS answer {items:?}")),
        },
        (_, Reply::Error(e)) => Err(e),
        (_, other) => Err(format!("unexpected answer {other}")),
    }
}

/// Run one operation and say how it went.
pub fn run_op(client: &mut Client, input: &KvInput, epoch: Instant, process: u64) -> Done {
    let args = command(input);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let call = micros(epoch);
    let reply = client.request(&args);
    let ret = micros(epoch);
    let record = |output| Recorded {
        process,
        input: input.clone(),
        output,
        call,
        ret,
    };
    match reply {
        Ok(reply) => match outcome(input, reply) {
            Ok(out) => Done::Ok(record(Some(out))),
            Err(why) => Done::Refused(why),
        },
        Err(_) => Done::Unknown(record(None)),
    }
}

/// How an operation went.
pub enum Done {
    /// Answered.
    Ok(Recorded),
    /// Refused for certain: it did not happen.
    Refused(String),
    /// No answer in time.
    Unknown(Recorded),
}

struct ClientRun {
    index: usize,
    opts: WorkloadOptions,
    epoch: Instant,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Recorded>>>,
    counters: Arc<Counters>,
    keys: Arc<KeySpace>,
    next_process: Arc<AtomicU64>,
}

impl ClientRun {
    fn session(&self) -> Client {
        Client::new(self.opts.addrs.clone(), self.opts.op_timeout)
            .bound(self.index, self.opts.attempt_timeout)
    }

    fn run(self) {
        let mut rng = SplitMix64(self.opts.seed ^ (self.index as u64).wrapping_mul(0x9E37_79B9));
        let mut process = self.next_process.fetch_add(1, Ordering::Relaxed);
        let mut client = self.session();
        // The last value this client saw of each register key: what its next
        // compare-and-set expects.
        let mut seen: HashMap<String, String> = HashMap::new();
        let mean_pause_us = (self.opts.clients as f64 / self.opts.rate.max(0.001) * 1e6) as u64;
        let mut n = 0u64;
        while !self.stop.load(Ordering::Relaxed) {
            let pause = Duration::from_micros(rng.next_u64() % (2 * mean_pause_us + 1));
            std::thread::sleep(pause);
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            n += 1;
            let token = format!("{}.{n}", self.index);
            let slot = (rng.next_u64() % self.opts.keys as u64) as usize;
            let roll = rng.up_to(9);
            let input = if rng.next_u64() & 1 == 0 {
                let key = self.keys.take(KeyKind::Register, slot);
                match roll {
                    0..=3 => KvInput::Get { key },
                    4..=6 => KvInput::Put {
                        key,
                        value: token.as_str().into(),
                    },
                    _ => KvInput::Cas {
                        from: seen.get(&key).map_or("", String::as_str).into(),
                        key,
                        to: token.as_str().into(),
                    },
                }
            } else {
                let key = self.keys.take(KeyKind::Append, slot);
                match roll {
                    0..=3 => KvInput::Get { key },
                    _ => KvInput::Append {
                        key,
                        value: format!("{token} ").as_str().into(),
                    },
                }
            };
            match run_op(&mut client, &input, self.epoch, process) {
                Done::Ok(rec) => {
                    self.counters.ok.fetch_add(1, Ordering::Relaxed);
                    remember(&mut seen, &rec);
                    self.push(rec);
                }
                Done::Refused(_) => {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                }
                Done::Unknown(rec) => {
                    self.counters.unknown.fetch_add(1, Ordering::Relaxed);
                    self.push(rec);
                    process = self.next_process.fetch_add(1, Ordering::Relaxed);
                    client = self.session();
                }
            }
        }
    }

    fn push(&self, rec: Recorded) {
        if let Ok(mut log) = self.log.lock() {
            log.push(rec);
        }
    }
}

/// Note the value a register key was seen to hold after `rec`.
fn remember(seen: &mut HashMap<String, String>, rec: &Recorded) {
    match (&rec.input, &rec.output) {
        (KvInput::Get { key }, Some(KvOutput::Value(v)))
            if KeyKind::of(key) == KeyKind::Register =>
        {
            seen.insert(key.clone(), v.as_str().to_string());
        }
        (KvInput::Put { key, value }, Some(_))
        | (KvInput::Cas { key, to: value, .. }, Some(KvOutput::Cas(true))) => {
            seen.insert(key.clone(), value.as_str().to_string());
        }
        _ => {}
    }
}

impl Workload {
    /// Start the clients; their times count from `epoch`.
    pub fn start(opts: &WorkloadOptions, epoch: Instant) -> Workload {
        let keys = Arc::new(KeySpace {
            counts: (0..2 * opts.keys).map(|_| AtomicU64::new(0)).collect(),
            keys: opts.keys,
            ops_per_key: opts.ops_per_key.max(1),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let counters = Arc::new(Counters::default());
        let next_process = Arc::new(AtomicU64::new(0));
        let threads = (0..opts.clients)
            .map(|index| {
                let run = ClientRun {
                    index,
                    opts: opts.clone(),
                    epoch,
                    stop: stop.clone(),
                    log: log.clone(),
                    counters: counters.clone(),
                    keys: keys.clone(),
                    next_process: next_process.clone(),
                };
                std::thread::spawn(move || run.run())
            })
            .collect();
        Workload {
            stop,
            threads,
            log,
            counters,
            keys,
            next_process,
        }
    }

    /// Stop issuing operations, wait for those in flight (each bounded by the operation
    /// timeout), and hand over the history, every key used, and the next free process
    /// number.
    pub fn finish(self) -> (Vec<Recorded>, Vec<String>, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        let log = match Arc::try_unwrap(self.log) {
            Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
            Err(shared) => shared.lock().map(|l| l.clone()).unwrap_or_default(),
        };
        (
            log,
            self.keys.used(),
            self.next_process.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_retire_after_their_operations_and_all_are_listed() {
        let k = KeySpace {
            counts: (0..4).map(|_| AtomicU64::new(0)).collect(),
            keys: 2,
            ops_per_key: 3,
        };
        let names: Vec<String> = (0..4).map(|_| k.take(KeyKind::Append, 1)).collect();
        assert_eq!(names, ["a1.0", "a1.0", "a1.0", "a1.1"]);
        assert_eq!(k.take(KeyKind::Register, 0), "r0.0");
        assert_eq!(k.used(), ["r0.0", "a1.0", "a1.1"]);
        assert_eq!(KeyKind::of("a1.1"), KeyKind::Append);
    }

    #[test]
    fn answers_map_to_outputs_and_errors_to_refusals() {
        let get = KvInput::Get { key: "r0.0".into() };
        assert_eq!(
            outcome(&get, Reply::Bulk(None)),
            Ok(KvOutput::Value("".into()))
        );
        let cas = KvInput::Cas {
            key: "r0.0".into(),
            from: "".into(),
            to: "1.1".into(),
        };
        assert_eq!(command(&cas), ["CAS", "r0.0", "1.1"]);
        let swapped = Reply::Array(Some(vec![Reply::Int(1), Reply::Bulk(None)]));
        assert_eq!(outcome(&cas, swapped), Ok(KvOutput::Cas(true)));
        assert!(outcome(&get, Reply::Error("ERR no".into())).is_err());
        assert!(outcome(&cas, Reply::Simple("OK".into())).is_err());
    }
}
