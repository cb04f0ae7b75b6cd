use verraft_kv::KvOp;
use verraft_sim::*;

#[test]
fn a_client_write_completes_through_the_world() {
    let mut cfg = WorldConfig::new(3);
    cfg.faults = Faults::NONE;
    cfg.clients = vec![vec![KvOp::Put {
        key: "x".into(),
        value: "1".into(),
    }]];
    let mut w = World::new(cfg).unwrap();
    w.apply(&Event::Timeout(1)).unwrap();
    let mut steps = 0;
    while !w.clients_done() {
        let evs = w.enabled_events();
        // prefer: reply, invoke, deliver, heartbeat
        let pick = evs
            .iter()
            .find(|e| matches!(e, Event::Reply(_)))
            .or_else(|| evs.iter().find(|e| matches!(e, Event::Invoke { .. })))
            .or_else(|| evs.iter().find(|e| matches!(e, Event::Deliver { .. })))
            .or_else(|| evs.iter().find(|e| matches!(e, Event::Heartbeat(_))))
            .cloned()
            .expect("something enabled");
        assert_eq!(w.apply(&pick).unwrap(), None, "after {pick}");
        steps += 1;
        assert!(steps < 100);
    }
    assert_eq!(w.history.len(), 1);
    assert!(w.history[0].returned.is_some());
    println!("{steps} steps");
}
