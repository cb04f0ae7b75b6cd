//! Pre-vote (Raft dissertation §9.6) and check-quorum with the leader lease on votes (§4.2.3,
//! §6.2): each rule shown in the situation it exists for, with the option on and off.
use verraft_core::*;
use verraft_kv::*;

fn config(id: NodeId, n: u8, pre_vote: bool, check_quorum: bool) -> Config {
    let mut c = Config::new(id, 1..=n);
    c.election_jitter = 0;
    c.pre_vote = pre_vote;
    c.check_quorum = check_quorum;
    c
}

fn nodes(n: u8, pre_vote: bool, check_quorum: bool) -> Vec<KvNode> {
    (1..=n)
        .map(|id| Node::new(config(id, n, pre_vote, check_quorum), KvStore::new()).unwrap())
        .collect()
}

/// Take a node's output as a driver with a perfect disk would, returning its messages.
fn out(node: &mut KvNode) -> Vec<Envelope<KvCommand>> {
    let ready = node.ready();
    if let Some((i, t)) = ready.log_write.as_ref().and_then(|w| w.last()) {
        node.log_synced(i, t);
    }
    let mut messages = ready.messages.into_vec();
    if node.has_ready() {
        messages.extend(node.ready().messages);
    }
    messages
}

/// Deliver every message among the nodes in `up` (others' are lost) until none is left.
fn settle(cluster: &mut [KvNode], mut network: Vec<Envelope<KvCommand>>, up: &[NodeId]) {
    let mut budget = 10_000;
    while let Some(env) = network.pop() {
        budget -= 1;
        assert!(budget > 0, "does not settle");
        if !up.contains(&env.to) || !up.contains(&env.from) {
            continue;
        }
        let node = &mut cluster[env.to as usize - 1];
        node.step(env.from, env.msg).unwrap();
        network.extend(out(node));
    }
}

fn elect(cluster: &mut [KvNode], id: NodeId) {
    cluster[id as usize - 1].fire_election_timeout();
    let msgs = out(&mut cluster[id as usize - 1]);
    let all: Vec<NodeId> = (1..=cluster.len() as NodeId).collect();
    settle(cluster, msgs, &all);
    assert_eq!(cluster[id as usize - 1].role(), Role::Leader);
}

#[test]
fn pre_vote_elects_when_no_leader_is_known() {
    let mut c = nodes(3, true, true);
    c[0].fire_election_timeout();
    assert_eq!(c[0].role(), Role::PreCandidate);
    assert_eq!(c[0].term(), 0, "a pre-candidate keeps its term");
    let msgs = out(&mut c[0]);
    assert!(msgs
        .iter()
        .all(|e| matches!(e.msg, Message::PreVote { term: 1, .. })));
    settle(&mut c, msgs, &[1, 2, 3]);
    assert_eq!(c[0].role(), Role::Leader);
    assert_eq!(c[0].term(), 1);
}

/// A node cut off from the cluster times out again and again. With pre-vote its term stays
/// put; without, it rises at every timeout. When it comes back, the leader stays if the
/// others are in their lease (check-quorum), and is deposed by the higher term otherwise.
#[test]
fn a_cut_off_node_cannot_raise_terms_with_pre_vote() {
    for (pre_vote, check_quorum) in [(true, true), (true, false), (false, false)] {
        let mut c = nodes(3, pre_vote, check_quorum);
        elect(&mut c, 1);
        for _ in 0..5 {
            c[2].fire_election_timeout();
            out(&mut c[2]); // lost: n3 is cut off
        }
        let expected = if pre_vote { 1 } else { 6 };
        assert_eq!(c[2].term(), expected, "pre-vote {pre_vote}");
        if pre_vote && !check_quorum {
            continue; // (up to date, n3 wins the others' pre-votes: only the lease stops it)
        }
        // n3 returns: it asks n1 and n2 again.
        c[2].fire_election_timeout();
        let msgs = out(&mut c[2]);
        settle(&mut c, msgs, &[1, 2, 3]);
        if check_quorum {
            assert_eq!(c[0].role(), Role::Leader, "the leader stays");
            assert_eq!(c[0].term(), 1);
        } else {
            assert_ne!(
                c[0].role(),
                Role::Leader,
                "the higher term deposed the leader"
            );
            assert!(c[0].term() >= 7);
        }
    }
}

#[test]
fn pre_votes_are_refused_to_a_log_that_is_behind() {
    let mut c = nodes(3, true, false);
    elect(&mut c, 1);
    c[0].propose(KvCommand {
        client: 1,
        seq: 1,
        op: KvOp::Get { key: "x".into() },
    })
    .unwrap();
    let msgs: Vec<_> = out(&mut c[0]).into_iter().filter(|e| e.to == 2).collect();
    settle(&mut c, msgs, &[1, 2]);
    // n3 missed the entry: n2 would not vote for it.
    let pre_vote = Message::PreVote {
        term: 2,
        last_log_index: 1,
        last_log_term: 1,
    };
    let vote = c[1].voted_for();
    c[1].step(3, pre_vote).unwrap();
    let answer = out(&mut c[1]);
    assert_eq!(
        answer[0].msg,
        Message::PreVoteResponse {
            term: 1,
            granted: false
        }
    );
    assert_eq!(c[1].term(), 1, "a pre-vote changes no term");
    assert_eq!(c[1].voted_for(), vote, "nor any vote");
}

/// A leader that heard from no follower within an election timeout steps down; one that heard
/// from a majority stays.
#[test]
fn check_quorum_steps_down_a_leader_cut_off_from_the_majority() {
    for check_quorum in [true, false] {
        let mut c = nodes(3, false, check_quorum);
        elect(&mut c, 1);
        // The answers to the leader's no-op arrived during the election: a majority heard it.
        c[0].fire_election_timeout();
        assert_eq!(c[0].role(), Role::Leader, "heard from a majority");
        // Nothing from anyone since that check: cut off.
        c[0].fire_election_timeout();
        let expected = if check_quorum {
            Role::Follower
        } else {
            Role::Leader
        };
        assert_eq!(c[0].role(), expected, "check-quorum {check_quorum}");
        assert_eq!(c[0].term(), 1, "it steps down in its own term");
    }
}

/// A follower that heard from its leader within an election timeout ignores a request to vote
/// in a later term (the leader lease on votes): a node that was cut off, or removed, cannot
/// depose a live leader. Without check-quorum it adopts the term.
#[test]
fn the_lease_ignores_vote_requests_while_a_leader_is_heard() {
    for check_quorum in [true, false] {
        let mut c = nodes(3, false, check_quorum);
        elect(&mut c, 1);
        let request = Message::RequestVote {
            term: 5,
            last_log_index: 9,
            last_log_term: 4,
            transfer: false,
        };
        c[1].step(3, request.clone()).unwrap();
        let answers = out(&mut c[1]);
        if check_quorum {
            assert!(answers.is_empty(), "ignored: {answers:?}");
            assert_eq!(c[1].term(), 1);
            // Once its own election timer ran out, the lease is over.
            for _ in 0..c[1].config().election_ticks {
                c[1].tick();
            }
            out(&mut c[1]);
            c[1].step(3, request).unwrap();
            assert_eq!(c[1].term(), 5);
        } else {
            assert_eq!(c[1].term(), 5);
            assert_eq!(c[1].voted_for(), Some(3));
        }
    }
}
