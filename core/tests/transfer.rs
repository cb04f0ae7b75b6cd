//! Leadership transfer (dissertation §3.10): the leader brings the target up to date, sends
//! `TimeoutNow`, and the target wins at once, past the voters' leader lease; proposals wait
//! meanwhile; a transfer that cannot finish is abandoned when the leader's timer fires.
mod support;
use support::*;
use verraft_core::*;
use verraft_kv::*;

/// Three nodes with pre-vote and check-quorum on (the lease is what a transfer must pass),
/// n1 elected.
fn cluster() -> Cluster {
    let mut c = Cluster::new(3);
    for node in c.nodes.iter_mut().flatten() {
        let mut config = node.config().clone();
        config.pre_vote = true;
        config.check_quorum = true;
        *node = Node::new(config, KvStore::new()).unwrap();
    }
    c.timeout(1);
    c.settle();
    assert_eq!(c.leaders(), vec![1]);
    c
}

#[test]
fn the_target_wins_at_once_past_the_lease() {
    let mut c = cluster();
    c.propose(1, put(1, 1, "k", "v")).unwrap();
    c.settle();
    c.node_mut(1).transfer_leadership(2).unwrap();
    assert_eq!(c.node(1).transfer_target(), Some(2));
    c.flush(1);
    let kinds: Vec<&str> = c.network.iter().map(|e| e.msg.kind()).collect();
    assert_eq!(kinds, vec!["TN"], "n2 is up to date: told at once");
    c.settle();
    assert_eq!(c.leaders(), vec![2]);
    assert_eq!(c.node(2).term(), 2);
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.node(1).transfer_target(), None);
    // The new leader commits, and the old entries stay.
    c.propose(2, put(1, 2, "k", "w")).unwrap();
    c.settle();
    c.heartbeat(2);
    c.settle();
    assert_eq!(
        c.node(1).state_machine().get("k"),
        Some("vw"),
        "appended after v"
    );
}

/// The same election started by a plain timeout is ignored by voters that heard from the
/// leader within their election timeout: only the transfer's requests pass.
#[test]
fn without_the_transfer_flag_the_lease_holds() {
    let mut c = cluster();
    c.node_mut(2)
        .step(1, Message::TimeoutNow { term: 1 })
        .unwrap();
    c.flush(2);
    let request = c.network.pop_front().unwrap();
    let Message::RequestVote { term, transfer, .. } = request.msg.clone() else {
        panic!("{request:?}");
    };
    assert!(transfer && term == 2);
    let mut plain = request.clone();
    if let Message::RequestVote { transfer, .. } = &mut plain.msg {
        *transfer = false;
    }
    let mut voter = c.node(3).clone();
    voter.step(2, plain.msg).unwrap();
    assert_eq!(voter.term(), 1, "in the lease: ignored");
    voter.step(2, request.msg).unwrap();
    assert_eq!(voter.term(), 2, "the transfer passes the lease");
    assert_eq!(voter.voted_for(), Some(2));
}

/// A target that lacks entries gets them first; `TimeoutNow` follows its acknowledgement.
/// Proposals are refused while the transfer is under way.
#[test]
fn a_lagging_target_is_caught_up_first_and_proposals_wait() {
    let mut c = cluster();
    c.crash(3);
    c.propose(1, put(1, 1, "k", "v")).unwrap();
    c.settle();
    c.restart(3);
    c.node_mut(1).transfer_leadership(3).unwrap();
    c.flush(1);
    let kinds: Vec<&str> = c.network.iter().map(|e| e.msg.kind()).collect();
    assert_eq!(kinds, vec!["AE"], "entries first");
    assert_eq!(
        c.node_mut(1).propose(put(1, 2, "k", "x")),
        Err(ProposeError::Transferring { to: 3 })
    );
    c.settle();
    assert_eq!(c.leaders(), vec![3]);
    // It holds the entry it lacked (the catch-up carried the commit index too).
    assert_eq!(c.node(3).state_machine().get("k"), Some("v"));
}

/// A transfer whose target never answers is abandoned when the leader's election timer
/// fires; the leader then takes proposals again. Bad targets are refused.
#[test]
fn an_unfinished_transfer_is_abandoned_and_bad_targets_refused() {
    let mut c = cluster();
    c.crash(2);
    c.node_mut(1).transfer_leadership(2).unwrap();
    assert_eq!(
        c.node_mut(1).transfer_leadership(3),
        Err(TransferError::InProgress(2))
    );
    c.flush(1);
    c.network.clear();
    assert!(c.node_mut(1).propose(put(1, 1, "k", "v")).is_err());
    c.node_mut(1).fire_leader_timeout();
    assert_eq!(c.node(1).transfer_target(), None);
    assert!(c.node_mut(1).propose(put(1, 1, "k", "v")).is_ok());
    assert_eq!(
        c.node_mut(1).transfer_leadership(1),
        Err(TransferError::NotAPeer(1))
    );
    assert_eq!(
        c.node_mut(1).transfer_leadership(9),
        Err(TransferError::NotAPeer(9))
    );
    assert_eq!(
        c.node_mut(3).transfer_leadership(1),
        Err(TransferError::NotLeader { leader: Some(1) })
    );
}
