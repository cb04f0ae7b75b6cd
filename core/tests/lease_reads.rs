//! Lease reads (Raft dissertation §6.4.1): the leader answers from its lease without a round
//! of its own, the lease runs out on the leader's clock before any follower's promise can,
//! and every way around the followers' promise (a transfer, a restart) is closed. The seeded
//! bug `lease-drift` (a lease as long as the election timeout) answers a stale read once a
//! follower's clock runs faster than the leader's; the correct lease does not.
use verraft_core::*;
use verraft_kv::*;

const ELECTION: u32 = 10;
const DRIFT: u32 = 2;

fn config(id: NodeId, bugs: BugSet) -> Config {
    let mut c = Config::new(id, 1..=3);
    c.election_jitter = 0;
    c.election_ticks = ELECTION;
    c.heartbeat_ticks = 3;
    c.lease_reads = true;
    c.clock_drift_ticks = DRIFT;
    c.bugs = bugs;
    c
}

/// Three nodes driven by ticks, their stores, the reads each driver was told of, and the
/// messages in flight.
struct Cluster {
    nodes: Vec<KvNode>,
    disks: Vec<MemStorage<KvCommand>>,
    reads: Vec<Vec<ReadState>>,
    network: Vec<Envelope<KvCommand>>,
    bugs: BugSet,
}

impl Cluster {
    fn new(bugs: BugSet) -> Cluster {
        Cluster {
            nodes: (1..=3)
                .map(|id| Node::new(config(id, bugs), KvStore::new()).unwrap())
                .collect(),
            disks: (1..=3).map(|_| MemStorage::default()).collect(),
            reads: vec![Vec::new(); 3],
            network: Vec::new(),
            bugs,
        }
    }

    fn node(&mut self, id: NodeId) -> &mut KvNode {
        &mut self.nodes[id as usize - 1]
    }

    fn take_output(&mut self, id: NodeId) {
        let at = id as usize - 1;
        while self.nodes[at].has_ready() {
            let ready = self.nodes[at].ready();
            if let Some(s) = &ready.snapshot {
                self.disks[at].save_snapshot(s.clone()).unwrap();
            }
            if let Some(hs) = ready.hard_state {
                self.disks[at].save_hard_state(hs).unwrap();
            }
            if let Some(w) = ready.log_write.clone() {
                let last = w.last();
                self.disks[at].write_log(w).unwrap();
                if let Some((i, t)) = last {
                    self.nodes[at].log_synced(i, t);
                }
            }
            self.reads[at].extend(ready.reads);
            self.network.extend(ready.messages);
        }
    }

    /// Deliver every message in flight between nodes of `group`, until none is left; lose
    /// the ones that cross out of it.
    fn settle(&mut self, group: &[NodeId]) {
        for _ in 0..10_000 {
            if self.network.is_empty() {
                return;
            }
            let env = self.network.remove(0);
            if group.contains(&env.from) && group.contains(&env.to) {
                self.node(env.to).step(env.from, env.msg).unwrap();
                self.take_output(env.to);
            }
        }
        panic!("does not settle");
    }

    fn tick(&mut self, id: NodeId, times: u32) {
        for _ in 0..times {
            self.node(id).tick();
            self.take_output(id);
        }
    }

    /// Node 1 elected by ticks, its no-op committed, and a lease won by a heartbeat round.
    fn with_leader() -> Cluster {
        Cluster::with_leader_and_bugs(BugSet::NONE)
    }

    fn with_leader_and_bugs(bugs: BugSet) -> Cluster {
        let mut c = Cluster::new(bugs);
        c.node(1).fire_election_timeout();
        c.take_output(1);
        c.settle(&[1, 2, 3]);
        assert_eq!(c.node(1).role(), Role::Leader);
        c.heartbeat(1);
        assert!(
            c.node(1).lease_remaining() > 0,
            "the round's answers give a lease"
        );
        c
    }

    fn heartbeat(&mut self, id: NodeId) {
        self.node(id).fire_heartbeat();
        self.take_output(id);
        self.settle(&[1, 2, 3]);
    }

    fn put(&mut self, leader: NodeId, seq: u64, value: &str) {
        let cmd = KvCommand {
            client: 1,
            seq,
            op: KvOp::Put {
                key: "x".into(),
                value: value.into(),
            },
        };
        self.node(leader).propose(cmd).unwrap();
        self.take_output(leader);
    }

    fn value(&self, id: NodeId) -> Option<String> {
        self.nodes[id as usize - 1]
            .state_machine()
            .get("x")
            .map(str::to_string)
    }

    fn confirm_rounds_in_flight(&self) -> usize {
        self.network
            .iter()
            .filter(|e| matches!(e.msg, Message::ReadConfirm { .. }))
            .count()
    }
}

#[test]
fn a_leader_with_a_lease_answers_at_once_without_a_round() {
    let mut c = Cluster::with_leader();
    c.node(1).read(7);
    c.take_output(1);
    let commit = c.node(1).commit_index();
    assert_eq!(
        c.reads[0],
        vec![ReadState {
            id: 7,
            index: Some(commit)
        }]
    );
    assert_eq!(
        c.confirm_rounds_in_flight(),
        0,
        "no round was sent for the read"
    );
}

#[test]
fn the_lease_runs_out_after_the_election_timeout_less_the_drift_bound() {
    let mut c = Cluster::with_leader();
    // The round was sent and answered at tick 0 of the leader's clock.
    assert_eq!(c.node(1).lease_remaining(), ELECTION - DRIFT);
    // Cut the leader off: no answer renews the lease.
    c.settle(&[1]);
    for _ in 0..ELECTION - DRIFT - 1 {
        c.node(1).tick();
        c.take_output(1);
        c.network.clear();
    }
    assert_eq!(c.node(1).lease_remaining(), 1);
    c.node(1).tick();
    c.take_output(1);
    c.network.clear();
    assert_eq!(c.node(1).lease_remaining(), 0, "the lease is out");
    c.node(1).read(8);
    c.take_output(1);
    assert!(
        c.reads[0].is_empty(),
        "without a lease, the read waits for a round"
    );
    assert!(c.confirm_rounds_in_flight() > 0);
}

#[test]
fn heartbeats_answered_by_a_majority_keep_the_lease() {
    let mut c = Cluster::with_leader();
    for _ in 0..5 * ELECTION {
        c.tick(1, 1);
        c.settle(&[1, 2]);
        c.tick(2, 1);
        c.tick(3, 1);
        c.settle(&[1, 2]);
        assert!(
            c.node(1).lease_remaining() > 0,
            "renewed by every heartbeat"
        );
    }
    assert_eq!(c.node(1).role(), Role::Leader);
}

/// The leader is cut off right after winning its lease at tick 0. The followers' clocks run
/// `DRIFT` ticks ahead of the leader's over the election timeout (the most the bound allows):
/// they time out, elect node 2 and commit a new value while the leader still counts. The
/// correct lease is out by then; the `lease-drift` lease is not, and answers the old value.
fn stale_read_with_fast_followers(bugs: BugSet) -> Option<Option<String>> {
    let mut c = Cluster::with_leader_and_bugs(bugs);
    c.put(1, 1, "old");
    c.settle(&[1, 2, 3]);
    c.heartbeat(1);
    c.heartbeat(1);
    assert_eq!(c.value(1).as_deref(), Some("old"));
    // The lease round of the last heartbeat: answered at once, at the leader's tick 0.
    c.settle(&[1]); // the leader is cut off from here on
                    // The followers count an election timeout, the leader `DRIFT` ticks less.
    c.tick(1, ELECTION - DRIFT);
    c.network.retain(|e| e.from != 1);
    c.tick(2, ELECTION);
    c.tick(3, ELECTION);
    c.settle(&[2, 3]);
    c.tick(2, ELECTION); // a pre-vote needs the other follower's timer out too
    c.settle(&[2, 3]);
    let new_leader = [2, 3]
        .into_iter()
        .find(|&n| c.node(n).role() == Role::Leader);
    let new_leader = new_leader.expect("the followers elect a new leader");
    c.put(new_leader, 2, "new");
    c.settle(&[2, 3]);
    assert_eq!(c.value(new_leader).as_deref(), Some("new"));
    // The old leader is asked to read, still cut off.
    c.node(1).read(9);
    c.take_output(1);
    c.network.clear();
    c.reads[0]
        .iter()
        .find(|r| r.id == 9 && r.index.is_some())
        .map(|_| c.value(1))
}

#[test]
fn the_correct_lease_is_out_before_fast_followers_can_elect_anyone() {
    assert_eq!(stale_read_with_fast_followers(BugSet::NONE), None);
}

#[cfg(feature = "seeded-bugs")]
#[test]
fn lease_drift_bug_answers_a_stale_read_when_a_follower_clock_runs_fast() {
    let answer = stale_read_with_fast_followers(BugSet::NONE.with(Bug::LeaseDrift));
    assert_eq!(answer, Some(Some("old".to_string())), "a stale read");
}

#[test]
fn a_transfer_spends_the_lease_for_the_rest_of_the_term() {
    let mut c = Cluster::with_leader();
    c.node(1).transfer_leadership(2).unwrap();
    c.take_output(1);
    assert_eq!(c.node(1).lease_remaining(), 0, "TimeoutNow went out");
    // Hold the transfer's TimeoutNow back: the leader is still leader, its lease gone,
    // and ticks that send heartbeats (and their rounds) do not renew it.
    c.network
        .retain(|e| !matches!(e.msg, Message::TimeoutNow { .. }));
    c.tick(1, 3);
    assert_eq!(
        c.confirm_rounds_in_flight(),
        0,
        "no round for a spent lease"
    );
    c.network.clear();
    assert_eq!(c.node(1).role(), Role::Leader);
    assert_eq!(c.node(1).lease_remaining(), 0);
    c.node(1).read(3);
    c.take_output(1);
    assert!(c.reads[0].is_empty(), "the read needs a round of its own");
}

#[test]
fn a_restarted_follower_ignores_vote_requests_for_an_election_timeout() {
    let mut c = Cluster::with_leader();
    // Node 3 crashes and restarts; node 2 is cut off from the leader and campaigns.
    let restarted = Node::restart(config(3, c.bugs), &c.disks[2], KvStore::new()).unwrap();
    c.nodes[2] = restarted;
    c.settle(&[]);
    c.tick(2, ELECTION);
    c.settle(&[2, 3]);
    c.tick(2, ELECTION);
    c.settle(&[2, 3]);
    assert_ne!(c.node(2).role(), Role::Leader, "node 3 kept its promise");
    // Once node 3's own timer has run out, it may vote again.
    c.tick(3, ELECTION);
    c.settle(&[2, 3]);
    c.tick(2, ELECTION);
    c.settle(&[2, 3]);
    let leaders = [2, 3]
        .into_iter()
        .filter(|&n| c.node(n).role() == Role::Leader)
        .count();
    assert_eq!(leaders, 1, "an election succeeds after the promise");
}

#[test]
fn lease_reads_are_refused_without_check_quorum_or_with_too_much_drift() {
    let mut c = config(1, BugSet::NONE);
    c.check_quorum = false;
    assert_eq!(c.validate(), Err(ConfigError::LeaseWithoutCheckQuorum));
    let mut c = config(1, BugSet::NONE);
    c.clock_drift_ticks = ELECTION;
    assert!(matches!(
        c.validate(),
        Err(ConfigError::DriftTooLarge { .. })
    ));
    let mut c = config(1, BugSet::NONE);
    c.lease_reads = false;
    c.clock_drift_ticks = ELECTION;
    assert_eq!(c.validate(), Ok(()), "the bound is unused without leases");
}
