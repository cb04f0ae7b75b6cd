//! The disk is as unkind as a real one: an unsynced write stays pending until a sync covers
//! it, however many events later, and a power loss may keep any prefix of the pending writes.
//! A node that acts on its own unsynced write (the ack-before-sync bug) is caught.
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario::parse;
use verraft_sim::{Event, Invariant, World};

/// One node that counts its own write before it is durable: it commits a put and answers
/// the client, then loses power; nothing was synced, so it restarts in term 0 with an empty
/// log, is elected again in term 1 and commits another entry where the put was committed.
/// (Figure 3's properties alone; Commit Quorum breaks at the first commit.)
const LONE_LEADER: &str = "nodes 1\nbugs ack-before-sync\nfaults crash\ncrash-mode lose-unsynced\n\
    auxiliary off\nclient c1 put x 1; get x\nexpect State Machine Safety\n\
    timeout n1\ninvoke c1 n1\nreply c1\ncrash n1\nrestart n1\ntimeout n1\ninvoke c1 n1\nreply c1\n";

/// How a replay ended: the broken invariant and its step, or the history's verdict.
fn outcome(text: &str) -> Result<Option<(usize, Invariant)>, String> {
    let r = replay(&parse(text).unwrap()).unwrap();
    match r.outcome {
        Outcome::Violation { step, violation } => Ok(Some((step, violation.invariant))),
        Outcome::Clean => Ok(r.world.check_history().err().map(|v| (0, v.invariant))),
        Outcome::Invalid { step, error } => Err(format!("step {step}: {error}")),
    }
}

#[test]
fn a_node_acting_on_its_own_unsynced_write_is_caught() {
    assert_eq!(
        outcome(LONE_LEADER),
        Ok(Some((7, Invariant::StateMachineSafety)))
    );
    // The same run without the bug: the write is synced before it counts, the read sees it.
    let correct = LONE_LEADER.replace("bugs ack-before-sync", "bugs none");
    assert_eq!(outcome(&correct), Ok(None));
    // With the auxiliary invariants the first wrong step is the first commit: the no-op of
    // term 1 counts as committed while no disk holds it.
    let auxiliary = LONE_LEADER.replace("auxiliary off\n", "");
    assert_eq!(outcome(&auxiliary), Ok(Some((1, Invariant::CommitQuorum))));
    assert_eq!(
        outcome(&auxiliary.replace("bugs ack-before-sync", "bugs none")),
        Ok(None)
    );
}

#[test]
fn writes_stay_pending_across_events_until_a_sync() {
    let text = LONE_LEADER.split("reply c1\n").next().unwrap().to_string() + "reply c1\n";
    let mut w = World::new(parse(&text).unwrap().config).unwrap();
    for e in parse(&text).unwrap().events() {
        w.apply(e).unwrap();
    }
    // Three events later, nothing the node wrote is durable.
    assert!(w.disks[0].durable.log.is_empty());
    assert_eq!(
        w.disks[0].pending_units(),
        3,
        "term and vote, a no-op, then the put"
    );
    assert!(w.enabled_events().contains(&Event::Sync(1)));
    let keeps: Vec<u32> = w
        .enabled_events()
        .iter()
        .filter_map(|e| match e {
            Event::CrashKeeping { node: 1, keep } => Some(*keep),
            _ => None,
        })
        .collect();
    assert_eq!(keeps, vec![1, 2, 3], "every prefix a power loss can leave");
    w.apply(&Event::Sync(1)).unwrap();
    assert_eq!(w.disks[0].durable.log.len(), 2);
    assert!(!w.enabled_events().contains(&Event::Sync(1)));
}

#[test]
fn a_crash_loses_exactly_what_it_did_not_keep() {
    // Everything kept: the restarted node has the put, and the run is clean.
    let kept = LONE_LEADER.replace("crash n1\n", "crash n1 keep=3\n");
    assert_eq!(outcome(&kept), Ok(None));
    // The term, vote and no-op kept, the put lost: the next term's no-op takes its index.
    let lost_put = LONE_LEADER.replace("crash n1\n", "crash n1 keep=2\n");
    assert_eq!(
        outcome(&lost_put),
        Ok(Some((6, Invariant::StateMachineSafety)))
    );
    // A keep beyond what is pending is not a possible event.
    let too_much = LONE_LEADER.replace("crash n1\n", "crash n1 keep=9\n");
    assert!(outcome(&too_much).unwrap_err().starts_with("step 4:"));
}
