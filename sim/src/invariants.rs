//! Raft's safety invariants (Figure 3 of the paper) and the harness's own, checked after every
//! event by every engine. Each returns a violation that explains itself to a person.
//!
//! The checks need a little history that no single state holds (who led each term, what was
//! committed and applied), kept in `Ghost`. Only the node an event touched can have changed,
//! so each check looks at that node against the rest.
use crate::event::EntryRef;
use crate::memo::Memo;
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use verraft_core::{Applied, Entry, Index, NodeId, NodeSet, Role, SnapshotMeta, Term};
pub use verraft_kv::KvNode;
use verraft_kv::{KvCommand, KvOutput};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Invariant {
    ElectionSafety,
    SingleVote,
    LeaderAppendOnly,
    LogMatching,
    LeaderCompleteness,
    StateMachineSafety,
    CommitMonotonic,
    AppliedPrefix,
    DurableState,
    // The auxiliary invariants of the safety proofs (see `auxiliary`).
    CommitQuorum,
    MatchSound,
    VoteSound,
    TermOrder,
    LeaderSublog,
    CommitTerm,
    AppendSound,
    CheckQuorumSound,
    ConfigLineage,
    ReadSound,
    TransferSound,
    Linearizability,
    Liveness,
}

impl Invariant {
    pub const ALL: [Invariant; 22] = [
        Invariant::ElectionSafety,
        Invariant::SingleVote,
        Invariant::LeaderAppendOnly,
        Invariant::LogMatching,
        Invariant::LeaderCompleteness,
        Invariant::StateMachineSafety,
        Invariant::CommitMonotonic,
        Invariant::AppliedPrefix,
        Invariant::DurableState,
        Invariant::CommitQuorum,
        Invariant::MatchSound,
        Invariant::VoteSound,
        Invariant::TermOrder,
        Invariant::LeaderSublog,
        Invariant::CommitTerm,
        Invariant::AppendSound,
        Invariant::CheckQuorumSound,
        Invariant::ConfigLineage,
        Invariant::ReadSound,
        Invariant::TransferSound,
        Invariant::Linearizability,
        Invariant::Liveness,
    ];

    /// The invariants checked after every event (the others judge a whole run).
    pub const PER_EVENT: [Invariant; 20] = [
        Invariant::ElectionSafety,
        Invariant::SingleVote,
        Invariant::LeaderAppendOnly,
        Invariant::LogMatching,
        Invariant::LeaderCompleteness,
        Invariant::StateMachineSafety,
        Invariant::CommitMonotonic,
        Invariant::AppliedPrefix,
        Invariant::DurableState,
        Invariant::CommitQuorum,
        Invariant::MatchSound,
        Invariant::VoteSound,
        Invariant::TermOrder,
        Invariant::LeaderSublog,
        Invariant::CommitTerm,
        Invariant::AppendSound,
        Invariant::CheckQuorumSound,
        Invariant::ConfigLineage,
        Invariant::ReadSound,
        Invariant::TransferSound,
    ];

    /// The auxiliary invariants of the safety proofs: stronger than the properties of the
    /// paper's Figure 3, they break at the first wrong step (see `auxiliary`).
    pub const AUXILIARY: [Invariant; 11] = [
        Invariant::CommitQuorum,
        Invariant::MatchSound,
        Invariant::VoteSound,
        Invariant::TermOrder,
        Invariant::LeaderSublog,
        Invariant::CommitTerm,
        Invariant::AppendSound,
        Invariant::CheckQuorumSound,
        Invariant::ConfigLineage,
        Invariant::ReadSound,
        Invariant::TransferSound,
    ];

    /// Whether this is one of `AUXILIARY`.
    pub fn is_auxiliary(self) -> bool {
        Invariant::AUXILIARY.contains(&self)
    }

    pub fn name(self) -> &'static str {
        match self {
            Invariant::ElectionSafety => "Election Safety",
            Invariant::SingleVote => "Single Vote",
            Invariant::LeaderAppendOnly => "Leader Append-Only",
            Invariant::LogMatching => "Log Matching",
            Invariant::LeaderCompleteness => "Leader Completeness",
            Invariant::StateMachineSafety => "State Machine Safety",
            Invariant::CommitMonotonic => "Commit Monotonic",
            Invariant::AppliedPrefix => "Applied Prefix",
            Invariant::DurableState => "Durable State",
            Invariant::CommitQuorum => "Commit Quorum",
            Invariant::MatchSound => "Match Sound",
            Invariant::VoteSound => "Vote Sound",
            Invariant::TermOrder => "Term Order",
            Invariant::LeaderSublog => "Leader Sublog",
            Invariant::CommitTerm => "Commit Term",
            Invariant::AppendSound => "Append Sound",
            Invariant::CheckQuorumSound => "Check-Quorum Sound",
            Invariant::ConfigLineage => "Config Lineage",
            Invariant::ReadSound => "Read Sound",
            Invariant::TransferSound => "Transfer Sound",
            Invariant::Linearizability => "Linearizability",
            Invariant::Liveness => "Liveness",
        }
    }

    pub fn parse(name: &str) -> Option<Invariant> {
        Invariant::ALL
            .into_iter()
            .find(|i| i.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A broken invariant: which one, a one-line summary, and lines of detail.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Violation {
    pub invariant: Invariant,
    pub summary: String,
    pub details: Vec<String>,
}

impl Violation {
    pub fn new(invariant: Invariant, summary: impl Into<String>) -> Violation {
        Violation {
            invariant,
            summary: summary.into(),
            details: Vec::new(),
        }
    }

    pub fn detail(mut self, line: impl Into<String>) -> Violation {
        self.details.push(line.into());
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.invariant, self.summary)?;
        for d in &self.details {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

/// The first leader seen in a term, and who voted for it.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct LeaderRecord {
    pub node: NodeId,
    pub votes: NodeSet,
}

/// Committed entries by index, each with the term of the first node seen committing it, and
/// the running digest of every prefix, chained as a node's log chains its own
/// (`verraft_core::log::link`): State Machine Safety then compares a node's committed prefix
/// with the record in one step, the way Log Matching compares logs. The digests are derived
/// from the entries, so equality, hashing and serialization look at the entries alone.
#[derive(Clone, Debug, Default)]
pub struct CommittedEntries {
    entries: Vec<(Entry<KvCommand>, Term)>,
    chain: Vec<u64>,
}

impl CommittedEntries {
    pub fn push(&mut self, entry: Entry<KvCommand>, term: Term) {
        let previous = self.chain.last().copied().unwrap_or(0);
        self.chain.push(verraft_core::log::link(previous, &entry));
        self.entries.push((entry, term));
    }

    /// The digest of the first `len` entries, as `RaftLog::prefix_digest` would give it for
    /// a log that holds them (0 for none).
    pub fn prefix_digest(&self, len: usize) -> u64 {
        len.checked_sub(1).map_or(0, |i| self.chain[i])
    }
}

impl std::ops::Deref for CommittedEntries {
    type Target = [(Entry<KvCommand>, Term)];
    fn deref(&self) -> &Self::Target {
        &self.entries
    }
}

impl PartialEq for CommittedEntries {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}
impl Eq for CommittedEntries {}

impl std::hash::Hash for CommittedEntries {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.entries.hash(h);
    }
}

impl Serialize for CommittedEntries {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.entries.serialize(s)
    }
}

impl<'de> Deserialize<'de> for CommittedEntries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut record = CommittedEntries::default();
        for (entry, term) in Vec::<(Entry<KvCommand>, Term)>::deserialize(d)? {
            record.push(entry, term);
        }
        Ok(record)
    }
}
/// Applied entries by index, each with the output it produced.
pub type AppliedEntries = Vec<(Entry<KvCommand>, Option<KvOutput>)>;

/// What the invariants remember across events. Each record grows rarely (an election, a
/// vote, a commit), so each is shared between a world and its clones and copied only when
/// it grows (`Arc::make_mut` at the one place each is written).
///
/// Leader and vote records of terms no node can ever be in again are forgotten (`prune`):
/// they can never be compared with anything, and keeping them would make worlds that
/// differ only in how long-gone elections went into different states for a model checker.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Ghost {
    /// The first leader of each term still reachable, and who voted for it.
    pub leaders: Arc<VecMap<Term, LeaderRecord>>,
    /// Terms that had a leader so far, counted up to 2 (enough to tell "a leader was
    /// elected" and "a leader was replaced", without telling histories apart any further).
    pub terms_led: u8,
    /// The vote each node cast in each term it can still be in: (node, term) -> candidate.
    pub votes: Arc<VecMap<(NodeId, Term), NodeId>>,
    /// Every committed index, with its entry and the term of the first node seen committing it.
    pub committed: Arc<Memo<CommittedEntries>>,
    /// The one sequence every node's applied entries must be a prefix of.
    pub applied: Arc<Memo<AppliedEntries>>,
    /// A leader stepped down in its own term for lack of a quorum (check-quorum): recorded
    /// once, for the model checker's `sometimes` property.
    pub quorum_lost: bool,
    /// A read was served without the log after a leader change: recorded once, for the
    /// model checker's `sometimes` property.
    pub read_after_change: bool,
    /// A follower installed a snapshot from its leader: recorded once, for the model
    /// checker's `sometimes` property.
    pub snapshot_installed: bool,
    /// A node restarted from a snapshot on its disk: recorded once, likewise.
    pub recovered_from_snapshot: bool,
    /// The node a leader told to campaign at once (`TimeoutNow`) and the term it then
    /// campaigned in, until it wins that term or the term passes.
    pub transfer_campaign: Option<(NodeId, Term)>,
    /// A leadership transfer completed: its target won the election it started. Recorded
    /// once, for the model checker's `sometimes` property.
    pub transfer_completed: bool,
    /// A leader answered a read while its lease held (lease reads): recorded once, for the
    /// model checker's `sometimes` property.
    pub lease_read: bool,
    /// What each node promised its leader (check-quorum's rule), as the world saw it.
    pub promises: crate::promises::Promises,
    /// Who vouched for each read's leader since the read began (Read Sound).
    pub read_witnesses: crate::read_witnesses::ReadWitnesses,
    /// Whom each leader heard from since its last check-quorum check (Check-Quorum Sound).
    pub heard: crate::heard::HeardSince,
}

impl Ghost {
    /// Forget the records no invariant can consult again. `floors[n - 1]` is the lowest
    /// term node n can ever be in from now on: its durable term (a running node's term only
    /// grows, and a restarted node starts from its disk). A vote of node n in a term below
    /// its floor can never be followed by a second one; no node can lead a term below every
    /// floor. Sound with seeded bugs too: every record is keyed by the term the node was in.
    pub fn prune(&mut self, floors: &[Term]) {
        let Some(lowest) = floors.iter().copied().min() else {
            return;
        };
        let stale_vote = |(voter, term): &(NodeId, Term)| {
            floors
                .get(*voter as usize - 1)
                .is_some_and(|floor| term < floor)
        };
        if self.votes.keys().any(stale_vote) {
            Arc::make_mut(&mut self.votes).retain(|key, _| !stale_vote(key));
        }
        if self.leaders.keys().next().is_some_and(|t| *t < lowest) {
            Arc::make_mut(&mut self.leaders).retain(|term, _| *term >= lowest);
        }
    }
}

/// What an event's node looked like before the event.
pub struct Before {
    pub node: NodeId,
    pub alive: bool,
    pub role: Role,
    pub term: Term,
    pub voted_for: Option<NodeId>,
    /// The votes it had counted in its term.
    pub votes: NodeSet,
    pub commit: Index,
    /// The index of its snapshot.
    pub snapshot: Index,
    /// Length and digest of the log, taken only when the node was a leader (Leader
    /// Append-Only needs them). The node keeps the digest of every prefix up to date, so
    /// this costs nothing however long the log.
    pub leader_log: Option<(usize, u64)>,
    /// A leader: the nodes (itself included) it has heard from since its last check-quorum
    /// check, as its progress records them.
    pub heard: NodeSet,
}

impl Before {
    pub fn of(id: NodeId, node: Option<&KvNode>) -> Before {
        match node {
            Some(n) => Before {
                node: id,
                alive: true,
                role: n.role(),
                term: n.term(),
                voted_for: n.voted_for(),
                votes: *n.votes(),
                commit: n.commit_index(),
                snapshot: n.snapshot().index,
                leader_log: (n.role() == Role::Leader).then(|| {
                    let len = n.last_index() as usize;
                    (len, n.log_prefix_digest(len).unwrap_or(0))
                }),
                heard: if n.role() == Role::Leader {
                    let mut heard: NodeSet = n
                        .progress()
                        .iter()
                        .filter(|(_, p)| p.recent_active)
                        .map(|(id, _)| id)
                        .collect();
                    heard.insert(id);
                    heard
                } else {
                    NodeSet::new()
                },
            },
            None => Before {
                node: id,
                alive: false,
                role: Role::Follower,
                term: 0,
                voted_for: None,
                votes: NodeSet::new(),
                commit: 0,
                snapshot: 0,
                leader_log: None,
                heard: NodeSet::new(),
            },
        }
    }
}

fn votes(set: &NodeSet) -> String {
    let names: Vec<String> = set.iter().map(|n| format!("n{n}")).collect();
    format!("{{{}}}", names.join(", "))
}

/// Election Safety: at most one leader per term.
pub fn election_safety(ghost: &mut Ghost, node: &KvNode) -> Result<(), Violation> {
    if node.role() != Role::Leader {
        return Ok(());
    }
    let record = LeaderRecord {
        node: node.id(),
        votes: *node.votes(),
    };
    match ghost.leaders.get(&node.term()) {
        None => {
            Arc::make_mut(&mut ghost.leaders).insert(node.term(), record);
            ghost.terms_led = (ghost.terms_led + 1).min(2);
            Ok(())
        }
        Some(first) if first.node == node.id() => Ok(()),
        Some(first) => {
            let term = node.term();
            let mut v = Violation::new(
                Invariant::ElectionSafety,
                format!(
                    "n{} and n{} are both leader of term {term}",
                    first.node,
                    node.id()
                ),
            )
            .detail(format!(
                "n{} won term {term} with votes {}",
                first.node,
                votes(&first.votes)
            ))
            .detail(format!(
                "n{} won term {term} with votes {}",
                node.id(),
                votes(&record.votes)
            ));
            let twice: Vec<String> = first
                .votes
                .intersection(&record.votes)
                .iter()
                .map(|n| format!("n{n}"))
                .collect();
            if !twice.is_empty() {
                v = v.detail(format!(
                    "{} voted for both in term {term}",
                    twice.join(", ")
                ));
            }
            Err(v)
        }
    }
}

/// Single Vote (Figure 2, votedFor): a node votes for at most one candidate in a term. This
/// is the lemma Election Safety rests on; checking it directly catches a double vote even
/// when it does not (yet) produce two leaders.
pub fn single_vote(ghost: &mut Ghost, node: &KvNode) -> Result<(), Violation> {
    let Some(candidate) = node.voted_for() else {
        return Ok(());
    };
    let key = (node.id(), node.term());
    match ghost.votes.get(&key) {
        None => {
            Arc::make_mut(&mut ghost.votes).insert(key, candidate);
            Ok(())
        }
        Some(first) if *first == candidate => Ok(()),
        Some(first) => Err(Violation::new(
            Invariant::SingleVote,
            format!(
                "n{} voted for n{first} and then for n{candidate} in term {}",
                node.id(),
                node.term()
            ),
        )),
    }
}

/// Leader Append-Only: a leader never overwrites or deletes entries in its log.
pub fn leader_append_only(before: &Before, node: &KvNode) -> Result<(), Violation> {
    let Some((old_len, old_print)) = before.leader_log else {
        return Ok(());
    };
    if node.role() != Role::Leader || node.term() != before.term {
        return Ok(());
    }
    // (A leader that compacted past its old end in one event: its snapshot, checked
    // against what was committed, holds that prefix.)
    let compacted = (old_len as Index) < node.snapshot().index;
    if compacted || node.log_prefix_digest(old_len) == Some(old_print) {
        return Ok(());
    }
    let summary = if (node.last_index() as usize) < old_len {
        format!(
            "leader n{} of term {} shortened its log from {old_len} to {} entries",
            node.id(),
            node.term(),
            node.last_index()
        )
    } else {
        format!(
            "leader n{} of term {} changed entries among its first {old_len}",
            node.id(),
            node.term()
        )
    };
    Err(Violation::new(Invariant::LeaderAppendOnly, summary)
        .detail(format!("now: {}", node_log_summary(node))))
}

/// Log Matching: if two logs hold an entry with the same index and term, they are identical
/// in every entry up to that index. Compared where both logs know their entries' terms: from
/// the later of the two snapshots on (what a snapshot covers is checked against the
/// committed entries instead, by `snapshot_sound`).
pub fn log_matching(node: &KvNode, others: &[&KvNode]) -> Result<(), Violation> {
    for other in others {
        let from = node.snapshot().index.max(other.snapshot().index);
        let to = node.last_index().min(other.last_index());
        let Some(i) = (from..=to)
            .rev()
            .find(|&i| i > 0 && node.term_at(i).is_some() && node.term_at(i) == other.term_at(i))
        else {
            continue;
        };
        // Equal prefix digests mean equal prefixes; compare entries only to explain.
        if node.log_prefix_digest(i as usize) != other.log_prefix_digest(i as usize) {
            let bad = (from + 1..=i)
                .find(|&j| node.entry(j) != other.entry(j))
                .unwrap_or(from.max(1));
            return Err(Violation::new(
                Invariant::LogMatching,
                format!(
                    "n{} and n{} both hold an entry of term {} at index {i} but differ at index {bad}",
                    node.id(),
                    other.id(),
                    node.term_at(i).unwrap_or(0),
                ),
            )
            .detail(format!("n{}: {}", node.id(), node_log_summary(node)))
            .detail(format!("n{}: {}", other.id(), node_log_summary(other))));
        }
    }
    Ok(())
}

/// A node's snapshot holds committed entries only: the digest of the prefix it replaces is
/// that of the entries committed up to its index (State Machine Safety, for what the log no
/// longer shows).
pub fn snapshot_sound(ghost: &Ghost, node: &KvNode) -> Result<(), Violation> {
    let snapshot = node.snapshot();
    let index = snapshot.index as usize;
    if index == 0 {
        return Ok(());
    }
    let committed =
        ghost.committed.len() >= index && ghost.committed.prefix_digest(index) == snapshot.digest;
    if committed {
        return Ok(());
    }
    Err(Violation::new(
        Invariant::StateMachineSafety,
        format!(
            "n{}'s snapshot up to index {index} (term {}) holds other entries than were committed there",
            node.id(),
            snapshot.term
        ),
    )
    .detail(format!(
        "{} entries are known committed",
        ghost.committed.len()
    )))
}

/// Record what `node` now considers committed, checking it agrees with what others committed
/// (State Machine Safety: a committed entry is the one every node will apply at its index).
pub fn record_commit(ghost: &mut Ghost, node: &KvNode) -> Result<(), Violation> {
    // (A commit index past the end of the log is a bug the other invariants name.)
    let commit = node.commit_index().min(node.last_index()) as usize;
    let start = node.snapshot().index as usize;
    let mut known = ghost.committed.len().min(commit);
    if known < start {
        // The node committed and compacted in one event: the entries its log no longer
        // holds were applied (a node applies what it commits at once), so the record of
        // applied entries has them. Without them, the snapshot claims entries nobody
        // committed, which `snapshot_sound` names.
        if ghost.applied.len() < start {
            return Ok(());
        }
        let record = Arc::make_mut(&mut ghost.committed);
        for (entry, _) in &ghost.applied[known..start] {
            record.push(entry.clone(), node.term());
        }
        known = start;
    }
    // Equal prefix digests, equal prefixes (the assumption Log Matching rests on too): only
    // a mismatch needs the entries compared, to name the first index that differs.
    if node.log_prefix_digest(known) != Some(ghost.committed.prefix_digest(known)) {
        first_commit_conflict(ghost, node, known)?;
    }
    if commit > known {
        let record = Arc::make_mut(&mut ghost.committed);
        for entry in &node.log()[known - start..commit - start] {
            record.push(entry.clone(), node.term());
        }
    }
    Ok(())
}

/// The violation for the first of the first `known` committed indices where `node`'s log
/// and the record of committed entries differ (from its snapshot on; a snapshot that
/// differs is `snapshot_sound`'s to name).
fn first_commit_conflict(ghost: &Ghost, node: &KvNode, known: usize) -> Result<(), Violation> {
    let start = node.snapshot().index as usize;
    snapshot_sound(ghost, node)?;
    for (i, entry) in node
        .log()
        .iter()
        .enumerate()
        .take(known.saturating_sub(start))
    {
        let i = start + i;
        match ghost.committed.get(i) {
            Some((first, term)) if first != entry => {
                return Err(Violation::new(
                    Invariant::StateMachineSafety,
                    format!("two different entries were committed at index {}", i + 1),
                )
                .detail(format!("committed in term {term}: {}", EntryRef::of(first)))
                .detail(format!(
                    "n{} (term {}) committed {}",
                    node.id(),
                    node.term(),
                    EntryRef::of(entry)
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Leader Completeness: an entry committed in a term is in the log of every leader of every
/// later term.
pub fn leader_completeness(ghost: &Ghost, leaders: &[&KvNode]) -> Result<(), Violation> {
    for leader in leaders {
        // What its snapshot covers is checked against the record by `snapshot_sound`.
        let start = leader.snapshot().index as usize;
        for (i, (entry, committed_in)) in ghost.committed.iter().enumerate().skip(start) {
            if *committed_in >= leader.term() {
                continue;
            }
            let held = leader.entry(i as Index + 1);
            if held != Some(entry) {
                let has = held.map_or("nothing".to_string(), |e| EntryRef::of(e).to_string());
                return Err(Violation::new(
                    Invariant::LeaderCompleteness,
                    format!(
                        "leader n{} of term {} lacks entry {} committed at index {} in term {committed_in}",
                        leader.id(),
                        leader.term(),
                        EntryRef::of(entry),
                        i + 1
                    ),
                )
                .detail(format!("n{} has {has} at index {}", leader.id(), i + 1))
                .detail(format!("n{}: {}", leader.id(), node_log_summary(leader))));
            }
        }
    }
    Ok(())
}

/// State Machine Safety and Applied Prefix: every node applies the same entry at each index
/// with the same result, so each applied sequence is a prefix of one common sequence.
pub fn record_applied(
    ghost: &mut Ghost,
    node: NodeId,
    applied: &[Applied<KvCommand, KvOutput>],
) -> Result<(), Violation> {
    for a in applied {
        let i = a.index as usize - 1;
        match ghost.applied.get(i) {
            None if i == ghost.applied.len() => {
                Arc::make_mut(&mut ghost.applied).push((a.entry.clone(), a.output.clone()))
            }
            None => {
                return Err(Violation::new(
                    Invariant::AppliedPrefix,
                    format!(
                        "n{node} applied index {} before index {}",
                        a.index,
                        ghost.applied.len() + 1
                    ),
                ))
            }
            Some((entry, _)) if *entry != a.entry => {
                return Err(Violation::new(
                    Invariant::StateMachineSafety,
                    format!(
                        "n{node} applied {} at index {}, another node applied {}",
                        EntryRef::of(&a.entry),
                        a.index,
                        EntryRef::of(entry)
                    ),
                ))
            }
            Some((_, output)) if *output != a.output => {
                return Err(Violation::new(
                    Invariant::AppliedPrefix,
                    format!(
                        "n{node} applied {} at index {} with another result",
                        EntryRef::of(&a.entry),
                        a.index
                    ),
                )
                .detail(format!(
                    "n{node} got {}, another node got {}",
                    show(&a.output),
                    show(output)
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn show(o: &Option<KvOutput>) -> String {
    o.as_ref().map_or("nothing".into(), |o| o.to_string())
}

/// Commit index never decreases during a node's life (it is volatile: a restart resets it).
pub fn commit_monotonic(before: &Before, node: &KvNode) -> Result<(), Violation> {
    if before.alive && node.commit_index() < before.commit {
        return Err(Violation::new(
            Invariant::CommitMonotonic,
            format!(
                "n{} lowered its commit index from {} to {}",
                node.id(),
                before.commit,
                node.commit_index()
            ),
        ));
    }
    Ok(())
}

/// A log in one line: `[1:noop 1:c1.1 2:noop]`.
pub fn log_summary(log: &[Entry<KvCommand>]) -> String {
    let parts: Vec<String> = log.iter().map(|e| EntryRef::of(e).to_string()).collect();
    format!("[{}]", parts.join(" "))
}

/// A log after a snapshot in one line: `snap=4/2 [2:c1.3 3:noop]` (the plain list without a
/// snapshot).
pub fn snapshot_log_summary(snapshot: SnapshotMeta, log: &[Entry<KvCommand>]) -> String {
    if snapshot.index == 0 {
        return log_summary(log);
    }
    format!(
        "snap={}/{} {}",
        snapshot.index,
        snapshot.term,
        log_summary(log)
    )
}

/// A disk's log in one line, its snapshot first.
pub fn disk_log_summary(disk: &verraft_core::MemStorage<KvCommand>) -> String {
    let snapshot = disk.snapshot.as_ref().map(|s| s.meta).unwrap_or_default();
    snapshot_log_summary(snapshot, &disk.log)
}

/// A node's log in one line, its snapshot first.
pub fn node_log_summary(node: &KvNode) -> String {
    snapshot_log_summary(node.snapshot(), node.log())
}
