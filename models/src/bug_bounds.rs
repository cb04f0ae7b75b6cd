//! What each seeded bug needs to be found, written once: the model checker's bounds, the
//! random simulator's options and the fuzzer's forced world. `verraft bughunt` runs every
//! engine with these; the "found by" line of each `corpus/regressions/check-BUG.scn` is the
//! `verraft check` command these bounds give (a test holds the two together), and the
//! README's table of seeded bugs names the same cluster sizes, crash modes and features.
use crate::bounds::Bounds;
use verraft_core::{Bug, BugSet};
use verraft_sim::random::SimOptions;
use verraft_sim::{CrashMode, Faults, Features};

/// How to look for one seeded bug with each engine.
#[derive(Clone, Debug)]
pub struct BugBounds {
    pub bug: Bug,
    /// The bounds of `verraft check` (the bug switched on, every invariant checked).
    pub check: Bounds,
    /// The options of `verraft sim` (the bug switched on).
    pub sim: SimOptions,
    /// The cluster size the fuzzer is held to (`VERRAFT_FUZZ_NODES`); `None` lets each input
    /// choose 3, 4 or 5 nodes.
    pub fuzz_nodes: Option<u8>,
    /// The features the fuzzer is held to (`VERRAFT_FUZZ_FEATURES`); `None` lets each input
    /// choose.
    pub fuzz_features: Option<Features>,
}

/// The small world most bugs of elections and replication show in: three nodes, two terms,
/// no client operation (a leader's no-op is an entry to replicate), reordering, three
/// messages in flight, one heartbeat, the Figure 2 core.
fn small(bug: Bug) -> Bounds {
    Bounds {
        nodes: 3,
        max_term: 2,
        max_log: Some(3),
        max_ops: 0,
        clients: 1,
        crashes: 0,
        faults: Faults {
            reorder: true,
            ..Faults::NONE
        },
        features: Features::NONE,
        snapshot_every: 2,
        snapshots: 0,
        transfers: 1,
        ticks: 8,
        max_in_flight: 3,
        heartbeats: 1,
        losses: None,
        elections: None,
        reconfigs: 0,
        voters: None,
        partitions: 0,
        client_timeouts: 0,
        crash_mode: CrashMode::KeepUnsynced,
        max_append: 64,
        bugs: BugSet::NONE.with(bug),
        auxiliary: true,
    }
}

/// Only message loss, one message in flight: a deposed leader that missed the news, or a
/// follower that missed an append.
fn lossy(bug: Bug) -> Bounds {
    Bounds {
        faults: Faults {
            loss: true,
            ..Faults::NONE
        },
        max_in_flight: 1,
        ..small(bug)
    }
}

/// The model checker's bounds for `bug`. The first nine are the bounds that found
/// `corpus/regressions/check-BUG.scn`; the others were chosen from what the bug needs and
/// are measured by `verraft bughunt`.
pub fn check_bounds(bug: Bug) -> Bounds {
    match bug {
        // A duplicated grant counts twice only where a majority needs two other votes.
        Bug::VoteCount => Bounds {
            nodes: 4,
            max_term: 1,
            faults: Faults {
                duplication: true,
                reorder: true,
                ..Faults::NONE
            },
            max_in_flight: 5,
            ..small(bug)
        },
        // A grant of term 1 still in flight when its candidate starts term 2.
        Bug::StaleTermVote => small(bug),
        Bug::ForgetVote => Bounds {
            max_in_flight: 4,
            ..small(bug)
        },
        Bug::NoPersistVote => Bounds {
            max_term: 1,
            crashes: 1,
            faults: Faults {
                crash: true,
                ..Faults::NONE
            },
            ..small(bug)
        },
        Bug::NoUpToDateCheck | Bug::WrongQuorum => small(bug),
        // Two leaders writing index 1 in different terms, then an append after it.
        Bug::PrevTermSkip => Bounds {
            max_term: 3,
            ..lossy(bug)
        },
        // An append lost, the next one (a client's entry after the no-op) arriving.
        Bug::GapAppend => Bounds {
            max_term: 1,
            max_ops: 1,
            max_in_flight: 2,
            ..lossy(bug)
        },
        // Figure 8 needs four terms and appends of one entry at a time.
        Bug::Figure8 => Bounds {
            max_term: 4,
            max_log: Some(2),
            heartbeats: 0,
            max_append: 1,
            ..lossy(bug)
        },
        // A follower's stale suffix past what one-entry appends have matched.
        Bug::CommitOverrun => Bounds {
            max_term: 3,
            max_append: 1,
            ..lossy(bug)
        },
        Bug::AckBeforeSync => Bounds {
            crashes: 1,
            faults: Faults {
                crash: true,
                ..Faults::NONE
            },
            max_in_flight: 1,
            crash_mode: CrashMode::LoseUnsynced,
            ..small(bug)
        },
        // The model's clients only put fresh values and get them, and a retry reaches the
        // leader at once, so its copy lands next to the first: applied twice in a row, a
        // put changes nothing a read can see. The model cannot show this bug (the
        // simulator's appends can); these bounds, a client with a retry, are small enough
        // to be searched to the end, which says so.
        Bug::DedupLost => Bounds {
            max_term: 1,
            max_log: Some(4),
            max_ops: 2,
            client_timeouts: 1,
            ..small(bug)
        },
        Bug::LocalRead => Bounds {
            max_ops: 2,
            features: Features {
                read_index: true,
                ..Features::NONE
            },
            ..lossy(bug)
        },
        Bug::SnapshotCut => Bounds {
            max_ops: 1,
            features: Features {
                snapshots: true,
                ..Features::NONE
            },
            snapshot_every: 1,
            ..lossy(bug)
        },
        // Four voters: the leader of term 1 removes one before its no-op commits, the
        // leader of term 2 (elected without that entry) removes another, and the two
        // changes' majorities miss each other. Config Lineage breaks as the second change
        // is appended (12 events); Figure 3's properties need a third term for the old
        // leader to win with its own configuration and overwrite a commit (21 events, out
        // of reach of an exhaustive search: 85 M states in 20 minutes). No fault is needed:
        // the messages that would spoil the schedule stay in flight, hence the room for 11.
        Bug::EarlyConfig => Bounds {
            nodes: 4,
            max_term: 2,
            max_log: Some(2),
            reconfigs: 2,
            elections: Some(2),
            features: Features {
                membership: true,
                ..Features::NONE
            },
            faults: Faults::NONE,
            max_in_flight: 11,
            heartbeats: 0,
            ..small(bug)
        },
        // `verraft check --preset lease`: a model that keeps time, a partition, two
        // clients with two writes and a read.
        Bug::LeaseDrift => Bounds {
            max_log: Some(4),
            max_ops: 3,
            clients: 2,
            partitions: 1,
            faults: Faults {
                partition: true,
                ..Faults::NONE
            },
            features: Features {
                lease_reads: true,
                snapshots: false,
                transfer: false,
                ..Features::ALL
            },
            max_in_flight: 1,
            ..small(bug)
        },
    }
}

/// The random simulator's options for `bug`: the defaults of `verraft sim` with the bug on,
/// four nodes for vote-count (with three, a duplicated grant only repeats a majority that
/// is there anyway), and lease reads eligible for lease-drift. Crashes lose unsynced
/// writes (the default of `sim`), which ack-before-sync needs.
pub fn sim_options(bug: Bug) -> SimOptions {
    let mut o = SimOptions {
        bugs: BugSet::NONE.with(bug),
        crash_mode: CrashMode::LoseUnsynced,
        ..SimOptions::default()
    };
    match bug {
        Bug::VoteCount => o.nodes = 4,
        // Membership changes on, four voters and a spare to add.
        Bug::EarlyConfig => {
            o.features = Features {
                membership: true,
                ..Features::ALL
            };
            o.nodes = 5;
            o.voters = Some(4);
        }
        // Lease reads, and runs long enough in ticks for a leader to win its lease, be cut
        // off, and a new leader to be elected and commit while it still believes in it,
        // with clients that still have operations left by then. Other faults only cut that
        // window short (a crash ends the old leader; losses delay the new one).
        Bug::LeaseDrift => {
            o.features = Features {
                lease_reads: true,
                ..Features::ALL
            };
            o.faults = Faults {
                partition: true,
                ..Faults::NONE
            };
            o.steps = 1000;
            o.ops_per_client = 20;
        }
        _ => {}
    }
    o
}

/// Everything for `bug`.
pub fn bug_bounds(bug: Bug) -> BugBounds {
    let sim = sim_options(bug);
    BugBounds {
        bug,
        check: check_bounds(bug),
        fuzz_nodes: matches!(bug, Bug::VoteCount | Bug::EarlyConfig).then_some(sim.nodes),
        fuzz_features: matches!(bug, Bug::LeaseDrift | Bug::EarlyConfig).then_some(sim.features),
        sim,
    }
}

/// The world each engine runs for the correct core, with the same budget: every bug's
/// bounds must hold there, so the widest of them is not needed; the default bound set of
/// `verraft check` and the defaults of `verraft sim` are.
pub fn correct_core() -> (Bounds, SimOptions) {
    (Bounds::default(), SimOptions::default())
}

/// The `verraft check` command (without `verraft`) these bounds give: what a "found by"
/// line records.
pub fn check_command(b: &Bounds) -> String {
    format!("check {}", b.to_flags().join(" "))
}

/// The `verraft sim` command (without `verraft`) that hunts `bug` as `sim_options` does:
/// only what differs from `sim`'s defaults is spelled out.
pub fn sim_command(bug: Bug) -> String {
    let o = sim_options(bug);
    let d = SimOptions::default();
    let mut cmd = format!("sim --bug {bug}");
    if o.nodes != d.nodes {
        cmd += &format!(" --nodes {}", o.nodes);
    }
    if let Some(v) = o.voters {
        cmd += &format!(" --voters {v}");
    }
    if o.features != d.features {
        // `all` and what it leaves out (lease reads) when the bug's features include it.
        let all = Features::ALL.names();
        let names = o.features.names();
        let list = if all.iter().all(|n| names.contains(n)) {
            let extra: Vec<&str> = names.into_iter().filter(|n| !all.contains(n)).collect();
            format!("all,{}", extra.join(","))
        } else {
            o.features.list()
        };
        cmd += &format!(" --features {list}");
    }
    if o.faults != d.faults {
        cmd += &format!(" --faults {}", o.faults.list());
    }
    if o.steps != d.steps {
        cmd += &format!(" --steps {}", o.steps);
    }
    if o.clients != d.clients {
        cmd += &format!(" --clients {}", o.clients);
    }
    if o.ops_per_client != d.ops_per_client {
        cmd += &format!(" --ops {}", o.ops_per_client);
    }
    if o.crash_mode == CrashMode::KeepUnsynced {
        cmd += " --keep-unsynced";
    }
    cmd
}

/// The README's table of what each bug is hunted with, one row per bug: the `verraft
/// check` and `verraft sim` commands of this table. A test holds the README to it.
pub fn readme_row(bug: Bug) -> String {
    let b = bug_bounds(bug);
    let fuzz = match (b.fuzz_nodes, b.fuzz_features) {
        (None, None) => "each input chooses".to_string(),
        (nodes, features) => {
            let mut v = Vec::new();
            if let Some(n) = nodes {
                v.push(format!("`VERRAFT_FUZZ_NODES={n}`"));
            }
            if let Some(f) = features {
                v.push(format!("`VERRAFT_FUZZ_FEATURES={}`", f.list()));
            }
            v.join(" ")
        }
    };
    format!(
        "| {bug} | `verraft {}` | `verraft {}` | {fuzz} |",
        check_command(&b.check),
        sim_command(bug)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bug_has_valid_bounds_with_itself_switched_on() {
        for bug in Bug::ALL {
            let b = bug_bounds(bug);
            b.check.validate().unwrap_or_else(|e| panic!("{bug}: {e}"));
            assert_eq!(b.check.bugs.iter().collect::<Vec<_>>(), vec![bug]);
            assert_eq!(b.sim.bugs.iter().collect::<Vec<_>>(), vec![bug]);
        }
    }

    #[test]
    fn the_correct_core_has_no_bug() {
        let (b, s) = correct_core();
        assert!(b.bugs.is_empty() && s.bugs.is_empty());
    }
}
