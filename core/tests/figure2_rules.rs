//! One test per rule of the Raft paper's Figure 2. Where a seeded bug removes the rule, the
//! same scenario is run with the bug switched on and must come out the other way: proof that
//! the test would fail if the rule were missing.
mod support;
use support::*;
use verraft_core::*;
use verraft_kv::*;

fn request_vote(term: Term, last_log_index: Index, last_log_term: Term) -> Message<KvCommand> {
    Message::RequestVote {
        term,
        last_log_index,
        last_log_term,
        transfer: false,
    }
}

fn granted(msgs: &[Envelope<KvCommand>]) -> bool {
    match msgs.last().map(|e| &e.msg) {
        Some(Message::RequestVoteResponse { granted, .. }) => *granted,
        other => panic!("expected a vote response, got {other:?}"),
    }
}

fn append(
    term: Term,
    prev: Index,
    prev_term: Term,
    entries: Vec<Entry<KvCommand>>,
    commit: Index,
) -> Message<KvCommand> {
    Message::AppendEntries {
        term,
        prev_log_index: prev,
        prev_log_term: prev_term,
        entries: entries.into(),
        leader_commit: commit,
    }
}

fn append_reply(msgs: &[Envelope<KvCommand>]) -> (Term, bool, Index, Option<Term>) {
    match msgs.last().map(|e| &e.msg) {
        Some(Message::AppendEntriesResponse {
            term,
            success,
            index,
            conflict_term,
        }) => (*term, *success, *index, *conflict_term),
        other => panic!("expected an append response, got {other:?}"),
    }
}

/// A follower whose log holds entries of the given terms, at term `term`.
fn follower_with_log(terms: &[Term], term: Term, bug: Option<Bug>) -> KvNode {
    let mut n = match bug {
        Some(b) => buggy(2, 3, b),
        None => node(2, 3),
    };
    let entries: Vec<_> = terms.iter().map(|t| entry(*t)).collect();
    n.step(1, append(term, 0, 0, entries, 0)).unwrap();
    sent(&mut n);
    n
}

// ---------- RequestVote receiver ----------

#[test]
fn vote_refused_for_a_lower_term() {
    let mut n = node(2, 3);
    n.step(1, request_vote(5, 0, 0)).unwrap();
    sent(&mut n);
    n.step(3, request_vote(4, 10, 4)).unwrap();
    let msgs = sent(&mut n);
    assert!(!granted(&msgs));
    assert_eq!(msgs[0].msg.term(), 5, "the reply carries the newer term");
}

#[test]
fn vote_refused_when_already_voted_for_another_in_the_term() {
    let mut n = node(2, 3);
    n.step(1, request_vote(1, 0, 0)).unwrap();
    assert!(granted(&sent(&mut n)));
    n.step(3, request_vote(1, 0, 0)).unwrap();
    assert!(!granted(&sent(&mut n)), "second candidate in the same term");
    // Asking again for the same candidate is answered the same way (retransmission).
    n.step(1, request_vote(1, 0, 0)).unwrap();
    assert!(granted(&sent(&mut n)));
}

#[test]
fn vote_refused_to_a_candidate_with_an_older_log() {
    for bug in [None, Some(Bug::NoUpToDateCheck)] {
        let mut n = follower_with_log(&[1, 2], 2, bug);
        // Older last term, even though longer.
        n.step(1, request_vote(3, 5, 1)).unwrap();
        let older_term = granted(&sent(&mut n));
        // Same last term but shorter.
        n.step(3, request_vote(4, 1, 2)).unwrap();
        let shorter = granted(&sent(&mut n));
        assert_eq!(older_term, bug.is_some(), "older last term, bug {bug:?}");
        assert_eq!(shorter, bug.is_some(), "shorter log, bug {bug:?}");
    }
    // Up-to-date candidates get the vote.
    let mut n = follower_with_log(&[1, 2], 2, None);
    n.step(1, request_vote(3, 2, 2)).unwrap();
    assert!(granted(&sent(&mut n)));
}

#[test]
fn a_vote_is_persisted_before_the_grant_is_sent() {
    let mut n = node(2, 3);
    n.step(1, request_vote(1, 0, 0)).unwrap();
    let ready = n.ready();
    assert_eq!(
        ready.hard_state,
        Some(HardState {
            term: 1,
            voted_for: Some(1)
        })
    );
    assert!(ready.must_sync);
    // With no-persist-vote the vote never reaches the disk.
    let mut b = buggy(2, 3, Bug::NoPersistVote);
    b.step(1, request_vote(1, 0, 0)).unwrap();
    assert_eq!(b.ready().hard_state, None);
}

// ---------- candidates ----------

#[test]
fn candidate_counts_each_voter_once() {
    for bug in [None, Some(Bug::VoteCount)] {
        let mut c = match bug {
            Some(b) => buggy(1, 5, b),
            None => node(1, 5),
        };
        c.fire_election_timeout();
        sent(&mut c);
        let grant = Message::RequestVoteResponse {
            term: 1,
            granted: true,
        };
        c.step(2, grant.clone()).unwrap();
        c.step(2, grant).unwrap(); // duplicated delivery
        assert_eq!(c.role() == Role::Leader, bug.is_some(), "bug {bug:?}");
    }
}

#[test]
fn candidate_ignores_grants_from_an_earlier_term() {
    for bug in [None, Some(Bug::StaleTermVote)] {
        let mut c = match bug {
            Some(b) => buggy(1, 3, b),
            None => node(1, 3),
        };
        c.fire_election_timeout();
        c.fire_election_timeout(); // second election: term 2
        sent(&mut c);
        c.step(
            2,
            Message::RequestVoteResponse {
                term: 1,
                granted: true,
            },
        )
        .unwrap();
        assert_eq!(c.role() == Role::Leader, bug.is_some(), "bug {bug:?}");
    }
}

#[test]
fn candidate_that_steps_down_in_its_term_keeps_its_vote() {
    for bug in [None, Some(Bug::ForgetVote)] {
        let mut c = match bug {
            Some(b) => buggy(1, 3, b),
            None => node(1, 3),
        };
        c.fire_election_timeout();
        sent(&mut c);
        c.step(2, append(1, 0, 0, vec![entry(1)], 0)).unwrap();
        assert_eq!(c.role(), Role::Follower);
        assert_eq!(
            c.voted_for(),
            if bug.is_some() { None } else { Some(1) },
            "bug {bug:?}"
        );
        sent(&mut c);
        c.step(3, request_vote(1, 1, 1)).unwrap();
        assert_eq!(
            granted(&sent(&mut c)),
            bug.is_some(),
            "second vote in term 1, bug {bug:?}"
        );
    }
}

#[test]
fn candidate_and_leader_step_down_on_a_higher_term() {
    let mut c = node(1, 3);
    c.fire_election_timeout();
    c.step(
        2,
        Message::RequestVoteResponse {
            term: 3,
            granted: false,
        },
    )
    .unwrap();
    assert_eq!(
        (c.role(), c.term(), c.voted_for()),
        (Role::Follower, 3, None)
    );

    let mut l = node(1, 3);
    l.fire_election_timeout();
    l.step(
        2,
        Message::RequestVoteResponse {
            term: 1,
            granted: true,
        },
    )
    .unwrap();
    assert_eq!(l.role(), Role::Leader);
    l.step(3, append(2, 0, 0, vec![], 0)).unwrap();
    assert_eq!(
        (l.role(), l.term(), l.leader()),
        (Role::Follower, 2, Some(3))
    );
}

// ---------- AppendEntries receiver ----------

#[test]
fn append_refused_for_a_lower_term() {
    let mut n = follower_with_log(&[1], 3, None);
    n.step(1, append(2, 1, 1, vec![entry(2)], 0)).unwrap();
    let (term, ok, _, _) = append_reply(&sent(&mut n));
    assert!(!ok);
    assert_eq!(term, 3);
    assert_eq!(n.last_index(), 1);
}

#[test]
fn append_refused_without_an_entry_at_prev_index() {
    for bug in [None, Some(Bug::GapAppend)] {
        let mut n = follower_with_log(&[1], 1, bug);
        n.step(1, append(1, 3, 1, vec![entry(1)], 0)).unwrap();
        let (_, ok, hint, _) = append_reply(&sent(&mut n));
        assert_eq!(ok, bug.is_some(), "bug {bug:?}");
        if bug.is_none() {
            assert_eq!(
                hint, 2,
                "fast back-off: next index to try is just past the log"
            );
            assert_eq!(n.last_index(), 1);
        }
    }
}

#[test]
fn append_refused_when_prev_term_differs() {
    let mut n = follower_with_log(&[1, 1, 2, 2], 3, None);
    n.step(1, append(3, 4, 3, vec![entry(3)], 0)).unwrap();
    let (_, ok, hint, conflict) = append_reply(&sent(&mut n));
    assert!(!ok);
    assert_eq!(
        (hint, conflict),
        (3, Some(2)),
        "hint: first index of the conflicting term"
    );
    assert_eq!(n.last_index(), 4);
}

#[test]
fn prev_term_is_checked_at_the_first_entry_too() {
    for bug in [None, Some(Bug::PrevTermSkip)] {
        let mut n = follower_with_log(&[1], 2, bug);
        n.step(1, append(2, 1, 2, vec![entry(2)], 0)).unwrap();
        let (_, ok, _, _) = append_reply(&sent(&mut n));
        assert_eq!(ok, bug.is_some(), "bug {bug:?}");
    }
}

#[test]
fn truncation_only_on_a_real_conflict() {
    let mut n = follower_with_log(&[1, 1, 1], 1, None);
    // A delayed, shorter append of matching entries must not cut entries 2..3.
    n.step(1, append(1, 0, 0, vec![entry(1)], 0)).unwrap();
    assert_eq!(n.last_index(), 3);
    assert_eq!(
        n.ready().log_write,
        None,
        "nothing to write when nothing changed"
    );
    // A conflicting entry at index 2 removes it and everything after it.
    n.step(3, append(2, 1, 1, vec![entry(2)], 0)).unwrap();
    let terms: Vec<Term> = n.log().iter().map(|e| e.term).collect();
    assert_eq!(terms, vec![1, 2]);
    let write = n.ready().log_write.unwrap();
    assert_eq!(write.from, 2);
}

#[test]
fn commit_index_is_capped_at_the_last_new_entry() {
    for bug in [None, Some(Bug::CommitOverrun)] {
        // The follower holds a stale entry of term 1 at index 2 that the leader never sent.
        let mut n = follower_with_log(&[1, 1], 1, bug);
        // The leader of term 2 matched only index 1 and commits up to 5.
        n.step(3, append(2, 1, 1, vec![], 5)).unwrap();
        sent(&mut n);
        assert_eq!(
            n.commit_index(),
            if bug.is_some() { 2 } else { 1 },
            "bug {bug:?}"
        );
    }
}

#[test]
fn commit_index_never_decreases() {
    let mut n = follower_with_log(&[1, 1, 1], 1, None);
    n.step(1, append(1, 3, 1, vec![], 3)).unwrap();
    n.step(1, append(1, 1, 1, vec![], 1)).unwrap();
    assert_eq!(n.commit_index(), 3);
}

// ---------- leader ----------

/// Figure 8: a leader of term 4 holds an entry of term 2 on a majority; it must not commit it
/// by counting replicas, only once an entry of term 4 is replicated too.
#[test]
fn leader_commits_only_entries_of_its_own_term() {
    for bug in [None, Some(Bug::Figure8)] {
        let bugs = bug.map_or(BugSet::NONE, |b| BugSet::NONE.with(b));
        let storage = MemStorage {
            hard_state: HardState {
                term: 3,
                voted_for: None,
            },
            snapshot: None,
            log: vec![entry(1), entry(2)],
        };
        let mut l = Node::restart(config(1, 5, bugs), &storage, KvStore::new()).unwrap();
        l.fire_election_timeout();
        for voter in [2, 3] {
            l.step(
                voter,
                Message::RequestVoteResponse {
                    term: 4,
                    granted: true,
                },
            )
            .unwrap();
        }
        assert_eq!(l.role(), Role::Leader);
        assert_eq!(l.last_index(), 3, "the no-op of term 4");
        sent(&mut l);
        // Two followers acknowledge index 2 (the old entry) only.
        for f in [2, 3] {
            l.step(
                f,
                Message::AppendEntriesResponse {
                    term: 4,
                    success: true,
                    index: 2,
                    conflict_term: None,
                },
            )
            .unwrap();
        }
        assert_eq!(
            l.commit_index(),
            if bug.is_some() { 2 } else { 0 },
            "bug {bug:?}"
        );
        // Once a majority has the term-4 no-op, everything up to it commits.
        for f in [2, 3] {
            l.step(
                f,
                Message::AppendEntriesResponse {
                    term: 4,
                    success: true,
                    index: 3,
                    conflict_term: None,
                },
            )
            .unwrap();
        }
        assert_eq!(l.commit_index(), 3);
    }
}

#[test]
fn leader_needs_a_majority_not_half() {
    for bug in [None, Some(Bug::WrongQuorum)] {
        let mut c = Cluster::with_bugs(4, bug.map_or(BugSet::NONE, |b| BugSet::NONE.with(b)));
        c.elect(1);
        c.propose(1, put(1, 1, "k", "v")).unwrap();
        // Deliver the append to n2 only and its answer back: 2 of 4 hold the entry.
        let msgs: Vec<_> = c.network.drain(..).collect();
        for env in msgs.into_iter().filter(|e| e.to == 2) {
            c.node_mut(2).step(env.from, env.msg).unwrap();
            c.flush(2);
        }
        let replies: Vec<_> = c.network.drain(..).filter(|e| e.to == 1).collect();
        for env in replies {
            c.node_mut(1).step(env.from, env.msg).unwrap();
        }
        assert_eq!(c.node(1).commit_index() == 2, bug.is_some(), "bug {bug:?}");
    }
}

#[test]
fn fast_backoff_skips_a_whole_conflicting_term() {
    let storage = MemStorage {
        hard_state: HardState {
            term: 5,
            voted_for: None,
        },
        snapshot: None,
        log: vec![entry(1), entry(4), entry(4), entry(5)],
    };
    let mut leader = Node::restart(config(1, 3, BugSet::NONE), &storage, KvStore::new()).unwrap();
    leader.fire_election_timeout();
    leader
        .step(
            2,
            Message::RequestVoteResponse {
                term: 6,
                granted: true,
            },
        )
        .unwrap();
    sent(&mut leader);
    // Follower n3 had entries of term 3 at indexes 2..6: it rejects prev 5 with conflict term 3
    // starting at index 2. The leader has no term-3 entry, so it retries at index 2 at once.
    leader
        .step(
            3,
            Message::AppendEntriesResponse {
                term: 6,
                success: false,
                index: 2,
                conflict_term: Some(3),
            },
        )
        .unwrap();
    let msgs = sent(&mut leader);
    match &msgs[0].msg {
        Message::AppendEntries { prev_log_index, .. } => assert_eq!(*prev_log_index, 1),
        m => panic!("unexpected {m:?}"),
    }
    // A conflict term the leader does have (4, at indexes 2..3): resume after its last entry
    // of that term, i.e. send from index 4.
    leader
        .step(
            3,
            Message::AppendEntriesResponse {
                term: 6,
                success: false,
                index: 2,
                conflict_term: Some(4),
            },
        )
        .unwrap();
    let msgs = sent(&mut leader);
    match &msgs[0].msg {
        Message::AppendEntries { prev_log_index, .. } => assert_eq!(*prev_log_index, 3),
        m => panic!("unexpected {m:?}"),
    }
}

#[test]
fn follower_propose_names_the_leader() {
    let mut c = Cluster::new(3);
    c.elect(2);
    assert_eq!(
        c.node_mut(1).propose(put(1, 1, "k", "v")),
        Err(ProposeError::NotLeader { leader: Some(2) })
    );
}

#[test]
fn unknown_sender_is_an_error_not_a_panic() {
    let mut n = node(1, 3);
    assert_eq!(
        n.step(0, request_vote(1, 0, 0)),
        Err(NodeError::UnknownSender(0))
    );
    assert_eq!(
        n.step(1, request_vote(1, 0, 0)),
        Err(NodeError::FromSelf(1))
    );
}

#[test]
fn bad_configurations_are_refused() {
    assert!(matches!(
        Node::new(Config::new(4, vec![1, 2, 3]), KvStore::new()),
        Err(NodeError::Config(ConfigError::NotAVoter(4)))
    ));
    assert!(matches!(
        Node::new(Config::new(1, vec![1, 2, 2]), KvStore::new()),
        Err(NodeError::Config(ConfigError::DuplicateVoter(2)))
    ));
}
