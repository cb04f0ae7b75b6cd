//! What the checker verifies. Every `always` property reads the violation the world itself
//! recorded after the event (the invariant code in sim, never a copy). The `sometimes`
//! properties show the model is not vacuous: a check in which no leader is ever elected
//! would pass every safety property and prove nothing.
use crate::model::{RaftModel, State};
use stateright::Property;
use std::cell::RefCell;
use std::collections::HashMap;
use verraft_core::{Index, Membership, Payload, Term};
use verraft_kv::KvNode;
use verraft_kv::{KvOp, KvOutput};
use verraft_sim::{Invariant, World};

/// The invariants the world checks after every event, each an `always` property.
pub const CHECKED: [Invariant; 20] = Invariant::PER_EVENT;

pub const LEADER_ELECTED: &str = "a leader is elected";
pub const ENTRY_COMMITS: &str = "an entry commits";
pub const COMMAND_COMMITS: &str = "a client command commits";
pub const CRASH_CATCH_UP: &str = "a node crashes, restarts and catches up";
pub const READ_SEES_WRITE: &str = "a client read returns a written value";
pub const LEADER_REPLACED: &str = "a leader is replaced";
pub const QUORUM_LOST: &str = "a leader steps down for lack of a quorum";
pub const READ_AFTER_CHANGE: &str = "a read is served without the log after a leader change";
pub const SNAPSHOT_INSTALLED: &str = "a follower installs a snapshot";
pub const SNAPSHOT_RECOVERY: &str = "a restarted node recovers from a snapshot";
pub const TRANSFER_COMPLETED: &str = "a leadership transfer completes";
pub const LEASE_READ: &str = "a leader answers a read from its lease";
pub const MEMBER_ADDED: &str = "a node added to the voters catches up";
pub const LEARNER_PROMOTED: &str = "a learner is promoted";
pub const LEADER_REMOVED: &str = "a leader removes itself and another leads";
pub const JOINT_COMPLETED: &str = "a joint change completes";
pub const LEARNER_DROPPED: &str = "a learner is dropped";

/// `always` for `CHECKED[I]`. Stateright takes plain function pointers, so each invariant
/// gets its own instance of this function.
fn holds<const I: usize>(_: &RaftModel, w: &State) -> bool {
    w.violation
        .as_ref()
        .is_none_or(|v| v.invariant != CHECKED[I])
}

/// Whether `w` breaks `inv`: the world's own record for the per-event invariants; for
/// linearizability, the project's checker on the finished client history.
pub fn breaks(inv: Invariant, w: &World) -> bool {
    match inv {
        Invariant::Linearizability => {
            w.violation.is_none() && w.clients_done() && !history_linearizable(w)
        }
        _ => w.violation.as_ref().is_some_and(|v| v.invariant == inv),
    }
}

thread_local! {
    /// Verdicts by history fingerprint: once every client is done the history stops
    /// changing, and the many worlds that share it need one check.
    static VERDICTS: RefCell<HashMap<u64, bool>> = RefCell::new(HashMap::new());
}

/// Entries kept per thread before the verdict cache starts over.
const VERDICT_CACHE: usize = 1 << 16;

fn history_linearizable(w: &World) -> bool {
    let key = w.history.digest();
    if let Some(v) = VERDICTS.with(|c| c.borrow().get(&key).copied()) {
        return v;
    }
    let ok = w.check_history().is_ok();
    VERDICTS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= VERDICT_CACHE {
            c.clear();
        }
        c.insert(key, ok);
    });
    ok
}

/// Linearizability, judged where the history is complete: every client finished its script.
fn linearizable(_: &RaftModel, w: &State) -> bool {
    !breaks(Invariant::Linearizability, w)
}

fn leader_elected(_: &RaftModel, w: &State) -> bool {
    w.ghost.terms_led >= 1
}

fn entry_commits(_: &RaftModel, w: &State) -> bool {
    !w.ghost.committed.is_empty()
}

fn command_commits(_: &RaftModel, w: &State) -> bool {
    w.ghost
        .committed
        .iter()
        .any(|(e, _)| matches!(e.payload, Payload::Command(_)))
}

/// Some node crashed, every node runs again, and every node has learned the whole committed
/// prefix. A restart resets the commit index (it is volatile), so a restarted node counts
/// only after it caught up again through the protocol.
fn crash_catch_up(_: &RaftModel, w: &State) -> bool {
    let committed = w.ghost.committed.len() as u64;
    w.counters.crashes > 0
        && committed > 0
        && w.nodes
            .iter()
            .all(|n| n.as_ref().is_some_and(|n| n.commit_index() == committed))
}

fn read_sees_write(_: &RaftModel, w: &State) -> bool {
    w.history.iter().any(|op| {
        matches!(op.op, KvOp::Get { .. })
            && matches!(op.returned, Some((_, KvOutput::Value(Some(_)))))
    })
}

fn leader_replaced(_: &RaftModel, w: &State) -> bool {
    w.ghost.terms_led >= 2
}

fn quorum_lost(_: &RaftModel, w: &State) -> bool {
    w.ghost.quorum_lost
}

fn read_after_change(_: &RaftModel, w: &State) -> bool {
    w.ghost.read_after_change
}

fn snapshot_installed(_: &RaftModel, w: &State) -> bool {
    w.ghost.snapshot_installed
}

fn snapshot_recovery(_: &RaftModel, w: &State) -> bool {
    w.ghost.recovered_from_snapshot
}

fn transfer_completed(_: &RaftModel, w: &State) -> bool {
    w.ghost.transfer_completed
}

fn lease_read(_: &RaftModel, w: &State) -> bool {
    w.ghost.lease_read
}

/// Leaders whose configuration in force has committed: what they show of membership
/// changes is settled.
fn settled_leaders(w: &World) -> impl Iterator<Item = &KvNode> {
    w.live_nodes().filter(|n| {
        n.role() == verraft_core::Role::Leader && n.membership_index() <= n.commit_index()
    })
}

/// The committed configuration entries of `n`'s log (after its snapshot), oldest first,
/// with their index and term.
fn committed_configs(n: &KvNode) -> impl Iterator<Item = (Index, Term, Membership)> + '_ {
    let first = n.snapshot().index + 1;
    n.log()
        .iter()
        .enumerate()
        .map(move |(i, e)| (first + i as Index, e))
        .take_while(|(i, _)| *i <= n.commit_index())
        .filter_map(|(i, e)| match e.payload {
            Payload::Config(m) => Some((i, e.term, m)),
            _ => None,
        })
}

fn member_added(_: &RaftModel, w: &State) -> bool {
    let first_spare = w.config.voters.unwrap_or(w.config.nodes) + 1;
    settled_leaders(w).any(|l| {
        l.membership()
            .voters
            .iter()
            .filter(|id| *id >= first_spare)
            .any(|id| {
                w.node(id)
                    .is_some_and(|n| n.last_index() >= l.commit_index() && n.commit_index() > 0)
            })
    })
}

fn learner_promoted(_: &RaftModel, w: &State) -> bool {
    settled_leaders(w).any(|l| {
        let configs: Vec<Membership> = committed_configs(l).map(|(_, _, m)| m).collect();
        configs.iter().enumerate().any(|(i, before)| {
            configs[i + 1..]
                .iter()
                .any(|after| before.learners.iter().any(|x| after.voters.contains(x)))
        })
    })
}

fn learner_dropped(_: &RaftModel, w: &State) -> bool {
    settled_leaders(w).any(|l| {
        let configs: Vec<Membership> = committed_configs(l).map(|(_, _, m)| m).collect();
        configs.windows(2).any(|pair| {
            pair[0]
                .learners
                .iter()
                .any(|x| !pair[1].members().contains(x))
        })
    })
}

fn leader_removed(_: &RaftModel, w: &State) -> bool {
    settled_leaders(w).any(|l| {
        committed_configs(l).any(|(_, term, m)| {
            w.ghost
                .leaders
                .get(&term)
                .is_some_and(|r| r.node != l.id() && !m.is_voter(r.node) && !m.is_joint())
        })
    })
}

fn joint_completed(_: &RaftModel, w: &State) -> bool {
    settled_leaders(w).any(|l| {
        let mut joint = false;
        committed_configs(l).any(|(_, _, m)| {
            let done = joint && !m.is_joint();
            joint |= m.is_joint();
            done
        })
    })
}

/// Every property that applies to the model's bounds. A `sometimes` property is listed only
/// when the bounds make it possible, so an unreached one always means a vacuous model.
pub fn all(model: &RaftModel) -> Vec<Property<RaftModel>> {
    let mut out = vec![
        Property::always(CHECKED[0].name(), holds::<0>),
        Property::always(CHECKED[1].name(), holds::<1>),
        Property::always(CHECKED[2].name(), holds::<2>),
        Property::always(CHECKED[3].name(), holds::<3>),
        Property::always(CHECKED[4].name(), holds::<4>),
        Property::always(CHECKED[5].name(), holds::<5>),
        Property::always(CHECKED[6].name(), holds::<6>),
        Property::always(CHECKED[7].name(), holds::<7>),
        Property::always(CHECKED[8].name(), holds::<8>),
        Property::always(CHECKED[9].name(), holds::<9>),
        Property::always(CHECKED[10].name(), holds::<10>),
        Property::always(CHECKED[11].name(), holds::<11>),
        Property::always(CHECKED[12].name(), holds::<12>),
        Property::always(CHECKED[13].name(), holds::<13>),
        Property::always(CHECKED[14].name(), holds::<14>),
        Property::always(CHECKED[15].name(), holds::<15>),
        Property::always(CHECKED[16].name(), holds::<16>),
    ];
    let c = &model.config;
    // Without membership changes there is no configuration entry to judge.
    if c.features.membership {
        out.push(Property::always(CHECKED[17].name(), holds::<17>));
    }
    // Without ReadIndex no read is served outside the log.
    if c.features.read_index {
        out.push(Property::always(CHECKED[18].name(), holds::<18>));
    }
    // Without leadership transfer no node is told to campaign at once.
    if c.features.transfer {
        out.push(Property::always(CHECKED[19].name(), holds::<19>));
    }
    if c.clients.iter().any(|s| !s.is_empty()) {
        out.push(Property::always(
            Invariant::Linearizability.name(),
            linearizable,
        ));
    }
    out.push(Property::sometimes(LEADER_ELECTED, leader_elected));
    let has_writes = c.clients.iter().flatten().any(|op| !op.is_read());
    let has_reads = c.clients.iter().flatten().any(KvOp::is_read);
    if c.clients.iter().all(Vec::is_empty) {
        out.push(Property::sometimes(ENTRY_COMMITS, entry_commits));
    } else {
        out.push(Property::sometimes(COMMAND_COMMITS, command_commits));
    }
    if c.faults.crash {
        out.push(Property::sometimes(CRASH_CATCH_UP, crash_catch_up));
    }
    if has_writes && has_reads {
        out.push(Property::sometimes(READ_SEES_WRITE, read_sees_write));
    }
    // A lone node is replaced only by itself, after a crash.
    if c.limits.max_term.is_none_or(|t| t >= 2) && (c.nodes > 1 || c.faults.crash) {
        out.push(Property::sometimes(LEADER_REPLACED, leader_replaced));
    }
    if c.features.check_quorum && c.nodes > 1 {
        out.push(Property::sometimes(QUORUM_LOST, quorum_lost));
    }
    let leader_can_change =
        c.limits.max_term.is_none_or(|t| t >= 2) && (c.nodes > 1 || c.faults.crash);
    if c.features.read_index && has_reads && leader_can_change {
        out.push(Property::sometimes(READ_AFTER_CHANGE, read_after_change));
    }
    // Snapshots happen once entries commit: on their own every `snapshot_every` applied
    // entries, or at bounded snapshot events. The log can hold a no-op per term and the
    // clients' entries (reads by ReadIndex take none), within the log bound.
    let in_log = c
        .clients
        .iter()
        .flatten()
        .filter(|op| !(op.is_read() && c.features.read_index))
        .count() as u64;
    let entries = c
        .limits
        .max_term
        .map_or(u64::MAX, |t| t.saturating_add(in_log));
    let entries = entries.min(model.max_log.unwrap_or(u64::MAX));
    let explicit = c.limits.max_snapshots.is_none_or(|n| n > 0) && entries >= 1;
    let automatic = c.snapshot_every > 0 && entries >= u64::from(c.snapshot_every);
    let snapshots = c.features.snapshots && (explicit || automatic);
    if snapshots && c.nodes > 1 {
        out.push(Property::sometimes(SNAPSHOT_INSTALLED, snapshot_installed));
    }
    if snapshots && c.faults.crash {
        out.push(Property::sometimes(SNAPSHOT_RECOVERY, snapshot_recovery));
    }
    // The target's election is a term of its own.
    let transfers = c.limits.max_transfers.is_none_or(|n| n > 0);
    if c.features.transfer && transfers && c.nodes > 1 && c.limits.max_term.is_none_or(|t| t >= 2) {
        out.push(Property::sometimes(TRANSFER_COMPLETED, transfer_completed));
    }
    // A lease takes ticks: an election timeout's worth to elect, one to send the round.
    let ticks = c
        .limits
        .max_ticks
        .is_none_or(|n| n > c.timing.election_ticks);
    if c.features.lease_reads && has_reads && ticks {
        out.push(Property::sometimes(LEASE_READ, lease_read));
    }
    // Membership changes: adding and promoting take two changes, as a learner and a joint
    // change that swaps it in do; a leader removing itself takes one and a second term.
    let reconfigs = c.limits.max_reconfigs.unwrap_or(u32::MAX);
    let spares = c.voters.is_some_and(|v| v < c.nodes);
    if c.features.membership && c.nodes > 1 && reconfigs >= 1 {
        if spares {
            out.push(Property::sometimes(MEMBER_ADDED, member_added));
        }
        if reconfigs >= 2 && spares {
            out.push(Property::sometimes(LEARNER_PROMOTED, learner_promoted));
            out.push(Property::sometimes(JOINT_COMPLETED, joint_completed));
            out.push(Property::sometimes(LEARNER_DROPPED, learner_dropped));
        }
        if c.limits.max_term.is_none_or(|t| t >= 2) {
            out.push(Property::sometimes(LEADER_REMOVED, leader_removed));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::Bounds;

    #[test]
    fn one_always_property_per_checked_invariant_in_order() {
        let plain = all(&RaftModel::new(Bounds::default()).unwrap());
        assert!(
            plain
                .iter()
                .all(|p| p.name != Invariant::ConfigLineage.name()),
            "Config Lineage is listed only where configurations change"
        );
        let mut bounds = Bounds::default();
        // Each invariant judged only where its feature is on.
        bounds.features.membership = true;
        bounds.features.read_index = true;
        bounds.features.transfer = true;
        let model = RaftModel::new(bounds).unwrap();
        let props = all(&model);
        for (i, inv) in CHECKED.iter().enumerate() {
            assert_eq!(props[i].name, inv.name());
        }
        let mut w = model.init_world();
        assert!(props
            .iter()
            .take(CHECKED.len())
            .all(|p| (p.condition)(&model, &State::new(w.clone(), true))));
        w.violation = Some(verraft_sim::Violation::new(Invariant::LogMatching, "test"));
        let broken = State::new(w, true);
        let failing: Vec<&str> = props
            .iter()
            .take(CHECKED.len())
            .filter(|p| !(p.condition)(&model, &broken))
            .map(|p| p.name)
            .collect();
        assert_eq!(failing, vec!["Log Matching"]);
    }

    /// Every invariant the world checks after each event is a property; the two it checks
    /// otherwise (the client history, liveness) are not per-event.
    #[test]
    fn checked_is_every_per_event_invariant() {
        let per_event: Vec<Invariant> = Invariant::ALL
            .into_iter()
            .filter(|i| !matches!(i, Invariant::Linearizability | Invariant::Liveness))
            .collect();
        assert_eq!(per_event, CHECKED.to_vec());
    }

    #[test]
    fn sometimes_properties_follow_the_bounds() {
        let names = |b: Bounds| -> Vec<&'static str> {
            let m = RaftModel::new(b).unwrap();
            all(&m)
                .iter()
                .filter(|p| p.expectation == stateright::Expectation::Sometimes)
                .map(|p| p.name)
                .collect()
        };
        let mut full = Bounds {
            crashes: 1,
            ..Bounds::default()
        };
        full.faults.crash = true;
        let full = names(full);
        assert!(full.contains(&CRASH_CATCH_UP) && full.contains(&READ_SEES_WRITE));
        assert!(full.contains(&LEADER_REPLACED) && full.contains(&QUORUM_LOST));
        assert!(full.contains(&SNAPSHOT_INSTALLED) && full.contains(&SNAPSHOT_RECOVERY));
        let mut quiet = Bounds {
            max_ops: 0,
            max_term: 1,
            crashes: 0,
            ..Bounds::default()
        };
        quiet.faults.crash = false;
        assert_eq!(
            names(quiet.clone()),
            vec![LEADER_ELECTED, ENTRY_COMMITS, QUORUM_LOST]
        );
        quiet.features = verraft_sim::Features::NONE;
        assert_eq!(names(quiet.clone()), vec![LEADER_ELECTED, ENTRY_COMMITS]);
        // Membership changes with a spare and two changes: all five of theirs; without a
        // spare, only the leader's removal; without a second term, not even that.
        let mut members = Bounds {
            nodes: 4,
            voters: Some(3),
            max_term: 2,
            reconfigs: 2,
            ..quiet
        };
        members.features.membership = true;
        let got = names(members.clone());
        for p in [
            MEMBER_ADDED,
            LEARNER_PROMOTED,
            JOINT_COMPLETED,
            LEARNER_DROPPED,
            LEADER_REMOVED,
        ] {
            assert!(got.contains(&p), "{p}: {got:?}");
        }
        members.voters = None;
        let got = names(members.clone());
        assert!(
            got.contains(&LEADER_REMOVED) && !got.contains(&MEMBER_ADDED),
            "{got:?}"
        );
        members.max_term = 1;
        assert!(!names(members).contains(&LEADER_REMOVED));
    }
}
