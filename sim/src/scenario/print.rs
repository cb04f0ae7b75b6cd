use super::Scenario;
use crate::config::{CrashMode, Limits, Timing, DEFAULT_SNAPSHOT_EVERY};
use std::fmt::Write;
use verraft_kv::KvOp;

pub fn print(s: &Scenario) -> String {
    let mut out = String::from("# verraft scenario\n");
    for note in &s.notes {
        if note.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {note}");
        }
    }
    let c = &s.config;
    let _ = writeln!(out, "nodes {}", c.nodes);
    if let Some(v) = c.voters {
        let _ = writeln!(out, "voters {v}");
    }
    let bugs: Vec<&str> = c.bugs.iter().map(|b| b.name()).collect();
    let _ = writeln!(
        out,
        "bugs {}",
        if bugs.is_empty() {
            "none".into()
        } else {
            bugs.join(",")
        }
    );
    let faults = c.faults.names();
    let _ = writeln!(
        out,
        "faults {}",
        if faults.is_empty() {
            "none".into()
        } else {
            faults.join(",")
        }
    );
    let _ = writeln!(out, "features {}", c.features.list());
    // Written whenever it matters or differs from what a file without it reads as.
    if c.features.snapshots || c.snapshot_every != DEFAULT_SNAPSHOT_EVERY {
        let _ = writeln!(out, "snapshot-every {}", c.snapshot_every);
    }
    if c.features.lease_reads || c.timing != Timing::DEFAULT {
        let t = c.timing;
        let _ = writeln!(
            out,
            "timing election={} jitter={} heartbeat={} drift={}",
            t.election_ticks, t.election_jitter, t.heartbeat_ticks, t.clock_drift
        );
    }
    let mode = match c.crash_mode {
        CrashMode::KeepUnsynced => "keep-unsynced",
        CrashMode::LoseUnsynced => "lose-unsynced",
    };
    let _ = writeln!(out, "crash-mode {mode}");
    let _ = writeln!(out, "max-append {}", c.max_append_entries);
    let limits = limits_text(&c.limits);
    if !limits.is_empty() {
        let _ = writeln!(out, "limits {limits}");
    }
    let _ = writeln!(out, "seed {}", c.seed);
    if !c.auxiliary {
        // Only the properties of Figure 3 are checked (see `WorldConfig::auxiliary`).
        out.push_str("auxiliary off\n");
    }
    if let Some(bound) = c.quiet_phase {
        let _ = writeln!(out, "quiet-phase {bound}");
    }
    for (i, script) in c.clients.iter().enumerate() {
        let ops: Vec<String> = script.iter().map(op_text).collect();
        let _ = writeln!(out, "client c{} {}", i + 1, ops.join("; "));
    }
    match s.expect {
        Some(inv) => {
            let _ = writeln!(out, "expect {inv}");
        }
        None => out.push_str("expect none\n"),
    }
    for step in &s.steps {
        let line = step.event.to_string();
        match &step.comment {
            Some(c) => {
                let _ = writeln!(out, "{line:<40} # {c}");
            }
            None => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

pub(super) fn limits_text(l: &Limits) -> String {
    let parts = [
        ("term", l.max_term),
        ("crashes", l.max_crashes.map(u64::from)),
        ("in-flight", l.max_in_flight.map(u64::from)),
        ("partitions", l.max_partitions.map(u64::from)),
        ("client-timeouts", l.max_client_timeouts.map(u64::from)),
        ("heartbeats", l.max_heartbeats.map(u64::from)),
        ("snapshots", l.max_snapshots.map(u64::from)),
        ("transfers", l.max_transfers.map(u64::from)),
        ("ticks", l.max_ticks.map(u64::from)),
        ("losses", l.max_losses.map(u64::from)),
        ("elections", l.max_elections.map(u64::from)),
        ("reconfigs", l.max_reconfigs.map(u64::from)),
    ];
    parts
        .iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name}={v}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An operation as written in a `client` line. `-` stands for "absent" in a cas.
pub fn op_text(op: &KvOp) -> String {
    op.to_string()
}
