//! The nemesis (`verraft nemesis`): a local cluster of real `verraft node` processes, their
//! peer links through proxies of this process, concurrent clients with sessions, and a
//! seeded schedule of faults — SIGKILL and restart, SIGSTOP and SIGCONT, links cut one way
//! or both, clocks run fast or slow — then every fault healed, every node restarted, every
//! key read back, and the whole history judged by verraft's linearizability checker.
//!
//! Loopback only, bounded in time (the run's duration, each operation's timeout, the final
//! phase's limits) and in rate (the clients' operations per second).
pub mod cluster;
pub mod inject;
pub mod judge;
pub mod proxy;
pub mod schedule;
pub mod workload;

use crate::client::Client;
use cluster::LiveCluster;
use judge::Anomaly;
use schedule::{schedule, FaultSet};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use verraft_checker::models::KvInput;
use verraft_checker::{CheckResult, Outcome, Verdict};
use verraft_core::{Bug, NodeId};
use workload::{run_op, Done, Recorded, Workload, WorkloadOptions};

/// How to run.
#[derive(Clone, Debug)]
pub struct NemesisOptions {
    /// The `verraft` binary the nodes run.
    pub exe: PathBuf,
    /// The run's directory (created): cluster.json, each node's data and log; on a failure
    /// the history and its HTML view too. Removed after a clean run unless `keep`.
    pub dir: PathBuf,
    /// Nodes.
    pub nodes: u8,
    /// How long faults are injected (the final phase comes after).
    pub duration: Duration,
    /// Seeds the fault schedule and the clients' choices.
    pub seed: u64,
    /// The kinds of fault.
    pub faults: FaultSet,
    /// Seeded bugs switched on in every node.
    pub bugs: Vec<Bug>,
    /// Client threads.
    pub clients: usize,
    /// Operations per second, all clients together.
    pub rate: f64,
    /// Time the checker may take.
    pub check_timeout: Duration,
    /// Keep the run's directory after a clean run too.
    pub keep: bool,
}

/// What the run is doing, for a progress display.
#[derive(Clone, Debug)]
pub struct Status {
    /// Since the run started.
    pub elapsed: Duration,
    /// The phase, in words.
    pub phase: &'static str,
    /// Operations answered, refused, and of unknown outcome so far.
    pub ok: u64,
    /// Refused for certain.
    pub refused: u64,
    /// Of unknown outcome.
    pub unknown: u64,
    /// Faults injected so far.
    pub faults: usize,
    /// The fault in force, if any.
    pub current: Option<String>,
}

/// What the run tells as it goes.
pub enum Event<'a> {
    /// Where it stands (often).
    Status(&'a Status),
    /// Something that happened (a fault injected or healed, a phase begun).
    Line(String),
}

/// A fault as it was carried out.
#[derive(Clone, Debug)]
pub struct Injected {
    /// Since the clients started.
    pub at: Duration,
    /// Its kind's name.
    pub kind: &'static str,
    /// What was done, naming the nodes.
    pub text: String,
}

/// What the run found.
#[derive(Debug)]
pub struct Report {
    /// Operations in the history (final reads not counted).
    pub operations: usize,
    /// Of them answered.
    pub ok: u64,
    /// Refused for certain (left out of the history).
    pub refused: u64,
    /// Of unknown outcome.
    pub unknown: u64,
    /// Keys used.
    pub keys: usize,
    /// Final reads answered, of `keys`.
    pub final_answered: usize,
    /// The faults carried out.
    pub faults: Vec<Injected>,
    /// Nodes that exited on their own (not killed by the nemesis), with their status.
    pub exited: Vec<(NodeId, String)>,
    /// The checker's result.
    pub check: CheckResult,
    /// Appends the final reads do not account for.
    pub anomalies: Vec<Anomaly>,
    /// Stopped early by Ctrl-C: the schedule was cut short.
    pub interrupted: bool,
    /// Where the history, its HTML view and the node logs were kept (on a failure or with
    /// `keep`).
    pub kept: Option<Kept>,
    /// The whole run's time.
    pub elapsed: Duration,
}

/// The files kept.
#[derive(Clone, Debug)]
pub struct Kept {
    /// The run's directory.
    pub dir: PathBuf,
    /// The history, in verraft's JSON.
    pub history: PathBuf,
    /// The checker's HTML view.
    pub html: PathBuf,
    /// The faults carried out, one a line.
    pub faults: PathBuf,
    /// Each node's log.
    pub logs: Vec<PathBuf>,
}

impl Report {
    /// Whether the run found a bug: a history that is not linearizable, an acknowledged
    /// write lost or a write applied twice, a node that exited on its own, or keys the
    /// healed cluster would not read back.
    pub fn failed(&self) -> bool {
        self.check.verdict == Verdict::NotLinearizable
            || !self.anomalies.is_empty()
            || !self.exited.is_empty()
            || self.final_answered < self.keys
    }

    /// Faults by kind.
    pub fn faults_by_kind(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for f in &self.faults {
            *m.entry(f.kind).or_insert(0) += 1;
        }
        m
    }

    /// The first part (key) the checker found not linearizable, and its explanation.
    pub fn violation(&self) -> Option<(String, String)> {
        self.check.parts.iter().find_map(|p| match &p.outcome {
            Outcome::NotLinearizable { explanation } => {
                Some((p.label.clone(), explanation.to_string()))
            }
            _ => None,
        })
    }
}

/// How long an operation may go unanswered before its outcome is unknown.
const OP_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one node may take to answer before the client tries another.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long the healed cluster has to elect a leader, and the final reads to be answered.
const RECOVERY_LIMIT: Duration = Duration::from_secs(30);

struct Run<'a> {
    interrupt: &'a AtomicBool,
    events: &'a mut dyn for<'e> FnMut(Event<'e>),
    started: Instant,
    status: Status,
}

impl Run<'_> {
    fn line(&mut self, text: String) {
        (self.events)(Event::Line(text));
    }

    fn show(&mut self, workload: Option<&Workload>) {
        self.status.elapsed = self.started.elapsed();
        if let Some(w) = workload {
            self.status.ok = w.counters.ok.load(Ordering::Relaxed);
            self.status.refused = w.counters.failed.load(Ordering::Relaxed);
            self.status.unknown = w.counters.unknown.load(Ordering::Relaxed);
        }
        let status = self.status.clone();
        (self.events)(Event::Status(&status));
    }

    /// Wait until `until`, showing progress; false when interrupted first.
    fn wait(&mut self, until: Instant, workload: &Workload) -> bool {
        while Instant::now() < until {
            if self.interrupt.load(Ordering::Relaxed) {
                return false;
            }
            self.show(Some(workload));
            std::thread::sleep(
                Duration::from_millis(100).min(until.saturating_duration_since(Instant::now())),
            );
        }
        !self.interrupt.load(Ordering::Relaxed)
    }
}

/// Run the nemesis. `Err` when it could not run at all (no node process, no first leader);
/// a run that ran gives a [`Report`], whose [`Report::failed`] is the verdict.
pub fn run(
    opts: &NemesisOptions,
    interrupt: &AtomicBool,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Report, String> {
    std::fs::create_dir_all(&opts.dir).map_err(|e| format!("{}: {e}", opts.dir.display()))?;
    let mut run = Run {
        interrupt,
        events,
        started: Instant::now(),
        status: Status {
            elapsed: Duration::ZERO,
            phase: "starting the cluster",
            ok: 0,
            refused: 0,
            unknown: 0,
            faults: 0,
            current: None,
        },
    };
    run.show(None);
    let mut cluster = LiveCluster::start(&opts.exe, &opts.dir, opts.nodes, &opts.bugs, true)?;
    if cluster.wait_leader(RECOVERY_LIMIT).is_none() {
        return Err(format!(
            "no leader within {} s of starting the cluster (node logs in {})",
            RECOVERY_LIMIT.as_secs(),
            opts.dir.display()
        ));
    }
    let epoch = Instant::now();
    let workload = Workload::start(
        &WorkloadOptions {
            clients: opts.clients,
            rate: opts.rate,
            keys: 3,
            ops_per_key: 150,
            attempt_timeout: ATTEMPT_TIMEOUT,
            op_timeout: OP_TIMEOUT,
            seed: opts.seed,
            addrs: cluster.client_addrs(),
        },
        epoch,
    );
    run.status.phase = "faults";
    let mut faults = Vec::new();
    let mut exited = Vec::new();
    let mut interrupted = false;
    for episode in schedule(opts.seed, opts.faults, opts.duration) {
        if !run.wait(epoch + episode.at, &workload) {
            interrupted = true;
            break;
        }
        // A fault that cannot be done (a node that does not answer its clock command) is
        // told and skipped: the run goes on, and what it recorded is still judged.
        let (undo, text) = match inject::inject(&mut cluster, &episode) {
            Ok(done) => done,
            Err(e) => {
                run.line(format!("could not inject {}: {e}", episode.fault));
                continue;
            }
        };
        let at = epoch.elapsed();
        run.line(format!("{:>7.1} s  {text}", at.as_secs_f64()));
        faults.push(Injected {
            at,
            kind: episode.fault.kind(),
            text: text.clone(),
        });
        run.status.faults = faults.len();
        run.status.current = Some(text);
        interrupted = !run.wait(Instant::now() + episode.hold, &workload);
        match inject::heal(&mut cluster, &undo) {
            Ok(healed) if !healed.is_empty() => run.line(format!(
                "{:>7.1} s  {healed}",
                epoch.elapsed().as_secs_f64()
            )),
            Ok(_) => {}
            Err(e) => run.line(format!("could not heal: {e} (healed at the end)")),
        }
        run.status.current = None;
        for (id, status) in cluster.exited() {
            run.line(format!("n{id} EXITED on its own ({status}): see its log"));
            exited.push((id, status));
        }
        if interrupted {
            break;
        }
    }
    if !interrupted && !run.wait(epoch + opts.duration, &workload) {
        interrupted = true;
    }
    run.status.phase = "stopping the clients";
    run.show(Some(&workload));
    let (ok, refused, unknown) = (
        workload.counters.ok.load(Ordering::Relaxed),
        workload.counters.failed.load(Ordering::Relaxed),
        workload.counters.unknown.load(Ordering::Relaxed),
    );
    let (ops, keys, next_process) = workload.finish();
    run.status.phase = "healing and restarting every node";
    run.show(None);
    run.line("healing every fault, restarting every node, reading every key back".into());
    // Should a node not start again, its keys go unread and the run fails with its log kept.
    if let Err(e) = cluster.heal().and_then(|()| cluster.restart_all()) {
        run.line(format!("could not restart every node: {e}"));
    }
    let _ = cluster.wait_leader(RECOVERY_LIMIT);
    run.status.phase = "final reads";
    run.show(None);
    let finals = final_reads(&cluster.client_addrs(), &keys, epoch, next_process);
    for (id, status) in cluster.exited() {
        run.line(format!("n{id} EXITED on its own ({status}): see its log"));
        exited.push((id, status));
    }
    cluster.stop();
    drop(cluster);

    run.status.phase = "checking";
    run.show(None);
    let history = judge::history(&ops, &finals)?;
    let check = judge::linearizable(&history, opts.check_timeout);
    let anomalies = judge::anomalies(&ops, &finals);
    let mut report = Report {
        operations: ops.len(),
        ok,
        refused,
        unknown,
        keys: keys.len(),
        final_answered: finals.iter().filter(|r| r.output.is_some()).count(),
        faults,
        exited,
        check,
        anomalies,
        interrupted,
        kept: None,
        elapsed: Duration::ZERO,
    };
    if report.failed() || opts.keep {
        let title = format!("verraft nemesis, seed {}", opts.seed);
        let (json, html) = judge::keep(&opts.dir, &history, &report.check, &title)?;
        let faults_file = opts.dir.join("faults.txt");
        let lines: Vec<String> = report
            .faults
            .iter()
            .map(|f| format!("{:>7.1} s  {}\n", f.at.as_secs_f64(), f.text))
            .collect();
        std::fs::write(&faults_file, lines.concat())
            .map_err(|e| format!("{}: {e}", faults_file.display()))?;
        report.kept = Some(Kept {
            dir: opts.dir.clone(),
            history: json,
            html,
            faults: faults_file,
            logs: (1..=opts.nodes)
                .map(|id| crate::cluster_file::node_paths(&opts.dir, id).1)
                .collect(),
        });
    } else {
        let _ = std::fs::remove_dir_all(&opts.dir);
    }
    report.elapsed = run.started.elapsed();
    Ok(report)
}

/// Read every key once the cluster is healed, each read retried until answered or the
/// recovery limit has passed; the reads, recorded as operations of processes of their own.
fn final_reads(addrs: &[String], keys: &[String], epoch: Instant, first: u64) -> Vec<Recorded> {
    let deadline = Instant::now() + RECOVERY_LIMIT;
    let mut process = first;
    let mut out = Vec::new();
    for key in keys {
        let input = KvInput::Get { key: key.clone() };
        let left = deadline.saturating_duration_since(Instant::now());
        let mut client = Client::new(addrs.to_vec(), left.max(Duration::from_millis(1)));
        match run_op(&mut client, &input, epoch, process) {
            Done::Ok(rec) => out.push(rec),
            // A refused read did nothing: left out, like every refusal, and so unanswered.
            Done::Refused(_) => {}
            Done::Unknown(rec) => {
                out.push(rec);
                process += 1;
            }
        }
    }
    out
}
