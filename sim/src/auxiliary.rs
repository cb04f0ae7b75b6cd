//! The auxiliary invariants of Raft's safety proofs. The properties of the paper's Figure 3
//! (in `invariants`) are what users care about, but they are the *last* symptom of a bug:
//! the published proofs rest on stronger, inductive invariants that break at the first wrong
//! step. Checked after every event, they make deep bugs shallow and counterexamples end
//! where the mistake is. Each names its source:
//!
//! - **Commit Quorum**: every committed entry is held by a quorum on durable storage (the
//!   quorum-intersection argument of the Raft paper §5.4.3; Ongaro's TLA+ proof, lemma
//!   `CommittedEntriesReachMajority`).
//! - **Match Sound**: a leader's match index for a follower never runs ahead of what the
//!   follower's log really agrees with, and `next` stays in `(match, last + 1]` (Verdi's
//!   `match_index_all_entries`, Woos et al., CPP 2016).
//! - **Vote Sound**: the votes a candidate counts are votes really cast for it in that term,
//!   a leader holds a quorum of them, and a vote goes only to a log at least as up to date as
//!   the voter's (Verdi's `votes_correct`/`cronies_correct`, `votes_received_leaders`; the
//!   TLA+ proof's `VotesGrantedInv`). Pre-votes likewise: granted only for a term later
//!   than the voter's, to a log at least as up to date, and counted only as such grants (a
//!   wrong pre-vote breaks no safety property itself, but it is how a node that cannot win
//!   disrupts a working leader, which pre-vote exists to prevent).
//! - **Check-Quorum Sound**: a leader steps down in its own term only when fewer than a
//!   quorum answered it since its last check (a liveness guard rather than a safety lemma:
//!   a needless step-down stops a working cluster for an election).
//! - **Config Lineage**: two configuration entries on diverging branches of the log (neither
//!   is in the log that holds the other) are never both still able to commit: one of them
//!   sits on a log that conflicts with a committed entry. A leader appends a configuration
//!   only once an entry of its own term has committed, and every log off its branch
//!   conflicts with that entry or an earlier one, so the history of configurations never
//!   forks (dissertation §4.1 and its 2015 erratum; the single-server change bug breaks it
//!   the moment the second, diverging, change is appended, long before two leaders' logs
//!   disagree on a committed entry).
//! - **Term Order**: log terms never decrease along a log and never exceed the node's current
//!   term (Verdi's `entries_sorted` and `allEntries_term_sanity`).
//! - **Leader Sublog**: every entry of term t in any log is, at the same index, in the log of
//!   the leader of term t (Verdi's `leader_sublog`).
//! - **Commit Term**: a leader raises its commit index only to an entry of its own term;
//!   earlier entries commit with it (Raft paper §5.4.2, the rule whose absence Figure 8
//!   shows; the `AdvanceCommitIndex` action of Ongaro's TLA+ specification).
//! - **Append Sound**: an AppendEntries message agrees with its sender's log: the previous
//!   entry's term and the entries it carries are the leader's own (the TLA+ proof's message
//!   invariants; Verdi's `append_entries_leaderLogs`).
//! - **Transfer Sound**: a leader tells a node to campaign at once (`TimeoutNow`) only when
//!   that node's log holds the leader's whole log, and a node campaigns on such a message
//!   only when it came from the leader it follows in its term (the dissertation's §3.10):
//!   the campaign skips pre-vote and passes the voters' promises to their leader, so a
//!   misdirected or stale one could depose a healthy leader, and with leases elect a new
//!   one while the old lease still holds.
//! - **Read Sound**: a leader serves a read without the log only once a quorum answered it,
//!   in its term, after the read began (or while its lease holds): the quorum-intersection
//!   argument of ReadIndex (dissertation §6.4). Kept by the world in `read_witnesses`, from
//!   the answers it sees sent.
use crate::event::EntryRef;
use crate::invariants::{
    disk_log_summary, node_log_summary, Before, CommittedEntries, Ghost, Invariant, KvNode,
    Violation,
};
use smallvec::SmallVec;
use verraft_core::{Entry, Index, MemStorage, Membership, Message, NodeId, NodeSet, Role, Term};
use verraft_kv::KvCommand;

/// One node's log as an invariant reads it: a running node's (with its prefix digests), or
/// what the disk of a node holds (its snapshot and the entries after it).
#[derive(Clone, Copy)]
pub enum LogView<'a> {
    Live(&'a KvNode),
    Disk(&'a MemStorage<KvCommand>),
}

impl LogView<'_> {
    /// The index of its last entry (its snapshot's when it holds none after it).
    fn last_index(&self) -> Index {
        match self {
            LogView::Live(n) => n.last_index(),
            LogView::Disk(d) => d.snapshot_index() + d.log.len() as Index,
        }
    }

    /// Whether its first `len` entries disagree with the committed ones anywhere (only the
    /// indices committed so far are compared).
    fn conflicts_with_committed(&self, len: Index, committed: &CommittedEntries) -> bool {
        let len = (len as usize).min(committed.len());
        len > 0 && self.prefix_digest(len, committed) != Some(committed.prefix_digest(len))
    }

    /// The index its snapshot covers up to (0: none).
    fn snapshot_index(&self) -> Index {
        match self {
            LogView::Live(n) => n.snapshot().index,
            LogView::Disk(d) => d.snapshot_index(),
        }
    }

    /// The entry at `index`, if held (not inside the snapshot, not past the end).
    fn entry(&self, index: Index) -> Option<&Entry<KvCommand>> {
        match self {
            LogView::Live(n) => n.entry(index),
            LogView::Disk(d) => d.entry(index),
        }
    }

    /// Whether it holds the committed `entry` at `index`: as an entry, or inside its
    /// snapshot (which holds committed entries only, as `snapshot_sound` checks).
    fn holds(&self, index: Index, entry: &Entry<KvCommand>) -> bool {
        index <= self.snapshot_index() || self.entry(index) == Some(entry)
    }

    /// The digest of its first `len` entries: its own from its snapshot on, and inside the
    /// snapshot that of the committed entries (which a snapshot holds).
    fn prefix_digest(&self, len: usize, committed: &CommittedEntries) -> Option<u64> {
        let start = self.snapshot_index() as usize;
        if len < start {
            return (committed.len() >= len).then(|| committed.prefix_digest(len));
        }
        match self {
            LogView::Live(n) => n.log_prefix_digest(len),
            LogView::Disk(d) => {
                let base = d.snapshot.as_ref().map_or(0, |s| s.meta.digest);
                let entries = d.log.get(..len - start)?;
                Some(entries.iter().fold(base, verraft_core::log::link))
            }
        }
    }

    fn summary(&self) -> String {
        match self {
            LogView::Live(n) => node_log_summary(n),
            LogView::Disk(d) => disk_log_summary(d),
        }
    }
}

/// A node and the log it holds (on disk, or in memory where a crash would keep it).
pub type Holder<'a> = (NodeId, LogView<'a>);

/// What Commit Quorum asks of the nodes holding a committed entry.
pub enum Quorum {
    /// A majority of a fixed cluster of this many nodes.
    Majority(usize),
    /// Membership changes: a quorum of the configuration of the node that committed it,
    /// as it counted (checked when the entry is committed; with membership changes the
    /// holders of an old entry need not stay a majority of later configurations, only
    /// intersect their quorums, which takes logs into account to state).
    Of(Membership),
}

impl Quorum {
    /// Whether `holding` is enough.
    pub fn holds(&self, holding: &[NodeId]) -> bool {
        match self {
            Quorum::Majority(n) => holding.len() > n / 2,
            Quorum::Of(m) => m.has_quorum(&holding.iter().copied().collect()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Quorum::Majority(n) => format!("a quorum of {}", n / 2 + 1),
            Quorum::Of(m) => format!("a quorum of the configuration {m} that committed it"),
        }
    }
}

/// Commit Quorum for the committed indices `first ..= last` (1-based): each is held, with the
/// same entry, by at least `quorum` of `holders` (every node's durable log, or where a crash
/// keeps unsynced writes, what a running node holds).
pub fn commit_quorum(
    committed: &CommittedEntries,
    holders: &[Holder],
    quorum: &Quorum,
    first: usize,
    last: usize,
) -> Result<(), Violation> {
    for index in first.max(1)..=last.min(committed.len()) {
        let (entry, term) = &committed[index - 1];
        let holding: Vec<NodeId> = holders
            .iter()
            .filter(|(_, log)| log.holds(index as Index, entry))
            .map(|(id, _)| *id)
            .collect();
        if !quorum.holds(&holding) {
            let names: Vec<String> = holding.iter().map(|n| format!("n{n}")).collect();
            return Err(Violation::new(
                Invariant::CommitQuorum,
                format!(
                    "index {index} ({}) is committed but only {} of {} nodes hold it on disk, fewer than {}",
                    EntryRef::of(entry),
                    holding.len(),
                    holders.len(),
                    quorum.describe()
                ),
            )
            .detail(format!(
                "committed in term {term}; held by {}",
                if names.is_empty() {
                    "no node".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
    }
    Ok(())
}

/// Match Sound for `leader` and one follower, given the follower's term and log (`None`:
/// only the range of `next` is checked). Followers in a later term are not judged: they may
/// have rightly dropped what a deposed leader still counts.
pub fn match_sound(
    leader: &KvNode,
    follower: NodeId,
    follower_log: Option<(Term, LogView)>,
    committed: &CommittedEntries,
) -> Result<(), Violation> {
    let Some(progress) = leader.progress().get(follower) else {
        return Ok(());
    };
    let last = leader.last_index();
    if !(progress.matched < progress.next && progress.next <= last + 1) {
        return Err(Violation::new(
            Invariant::MatchSound,
            format!(
                "leader n{} of term {} has next {} for n{follower} outside (match {}, last + 1 = {}]",
                leader.id(),
                leader.term(),
                progress.next,
                progress.matched,
                last + 1
            ),
        ));
    }
    let Some((follower_term, log)) = follower_log else {
        return Ok(());
    };
    if follower_term > leader.term() || progress.matched == 0 {
        return Ok(());
    }
    let matched = progress.matched as usize;
    if holds_leader_prefix(&log, leader, matched, committed) {
        return Ok(());
    }
    Err(Violation::new(
        Invariant::MatchSound,
        format!(
            "leader n{} of term {} counts n{follower} as holding its log up to index {matched}, but n{follower}'s log differs",
            leader.id(),
            leader.term()
        ),
    )
    .detail(format!("n{}: {}", leader.id(), node_log_summary(leader)))
    .detail(format!("n{follower}: {}", log.summary())))
}

/// Vote Sound at the moment `voter` grants its vote to `candidate`, whose RequestVote said
/// its log ends at `last_index`/`last_term`: the candidate's log must be at least as up to
/// date as the voter's (Figure 2; the safety of elections rests on it).
pub fn vote_granted_sound(
    voter: &KvNode,
    candidate: NodeId,
    last_index: Index,
    last_term: Term,
) -> Result<(), Violation> {
    if (last_term, last_index) >= (voter.last_term(), voter.last_index()) {
        return Ok(());
    }
    Err(Violation::new(
        Invariant::VoteSound,
        format!(
            "n{} voted for n{candidate} in term {}, whose log (last {last_index}/{last_term}) is behind its own (last {}/{})",
            voter.id(),
            voter.term(),
            voter.last_index(),
            voter.last_term()
        ),
    ))
}

/// Vote Sound for pre-votes, at the moment `voter` answers a PreVote: a grant goes only to a
/// pre-candidate asking about a term later than the voter's own, whose log (as its PreVote
/// said, `request`) is at least as up to date as the voter's. A pre-vote changes nobody's
/// state, so a wrong grant breaks no safety property by itself; it lets a node that could
/// not win (a stale log, a term nobody is behind) disrupt a working leader, which is what
/// pre-vote exists to stop.
pub fn pre_vote_granted_sound(
    voter: &KvNode,
    to: NodeId,
    msg: &Message<KvCommand>,
    request: Option<(NodeId, Term, Index, Term)>,
) -> Result<(), Violation> {
    let Message::PreVoteResponse {
        term,
        granted: true,
    } = *msg
    else {
        return Ok(());
    };
    let me = voter.id();
    let Some((candidate, asked, last_index, last_term)) = request.filter(|r| r.0 == to) else {
        return Err(Violation::new(
            Invariant::VoteSound,
            format!("n{me} granted n{to} a pre-vote for term {term} that n{to} did not ask for"),
        ));
    };
    let behind = (last_term, last_index) < (voter.last_term(), voter.last_index());
    if term == asked && asked > voter.term() && !behind {
        return Ok(());
    }
    Err(Violation::new(
        Invariant::VoteSound,
        format!(
            "n{me} (term {}, last {}/{}) granted n{candidate} a pre-vote for term {term}, asked about term {asked} with its log at last {last_index}/{last_term}",
            voter.term(),
            voter.last_index(),
            voter.last_term()
        ),
    )
    .detail("a pre-vote is granted only for a later term than the voter's, to a log at least as up to date as its own".to_string()))
}

/// Vote Sound for pre-votes, at the moment a PreVoteResponse reaches a node: only a grant
/// for the term a pre-candidate is about to campaign in (its own term + 1) counts. Any other
/// answer, or any answer to a node that is not a pre-candidate, adds no vote and starts no
/// campaign (a higher term may still make the node a follower, as every message's does).
pub fn pre_vote_counted_sound(
    before: &Before,
    node: &KvNode,
    voter: Option<NodeId>,
    term: Term,
    granted: bool,
) -> Result<(), Violation> {
    if before.role == Role::PreCandidate && granted && term == before.term + 1 {
        return Ok(());
    }
    let same = node.role() == before.role && node.term() == before.term;
    let campaigned = matches!(node.role(), Role::Candidate | Role::Leader) && !same;
    let counted = same && node.votes().len() > before.votes.len();
    if !campaigned && !counted {
        return Ok(());
    }
    let voter = voter.map_or("?".to_string(), |v| format!("n{v}"));
    let answer = if granted { "grant" } else { "refusal" };
    Err(Violation::new(
        Invariant::VoteSound,
        format!(
            "n{} ({:?} of term {}) counted {voter}'s pre-vote {answer} for term {term}{}",
            node.id(),
            before.role,
            before.term,
            if campaigned { " and campaigned" } else { "" }
        ),
    )
    .detail("only a grant for a pre-candidate's next term counts".to_string()))
}

/// Check-Quorum Sound: a leader steps down in its own term (check-quorum: nothing else makes
/// a leader a follower without a higher term) only when it has heard from fewer than a
/// quorum, itself included, since its last check, as its progress records it
/// (`Before::heard`). A leader that steps down while a quorum answers it breaks no safety
/// property, but it stops a working cluster for an election.
pub fn check_quorum_sound(before: &Before, node: &KvNode) -> Result<(), Violation> {
    let stepped_down = before.alive
        && before.role == Role::Leader
        && node.role() != Role::Leader
        && node.term() == before.term;
    // (A leader that removed itself steps down once the change commits.)
    let membership = node.membership();
    if !stepped_down || !membership.is_voter(node.id()) || !membership.has_quorum(&before.heard) {
        return Ok(());
    }
    Err(Violation::new(
        Invariant::CheckQuorumSound,
        format!(
            "leader n{} of term {} stepped down for lack of a quorum, but it had heard from {} since its last check (itself included): a quorum of the voters {membership}",
            node.id(),
            before.term,
            names(&before.heard)
        ),
    ))
}

/// Vote Sound for a candidate or leader: every vote it counts in its term is a vote the
/// voter really cast for it in that term (as the record of votes has it; a vote whose record
/// was forgotten, because the voter can never be in that term again, is not judged), and a
/// leader counts a quorum. `floors[n - 1]` is the lowest term node n can still be in.
pub fn votes_sound(ghost: &Ghost, node: &KvNode, floors: &[Term]) -> Result<(), Violation> {
    // A pre-candidate's votes are pre-votes for the next term, which nobody records.
    if matches!(node.role(), Role::Follower | Role::PreCandidate) {
        return Ok(());
    }
    let term = node.term();
    let me = node.id();
    for voter in node.votes().iter().filter(|v| *v != me) {
        let remembered = floors
            .get(voter as usize - 1)
            .is_some_and(|floor| *floor <= term);
        let cast = ghost.votes.get(&(voter, term)).copied();
        if remembered && cast != Some(me) {
            let really = cast.map_or("no one".to_string(), |c| format!("n{c}"));
            return Err(Violation::new(
                Invariant::VoteSound,
                format!("n{me} counts a vote of n{voter} in term {term}, but n{voter} voted for {really} in term {term}"),
            ));
        }
    }
    let membership = node.membership();
    if node.role() == Role::Leader && !membership.has_quorum(node.votes()) {
        return Err(Violation::new(
            Invariant::VoteSound,
            format!(
                "n{me} leads term {term} with the votes of {} alone, no quorum of its configuration {{{membership}}}",
                names(node.votes())
            ),
        ));
    }
    Ok(())
}

fn names(set: &NodeSet) -> String {
    let n: Vec<String> = set.iter().map(|v| format!("n{v}")).collect();
    format!("{{{}}}", n.join(", "))
}

/// Term Order for the entries of `node`'s log from index `from` on (and the one before, to
/// compare with): terms never decrease along the log, and none exceeds the node's term. The
/// snapshot's term counts as the term of the entry at its index.
pub fn term_order(node: &KvNode, from: Index) -> Result<(), Violation> {
    let start = node.snapshot().index;
    let first = from.max(start + 1);
    let mut previous = node.term_at(first - 1).unwrap_or(0);
    for index in first..=node.last_index() {
        let Some(entry) = node.entry(index) else {
            break;
        };
        if entry.term < previous {
            return Err(Violation::new(
                Invariant::TermOrder,
                format!(
                    "n{}'s log goes back from term {previous} to term {} at index {index}",
                    node.id(),
                    entry.term,
                ),
            )
            .detail(format!("n{}: {}", node.id(), node_log_summary(node))));
        }
        previous = entry.term;
    }
    let last = node.last_term();
    if last > node.term() {
        return Err(Violation::new(
            Invariant::TermOrder,
            format!(
                "n{} is in term {} but its log holds an entry of term {last}",
                node.id(),
                node.term()
            ),
        )
        .detail(format!("n{}: {}", node.id(), node_log_summary(node))));
    }
    Ok(())
}

/// Leader Sublog for the entries of `node`'s log from index `from` on: each entry of a term
/// that a running leader leads is, at the same index, in that leader's log (entries inside
/// the leader's snapshot are committed ones, which Log Matching and the snapshot's own
/// check cover).
pub fn leader_sublog(node: &KvNode, from: Index, leaders: &[&KvNode]) -> Result<(), Violation> {
    let first = from.max(node.snapshot().index + 1);
    for leader in leaders.iter().filter(|l| l.id() != node.id()) {
        let compacted = leader.snapshot().index;
        for index in first.max(compacted + 1)..=node.last_index() {
            let Some(entry) = node.entry(index) else {
                break;
            };
            if entry.term != leader.term() || leader.entry(index) == Some(entry) {
                continue;
            }
            return Err(Violation::new(
                Invariant::LeaderSublog,
                format!(
                    "n{} holds {} at index {index}, which leader n{} of term {} does not",
                    node.id(),
                    EntryRef::of(entry),
                    leader.id(),
                    leader.term()
                ),
            )
            .detail(format!("n{}: {}", node.id(), node_log_summary(node)))
            .detail(format!("n{}: {}", leader.id(), node_log_summary(leader))));
        }
    }
    Ok(())
}

/// Commit Term: while `node` leads one term, each rise of its commit index lands on an entry
/// of that term (the commit index it brought into the term may be older).
pub fn commit_term(before: &Before, node: &KvNode) -> Result<(), Violation> {
    let leading = before.alive && before.role == Role::Leader && node.role() == Role::Leader;
    if !leading || before.term != node.term() || node.commit_index() <= before.commit {
        return Ok(());
    }
    let commit = node.commit_index();
    let term = node.term_at(commit).unwrap_or(0);
    if term == node.term() {
        return Ok(());
    }
    Err(Violation::new(
        Invariant::CommitTerm,
        format!(
            "leader n{} of term {} raised its commit index from {} to {commit}, an entry of term {term}",
            node.id(),
            node.term(),
            before.commit
        ),
    )
    .detail(format!("n{}: {}", node.id(), node_log_summary(node))))
}

/// Append Sound for a message `leader` sends in its term: an AppendEntries names the term of
/// the leader's entry before its entries, carries the leader's own entries, and a commit
/// index no higher than the leader's.
pub fn append_sound(
    leader: &KvNode,
    to: NodeId,
    msg: &Message<KvCommand>,
) -> Result<(), Violation> {
    let Message::AppendEntries {
        term,
        prev_log_index,
        prev_log_term,
        entries,
        leader_commit,
    } = msg
    else {
        return Ok(());
    };
    if leader.role() != Role::Leader || *term != leader.term() {
        return Ok(());
    }
    let prev = *prev_log_index;
    let own_prev = leader.term_at(prev);
    let own_entries = (1..=entries.len() as Index).map(|k| leader.entry(prev + k));
    let own = own_entries.eq(entries.iter().map(Some));
    let wrong = if own_prev != Some(*prev_log_term) {
        Some(format!(
            "names term {prev_log_term} for index {prev}, where its log has {}",
            own_prev.map_or("nothing".into(), |t| format!("term {t}"))
        ))
    } else if !own {
        Some(format!(
            "carries entries for indices {} on that are not its own",
            prev + 1
        ))
    } else if *leader_commit > leader.commit_index() {
        Some(format!(
            "announces commit index {leader_commit}, above its own {}",
            leader.commit_index()
        ))
    } else {
        None
    };
    match wrong {
        None => Ok(()),
        Some(why) => Err(Violation::new(
            Invariant::AppendSound,
            format!(
                "leader n{} of term {term} sends n{to} an AppendEntries that {why}",
                leader.id()
            ),
        )
        .detail(format!("n{}: {}", leader.id(), node_log_summary(leader)))),
    }
}

/// The promise behind check-quorum (the dissertation's §4.2.3) and behind a leader's lease:
/// a node that heard from a leader of its term within an election timeout by its own clock
/// (`promised`, tracked by the world in `Promises`) grants no vote and no pre-vote for a
/// later term, unless a leadership transfer asked for it. A node that breaks it lets a cut-off
/// or removed node depose a working leader, and with lease reads lets a new leader commit
/// while the old one still answers reads from its lease.
pub fn promise_kept(
    voter: NodeId,
    to: NodeId,
    msg: &Message<KvCommand>,
    promised: bool,
) -> Result<(), Violation> {
    let (kind, term) = match *msg {
        Message::RequestVoteResponse {
            term,
            granted: true,
        } => ("vote", term),
        Message::PreVoteResponse {
            term,
            granted: true,
        } => ("pre-vote", term),
        _ => return Ok(()),
    };
    if !promised {
        return Ok(());
    }
    Err(Violation::new(
        Invariant::VoteSound,
        format!(
            "n{voter} granted n{to} a {kind} for term {term} within an election timeout of hearing its leader (check-quorum's promise)"
        ),
    ))
}

/// Config Lineage for the configuration entries `node` holds from index `from` on (the ones
/// the event just put there), against every configuration entry any node holds (`holders`:
/// running nodes' logs, down nodes' disks). Two configuration entries lie on diverging
/// branches when the log holding the later-indexed one has a different entry at the other's
/// index; a branch can still commit while its log agrees with every committed entry up to
/// the configuration's index.
///
/// Along one log, each configuration's quorums also intersect every quorum of each
/// configuration before it back to the latest committed one (`initial` before the first,
/// when the log starts at index 1): a change of one voter, or a joint configuration between
/// two sets, keeps two consecutive configurations from deciding apart, and a leader that
/// waits for its configuration to commit before the next change keeps the chain one link
/// long. (Two uncommitted changes of one voter each can make a configuration that decides
/// apart from the committed one: {1,2,3} to {1,2} to {1,2,4}.)
pub fn config_lineage(
    committed: &CommittedEntries,
    node: Holder,
    from: Index,
    holders: &[Holder],
    initial: &Membership,
) -> Result<(), Violation> {
    let (id, view) = node;
    let first = from.max(view.snapshot_index() + 1);
    for index in first..=view.last_index() {
        let Some(entry) = view.entry(index) else {
            continue;
        };
        let verraft_core::Payload::Config(after) = &entry.payload else {
            continue;
        };
        for (before_index, before) in configs_in_force_before(view, index, committed, initial) {
            if let Some((a, b)) = disjoint_quorums(&before, after) {
                let which = if before_index == 0 {
                    "the one the cluster started with".to_string()
                } else {
                    format!("the one at index {before_index}")
                };
                return Err(Violation::new(
                    Invariant::ConfigLineage,
                    format!(
                        "n{id}'s configuration {after} at index {index} can decide apart from {which}, {before}, still in force for nodes that have not heard of what followed it: {} is a quorum of the one and {} of the other",
                        names(&b),
                        names(&a)
                    ),
                )
                .detail(format!("n{id}: {}", view.summary())));
            }
        }
        if view.conflicts_with_committed(index, committed) {
            continue;
        }
        for (other_id, other) in holders.iter().filter(|(o, _)| *o != id) {
            let other_start = other.snapshot_index() + 1;
            for other_index in other_start..=other.last_index() {
                let Some(other_entry) = other.entry(other_index).filter(|e| is_config(e)) else {
                    continue;
                };
                // On one branch: the log of the later one holds the earlier one (a snapshot
                // holds committed entries only, so an index inside it is not a fork).
                let same_branch = if other_index <= index {
                    view.holds(other_index, other_entry)
                } else {
                    other.holds(index, entry)
                };
                if same_branch || other.conflicts_with_committed(other_index, committed) {
                    continue;
                }
                return Err(Violation::new(
                    Invariant::ConfigLineage,
                    format!(
                        "n{id}'s {} at index {index} and n{other_id}'s {} at index {other_index} lie on diverging branches of the log, and neither conflicts with a committed entry: both can still commit",
                        EntryRef::of(entry),
                        EntryRef::of(other_entry)
                    ),
                )
                .detail(format!("n{id}: {}", view.summary()))
                .detail(format!("n{other_id}: {}", other.summary()))
                .detail(format!("committed: {} entries", committed.len())));
            }
        }
    }
    Ok(())
}

/// The configurations of `view` before `index` that nodes may still act on, latest first,
/// with their indexes (0 for `initial`): back to and including the latest one at a
/// committed index, or `initial` when none is and the log starts at index 1. (With a
/// snapshot and no committed configuration after it, the snapshot's is committed and
/// the walk stops at the snapshot.)
fn configs_in_force_before(
    view: LogView<'_>,
    index: Index,
    committed: &CommittedEntries,
    initial: &Membership,
) -> SmallVec<[(Index, Membership); 4]> {
    let mut found = SmallVec::new();
    for i in (view.snapshot_index() + 1..index).rev() {
        if let Some(verraft_core::Payload::Config(m)) = view.entry(i).map(|e| &e.payload) {
            found.push((i, *m));
            if i <= committed.len() as Index {
                return found;
            }
        }
    }
    if view.snapshot_index() == 0 {
        found.push((0, *initial));
    }
    found
}

/// Two disjoint quorums, one of `a` and one of `b`, if there are any (quorums are closed
/// under adding members, so it is enough to split the members of both in two).
fn disjoint_quorums(a: &Membership, b: &Membership) -> Option<(NodeSet, NodeSet)> {
    let everyone = a.members().union(&b.members());
    let ids: SmallVec<[NodeId; 9]> = everyone.iter().collect();
    (0u32..1 << ids.len()).find_map(|mask| {
        let (mut of_a, mut of_b) = (NodeSet::default(), NodeSet::default());
        for (bit, id) in ids.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                of_a.insert(*id);
            } else {
                of_b.insert(*id);
            }
        }
        (a.has_quorum(&of_a) && b.has_quorum(&of_b)).then_some((of_a, of_b))
    })
}

fn is_config(entry: &Entry<KvCommand>) -> bool {
    matches!(entry.payload, verraft_core::Payload::Config(_))
}

/// Whether `log` holds the first `len` entries of `leader`'s log (compared by prefix digest).
fn holds_leader_prefix(
    log: &LogView,
    leader: &KvNode,
    len: usize,
    committed: &CommittedEntries,
) -> bool {
    let theirs = log.prefix_digest(len, committed);
    theirs.is_some() && theirs == LogView::Live(leader).prefix_digest(len, committed)
}

/// Transfer Sound, at the moment `leader` sends `TimeoutNow` to `target`, whose term and log
/// are `target_log`: the target must hold the leader's whole log, or it cannot win (a target
/// in a later term is not judged: it may have rightly dropped what a deposed leader counts).
pub fn timeout_now_sound(
    leader: &KvNode,
    target: NodeId,
    target_log: (Term, LogView),
    committed: &CommittedEntries,
) -> Result<(), Violation> {
    let (target_term, log) = target_log;
    let last = leader.last_index() as usize;
    if target_term > leader.term() {
        return Ok(());
    }
    if holds_leader_prefix(&log, leader, last, committed) {
        return Ok(());
    }
    Err(Violation::new(
        Invariant::TransferSound,
        format!(
            "leader n{} of term {} tells n{target} to campaign at once, but n{target} does not hold its log up to index {last}",
            leader.id(),
            leader.term()
        ),
    )
    .detail(format!("n{}: {}", leader.id(), node_log_summary(leader)))
    .detail(format!("n{target}: {}", log.summary())))
}

/// Transfer Sound, when a `TimeoutNow` of `term` from `sender` made `node` campaign: before
/// it, `node` was a follower of `sender` in that very term.
pub fn campaign_on_timeout_now_sound(
    node: NodeId,
    sender: NodeId,
    term: Term,
    before: (Role, Term, Option<NodeId>),
) -> Result<(), Violation> {
    let (role, node_term, leader) = before;
    if role == Role::Follower && node_term == term && leader == Some(sender) {
        return Ok(());
    }
    let following = match leader {
        Some(l) => format!("following n{l}"),
        None => "following no leader".to_string(),
    };
    Err(Violation::new(
        Invariant::TransferSound,
        format!(
            "n{node} campaigns at once on n{sender}'s TimeoutNow of term {term}, while it was {role:?} of term {node_term}, {following}: only its own leader may ask that"
        ),
    ))
}
