//! Reads without the log (ReadIndex, Raft dissertation §6.4): each rule shown in the
//! situation it exists for, and the seeded bug `local-read` (answer from local state) shown
//! to return a stale value where the rules wait.
use verraft_core::*;
use verraft_kv::*;

fn config(id: NodeId, bugs: BugSet) -> Config {
    let mut c = Config::new(id, 1..=3).without_options();
    c.election_jitter = 0;
    c.bugs = bugs;
    c
}

/// Three nodes (the Figure 2 core: no pre-vote or lease to step around), the reads each
/// driver was told of, and the messages in flight.
struct Cluster {
    nodes: Vec<KvNode>,
    reads: Vec<Vec<ReadState>>,
    network: Vec<Envelope<KvCommand>>,
}

impl Cluster {
    fn new(bugs: BugSet) -> Cluster {
        Cluster {
            nodes: (1..=3)
                .map(|id| Node::new(config(id, bugs), KvStore::new()).unwrap())
                .collect(),
            reads: vec![Vec::new(); 3],
            network: Vec::new(),
        }
    }

    fn node(&mut self, id: NodeId) -> &mut KvNode {
        &mut self.nodes[id as usize - 1]
    }

    /// Take a node's output as a driver with a perfect disk would.
    fn take_output(&mut self, id: NodeId) {
        while self.node(id).has_ready() {
            let ready = self.node(id).ready();
            if let Some((i, t)) = ready.log_write.as_ref().and_then(|w| w.last()) {
                self.node(id).log_synced(i, t);
            }
            self.reads[id as usize - 1].extend(ready.reads);
            self.network.extend(ready.messages);
        }
    }

    /// Deliver (or, with `lose`, drop) every message in flight that `pick` selects, until
    /// none is left that it selects.
    fn run(&mut self, mut pick: impl FnMut(&Envelope<KvCommand>) -> bool, lose: bool) {
        for _ in 0..10_000 {
            let Some(at) = self.network.iter().position(&mut pick) else {
                return;
            };
            let env = self.network.remove(at);
            if !lose {
                self.node(env.to).step(env.from, env.msg).unwrap();
                self.take_output(env.to);
            }
        }
        panic!("does not settle");
    }

    fn deliver_between(&mut self, a: NodeId, b: NodeId) {
        self.run(
            |e| (e.from == a && e.to == b) || (e.from == b && e.to == a),
            false,
        );
    }

    /// Deliver the leader's confirmation rounds and their answers, except to and from `away`.
    fn confirm_reads_without(&mut self, away: NodeId) {
        self.run(
            |e| {
                matches!(
                    e.msg,
                    Message::ReadConfirm { .. } | Message::ReadConfirmResponse { .. }
                ) && e.to != away
                    && e.from != away
            },
            false,
        );
    }

    fn lose_all(&mut self) {
        self.run(|_| true, true);
    }

    fn elect(&mut self, id: NodeId, voter: NodeId) {
        self.node(id).fire_election_timeout();
        self.take_output(id);
        self.deliver_between(id, voter);
        assert_eq!(self.node(id).role(), Role::Leader);
    }

    fn put(&mut self, leader: NodeId, key: &str, value: &str) {
        let cmd = KvCommand {
            client: 1,
            seq: 1,
            op: KvOp::Put {
                key: key.into(),
                value: value.into(),
            },
        };
        self.node(leader).propose(cmd).unwrap();
        self.take_output(leader);
    }

    /// What node `id`'s driver answers for the read it was told it may serve now.
    fn answer(&self, id: NodeId, key: &str) -> Option<String> {
        self.nodes[id as usize - 1]
            .state_machine()
            .get(key)
            .map(str::to_string)
    }
}

#[test]
fn a_leader_answers_only_once_a_majority_confirms_it_still_leads() {
    let mut c = Cluster::new(BugSet::NONE);
    c.elect(1, 2);
    c.deliver_between(1, 3);
    c.node(1).read(7);
    c.take_output(1);
    assert!(c.reads[0].is_empty(), "not before a confirmation round");
    let rounds = c
        .network
        .iter()
        .filter(|e| matches!(e.msg, Message::ReadConfirm { .. }))
        .count();
    assert_eq!(rounds, 2, "one ReadConfirm per follower");
    c.deliver_between(1, 2);
    let commit = c.node(1).commit_index();
    assert_eq!(
        c.reads[0],
        vec![ReadState {
            id: 7,
            index: Some(commit)
        }]
    );
}

/// Rounds are numbered afresh in every term, so an answer from an earlier term (a node that
/// led before and leads again) carries a round number that means nothing now: it confirms
/// no read of this term.
#[test]
fn an_answer_from_an_earlier_term_confirms_nothing() {
    let mut c = Cluster::new(BugSet::NONE);
    c.elect(1, 2);
    c.deliver_between(1, 3);
    let term = c.node(1).term();
    c.node(1).read(7);
    c.take_output(1);
    // The answer of an earlier term names the very round this read waits for.
    let round = c
        .network
        .iter()
        .find_map(|e| match e.msg {
            Message::ReadConfirm { round, .. } => Some(round),
            _ => None,
        })
        .unwrap();
    c.node(1)
        .step(
            2,
            Message::ReadConfirmResponse {
                term: term - 1,
                round,
            },
        )
        .unwrap();
    c.take_output(1);
    assert!(c.reads[0].is_empty(), "a stale answer served the read");
    c.deliver_between(1, 2);
    assert_eq!(c.reads[0].len(), 1, "this term's answer does");
}

#[test]
fn a_leader_that_cannot_reach_a_majority_never_answers_and_refuses_once_deposed() {
    let mut c = Cluster::new(BugSet::NONE);
    c.elect(1, 2);
    c.deliver_between(1, 3);
    c.node(1).read(7);
    c.take_output(1);
    c.lose_all(); // n1 is cut off
    assert!(c.reads[0].is_empty());
    c.elect(2, 3);
    c.deliver_between(1, 2); // n1 hears of term 2
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.reads[0], vec![ReadState { id: 7, index: None }]);
}

/// n1 commits a put with n2's help, then loses its leadership to n2 before n2 learns the
/// put is committed. n2's own no-op is not committed yet, so n2 does not know the commit
/// index a read must see: it must wait. The local-read bug answers at once, without the put.
#[test]
fn a_new_leader_waits_for_an_entry_of_its_term_before_it_answers() {
    // With the bug too where it is compiled in (the `seeded-bugs` feature).
    let runs = if verraft_core::bugs::COMPILED {
        vec![BugSet::NONE, BugSet::NONE.with(Bug::LocalRead)]
    } else {
        vec![BugSet::NONE]
    };
    for bugs in runs {
        let mut c = Cluster::new(bugs);
        c.elect(1, 2);
        c.put(1, "x", "1");
        c.deliver_between(1, 2);
        assert_eq!(c.answer(1, "x").as_deref(), Some("1"), "committed on n1");
        c.lose_all();
        assert_eq!(
            c.node(2).commit_index(),
            1,
            "n2 holds the put, not its commit"
        );
        c.node(2).fire_election_timeout();
        c.take_output(2);
        c.run(
            |e| {
                e.to == 1
                    || e.from == 1
                        && e.to == 2
                        && matches!(e.msg, Message::RequestVoteResponse { .. })
            },
            false,
        );
        assert_eq!(c.node(2).role(), Role::Leader);
        c.lose_all(); // the no-op of term 2 is lost
        c.node(2).read(9);
        c.take_output(2);
        c.confirm_reads_without(3);
        if bugs.contains(Bug::LocalRead) {
            assert_eq!(
                c.reads[1],
                vec![ReadState {
                    id: 9,
                    index: Some(1)
                }]
            );
            assert_eq!(
                c.answer(2, "x"),
                None,
                "the bug reads before the put: stale"
            );
            continue;
        }
        assert!(
            c.reads[1].is_empty(),
            "confirmed, but no entry of term 2 committed"
        );
        c.node(2).fire_heartbeat();
        c.take_output(2);
        c.deliver_between(1, 2);
        assert_eq!(
            c.reads[1],
            vec![ReadState {
                id: 9,
                index: Some(3)
            }]
        );
        assert_eq!(
            c.answer(2, "x").as_deref(),
            Some("1"),
            "the read sees the put"
        );
    }
}

#[test]
fn a_follower_forwards_a_read_and_answers_once_it_has_applied_the_index() {
    let mut c = Cluster::new(BugSet::NONE);
    c.elect(1, 2);
    c.deliver_between(1, 3);
    c.put(1, "x", "1");
    c.deliver_between(1, 2); // committed by n1 and n2; n3 has not heard of it
    c.node(3).read(5);
    c.take_output(3);
    c.run(|e| matches!(e.msg, Message::ReadIndex { .. }), false);
    c.confirm_reads_without(3);
    c.run(
        |e| matches!(e.msg, Message::ReadIndexResponse { .. }),
        false,
    );
    assert!(
        c.reads[2].is_empty(),
        "told index 2, but n3 has applied only 1"
    );
    c.node(1).fire_heartbeat(); // tells n3 the commit index
    c.take_output(1);
    c.deliver_between(1, 3);
    assert_eq!(
        c.reads[2],
        vec![ReadState {
            id: 5,
            index: Some(2)
        }]
    );
    assert_eq!(c.answer(3, "x").as_deref(), Some("1"));
}

#[test]
fn a_node_that_knows_no_leader_refuses_at_once() {
    let mut c = Cluster::new(BugSet::NONE);
    c.node(2).read(4);
    c.take_output(2);
    assert_eq!(c.reads[1], vec![ReadState { id: 4, index: None }]);
    assert!(c.network.is_empty());
}

/// A node that gets a confirmation round of an earlier term answers with its own term, to
/// tell the sender of it. Sent before a read of that term started, such an answer says
/// nothing about whether the sender still leads when the read came, and must confirm no
/// read. Here n1 leads term t, its round to n2 is delayed; n1 leads again in a later term,
/// n2 gets the old round then and answers in n1's new term. n2 and n3 then elect n3, which
/// commits a put; a read at n1, cut off, must not be served on n2's old answer.
#[test]
fn an_answer_to_an_earlier_terms_round_confirms_no_read_of_the_new_term() {
    let mut c = Cluster::new(BugSet::NONE);
    c.elect(1, 2);
    c.deliver_between(1, 3);
    c.node(1).read(1);
    c.take_output(1);
    let to_n2 = c
        .network
        .iter()
        .position(|e| e.to == 2 && matches!(e.msg, Message::ReadConfirm { .. }))
        .unwrap();
    let old_round = c.network.remove(to_n2);
    c.deliver_between(1, 3);
    assert_eq!(c.reads[0].len(), 1, "the first read is confirmed by n3");

    // n1 loses its term to n3's campaign and wins the one after.
    c.node(3).fire_election_timeout();
    c.take_output(3);
    c.run(|e| e.from == 3 && e.to == 1, false);
    c.lose_all();
    c.elect(1, 2);
    c.deliver_between(1, 3);
    let term = c.node(1).term();

    // The old round reaches n2 now; its answer carries n1's new term.
    c.node(2).step(old_round.from, old_round.msg).unwrap();
    c.take_output(2);
    let at = c
        .network
        .iter()
        .position(|e| e.to == 1 && matches!(e.msg, Message::ReadConfirmResponse { .. }))
        .unwrap();
    let stale_answer = c.network.remove(at);
    assert!(matches!(stale_answer.msg, Message::ReadConfirmResponse { term: t, .. } if t == term));

    // n2 and n3 elect n3, which commits a put; n1 hears nothing of it.
    c.lose_all();
    c.node(3).fire_election_timeout();
    c.take_output(3);
    c.deliver_between(3, 2);
    assert_eq!(c.node(3).role(), Role::Leader);
    c.put(3, "x", "1");
    c.deliver_between(3, 2);
    assert_eq!(
        c.answer(3, "x").as_deref(),
        Some("1"),
        "the put is committed"
    );

    // A read at n1, still leader of its term as far as it knows.
    c.node(1).read(2);
    c.take_output(1);
    c.lose_all();
    c.node(1).step(stale_answer.from, stale_answer.msg).unwrap();
    c.take_output(1);
    assert_eq!(
        c.reads[0].len(),
        1,
        "a read served on an answer sent before it began: {:?}",
        c.reads[0]
    );
}
