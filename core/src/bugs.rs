//! Seeded bugs: deliberate mutations of a correct Raft, each one a bug a real implementation
//! shipped. The harness proves its worth by catching every one; production code never turns
//! them on (the default set is empty).
//!
//! # Compiled only for the harness
//!
//! The bug branches exist only in a build with this crate's `seeded-bugs` feature, which the
//! harness crates (sim, models, harness, the `verraft` command, the fuzz targets) turn on and
//! which is off by default, so a library user's build of the core (or of `verraft-kv`) has
//! none. The design keeps the rest of the workspace free of `cfg`s:
//!
//! - [`Bug`] and [`BugSet`] are plain data in every build, and `Config::bugs` is there in
//!   every build: scenario files, options and the command line can name, parse, list and
//!   print bugs whatever the build, and no type changes shape (a `Config` serializes the
//!   same with and without the feature).
//! - The node asks `Config::bug`, never the set itself. Without the feature that is an
//!   `#[inline(always)] const fn` returning `false`, so every `if self.config.bug(..)` branch
//!   is dead code that the compiler removes, and only the correct path is left.
//! - Switching a bug on is refused, not ignored: without the feature [`Config::validate`]
//!   (which `Node::new` and `Node::restart` call) rejects a non-empty set with
//!   [`ConfigError::SeededBugsNotCompiled`]. A switch that silently did nothing would make a
//!   harness run report a correct node as the buggy one, and so "miss" a bug it never had.
//!
//! [`Config::validate`]: crate::Config::validate
//! [`ConfigError::SeededBugsNotCompiled`]: crate::ConfigError::SeededBugsNotCompiled
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Whether this build of the core has the seeded bugs compiled in (the `seeded-bugs`
/// feature). Without them a configuration that switches one on is refused.
pub const COMPILED: bool = cfg!(feature = "seeded-bugs");

/// One seeded bug. Each variant names the Raft rule it breaks; the README's "Seeded bugs"
/// table says which invariant catches it and how fast.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Bug {
    /// A candidate counts grants as a number, not a set of voters: a duplicated grant counts twice.
    VoteCount,
    /// A grant from an earlier term is counted in the current election.
    StaleTermVote,
    /// `voted_for` is cleared when a candidate steps down to follower in the same term.
    ForgetVote,
    /// Term and vote are kept only in memory and lost on a crash.
    NoPersistVote,
    /// Votes are granted without checking that the candidate's log is at least as up to date.
    NoUpToDateCheck,
    /// The follower skips the prevLogTerm check for the first entry of the log.
    PrevTermSkip,
    /// The follower appends entries although it has no entry at prevLogIndex.
    GapAppend,
    /// The leader commits with a quorum of n/2 instead of a majority.
    WrongQuorum,
    /// The leader commits an entry of an earlier term by counting replicas (Raft paper, Figure 8).
    Figure8,
    /// The follower sets its commit index to the leader's without capping it at the last new entry.
    CommitOverrun,
    /// Log writes are acknowledged before they are durable; a crash can lose them.
    AckBeforeSync,
    /// The key-value store applies a retried request again instead of answering from the session.
    /// An application bug, listed here with the others so that every engine names it alike;
    /// the node ignores it, and the driver that sees it builds its store with
    /// `KvStore::without_dedup` (verraft-kv; compiled in with the others).
    DedupLost,
    /// The leader answers reads from its local state without confirming it still leads.
    LocalRead,
    /// A follower installing a snapshot keeps its log entries after the snapshot's index
    /// without checking that its entry at that index matches the snapshot (hashicorp/raft
    /// #704): a divergent suffix survives on top of the leader's committed prefix.
    SnapshotCut,
    /// A leader serving lease reads takes the whole election timeout as its lease, trusting
    /// that every clock runs at the same rate: a follower whose clock runs faster times out,
    /// and a new leader commits writes, while the old one still answers reads from its lease.
    LeaseDrift,
    /// A leader starts a membership change before an entry of its own term has committed
    /// (the single-server change bug of the Raft dissertation's algorithm, raft-dev 2015):
    /// an uncommitted change of an earlier leader and this one can have disjoint majorities.
    EarlyConfig,
}

impl Bug {
    /// Every bug, in declaration order (which is also the order of `BugSet::iter`).
    pub const ALL: [Bug; 16] = [
        Bug::VoteCount,
        Bug::StaleTermVote,
        Bug::ForgetVote,
        Bug::NoPersistVote,
        Bug::NoUpToDateCheck,
        Bug::PrevTermSkip,
        Bug::GapAppend,
        Bug::WrongQuorum,
        Bug::Figure8,
        Bug::CommitOverrun,
        Bug::AckBeforeSync,
        Bug::DedupLost,
        Bug::LocalRead,
        Bug::SnapshotCut,
        Bug::LeaseDrift,
        Bug::EarlyConfig,
    ];

    /// The name used in scenario files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Bug::VoteCount => "vote-count",
            Bug::StaleTermVote => "stale-term-vote",
            Bug::ForgetVote => "forget-vote",
            Bug::NoPersistVote => "no-persist-vote",
            Bug::NoUpToDateCheck => "no-uptodate-check",
            Bug::PrevTermSkip => "prev-term-skip",
            Bug::GapAppend => "gap-append",
            Bug::WrongQuorum => "wrong-quorum",
            Bug::Figure8 => "figure-8",
            Bug::CommitOverrun => "commit-overrun",
            Bug::AckBeforeSync => "ack-before-sync",
            Bug::DedupLost => "dedup-lost",
            Bug::LocalRead => "local-read",
            Bug::SnapshotCut => "snapshot-cut",
            Bug::LeaseDrift => "lease-drift",
            Bug::EarlyConfig => "early-config",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bug name that [`Bug::name`] does not give to any bug; holds the name as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown bug '{0}' (known: {known})", known = Bug::ALL.map(Bug::name).join(", "))]
pub struct UnknownBug(pub String);

impl FromStr for Bug {
    type Err = UnknownBug;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bug::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownBug(s.to_string()))
    }
}

/// A set of seeded bugs, as a bitmask so that it hashes and clones for free.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct BugSet(u32);

impl BugSet {
    /// No bugs: a correct Raft. The only set a real deployment should use.
    pub const NONE: BugSet = BugSet(0);

    /// This set with `bug` added (the set is `Copy`; this returns a new one).
    pub fn with(self, bug: Bug) -> BugSet {
        BugSet(self.0 | bug.bit())
    }

    /// Whether `bug` is switched on.
    pub fn contains(self, bug: Bug) -> bool {
        self.0 & bug.bit() != 0
    }

    /// Whether no bug is switched on.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The bugs in the set, in the order of [`Bug::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.into_iter().filter(move |b| self.contains(*b))
    }
}

/// The names of the bugs in the set, comma-separated, or `none`.
impl fmt::Display for BugSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, bug) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(bug.name())?;
        }
        Ok(())
    }
}

impl FromIterator<Bug> for BugSet {
    fn from_iter<I: IntoIterator<Item = Bug>>(iter: I) -> Self {
        iter.into_iter().fold(BugSet::NONE, BugSet::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>(), Ok(bug));
        }
        assert!("no-such-bug".parse::<Bug>().is_err());
    }

    #[test]
    fn set_holds_exactly_what_was_added() {
        let set: BugSet = [Bug::Figure8, Bug::VoteCount].into_iter().collect();
        assert!(set.contains(Bug::Figure8) && set.contains(Bug::VoteCount));
        assert!(!set.contains(Bug::GapAppend));
        assert_eq!(set.iter().count(), 2);
        assert!(BugSet::NONE.is_empty());
    }

    #[test]
    fn a_set_prints_its_names_in_order() {
        let set: BugSet = [Bug::Figure8, Bug::VoteCount].into_iter().collect();
        assert_eq!(set.to_string(), "vote-count, figure-8");
        assert_eq!(BugSet::NONE.to_string(), "none");
    }
}
