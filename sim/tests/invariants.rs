//! Each invariant is shown to catch a broken state (built by hand, or by a seeded bug), and
//! the correct core is shown to pass the same situation.
use verraft_core::*;
use verraft_kv::*;
use verraft_sim::invariants::{self, Before, Ghost, KvNode};
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario;
use verraft_sim::Invariant;

fn noop(term: Term) -> Entry<KvCommand> {
    Entry {
        term,
        payload: Payload::Noop,
    }
}

fn cmd(term: Term, client: ClientId, seq: u64) -> Entry<KvCommand> {
    let op = KvOp::Put {
        key: "x".into(),
        value: format!("{client}.{seq}").into(),
    };
    Entry {
        term,
        payload: Payload::Command(KvCommand { client, seq, op }),
    }
}

fn config(id: NodeId) -> Config {
    let mut c = Config::new(id, vec![1, 2, 3]).without_options();
    c.election_jitter = 0;
    c
}

/// A node rebuilt from a disk holding `log` at `term`.
fn node_with_log(id: NodeId, term: Term, log: Vec<Entry<KvCommand>>) -> KvNode {
    let storage = MemStorage {
        hard_state: HardState {
            term,
            voted_for: None,
        },
        snapshot: None,
        log,
    };
    Node::restart(config(id), &storage, KvStore::new()).unwrap()
}

/// A node that became leader of `term + 1` over `log` (it appends its no-op).
fn leader_with_log(id: NodeId, term: Term, log: Vec<Entry<KvCommand>>) -> KvNode {
    let mut n = node_with_log(id, term, log);
    n.fire_election_timeout();
    let voter = if id == 1 { 2 } else { 1 };
    n.step(
        voter,
        Message::RequestVoteResponse {
            term: term + 1,
            granted: true,
        },
    )
    .unwrap();
    n.ready();
    assert_eq!(n.role(), Role::Leader);
    n
}

#[test]
fn election_safety_catches_two_leaders_in_one_term() {
    let mut ghost = Ghost::default();
    let a = leader_with_log(1, 0, vec![]);
    let b = leader_with_log(2, 0, vec![]);
    assert!(invariants::election_safety(&mut ghost, &a).is_ok());
    assert!(
        invariants::election_safety(&mut ghost, &a).is_ok(),
        "the same leader again is fine"
    );
    let v = invariants::election_safety(&mut ghost, &b).unwrap_err();
    assert_eq!(v.invariant, Invariant::ElectionSafety);
    assert!(
        v.summary.contains("n1 and n2 are both leader of term 1"),
        "{v}"
    );
    // Leaders of different terms are fine.
    let c = leader_with_log(3, 1, vec![]);
    assert!(invariants::election_safety(&mut ghost, &c).is_ok());
}

#[test]
fn single_vote_catches_a_second_vote_in_one_term() {
    let mut ghost = Ghost::default();
    let mut n = node_with_log(2, 0, vec![]);
    n.step(
        1,
        Message::RequestVote {
            term: 1,
            last_log_index: 0,
            last_log_term: 0,
            transfer: false,
        },
    )
    .unwrap();
    assert!(invariants::single_vote(&mut ghost, &n).is_ok());
    // The same node, restarted from a disk that forgot the vote, votes for n3 in term 1.
    let mut forgetful = node_with_log(2, 1, vec![]);
    forgetful
        .step(
            3,
            Message::RequestVote {
                term: 1,
                last_log_index: 0,
                last_log_term: 0,
                transfer: false,
            },
        )
        .unwrap();
    let v = invariants::single_vote(&mut ghost, &forgetful).unwrap_err();
    assert_eq!(v.invariant, Invariant::SingleVote);
    assert!(
        v.summary
            .contains("n2 voted for n1 and then for n3 in term 1"),
        "{v}"
    );
    // A vote in a later term is a new vote.
    let mut later = node_with_log(2, 1, vec![]);
    later
        .step(
            3,
            Message::RequestVote {
                term: 2,
                last_log_index: 0,
                last_log_term: 0,
                transfer: false,
            },
        )
        .unwrap();
    assert!(invariants::single_vote(&mut ghost, &later).is_ok());
}

/// A log's length and the digest of its entries, as `Node::log_prefix_digest` gives it.
fn log_fingerprint(log: &[Entry<KvCommand>]) -> (usize, u64) {
    let digest = verraft_core::log::RaftLog::from_entries(log.to_vec()).prefix_digest(log.len());
    (log.len(), digest.unwrap_or(0))
}

#[test]
fn leader_append_only_catches_a_leader_that_rewrites_its_log() {
    let leader = leader_with_log(1, 0, vec![]); // log [1:noop]
    let mut before = Before::of(1, Some(&leader));
    assert!(invariants::leader_append_only(&before, &leader).is_ok());
    before.leader_log = Some(log_fingerprint(&[noop(1), cmd(1, 1, 1)]));
    let v = invariants::leader_append_only(&before, &leader).unwrap_err();
    assert_eq!(v.invariant, Invariant::LeaderAppendOnly);
    assert!(v.summary.contains("shortened its log from 2 to 1"), "{v}");
    // Same length, different entry: caught by the fingerprint.
    before.leader_log = Some(log_fingerprint(&[noop(2)]));
    let v = invariants::leader_append_only(&before, &leader).unwrap_err();
    assert!(
        v.summary.contains("changed entries among its first 1"),
        "{v}"
    );
}

#[test]
fn log_matching_catches_logs_that_agree_on_a_term_but_not_before_it() {
    let a = node_with_log(1, 2, vec![noop(1), noop(2)]);
    let b = node_with_log(2, 2, vec![cmd(1, 1, 1), noop(2)]);
    let v = invariants::log_matching(&a, &[&b]).unwrap_err();
    assert_eq!(v.invariant, Invariant::LogMatching);
    assert!(v.summary.contains("differ at index 1"), "{v}");
    // Logs that diverge only after their last common term are fine.
    let c = node_with_log(3, 2, vec![noop(1), noop(2), cmd(2, 1, 1)]);
    let d = node_with_log(2, 3, vec![noop(1), noop(3)]);
    assert!(invariants::log_matching(&c, &[&d, &a]).is_ok());
}

#[test]
fn leader_completeness_catches_a_leader_missing_a_committed_entry() {
    let mut ghost = Ghost::default();
    std::sync::Arc::make_mut(&mut ghost.committed).push(cmd(1, 1, 1), 1);
    let bad = leader_with_log(2, 1, vec![noop(1)]); // term 2, lacks the committed entry
    let v = invariants::leader_completeness(&ghost, &[&bad]).unwrap_err();
    assert_eq!(v.invariant, Invariant::LeaderCompleteness);
    let good = leader_with_log(3, 1, vec![cmd(1, 1, 1)]);
    assert!(invariants::leader_completeness(&ghost, &[&good]).is_ok());
    // A leader of the commit's own term is not held to it (it may be a stale leader).
    let mut ghost2 = Ghost::default();
    std::sync::Arc::make_mut(&mut ghost2.committed).push(cmd(2, 1, 1), 2);
    assert!(invariants::leader_completeness(&ghost2, &[&bad]).is_ok());
}

#[test]
fn state_machine_safety_catches_two_entries_committed_or_applied_at_one_index() {
    let mut ghost = Ghost::default();
    let applied = |entry: Entry<KvCommand>| Applied {
        index: 1,
        entry,
        output: Some(KvOutput::Done),
    };
    assert!(invariants::record_applied(&mut ghost, 1, &[applied(cmd(1, 1, 1))]).is_ok());
    assert!(invariants::record_applied(&mut ghost, 2, &[applied(cmd(1, 1, 1))]).is_ok());
    let v = invariants::record_applied(&mut ghost, 3, &[applied(cmd(1, 2, 1))]).unwrap_err();
    assert_eq!(v.invariant, Invariant::StateMachineSafety);

    // Committed entries: a node whose commit index covers a different entry.
    let mut ghost = Ghost::default();
    let mut a = node_with_log(1, 1, vec![cmd(1, 1, 1)]);
    a.step(
        2,
        Message::AppendEntries {
            term: 1,
            prev_log_index: 1,
            prev_log_term: 1,
            entries: Vec::new().into(),
            leader_commit: 1,
        },
    )
    .unwrap();
    let mut b = node_with_log(3, 1, vec![cmd(1, 2, 1)]);
    b.step(
        2,
        Message::AppendEntries {
            term: 1,
            prev_log_index: 1,
            prev_log_term: 1,
            entries: Vec::new().into(),
            leader_commit: 1,
        },
    )
    .unwrap();
    assert!(invariants::record_commit(&mut ghost, &a).is_ok());
    let v = invariants::record_commit(&mut ghost, &b).unwrap_err();
    assert_eq!(v.invariant, Invariant::StateMachineSafety);
}

/// The record is compared by prefix digest: a node that committed less than the record
/// holds is still compared on what it did commit, and one that agrees extends the record.
#[test]
fn state_machine_safety_compares_a_lagging_node_on_its_own_prefix() {
    let committed_to = |id: NodeId, log: Vec<Entry<KvCommand>>, commit: u64| {
        let mut n = node_with_log(id, 1, log);
        n.step(
            2,
            Message::AppendEntries {
                term: 1,
                prev_log_index: commit,
                prev_log_term: 1,
                entries: Vec::new().into(),
                leader_commit: commit,
            },
        )
        .unwrap();
        assert_eq!(n.commit_index(), commit);
        n
    };
    let mut ghost = Ghost::default();
    let ahead = committed_to(1, vec![cmd(1, 1, 1), cmd(1, 1, 2)], 2);
    assert!(invariants::record_commit(&mut ghost, &ahead).is_ok());
    assert_eq!(ghost.committed.len(), 2);
    let agrees = committed_to(3, vec![cmd(1, 1, 1)], 1);
    assert!(invariants::record_commit(&mut ghost, &agrees).is_ok());
    let differs = committed_to(3, vec![cmd(1, 2, 1)], 1);
    let v = invariants::record_commit(&mut ghost, &differs).unwrap_err();
    assert_eq!(v.invariant, Invariant::StateMachineSafety);
    assert!(v.summary.contains("index 1"), "{}", v.summary);
    // The record, rebuilt from its entries alone (as deserializing does), chains the same
    // digests and still tells the two apart.
    let mut rebuilt = Ghost::default();
    for (entry, term) in ghost.committed.iter() {
        std::sync::Arc::make_mut(&mut rebuilt.committed).push(entry.clone(), *term);
    }
    assert_eq!(rebuilt, ghost);
    assert!(invariants::record_commit(&mut rebuilt, &agrees).is_ok());
    assert!(invariants::record_commit(&mut rebuilt, &differs).is_err());
}

#[test]
fn applied_prefix_catches_the_same_entry_with_a_different_result() {
    let mut ghost = Ghost::default();
    let a = Applied {
        index: 1,
        entry: cmd(1, 1, 1),
        output: Some(KvOutput::Done),
    };
    let b = Applied {
        index: 1,
        entry: cmd(1, 1, 1),
        output: Some(KvOutput::Value(None)),
    };
    invariants::record_applied(&mut ghost, 1, &[a]).unwrap();
    let v = invariants::record_applied(&mut ghost, 2, &[b]).unwrap_err();
    assert_eq!(v.invariant, Invariant::AppliedPrefix);
    // Applying out of order is caught too.
    let mut ghost = Ghost::default();
    let skip = Applied {
        index: 2,
        entry: noop(1),
        output: None,
    };
    assert_eq!(
        invariants::record_applied(&mut ghost, 1, &[skip])
            .unwrap_err()
            .invariant,
        Invariant::AppliedPrefix
    );
}

#[test]
fn commit_monotonic_catches_a_lowered_commit_index() {
    let node = node_with_log(1, 1, vec![noop(1)]);
    let mut before = Before::of(1, Some(&node));
    before.commit = 3;
    assert_eq!(
        invariants::commit_monotonic(&before, &node)
            .unwrap_err()
            .invariant,
        Invariant::CommitMonotonic
    );
    // A restart legitimately starts from 0: the node was down before.
    before.alive = false;
    assert!(invariants::commit_monotonic(&before, &node).is_ok());
}

/// Replays a scenario text, with its bugs and again with none.
fn outcome(text: &str) -> (Outcome, Outcome) {
    let with_bug = scenario::parse(text).unwrap();
    let mut fixed = with_bug.clone();
    fixed.config.bugs = BugSet::NONE;
    (
        replay(&with_bug).unwrap().outcome,
        replay(&fixed).unwrap().outcome,
    )
}

fn violated(o: &Outcome) -> Option<Invariant> {
    match o {
        Outcome::Violation { violation, .. } => Some(violation.invariant),
        _ => None,
    }
}

#[test]
fn the_world_reports_election_safety_for_a_vote_lost_in_a_crash() {
    let text = "nodes 3\nbugs no-persist-vote\nfaults crash\n\
        timeout n1\ndeliver n1->n2 RV t1 last=0/0\ndeliver n2->n1 V+ t1\ncrash n2\nrestart n2\n\
        timeout n3\ndeliver n3->n2 RV t1 last=0/0\ndeliver n2->n3 V+ t1\n";
    let (bug, fixed) = outcome(text);
    // n2's second vote in term 1 is caught the moment it is cast, one step before n3 wins.
    assert_eq!(violated(&bug), Some(Invariant::SingleVote));
    assert_eq!(violated(&fixed), None);
}

#[test]
fn the_world_reports_a_double_counted_duplicate_vote() {
    // 4 nodes: a majority is 3. Each candidate has its own vote and one grant, delivered twice.
    let text = "nodes 4\nbugs vote-count\nfaults dup\nauxiliary off\n\
        timeout n1\ndeliver n1->n2 RV t1 last=0/0\ndup n2->n1 V+ t1\n\
        deliver n2->n1 V+ t1\ndeliver n2->n1 V+ t1\n\
        timeout n3\ndeliver n3->n4 RV t1 last=0/0\ndup n4->n3 V+ t1\n\
        deliver n4->n3 V+ t1\ndeliver n4->n3 V+ t1\n";
    let (bug, fixed) = outcome(text);
    assert_eq!(violated(&bug), Some(Invariant::ElectionSafety));
    // With the auxiliary invariants, the first leader's two votes of four are caught at once.
    let (aux, _) = outcome(&text.replace("auxiliary off\n", ""));
    assert!(
        matches!(&aux, Outcome::Violation { step: 5, violation } if violation.invariant == Invariant::VoteSound),
        "{aux:?}"
    );
    assert_eq!(
        fixed,
        Outcome::Clean,
        "with sets of voters nobody wins with 2 of 4"
    );
}

#[test]
fn the_world_reports_durable_state_when_a_disk_cannot_be_read_back() {
    let text = "nodes 3\nbugs none\nfaults crash\ntimeout n1\ncrash n1\nrestart n1\n";
    let s = scenario::parse(text).unwrap();
    let mut r = replay(&s).unwrap();
    assert_eq!(r.outcome, Outcome::Clean);
    // Corrupt n2's disk (terms out of order) and restart it.
    r.world.apply(&verraft_sim::Event::Crash(2)).unwrap();
    std::sync::Arc::make_mut(&mut r.world.disks[1].durable).log = vec![noop(2), noop(1)];
    let v = r
        .world
        .apply(&verraft_sim::Event::Restart(2))
        .unwrap()
        .unwrap();
    assert_eq!(v.invariant, Invariant::DurableState);
}

/// The crash mode is a fault the harness must really inject: with lose-unsynced, a write the
/// node acknowledged without syncing is gone after the crash, and a leader lacking a
/// committed entry follows. With keep-unsynced (or the correct core) nothing is lost.
/// (Figure 3's properties alone: Commit Quorum breaks as soon as the unsynced entry commits.)
#[test]
fn a_crash_loses_unsynced_writes_and_leader_completeness_catches_it() {
    let text = "nodes 3\nbugs ack-before-sync\nfaults crash,reorder\ncrash-mode lose-unsynced\nauxiliary off\nclient c1 put x 1\n\
        timeout n1\ndeliver n1->n2 RV t1 last=0/0\ndeliver n2->n1 V+ t1\n\
        deliver n1->n2 AE t1 prev=0/0 commit=0 [1:noop]\ndeliver n1->n3 AE t1 prev=0/0 commit=0 [1:noop]\n\
        deliver n2->n1 A+ t1 idx=1\ndeliver n3->n1 A+ t1 idx=1\ninvoke c1 n1\n\
        deliver n1->n2 AE t1 prev=1/1 commit=1 [1:c1.1]\ncrash n2\ndeliver n2->n1 A+ t1 idx=2\nrestart n2\n\
        timeout n3\ndeliver n3->n2 RV t2 last=1/1\ndeliver n2->n3 V+ t2\n";
    let (bug, fixed) = outcome(text);
    assert_eq!(
        violated(&bug),
        Some(Invariant::LeaderCompleteness),
        "{bug:?}"
    );
    assert_eq!(violated(&fixed), None);
    let kept = text.replace("lose-unsynced", "keep-unsynced");
    let (kept_bug, _) = outcome(&kept);
    assert_eq!(
        violated(&kept_bug),
        None,
        "nothing is lost when the crash keeps unsynced writes"
    );
}

/// Records of terms a node can never be in again are forgotten; the others are kept.
#[test]
fn ghost_pruning_forgets_only_unreachable_terms() {
    use std::sync::Arc;
    use verraft_sim::invariants::LeaderRecord;
    use verraft_sim::vec_map::VecMap;
    let record = |node| LeaderRecord {
        node,
        votes: NodeSet::from_iter([node]),
    };
    let mut ghost = Ghost {
        votes: Arc::new(VecMap::from(vec![((1, 1), 1), ((2, 1), 1), ((1, 2), 2)])),
        leaders: Arc::new(VecMap::from(vec![(1, record(1)), (2, record(2))])),
        ..Ghost::default()
    };
    ghost.prune(&[2, 1, 2]);
    let votes: Vec<_> = ghost.votes.keys().copied().collect();
    assert_eq!(
        votes,
        vec![(1, 2), (2, 1)],
        "n1 can never be in term 1 again"
    );
    assert_eq!(ghost.leaders.len(), 2, "n2 can still be in term 1");
    ghost.prune(&[2, 2, 2]);
    assert_eq!(ghost.leaders.keys().copied().collect::<Vec<_>>(), vec![2]);
    assert_eq!(
        ghost.votes.keys().copied().collect::<Vec<_>>(),
        vec![(1, 2)]
    );
}
