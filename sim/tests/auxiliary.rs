//! Each auxiliary invariant of the safety proofs fires on a state broken by hand and holds on
//! the same state made right; in the world, a seeded bug breaks it before (or where) a
//! Figure 3 property would; and correct runs at 3 and 5 nodes never break one.
use std::sync::Arc;
use verraft_core::*;
use verraft_kv::*;
use verraft_sim::auxiliary::{self, LogView};
use verraft_sim::invariants::{Before, CommittedEntries, Ghost, KvNode};
use verraft_sim::random::{run_one, SimOptions};
use verraft_sim::Invariant;

fn noop(term: Term) -> Entry<KvCommand> {
    Entry {
        term,
        payload: Payload::Noop,
    }
}

fn put(term: Term, seq: u64) -> Entry<KvCommand> {
    Entry {
        term,
        payload: Payload::Command(KvCommand {
            client: 1,
            seq,
            op: KvOp::Put {
                key: "x".into(),
                value: seq.to_string().into(),
            },
        }),
    }
}

fn config(id: NodeId, nodes: u8, bugs: BugSet) -> Config {
    let mut c = Config::new(id, 1..=nodes).without_options();
    c.election_jitter = 0;
    c.bugs = bugs;
    c
}

fn restarted(
    id: NodeId,
    nodes: u8,
    bugs: BugSet,
    term: Term,
    log: Vec<Entry<KvCommand>>,
) -> KvNode {
    let storage = MemStorage {
        hard_state: HardState {
            term,
            voted_for: None,
        },
        snapshot: None,
        log,
    };
    Node::restart(config(id, nodes, bugs), &storage, KvStore::new()).unwrap()
}

/// A disk holding `log` from index 1.
fn disk(log: &[Entry<KvCommand>]) -> MemStorage<KvCommand> {
    MemStorage {
        log: log.to_vec(),
        ..MemStorage::default()
    }
}

fn grant(term: Term) -> Message<KvCommand> {
    Message::RequestVoteResponse {
        term,
        granted: true,
    }
}

fn ack(term: Term, index: Index) -> Message<KvCommand> {
    Message::AppendEntriesResponse {
        term,
        success: true,
        index,
        conflict_term: None,
    }
}

/// n1 of a 3-node cluster, leader of `term + 1` over `log` with n2's vote, its no-op synced.
fn leader(term: Term, log: Vec<Entry<KvCommand>>, bugs: BugSet) -> KvNode {
    let mut n = restarted(1, 3, bugs, term, log);
    n.fire_election_timeout();
    n.step(2, grant(term + 1)).unwrap();
    let ready = n.ready();
    if let Some((i, t)) = ready.log_write.as_ref().and_then(|w| w.last()) {
        n.log_synced(i, t);
    }
    n.ready();
    assert_eq!(n.role(), Role::Leader);
    n
}

fn broken(r: Result<(), verraft_sim::Violation>, inv: Invariant) -> String {
    let v = r.expect_err("the broken state must be caught");
    assert_eq!(v.invariant, inv, "{v}");
    v.summary
}

#[test]
fn commit_quorum_wants_a_quorum_of_disks_holding_each_committed_entry() {
    let mut committed = CommittedEntries::default();
    committed.push(noop(1), 1);
    committed.push(put(1, 1), 1);
    let full = disk(&[noop(1), put(1, 1)]);
    let short = disk(&[noop(1)]);
    let holders = [
        (1, LogView::Disk(&full)),
        (2, LogView::Disk(&short)),
        (3, LogView::Disk(&short)),
    ];
    let why = broken(
        auxiliary::commit_quorum(&committed, &holders, &auxiliary::Quorum::Majority(3), 1, 2),
        Invariant::CommitQuorum,
    );
    assert!(
        why.contains("index 2 (1:c1.1) is committed but only 1 of 3 nodes hold it"),
        "{why}"
    );
    // Index 1 alone is fine, and so is index 2 once a second disk holds it.
    assert!(
        auxiliary::commit_quorum(&committed, &holders, &auxiliary::Quorum::Majority(3), 1, 1)
            .is_ok()
    );
    let holders = [
        (1, LogView::Disk(&full)),
        (2, LogView::Disk(&full)),
        (3, LogView::Disk(&short)),
    ];
    assert!(
        auxiliary::commit_quorum(&committed, &holders, &auxiliary::Quorum::Majority(3), 1, 2)
            .is_ok()
    );
    // A snapshot that covers index 2 holds it.
    let compacted = MemStorage {
        snapshot: Some(Snapshot {
            meta: SnapshotMeta {
                index: 2,
                term: 1,
                digest: committed.prefix_digest(2),
            },
            data: KvStore::new().snapshot().unwrap().into(),
            membership: None,
        }),
        ..MemStorage::default()
    };
    let holders = [
        (1, LogView::Disk(&full)),
        (2, LogView::Disk(&compacted)),
        (3, LogView::Disk(&short)),
    ];
    assert!(
        auxiliary::commit_quorum(&committed, &holders, &auxiliary::Quorum::Majority(3), 1, 2)
            .is_ok()
    );
}

#[test]
fn match_sound_wants_the_follower_to_hold_what_the_leader_counts() {
    let mut l = leader(1, vec![noop(1)], BugSet::NONE);
    l.step(2, ack(2, 2)).unwrap();
    assert_eq!(l.progress().get(2).unwrap().matched, 2);
    let none = CommittedEntries::default();
    let wrong = vec![noop(1), noop(3)];
    let wrong_disk = disk(&wrong);
    let on = |term, log| Some((term, LogView::Disk(log)));
    let why = broken(
        auxiliary::match_sound(&l, 2, on(2, &wrong_disk), &none),
        Invariant::MatchSound,
    );
    assert!(
        why.contains("counts n2 as holding its log up to index 2"),
        "{why}"
    );
    let short = disk(&[noop(1)]);
    assert!(auxiliary::match_sound(&l, 2, on(2, &short), &none).is_err());
    let right = vec![noop(1), noop(2)];
    let right_disk = disk(&right);
    assert!(auxiliary::match_sound(&l, 2, on(2, &right_disk), &none).is_ok());
    // A follower that moved on to a later term may have dropped what a deposed leader counts.
    assert!(auxiliary::match_sound(&l, 2, on(3, &wrong_disk), &none).is_ok());
    // The same through a running follower's log.
    let f = restarted(2, 3, BugSet::NONE, 2, wrong.clone());
    let live = |f| Some((2, LogView::Live(f)));
    assert!(auxiliary::match_sound(&l, 2, live(&f), &none).is_err());
    let f = restarted(2, 3, BugSet::NONE, 2, right);
    assert!(auxiliary::match_sound(&l, 2, live(&f), &none).is_ok());
}

#[test]
fn vote_sound_wants_grants_to_up_to_date_logs() {
    let voter = restarted(2, 3, BugSet::NONE, 2, vec![noop(1), noop(2)]);
    let why = broken(
        auxiliary::vote_granted_sound(&voter, 1, 1, 1),
        Invariant::VoteSound,
    );
    assert!(
        why.contains("whose log (last 1/1) is behind its own (last 2/2)"),
        "{why}"
    );
    assert!(auxiliary::vote_granted_sound(&voter, 1, 2, 2).is_ok());
    assert!(
        auxiliary::vote_granted_sound(&voter, 1, 1, 3).is_ok(),
        "a later last term wins"
    );
}

#[test]
fn vote_sound_wants_counted_votes_to_be_real_and_a_quorum() {
    let l = leader(0, vec![], BugSet::NONE);
    let floors = [1, 1, 0];
    let mut ghost = Ghost::default();
    // The record says n2 voted for n3 in term 1, yet n1 counts n2's vote.
    Arc::make_mut(&mut ghost.votes).insert((2, 1), 3);
    let why = broken(
        auxiliary::votes_sound(&ghost, &l, &floors),
        Invariant::VoteSound,
    );
    assert!(
        why.contains("n1 counts a vote of n2 in term 1, but n2 voted for n3"),
        "{why}"
    );
    Arc::make_mut(&mut ghost.votes).insert((2, 1), 1);
    assert!(auxiliary::votes_sound(&ghost, &l, &floors).is_ok());
    // A record forgotten because n2 can never be in term 1 again is not judged.
    let mut forgotten = Ghost::default();
    assert!(auxiliary::votes_sound(&forgotten, &l, &[1, 2, 0]).is_ok());
    assert!(auxiliary::votes_sound(&forgotten, &l, &floors).is_err());
    // vote-count: one grant delivered twice makes a leader of 5 with two voters.
    let mut counted = restarted(1, 5, BugSet::NONE.with(Bug::VoteCount), 0, vec![]);
    counted.fire_election_timeout();
    counted.step(2, grant(1)).unwrap();
    counted.step(2, grant(1)).unwrap();
    assert_eq!(counted.role(), Role::Leader);
    Arc::make_mut(&mut forgotten.votes).insert((2, 1), 1);
    let why = broken(
        auxiliary::votes_sound(&forgotten, &counted, &[1, 1, 0, 0, 0]),
        Invariant::VoteSound,
    );
    assert!(
        why.contains(
            "with the votes of {n1, n2} alone, no quorum of its configuration {1,2,3,4,5}"
        ),
        "{why}"
    );
}

#[test]
fn term_order_wants_log_terms_rising_and_within_the_node_s_term() {
    let ahead = restarted(2, 3, BugSet::NONE, 1, vec![noop(1), noop(2)]);
    let why = broken(auxiliary::term_order(&ahead, 1), Invariant::TermOrder);
    assert!(
        why.contains("n2 is in term 1 but its log holds an entry of term 2"),
        "{why}"
    );
    let right = restarted(2, 3, BugSet::NONE, 2, vec![noop(1), noop(2)]);
    assert!(auxiliary::term_order(&right, 1).is_ok());
}

#[test]
fn leader_sublog_wants_every_entry_of_the_leader_s_term_in_its_log() {
    let l = leader(1, vec![noop(1)], BugSet::NONE);
    let stray = restarted(2, 3, BugSet::NONE, 2, vec![noop(1), put(2, 1)]);
    let why = broken(
        auxiliary::leader_sublog(&stray, 1, &[&l]),
        Invariant::LeaderSublog,
    );
    assert!(
        why.contains("n2 holds 2:c1.1 at index 2, which leader n1 of term 2 does not"),
        "{why}"
    );
    let right = restarted(2, 3, BugSet::NONE, 2, vec![noop(1), noop(2)]);
    assert!(auxiliary::leader_sublog(&right, 1, &[&l]).is_ok());
    // Entries of other terms are not the leader's to vouch for.
    let older = restarted(2, 3, BugSet::NONE, 2, vec![noop(1), put(1, 1)]);
    assert!(auxiliary::leader_sublog(&older, 1, &[&l]).is_ok());
}

#[test]
fn commit_term_wants_a_leader_to_commit_through_its_own_term() {
    for (bug, acked, expect_err) in [
        (Some(Bug::Figure8), 1, true),
        (None, 1, false),
        (None, 2, false),
    ] {
        let bugs = bug.map_or(BugSet::NONE, |b| BugSet::NONE.with(b));
        let mut l = leader(1, vec![noop(1)], bugs);
        let before = Before::of(1, Some(&l));
        l.step(2, ack(2, acked)).unwrap();
        let r = auxiliary::commit_term(&before, &l);
        assert_eq!(r.is_err(), expect_err, "{bug:?}, ack {acked}: {r:?}");
        if let Err(v) = r {
            assert!(
                v.summary
                    .contains("raised its commit index from 0 to 1, an entry of term 1"),
                "{v}"
            );
        }
    }
}

#[test]
fn append_sound_wants_messages_that_agree_with_the_sender_s_log() {
    let l = leader(1, vec![noop(1)], BugSet::NONE);
    let append = |prev_log_index, prev_log_term, entries: Vec<Entry<KvCommand>>, commit| {
        Message::AppendEntries {
            term: 2,
            prev_log_index,
            prev_log_term,
            entries: entries.into(),
            leader_commit: commit,
        }
    };
    assert!(auxiliary::append_sound(&l, 2, &append(1, 1, vec![noop(2)], 0)).is_ok());
    assert!(auxiliary::append_sound(&l, 2, &append(0, 0, vec![noop(1), noop(2)], 0)).is_ok());
    let cases = [
        (
            append(1, 2, vec![noop(2)], 0),
            "names term 2 for index 1, where its log has term 1",
        ),
        (
            append(1, 1, vec![noop(3)], 0),
            "carries entries for indices 2 on that are not its own",
        ),
        (append(2, 2, vec![noop(2)], 0), "are not its own"),
        (
            append(1, 1, vec![], 5),
            "announces commit index 5, above its own 0",
        ),
    ];
    for (msg, want) in cases {
        let why = broken(auxiliary::append_sound(&l, 2, &msg), Invariant::AppendSound);
        assert!(why.contains(want), "{why}");
    }
}

/// In the world, with a seeded bug, the auxiliary invariant that bug breaks first.
#[test]
fn seeded_bugs_break_an_auxiliary_invariant_first() {
    let cases = [
        (Bug::VoteCount, 4, Invariant::VoteSound),
        (Bug::StaleTermVote, 3, Invariant::VoteSound),
        (Bug::NoUpToDateCheck, 3, Invariant::VoteSound),
        (Bug::WrongQuorum, 3, Invariant::CommitQuorum),
        (Bug::AckBeforeSync, 3, Invariant::CommitQuorum),
        (Bug::NoPersistVote, 3, Invariant::TermOrder),
        (Bug::GapAppend, 3, Invariant::LeaderSublog),
        (Bug::Figure8, 3, Invariant::CommitTerm),
    ];
    for (bug, nodes, want) in cases {
        let opts = SimOptions {
            nodes,
            bugs: BugSet::NONE.with(bug),
            ..SimOptions::default()
        };
        let found = (1..=2000)
            .filter_map(|seed| run_one(&opts, seed).unwrap().violation)
            .find(|v| v.invariant == want);
        assert!(found.is_some(), "{bug}: no run broke {want}");
    }
}

#[test]
fn correct_runs_break_no_auxiliary_invariant() {
    for nodes in [3, 5] {
        let opts = SimOptions {
            nodes,
            ..SimOptions::default()
        };
        for seed in 1..=300 {
            let r = run_one(&opts, seed).unwrap();
            assert!(
                r.violation.is_none(),
                "{nodes} nodes, seed {seed}: {:?}",
                r.violation
            );
        }
    }
}

fn pre_vote_grant(term: Term) -> Message<KvCommand> {
    Message::PreVoteResponse {
        term,
        granted: true,
    }
}

/// n1 of a cluster of `nodes` with pre-vote on, just become a pre-candidate in term 1.
fn pre_candidate(nodes: u8) -> KvNode {
    let mut c = config(1, nodes, BugSet::NONE);
    c.pre_vote = true;
    let mut n = Node::restart(c, &MemStorage::default(), KvStore::new()).unwrap();
    n.fire_election_timeout();
    assert_eq!(n.role(), Role::PreCandidate);
    n
}

#[test]
fn vote_sound_wants_pre_votes_granted_only_to_later_terms_and_logs_as_long() {
    let voter = restarted(2, 3, BugSet::NONE, 1, vec![noop(1), noop(1)]);
    let grant = pre_vote_grant(2);
    // The pre-candidate's log ends at 1/1, behind the voter's 2/1.
    let why = broken(
        auxiliary::pre_vote_granted_sound(&voter, 1, &grant, Some((1, 2, 1, 1))),
        Invariant::VoteSound,
    );
    assert!(why.contains("granted n1 a pre-vote for term 2"), "{why}");
    // A grant for the voter's own term.
    let same_term = pre_vote_grant(1);
    assert!(auxiliary::pre_vote_granted_sound(&voter, 1, &same_term, Some((1, 1, 2, 1))).is_err());
    // A grant nobody asked for.
    assert!(auxiliary::pre_vote_granted_sound(&voter, 1, &grant, None).is_err());
    assert!(auxiliary::pre_vote_granted_sound(&voter, 3, &grant, Some((1, 2, 2, 1))).is_err());
    // Made right: a later term and a log as up to date; refusals are never judged.
    assert!(auxiliary::pre_vote_granted_sound(&voter, 1, &grant, Some((1, 2, 2, 1))).is_ok());
    let refusal = Message::PreVoteResponse {
        term: 1,
        granted: false,
    };
    assert!(auxiliary::pre_vote_granted_sound(&voter, 1, &refusal, None).is_ok());
}

#[test]
fn vote_sound_wants_only_grants_for_the_next_term_counted_as_pre_votes() {
    // Five nodes: one grant adds a pre-vote without reaching the quorum of three.
    let mut counting = pre_candidate(5);
    let before = Before::of(1, Some(&counting));
    counting.step(2, pre_vote_grant(1)).unwrap();
    assert_eq!(counting.votes().len(), 2);
    let why = broken(
        auxiliary::pre_vote_counted_sound(&before, &counting, Some(2), 1, false),
        Invariant::VoteSound,
    );
    assert!(
        why.contains("counted n2's pre-vote refusal for term 1"),
        "{why}"
    );
    assert!(auxiliary::pre_vote_counted_sound(&before, &counting, Some(2), 1, true).is_ok());
    // Three nodes: the grant is a quorum and the pre-candidate campaigns.
    let mut campaigning = pre_candidate(3);
    let before = Before::of(1, Some(&campaigning));
    campaigning.step(2, pre_vote_grant(1)).unwrap();
    assert_eq!(campaigning.role(), Role::Candidate);
    let why = broken(
        auxiliary::pre_vote_counted_sound(&before, &campaigning, Some(2), 2, true),
        Invariant::VoteSound,
    );
    assert!(why.contains("and campaigned"), "{why}");
    assert!(auxiliary::pre_vote_counted_sound(&before, &campaigning, Some(2), 1, true).is_ok());
    // A follower counts no pre-vote at all.
    let follower = restarted(2, 3, BugSet::NONE, 1, vec![]);
    let before = Before::of(2, Some(&follower));
    assert!(auxiliary::pre_vote_counted_sound(&before, &follower, Some(1), 2, true).is_ok());
}

/// n1 of three with check-quorum on, leader of term 1 with n2's vote; nobody heard since.
fn check_quorum_leader() -> KvNode {
    let mut c = config(1, 3, BugSet::NONE);
    c.check_quorum = true;
    let mut n = Node::restart(c, &MemStorage::default(), KvStore::new()).unwrap();
    n.fire_election_timeout();
    n.step(2, grant(1)).unwrap();
    n.ready();
    assert_eq!(n.role(), Role::Leader);
    n
}

#[test]
fn check_quorum_sound_wants_a_step_down_only_without_a_quorum() {
    let mut answered = check_quorum_leader();
    answered.step(2, ack(1, 1)).unwrap();
    let heard_quorum = Before::of(1, Some(&answered));
    assert_eq!(heard_quorum.heard.len(), 2, "itself and n2");
    // A leader nobody answered steps down at its check, in its own term.
    let mut lone = check_quorum_leader();
    let heard_nobody = Before::of(1, Some(&lone));
    lone.fire_leader_timeout();
    assert_eq!((lone.role(), lone.term()), (Role::Follower, 1));
    // Paired with the state of a leader that n2 did answer, the step-down is needless.
    let why = broken(
        auxiliary::check_quorum_sound(&heard_quorum, &lone),
        Invariant::CheckQuorumSound,
    );
    assert!(
        why.contains(
            "had heard from {n1, n2} since its last check (itself included): a quorum of the voters 1,2,3"
        ),
        "{why}"
    );
    assert!(auxiliary::check_quorum_sound(&heard_nobody, &lone).is_ok());
    // The answered leader keeps its place at the check.
    answered.fire_leader_timeout();
    assert_eq!(answered.role(), Role::Leader);
    assert!(auxiliary::check_quorum_sound(&heard_quorum, &answered).is_ok());
}

fn vote_grant(term: Term) -> Message<KvCommand> {
    Message::RequestVoteResponse {
        term,
        granted: true,
    }
}

#[test]
fn vote_sound_wants_no_grant_for_a_later_term_while_a_leader_s_promise_holds() {
    for grant in [vote_grant(3), pre_vote_grant(3)] {
        let why = broken(
            auxiliary::promise_kept(2, 3, &grant, true),
            Invariant::VoteSound,
        );
        assert!(why.contains("n2 granted n3 a"), "{why}");
        assert!(why.contains("check-quorum's promise"), "{why}");
        // Made right: no promise held (the timer fired, or none was made).
        assert!(auxiliary::promise_kept(2, 3, &grant, false).is_ok());
    }
    // Refusals are what a promise asks for.
    let refusal = Message::RequestVoteResponse {
        term: 3,
        granted: false,
    };
    assert!(auxiliary::promise_kept(2, 3, &refusal, true).is_ok());
}

/// The world, not the node, keeps what each node promised: hearing its leader's append
/// starts a promise, the node's own election timeout ends it, and the correct core keeps it
/// (a cut-off node's campaign is ignored without alarm).
#[test]
fn the_world_tracks_each_node_s_promise_and_the_correct_core_keeps_it() {
    use verraft_sim::{Event, Features, World, WorldConfig};
    let mut c = WorldConfig::new(3);
    c.features = Features {
        check_quorum: true,
        pre_vote: false,
        ..Features::NONE
    };
    c.clients = vec![];
    let mut w = World::new(c).unwrap();
    let settle = |w: &mut World| loop {
        let next = w
            .enabled_events()
            .into_iter()
            .find(|e| matches!(e, Event::Deliver { .. }));
        let Some(e) = next else { break };
        assert_eq!(w.apply(&e).unwrap(), None, "{e}");
    };
    w.apply(&Event::Timeout(1)).unwrap();
    settle(&mut w);
    assert_eq!(w.leaders(), vec![1]);
    assert!(w.ghost.promises.left(2) > 0 && w.ghost.promises.left(3) > 0);
    assert_eq!(w.ghost.promises.left(1), 0, "a leader's own timer fired");
    // n3's timer fires (as if cut off): its promise ends, n2's holds and it ignores n3.
    w.apply(&Event::Timeout(3)).unwrap();
    assert_eq!(w.ghost.promises.left(3), 0);
    settle(&mut w);
    assert!(w.ghost.promises.left(2) > 0);
    assert_eq!(w.node(2).unwrap().voted_for(), Some(1));
}

/// A confirmation round is word from the leader as much as an append is (with leases, each
/// heartbeat's round is what the leader counts as the follower's promise): a follower that
/// has heard nothing else from its new leader has promised it once the round arrives.
/// (A core whose followers answered rounds without resetting their timers was caught only
/// once the world counted rounds.)
#[test]
fn a_read_confirmation_round_starts_a_promise() {
    use verraft_sim::{Event, Features};
    let mut w = world_with_leader(Features {
        check_quorum: true,
        read_index: true,
        ..Features::NONE
    });
    assert_eq!(
        w.ghost.promises.left(3),
        0,
        "n3 has heard nothing from n1 yet"
    );
    w.apply(&Event::Invoke { client: 1, node: 1 }).unwrap();
    deliver(&mut w, "deliver n1->n3 RC");
    assert!(w.ghost.promises.left(3) > 0);
    assert_eq!(w.node(3).unwrap().leader(), Some(1));
}

fn configuration(term: Term, voters: &str) -> Entry<KvCommand> {
    Entry {
        term,
        payload: Payload::Config(voters.parse().unwrap()),
    }
}

/// Config Lineage: the 2015 single-server bug's fork (n1 removed n2 in term 1, n2 removed n1
/// in term 2, neither after a commit of its term) fires; the same logs once term 2's no-op
/// is committed do not (n1's branch conflicts with it, so its change can never commit); a
/// later change on the same branch does not.
#[test]
fn config_lineage_wants_no_two_live_branches_with_configurations() {
    let four: Membership = "1,2,3,4".parse().unwrap();
    let n1 = disk(&[noop(1), configuration(1, "1,3,4")]);
    let n2 = disk(&[noop(2), configuration(2, "2,3,4")]);
    let holders = [(1, LogView::Disk(&n1)), (2, LogView::Disk(&n2))];
    let none = CommittedEntries::default();
    let why = broken(
        auxiliary::config_lineage(&none, holders[1], 2, &holders, &four),
        Invariant::ConfigLineage,
    );
    assert!(
        why.contains("n2's 2:config=2,3,4 at index 2 and n1's 1:config=1,3,4 at index 2"),
        "{why}"
    );
    let mut committed = CommittedEntries::default();
    committed.push(noop(2), 2);
    assert!(auxiliary::config_lineage(&committed, holders[1], 2, &holders, &four).is_ok());
    // n3 went on from n2's branch: a second change after the first is no fork.
    let n3 = disk(&[noop(2), configuration(2, "2,3,4"), configuration(2, "2,3")]);
    let one_branch = [(2, LogView::Disk(&n2)), (3, LogView::Disk(&n3))];
    assert!(auxiliary::config_lineage(&none, one_branch[1], 3, &one_branch, &four).is_ok());
    assert!(auxiliary::config_lineage(&none, one_branch[0], 1, &one_branch, &four).is_ok());
}

/// Config Lineage along one log: swapping two voters in one step lets the two
/// configurations decide apart and fires; the same swap through a joint configuration, or
/// one voter at a time each after the one before committed, does not. The configuration
/// before the first entry is the one the cluster started with. Two changes of one voter
/// each with the first not committed fire: the cluster's committed configuration is still
/// in force at the nodes that have not heard of either.
#[test]
fn config_lineage_wants_each_configuration_to_intersect_the_ones_in_force() {
    let three: Membership = "1,2,3".parse().unwrap();
    let check = |log: &[Entry<KvCommand>], committed: usize| {
        let d = disk(log);
        let holders = [(1, LogView::Disk(&d))];
        let mut c = CommittedEntries::default();
        for e in &log[..committed] {
            c.push(e.clone(), e.term);
        }
        auxiliary::config_lineage(&c, holders[0], 1, &holders, &three)
    };
    let why = broken(
        check(&[noop(1), configuration(1, "1,4,5")], 0),
        Invariant::ConfigLineage,
    );
    assert!(
        why.contains(
            "configuration 1,4,5 at index 2 can decide apart from the one the cluster started with, 1,2,3"
        ),
        "{why}"
    );
    let joint = [
        noop(1),
        configuration(1, "1,4,5/1,2,3"),
        configuration(1, "1,4,5"),
    ];
    assert!(check(&joint, 2).is_ok());
    // Two voters added one at a time are fine, both at once are not ({1, 2} is a quorum of
    // the three, {3, 4, 5} one of the five).
    let one_at_a_time = [
        noop(1),
        configuration(1, "1,2,3,4"),
        configuration(1, "1,2,3,4,5"),
    ];
    assert!(check(&one_at_a_time, 2).is_ok());
    broken(
        check(&[noop(1), configuration(1, "1,2,3,4,5")], 1),
        Invariant::ConfigLineage,
    );
    // One voter removed, then one added before the removal committed: {2, 3} is a quorum
    // of the committed three and {1, 4} one of the last.
    let hasty = [noop(1), configuration(1, "1,2"), configuration(1, "1,2,4")];
    let why = broken(check(&hasty, 1), Invariant::ConfigLineage);
    assert!(
        why.contains(
            "1,2,4 at index 3 can decide apart from the one the cluster started with, 1,2,3"
        ),
        "{why}"
    );
    assert!(check(&hasty, 2).is_ok());
    // The same chain cut by a committed configuration further back.
    let why = broken(check(&one_at_a_time, 1), Invariant::ConfigLineage);
    assert!(why.contains("1,2,3,4,5 at index 3"), "{why}");
}

/// A three-node world without clocks, n1 elected with n2's vote, the clients' reads served
/// by ReadIndex.
fn world_with_leader(features: verraft_sim::Features) -> verraft_sim::World {
    use verraft_sim::{Event, World, WorldConfig};
    let mut c = WorldConfig::new(3);
    c.features = features;
    c.clients = vec![vec![KvOp::Get { key: "x".into() }]];
    let mut w = World::new(c).unwrap();
    w.apply(&Event::Timeout(1)).unwrap();
    deliver(&mut w, "deliver n1->n2 RV");
    deliver(&mut w, "deliver n2->n1 V+");
    assert_eq!(w.leaders(), vec![1]);
    w
}

/// Apply the first enabled event that reads `prefix...`; it must break nothing.
fn deliver(w: &mut verraft_sim::World, prefix: &str) {
    let e = w
        .enabled_events()
        .into_iter()
        .find(|e| e.to_string().starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` enabled"));
    assert_eq!(w.apply(&e).unwrap(), None, "{e}");
}

/// Read Sound: a read served on n2's answer, sent after the read began, holds; the same
/// world with the record of that answer forgotten (as if the answer had been sent before
/// the read began) breaks it at the serving event.
#[test]
fn read_sound_wants_a_quorum_that_answered_after_the_read_began() {
    use verraft_sim::read_witnesses::ReadWitnesses;
    use verraft_sim::{Event, Features};
    let features = Features {
        read_index: true,
        ..Features::NONE
    };
    let mut w = world_with_leader(features);
    deliver(&mut w, "deliver n1->n2 AE");
    deliver(&mut w, "deliver n2->n1 A+");
    w.apply(&Event::Invoke { client: 1, node: 1 }).unwrap();
    deliver(&mut w, "deliver n1->n2 RC");
    let mut forgotten = w.clone();
    deliver(&mut w, "deliver n2->n1 RC+");
    assert_eq!(
        w.node(1).unwrap().pending_reads().len(),
        0,
        "the read is served"
    );

    forgotten.ghost.read_witnesses = ReadWitnesses::default();
    let answer = forgotten
        .enabled_events()
        .into_iter()
        .find(|e| e.to_string().starts_with("deliver n2->n1 RC+"))
        .unwrap();
    let v = forgotten
        .apply(&answer)
        .unwrap()
        .expect("Read Sound breaks");
    assert_eq!(v.invariant, Invariant::ReadSound, "{v}");
}

/// Check-Quorum Sound, the other way: at its check a leader that heard from n2 keeps
/// leading; the same world with the record of n2's messages forgotten (as if nothing had
/// come) breaks it, since the leader still leads.
#[test]
fn check_quorum_sound_wants_a_step_down_without_a_quorum() {
    use verraft_sim::heard::HeardSince;
    use verraft_sim::{Event, Features};
    let features = Features {
        check_quorum: true,
        ..Features::NONE
    };
    let mut w = world_with_leader(features);
    deliver(&mut w, "deliver n1->n2 AE");
    deliver(&mut w, "deliver n2->n1 A+");
    let mut forgotten = w.clone();
    assert_eq!(w.apply(&Event::Timeout(1)).unwrap(), None);
    assert_eq!(w.leaders(), vec![1], "n2 answered: a quorum");
    // A second check with nothing heard since the first: n1 steps down, as it must.
    assert_eq!(w.apply(&Event::Timeout(1)).unwrap(), None);
    assert!(w.leaders().is_empty());

    forgotten.ghost.heard = HeardSince::default();
    let v = forgotten
        .apply(&Event::Timeout(1))
        .unwrap()
        .expect("Check-Quorum Sound breaks");
    assert_eq!(v.invariant, Invariant::CheckQuorumSound, "{v}");
}

/// Transfer Sound: `TimeoutNow` only to a target holding the leader's whole log (a target
/// in a later term is not judged), and a campaign on it only by a follower of the sender in
/// the message's term.
#[test]
fn transfer_sound_wants_an_up_to_date_target_told_by_its_own_leader() {
    let committed = CommittedEntries::default();
    let l = leader(1, vec![noop(1), put(1, 1)], BugSet::NONE); // term 2, log [1, 1, 2]
    let behind = restarted(3, 3, BugSet::NONE, 2, vec![noop(1), put(1, 1)]);
    let level = restarted(3, 3, BugSet::NONE, 2, vec![noop(1), put(1, 1), noop(2)]);
    broken(
        auxiliary::timeout_now_sound(&l, 3, view(&behind), &committed),
        Invariant::TransferSound,
    );
    auxiliary::timeout_now_sound(&l, 3, view(&level), &committed).unwrap();
    let later = restarted(3, 3, BugSet::NONE, 3, vec![noop(1)]);
    fn view(n: &KvNode) -> (Term, LogView<'_>) {
        (n.term(), LogView::Live(n))
    }
    auxiliary::timeout_now_sound(&l, 3, view(&later), &committed).unwrap();

    let follower = (Role::Follower, 2, Some(1));
    auxiliary::campaign_on_timeout_now_sound(3, 1, 2, follower).unwrap();
    for before in [
        (Role::Follower, 3, Some(1)), // the message is of an earlier term
        (Role::Follower, 2, Some(2)), // it follows another leader
        (Role::Follower, 2, None),    // it knows no leader
        (Role::Candidate, 2, None),   // it is campaigning already
    ] {
        broken(
            auxiliary::campaign_on_timeout_now_sound(3, 1, 2, before),
            Invariant::TransferSound,
        );
    }
}
