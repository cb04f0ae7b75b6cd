//! A node's static configuration.
use crate::bugs::{Bug, BugSet};
use crate::types::NodeId;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// The voting members, inline for clusters of up to nine: a node's configuration is copied
/// with the node, and a copy must neither allocate nor touch a counter shared with other
/// copies (model checkers copy nodes on several threads at once).
pub type Voters = SmallVec<[NodeId; 9]>;

/// A node's static configuration: who it is, who votes, and its timings in ticks.
///
/// Build one with [`Config::new`] and change fields as needed; [`Node::new`](crate::Node::new)
/// and [`Node::restart`](crate::Node::restart) check it with [`Config::validate`]. A restarted
/// node must get the same configuration it had before the crash (its current membership
/// comes back from its log and snapshot).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Config {
    /// This node.
    pub id: NodeId,
    /// The voting members the cluster started with, this node included (empty for a node
    /// that joins a running cluster, see [`Config::joining`]). Membership changes go
    /// through the log ([`membership`](crate::membership)); these stay what they were.
    pub voters: Voters,
    /// Ticks without hearing from a leader before a follower becomes a candidate (lower bound;
    /// see `election_jitter`). A candidate whose election has not ended by then starts another.
    /// Must be greater than `heartbeat_ticks`, or followers would time out between heartbeats.
    pub election_ticks: u32,
    /// The election timeout is drawn from `election_ticks ..= election_ticks + election_jitter`.
    /// Zero means no randomness at all (the model checker fires timeouts itself).
    pub election_jitter: u32,
    /// Ticks between a leader's heartbeats. A heartbeat is an AppendEntries to every
    /// follower that also re-sends whatever the follower has not acknowledged, so it is the
    /// retry timer of replication as well as the leader's sign of life.
    pub heartbeat_ticks: u32,
    /// Most entries in one AppendEntries message: a follower far behind catches up in
    /// batches of this many (plus one round trip each) instead of one huge message.
    pub max_append_entries: u32,
    /// Campaign only after a majority says it would vote (Raft dissertation §9.6): a node cut
    /// off from the cluster, or behind it, never raises the cluster's term.
    pub pre_vote: bool,
    /// A leader steps down when it has not heard from a majority within an election timeout,
    /// and a node that heard from a leader within one ignores requests to vote in a later
    /// term (dissertation §4.2.3, §6.2): a partitioned leader stops leading, and a server
    /// that was removed or cut off cannot depose a live one.
    pub check_quorum: bool,
    /// Serve reads from the leader's lease instead of confirming each with a round of
    /// messages (Raft dissertation §6.4.1). Off by default: it trades a round trip for an
    /// assumption about clocks. A lease starts when the leader sends a heartbeat round that a
    /// majority answers; each of those followers then ignores other candidates for an election
    /// timeout, by its own clock. The leader trusts the lease for `election_ticks -
    /// clock_drift_ticks` of its own ticks from the round's sending, so the lease is sound as
    /// long as no clock counts more than `clock_drift_ticks` ticks beyond another's over one
    /// election timeout. Needs `check_quorum` (the followers' side of the promise).
    pub lease_reads: bool,
    /// How many more ticks any node's clock may count than another's over one election
    /// timeout (see `lease_reads`). Must be below `election_ticks`. Unused without leases.
    pub clock_drift_ticks: u32,
    /// Take a snapshot and compact the log once this many entries have been applied since
    /// the last snapshot (0: only when the driver asks, with [`Node::compact`]).
    ///
    /// [`Node::compact`]: crate::Node::compact
    pub snapshot_every: u32,
    /// Seed of the election-timeout jitter generator ([`SplitMix64`](crate::rng::SplitMix64)).
    /// [`Config::new`] sets it to the node id, so every run of the same cluster draws the same
    /// timeouts; give each run its own seeds to vary them. Nodes of one cluster with equal seeds
    /// draw the same sequence of timeouts, which makes split votes likelier.
    pub seed: u64,
    /// Seeded bugs (empty in every real deployment). A non-empty set is refused by
    /// [`Config::validate`] unless the crate is built with its `seeded-bugs` feature (see
    /// [`bugs`](crate::bugs)).
    pub bugs: BugSet,
}

/// Why [`Config::validate`] refused a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `id` is missing from a non-empty `voters`: a node must count itself in every quorum
    /// it starts in.
    #[error("node {0} is not among the voters")]
    NotAVoter(NodeId),
    /// A voter appears twice in `voters`, which would count its vote twice.
    #[error("voter {0} is listed twice")]
    DuplicateVoter(NodeId),
    /// The named field (`election_ticks`, `heartbeat_ticks` or `max_append_entries`) is 0.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    /// `heartbeat_ticks` is not below `election_ticks`: followers would start elections
    /// against a healthy leader between two of its heartbeats.
    #[error(
        "heartbeat interval ({heartbeat}) must be shorter than the election timeout ({election})"
    )]
    HeartbeatTooSlow {
        /// The configured `heartbeat_ticks`.
        heartbeat: u32,
        /// The configured `election_ticks`.
        election: u32,
    },
    /// Lease reads rely on followers ignoring other candidates while they hear from a
    /// leader, which is check-quorum's rule.
    #[error("lease reads need check-quorum")]
    LeaseWithoutCheckQuorum,
    /// The drift bound leaves no lease at all.
    #[error("clock drift bound ({drift}) must be shorter than the election timeout ({election})")]
    DriftTooLarge {
        /// The configured `clock_drift_ticks`.
        drift: u32,
        /// The configured `election_ticks`.
        election: u32,
    },
    /// Seeded bugs are switched on, but this build of the core has none compiled in: without
    /// the refusal the node would run correct Raft while its driver believed otherwise.
    #[error(
        "seeded bugs switched on ({0}), but this build of verraft-core has none: \
         they compile only with its `seeded-bugs` feature"
    )]
    SeededBugsNotCompiled(BugSet),
}

impl Config {
    /// A configuration with the usual timings: an election timeout drawn from 10 ..= 20 ticks
    /// (seeded with `id`), a heartbeat every 3 ticks, at most 64 entries per append,
    /// pre-vote and check-quorum on, lease reads off (with a drift bound of 2 ticks when
    /// switched on), snapshots only when asked, and no seeded bugs. `voters` must include `id`.
    pub fn new(id: NodeId, voters: impl IntoIterator<Item = NodeId>) -> Config {
        Config {
            id,
            voters: voters.into_iter().collect(),
            election_ticks: 10,
            election_jitter: 10,
            heartbeat_ticks: 3,
            max_append_entries: 64,
            pre_vote: true,
            check_quorum: true,
            lease_reads: false,
            clock_drift_ticks: 2,
            snapshot_every: 0,
            seed: u64::from(id),
            bugs: BugSet::NONE,
        }
    }

    /// A node joining a running cluster: no starting voters, so it never campaigns, and
    /// it learns its configuration from the first leader that replicates to it (after the
    /// leader was asked to add it, [`Node::change_membership`](crate::Node::change_membership)).
    pub fn joining(id: NodeId) -> Config {
        Config::new(id, [])
    }

    /// This configuration without the optional protocol parts (pre-vote, check-quorum): the
    /// bare algorithm of the Raft paper's Figure 2, which tests of its rules drive.
    pub fn without_options(mut self) -> Config {
        self.pre_vote = false;
        self.check_quorum = false;
        self
    }

    /// Check the rules [`ConfigError`] lists. The node's constructors call it, so a driver
    /// only needs it to report a bad configuration before building anything.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !crate::bugs::COMPILED && !self.bugs.is_empty() {
            return Err(ConfigError::SeededBugsNotCompiled(self.bugs));
        }
        if self.voters.contains(&0) {
            return Err(ConfigError::Zero("a node id"));
        }
        if !self.voters.is_empty() && !self.voters.contains(&self.id) {
            return Err(ConfigError::NotAVoter(self.id));
        }
        for (i, v) in self.voters.iter().enumerate() {
            if self.voters[..i].contains(v) {
                return Err(ConfigError::DuplicateVoter(*v));
            }
        }
        if self.election_ticks == 0 {
            return Err(ConfigError::Zero("election_ticks"));
        }
        if self.heartbeat_ticks == 0 {
            return Err(ConfigError::Zero("heartbeat_ticks"));
        }
        if self.max_append_entries == 0 {
            return Err(ConfigError::Zero("max_append_entries"));
        }
        if self.heartbeat_ticks >= self.election_ticks {
            return Err(ConfigError::HeartbeatTooSlow {
                heartbeat: self.heartbeat_ticks,
                election: self.election_ticks,
            });
        }
        if self.lease_reads && !self.check_quorum {
            return Err(ConfigError::LeaseWithoutCheckQuorum);
        }
        if self.lease_reads && self.clock_drift_ticks >= self.election_ticks {
            return Err(ConfigError::DriftTooLarge {
                drift: self.clock_drift_ticks,
                election: self.election_ticks,
            });
        }
        Ok(())
    }

    /// How many of its own ticks a leader trusts a lease, counted from the sending of the
    /// heartbeat round a majority answered: an election timeout less the drift bound
    /// (the whole timeout with the `lease-drift` bug).
    pub fn lease_ticks(&self) -> u32 {
        if self.bug(Bug::LeaseDrift) {
            self.election_ticks
        } else {
            self.election_ticks.saturating_sub(self.clock_drift_ticks)
        }
    }

    /// Whether the seeded bug `bug` is switched on: the one question the node asks of
    /// `bugs`. It is `true` only in a build with the `seeded-bugs` feature.
    #[cfg(feature = "seeded-bugs")]
    #[inline(always)]
    pub(crate) fn bug(&self, bug: Bug) -> bool {
        self.bugs.contains(bug)
    }

    /// Whether the seeded bug `bug` is switched on: never, in a build without the
    /// `seeded-bugs` feature. A constant, so that every branch it guards is dead code the
    /// compiler drops ([`Config::validate`] refuses a configuration that asks for one).
    #[cfg(not(feature = "seeded-bugs"))]
    #[inline(always)]
    pub(crate) const fn bug(&self, _bug: Bug) -> bool {
        false
    }
}
