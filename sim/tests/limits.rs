//! Events named from outside (a scenario, the minimizer) obey the world's `limits` exactly as
//! the enabled choices do: a replayed or minimized counterexample cannot leave the bounds it
//! was found in.
use verraft_core::{NodeId, Role};
use verraft_kv::KvOp;
use verraft_sim::*;

fn world(limits: Limits) -> World {
    let mut cfg = WorldConfig::new(3);
    cfg.features = Features::NONE;
    cfg.limits = limits;
    cfg.clients = vec![vec![KvOp::Put {
        key: "x".into(),
        value: "1".into(),
    }]];
    World::new(cfg).unwrap()
}

/// Node `id` campaigns and every message is delivered until it leads.
fn elect(w: &mut World, id: NodeId) {
    w.apply(&Event::Timeout(id)).unwrap();
    for _ in 0..20 {
        if w.node(id).unwrap().role() == Role::Leader {
            return;
        }
        let deliver = w
            .enabled_events()
            .into_iter()
            .find(|e| matches!(e, Event::Deliver { .. }))
            .expect("a message to deliver");
        w.apply(&deliver).unwrap();
    }
    panic!("n{id} did not become leader");
}

fn refused(w: &mut World, e: &Event) -> bool {
    matches!(w.apply(e), Err(EventError::NotEnabled(_)))
}

/// Every event `apply` takes is one the enabled list offers, and the other way round.
fn agrees_with_enabled(w: &World, e: &Event) -> bool {
    let listed = w.enabled_events().contains(e);
    let taken = w.clone().apply(e).is_ok();
    listed == taken
}

#[test]
fn an_election_past_the_room_in_flight_is_refused() {
    let mut w = world(Limits {
        max_in_flight: Some(1),
        ..Limits::NONE
    });
    w.apply(&Event::Timeout(1)).unwrap(); // two vote requests in flight: over the limit
    assert!(agrees_with_enabled(&w, &Event::Timeout(2)));
    assert!(refused(&mut w, &Event::Timeout(2)));
    assert!(refused(&mut w, &Event::Invoke { client: 1, node: 1 }));
}

#[test]
fn an_election_past_the_term_limit_is_refused() {
    let mut w = world(Limits {
        max_term: Some(1),
        ..Limits::NONE
    });
    w.apply(&Event::Timeout(1)).unwrap();
    assert!(agrees_with_enabled(&w, &Event::Timeout(1)));
    assert!(refused(&mut w, &Event::Timeout(1)));
    // Another node at term 0 may still campaign.
    assert!(w.apply(&Event::Timeout(2)).is_ok());
}

#[test]
fn crashes_partitions_and_client_timeouts_past_their_limits_are_refused() {
    let mut w = world(Limits {
        max_crashes: Some(1),
        max_partitions: Some(1),
        max_client_timeouts: Some(0),
        ..Limits::NONE
    });
    w.apply(&Event::Crash(1)).unwrap();
    w.apply(&Event::Restart(1)).unwrap();
    assert!(agrees_with_enabled(&w, &Event::Crash(2)));
    assert!(refused(&mut w, &Event::Crash(2)));
    let split = Event::Partition(vec![vec![1], vec![2, 3]]);
    w.apply(&split).unwrap();
    w.apply(&Event::Heal).unwrap();
    assert!(agrees_with_enabled(&w, &split));
    assert!(refused(&mut w, &split));
    // A client waiting on a request may not time out when no timeouts are allowed.
    elect(&mut w, 1);
    w.apply(&Event::Invoke { client: 1, node: 1 }).unwrap();
    assert!(agrees_with_enabled(&w, &Event::ClientTimeout(1)));
    assert!(refused(&mut w, &Event::ClientTimeout(1)));
}

#[test]
fn heartbeats_past_their_limit_are_refused() {
    let mut w = world(Limits {
        max_heartbeats: Some(1),
        ..Limits::NONE
    });
    elect(&mut w, 1);
    w.apply(&Event::Heartbeat(1)).unwrap();
    assert!(agrees_with_enabled(&w, &Event::Heartbeat(1)));
    assert!(refused(&mut w, &Event::Heartbeat(1)));
}

#[test]
fn losses_past_their_limit_are_refused() {
    let mut w = world(Limits {
        max_losses: Some(1),
        ..Limits::NONE
    });
    w.apply(&Event::Timeout(1)).unwrap();
    let drops: Vec<Event> = w
        .enabled_events()
        .into_iter()
        .filter(|e| matches!(e, Event::Drop { .. }))
        .collect();
    assert_eq!(drops.len(), 2, "both vote requests may be lost");
    w.apply(&drops[0]).unwrap();
    assert!(agrees_with_enabled(&w, &drops[1]));
    assert!(refused(&mut w, &drops[1]));
    // A bound of zero: no message is ever lost.
    let mut none = world(Limits {
        max_losses: Some(0),
        ..Limits::NONE
    });
    none.apply(&Event::Timeout(1)).unwrap();
    assert!(!none
        .enabled_events()
        .iter()
        .any(|e| matches!(e, Event::Drop { .. })));
}

#[test]
fn elections_past_their_limit_are_refused() {
    let mut w = world(Limits {
        max_elections: Some(1),
        ..Limits::NONE
    });
    w.apply(&Event::Timeout(1)).unwrap();
    // Both requests lost: n1 or another node would campaign again, but the run's one
    // election is used (the term bound alone would allow it).
    while let Some(e) = w
        .enabled_events()
        .into_iter()
        .find(|e| matches!(e, Event::Drop { .. }))
    {
        w.apply(&e).unwrap();
    }
    assert!(agrees_with_enabled(&w, &Event::Timeout(2)));
    assert!(refused(&mut w, &Event::Timeout(2)));
    assert!(refused(&mut w, &Event::Timeout(1)));
    // A bound of zero: nobody ever campaigns.
    let mut none = world(Limits {
        max_elections: Some(0),
        ..Limits::NONE
    });
    assert!(!none
        .enabled_events()
        .iter()
        .any(|e| matches!(e, Event::Timeout(_))));
    assert!(refused(&mut none, &Event::Timeout(1)));
}

#[test]
fn without_limits_nothing_is_refused_for_bounds() {
    let mut w = world(Limits::NONE);
    for _ in 0..3 {
        w.apply(&Event::Timeout(1)).unwrap();
    }
    w.apply(&Event::Crash(2)).unwrap();
    w.apply(&Event::Restart(2)).unwrap();
    w.apply(&Event::Crash(2)).unwrap();
}
