//! The fuzzer as a bug hunter: the `schedule` target under cargo-fuzz, run as CI runs it
//! (`fuzz/run-schedule`: no sanitizer, release, only the Raft code in the coverage map),
//! from an empty corpus, with the bug forced on by `VERRAFT_FUZZ_BUGS`. Half of the budget
//! goes to the cluster sizes each input chooses (or the bug's own), the other half to five
//! nodes, where quorums overlap in fewer nodes. A crash input is decoded into its scenario
//! with the same options the target ran with. It needs the nightly toolchain and
//! cargo-fuzz: without them the engine says it is unavailable, never that it caught
//! anything.
use super::found::{Found, Hunt, Outcome};
use crate::progress::Progress;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use verraft_harness::options::{ENV_BUGS, ENV_FEATURES, ENV_NODES};
use verraft_harness::schedule::{self, Finding};
use verraft_harness::FuzzOptions;
use verraft_sim::Features;

/// What the fuzzer is held to for one hunt.
pub struct FuzzWorld {
    /// `none` or a bug name, as `VERRAFT_FUZZ_BUGS` takes it.
    pub bugs: String,
    pub nodes: Option<u8>,
    pub features: Option<Features>,
}

/// The fuzz crate's folder: `fuzz/` under the current directory, else the one beside the
/// source this binary was built from.
pub fn fuzz_dir() -> PathBuf {
    let here = PathBuf::from("fuzz");
    if here.join("run-schedule").is_file() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Why the fuzzer cannot run here, if it cannot.
pub fn unavailable(dir: &Path) -> Option<String> {
    if !dir.join("run-schedule").is_file() {
        return Some(format!("no fuzz/run-schedule at {}", dir.display()));
    }
    let works = |args: &[&str]| {
        Command::new("cargo")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !works(&["+nightly", "--version"]) {
        return Some("the nightly toolchain is missing".into());
    }
    if !works(&["+nightly", "fuzz", "--version"]) {
        return Some("cargo-fuzz is missing (cargo install cargo-fuzz)".into());
    }
    None
}

/// Build the target once, before any budget is spent (`-runs=0` runs nothing).
pub fn build(dir: &Path, work: &Path) -> Result<(), String> {
    let corpus = work.join("build-corpus");
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let log = work.join("build.log");
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let status = Command::new(dir.join("run-schedule"))
        .arg(&corpus)
        .args(["--", "-runs=0"])
        .env(ENV_BUGS, "none")
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| format!("cannot run run-schedule: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "building the fuzz target failed ({status}); see {}",
            log.display()
        ))
    }
}

pub fn hunt(
    dir: &Path,
    work: &Path,
    world: &FuzzWorld,
    budget: Duration,
    interrupt: Arc<AtomicBool>,
    progress: &mut Progress,
    label: &str,
) -> Hunt {
    let started = Instant::now();
    let half = budget / 2;
    let mut notes = Vec::new();
    for (phase, nodes) in [(1, world.nodes), (2, Some(5))] {
        let time = if phase == 1 {
            half
        } else {
            budget.saturating_sub(started.elapsed())
        };
        let sizes = nodes.map_or("3-5 nodes".to_string(), |n| format!("{n} nodes"));
        progress.update(|| format!("{label}: fuzzing at {sizes}"));
        let run = run_phase(dir, work, world, nodes, time, &interrupt, phase);
        let run = match run {
            Ok(r) => r,
            Err(e) => {
                return Hunt {
                    outcome: Outcome::Failed,
                    spent: started.elapsed(),
                    note: e,
                }
            }
        };
        match run {
            Phase::Crashed(found) => {
                notes.push(format!("crash at {sizes}"));
                let elapsed = started.elapsed();
                return Hunt {
                    outcome: Outcome::Found(Box::new(Found { elapsed, ..*found })),
                    spent: elapsed,
                    note: notes.join("; "),
                };
            }
            Phase::Clean => notes.push(format!("{:.0} s at {sizes}", time.as_secs_f64())),
            Phase::Interrupted => {
                return Hunt {
                    outcome: Outcome::Interrupted,
                    spent: started.elapsed(),
                    note: notes.join("; "),
                }
            }
        }
    }
    Hunt {
        outcome: Outcome::NotFound,
        spent: started.elapsed(),
        note: notes.join("; "),
    }
}

enum Phase {
    Crashed(Box<Found>),
    Clean,
    Interrupted,
}

fn run_phase(
    dir: &Path,
    work: &Path,
    world: &FuzzWorld,
    nodes: Option<u8>,
    time: Duration,
    interrupt: &AtomicBool,
    phase: u32,
) -> Result<Phase, String> {
    let here = work.join(format!("{}-{phase}", world.bugs));
    let corpus = here.join("corpus");
    let artifacts = here.join("artifacts");
    for d in [&corpus, &artifacts] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let log = here.join("fuzz.log");
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(dir.join("run-schedule"));
    cmd.arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={}", time.as_secs().max(1)))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-max_len=300")
        .env(ENV_BUGS, &world.bugs)
        .env_remove(ENV_NODES)
        .env_remove(ENV_FEATURES)
        .stdout(out)
        .stderr(err);
    let nodes_value = nodes.map(|n| n.to_string());
    let features_value = world.features.map(|f| f.list());
    if let Some(n) = &nodes_value {
        cmd.env(ENV_NODES, n);
    }
    if let Some(f) = &features_value {
        cmd.env(ENV_FEATURES, f);
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run run-schedule: {e}"))?;
    let status = loop {
        if interrupt.load(Ordering::Relaxed) {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Phase::Interrupted);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for the fuzzer: {e}")),
        }
    };
    let elapsed = started.elapsed();
    let crash = std::fs::read_dir(&artifacts)
        .map_err(|e| format!("{}: {e}", artifacts.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("crash-"))
        });
    let Some(crash) = crash else {
        return if status.success() {
            Ok(Phase::Clean)
        } else {
            Err(format!(
                "the fuzzer failed without a crash input ({status}); see {}",
                log.display()
            ))
        };
    };
    let bytes = std::fs::read(&crash).map_err(|e| format!("{}: {e}", crash.display()))?;
    let opts = FuzzOptions::from_values(
        Some(&world.bugs),
        nodes_value.as_deref(),
        features_value.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    match schedule::check(&bytes, &opts)? {
        Ok(()) => Err(format!(
            "the crash input {} runs clean when decoded again",
            crash.display()
        )),
        Err(failure) => match failure.finding {
            Finding::Violation { violation, .. } => Ok(Phase::Crashed(Box::new(Found {
                elapsed,
                invariant: violation.invariant,
                scenario: failure.scenario,
            }))),
            other => Err(format!(
                "the crash input {} is not a violation: {other:?}",
                crash.display()
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_fuzz_crate_makes_the_engine_unavailable_not_silent() {
        let why = unavailable(Path::new("/no/such/fuzz")).expect("unavailable");
        assert!(why.contains("run-schedule"), "{why}");
    }
}
