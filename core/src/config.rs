//! A node's static configuration.
use crate::bugs::BugSet;
use crate::types::NodeId;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// The voting members, inline for clusters of up to nine: a node's configuration is copied
/// with the node, and a copy must neither allocate nor touch a counter shared with other
/// copies (model checkers copy nodes on several threads at once).
pub type Voters = SmallVec<[NodeId; 9]>;

#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Config {
    /// This node.
    pub id: NodeId,
    /// Every voting member, this node included.
    pub voters: Voters,
    /// Ticks without hearing from a leader before a follower becomes a candidate (lower bound).
    pub election_ticks: u32,
    /// The election timeout is drawn from `election_ticks ..= election_ticks + election_jitter`.
    /// Zero means no randomness at all (the model checker fires timeouts itself).
    pub election_jitter: u32,
    /// Ticks between a leader's heartbeats.
    pub heartbeat_ticks: u32,
    /// Most entries in one AppendEntries message.
    pub max_append_entries: u32,
    /// Seed of the election-timeout jitter generator.
    pub seed: u64,
    /// Seeded bugs (empty in every real deployment).
    pub bugs: BugSet,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("node {0} is not among the voters")]
    NotAVoter(NodeId),
    #[error("voter {0} is listed twice")]
    DuplicateVoter(NodeId),
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    #[error(
        "heartbeat interval ({heartbeat}) must be shorter than the election timeout ({election})"
    )]
    HeartbeatTooSlow { heartbeat: u32, election: u32 },
}

impl Config {
    /// A configuration with the usual timings (election 10..20 ticks, heartbeat every 3).
    pub fn new(id: NodeId, voters: impl IntoIterator<Item = NodeId>) -> Config {
        Config {
            id,
            voters: voters.into_iter().collect(),
            election_ticks: 10,
            election_jitter: 10,
            heartbeat_ticks: 3,
            max_append_entries: 64,
            seed: u64::from(id),
            bugs: BugSet::NONE,
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.voters.contains(&self.id) {
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
        Ok(())
    }

    /// Votes (or replicas) needed for a decision: a majority of the voters.
    pub fn quorum(&self) -> usize {
        self.voters.len() / 2 + 1
    }
}
