//! Cluster membership (Raft dissertation ch. 4): who votes, who only listens, and the
//! quorums decisions need while a configuration change is under way.
//!
//! A configuration is a log entry ([`Payload::Config`](crate::types::Payload::Config)). A
//! node uses the latest one in its log from the moment it appends it, committed or not,
//! and falls back to the one before when that entry is truncated away. Two kinds of change:
//!
//! - **single-server** ([`MembershipChange::AddVoter`], [`MembershipChange::RemoveVoter`],
//!   [`MembershipChange::AddLearner`], [`MembershipChange::Promote`],
//!   [`MembershipChange::RemoveLearner`]): any majority of the old voters and any majority
//!   of the new ones intersect, so the change takes one entry. A leader starts one only
//!   after an entry of its own term has committed and while no other change is uncommitted
//!   (the fix to the dissertation's algorithm, raft-dev 2015);
//! - **joint consensus** ([`MembershipChange::Joint`]): any set of voters in one step. The
//!   leader appends C_old,new, in which every decision needs a majority of the old voters
//!   *and* of the new; once that entry commits it appends C_new on its own.
//!
//! Learners receive the log but neither vote nor count toward any quorum.
use crate::node::ProposeError;
use crate::node_set::NodeSet;
use crate::types::{Index, NodeId};
use serde::{Deserialize, Serialize};

/// One configuration: the voters, the old voters while a joint change is under way, and
/// the learners. The three sets are disjoint but for `voters` and `outgoing`, which overlap
/// by the voters the change keeps.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize, PartialOrd, Ord,
)]
pub struct Membership {
    /// The voters (C_new while joint).
    pub voters: NodeSet,
    /// While joint: the voters of the configuration being left (C_old); empty otherwise.
    pub outgoing: NodeSet,
    /// Members that receive the log but do not vote.
    pub learners: NodeSet,
}

impl Membership {
    /// A plain configuration of these voters, no learners.
    pub fn of_voters(voters: impl IntoIterator<Item = NodeId>) -> Membership {
        Membership {
            voters: voters.into_iter().collect(),
            ..Membership::default()
        }
    }

    /// Whether a joint change is under way (decisions need both majorities).
    pub fn is_joint(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// Whether `id` votes, in either half of a joint configuration.
    pub fn is_voter(&self, id: NodeId) -> bool {
        self.voters.contains(id) || self.outgoing.contains(id)
    }

    /// Everyone the leader replicates to: voters of both halves and learners.
    pub fn members(&self) -> NodeSet {
        self.voters.union(&self.outgoing).union(&self.learners)
    }

    /// Whether `acks` holds a majority of the voters, and, while joint, a majority of the
    /// outgoing voters too: the rule for votes, confirmations and check-quorum alike.
    pub fn has_quorum(&self, acks: &NodeSet) -> bool {
        majority_of(&self.voters, acks) && (!self.is_joint() || majority_of(&self.outgoing, acks))
    }

    /// The highest index a quorum holds, given what each voter holds: the commit candidate.
    /// While joint, the lower of the two halves' figures.
    pub fn quorum_index(&self, holds: impl Fn(NodeId) -> Index) -> Index {
        let half = |set: &NodeSet| -> Index {
            let mut held: smallvec::SmallVec<[Index; 9]> = set.iter().map(&holds).collect();
            if held.is_empty() {
                // No voters (a node that has not learned its configuration): no quorum.
                return 0;
            }
            held.sort_unstable_by(|a, b| b.cmp(a));
            held[set.len() / 2]
        };
        let new = half(&self.voters);
        if self.is_joint() {
            new.min(half(&self.outgoing))
        } else {
            new
        }
    }

    /// The configuration `change` leads to from this one, or why it cannot be made now.
    /// A joint change gives C_old,new; [`Membership::leave_joint`] gives C_new after it.
    pub fn apply(&self, change: &MembershipChange) -> Result<Membership, MembershipError> {
        if self.is_joint() {
            return Err(MembershipError::JointUnderWay);
        }
        let mut next = *self;
        match *change {
            MembershipChange::AddVoter(id) | MembershipChange::Promote(id) => {
                if self.voters.contains(id) {
                    return Err(MembershipError::AlreadyVoter(id));
                }
                if matches!(change, MembershipChange::Promote(_)) && !self.learners.contains(id) {
                    return Err(MembershipError::NotALearner(id));
                }
                next.learners.remove(id);
                next.voters.insert(id);
            }
            MembershipChange::RemoveVoter(id) => {
                if !self.voters.contains(id) {
                    return Err(MembershipError::NotAVoter(id));
                }
                if self.voters.len() == 1 {
                    return Err(MembershipError::NoVotersLeft);
                }
                next.voters.remove(id);
            }
            MembershipChange::AddLearner(id) => {
                if self.members().contains(id) {
                    return Err(MembershipError::AlreadyMember(id));
                }
                next.learners.insert(id);
            }
            MembershipChange::RemoveLearner(id) => {
                if !self.learners.contains(id) {
                    return Err(MembershipError::NotALearner(id));
                }
                next.learners.remove(id);
            }
            MembershipChange::Joint(voters) => {
                if voters.is_empty() {
                    return Err(MembershipError::NoVotersLeft);
                }
                if voters.contains(0) {
                    return Err(MembershipError::BadId);
                }
                next.outgoing = self.voters;
                next.voters = voters;
                for id in voters.iter() {
                    next.learners.remove(id);
                }
            }
        }
        Ok(next)
    }

    /// After a joint configuration commits: C_new alone (learners kept).
    pub fn leave_joint(&self) -> Membership {
        Membership {
            outgoing: NodeSet::EMPTY,
            ..*self
        }
    }
}

fn majority_of(set: &NodeSet, acks: &NodeSet) -> bool {
    set.intersection(acks).len() > set.len() / 2
}

/// A change a leader is asked to make ([`Node::change_membership`](crate::Node::change_membership)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum MembershipChange {
    /// Make `id` a voter (a learner is promoted; a new node joins voting at once, which
    /// stalls commits until it catches up: add it as a learner first).
    AddVoter(NodeId),
    /// Take `id` out of the voters (and out of the cluster). A leader that removes itself
    /// leads until the change commits, then steps down.
    RemoveVoter(NodeId),
    /// Add `id` as a learner: it receives the log (by snapshot first when far behind).
    AddLearner(NodeId),
    /// Make learner `id` a voter; refused while it lacks committed entries.
    Promote(NodeId),
    /// Take learner `id` out of the cluster.
    RemoveLearner(NodeId),
    /// Replace the voters with this set in one change, by joint consensus.
    Joint(NodeSet),
}

/// Why a membership change was refused. Nothing was appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum MembershipError {
    /// Refused as a proposal would be: this node does not lead, or it is handing
    /// leadership over.
    #[error(transparent)]
    Propose(#[from] ProposeError),
    /// The leader has not committed an entry of its own term yet: a change now could
    /// conflict with an uncommitted change of an earlier leader.
    #[error("no entry of the leader's term has committed yet")]
    TermNotCommitted,
    /// A configuration entry is not committed yet: one change at a time.
    #[error("the configuration at index {index} is not committed yet")]
    ChangeUncommitted {
        /// The uncommitted configuration entry.
        index: Index,
    },
    /// A joint change is under way; its second step comes on its own.
    #[error("a joint change is under way")]
    JointUnderWay,
    /// `id` is a voter already.
    #[error("node {0} is a voter already")]
    AlreadyVoter(NodeId),
    /// `id` is a member already.
    #[error("node {0} is a member already")]
    AlreadyMember(NodeId),
    /// `id` is not a voter.
    #[error("node {0} is not a voter")]
    NotAVoter(NodeId),
    /// `id` is not a learner.
    #[error("node {0} is not a learner")]
    NotALearner(NodeId),
    /// The change would leave no voter at all.
    #[error("the change would leave no voter")]
    NoVotersLeft,
    /// Node id 0 is reserved.
    #[error("node id 0 is reserved")]
    BadId,
    /// The learner does not hold every committed entry yet.
    #[error("learner {id} holds up to index {matched}, the commit index is {commit}")]
    LearnerBehind {
        /// The learner.
        id: NodeId,
        /// What it holds.
        matched: Index,
        /// The leader's commit index.
        commit: Index,
    },
}

/// `1,2,3` for voters 1-3; `1,2,4/1,2,3` while joint (new / old); `+4,5` after them for
/// learners. The form scenario files and traces use (see [`Membership::from_str`]).
impl std::fmt::Display for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |set: &NodeSet| {
            set.iter()
                .map(|id| id.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        write!(f, "{}", list(&self.voters))?;
        if self.is_joint() {
            write!(f, "/{}", list(&self.outgoing))?;
        }
        if !self.learners.is_empty() {
            write!(f, "+{}", list(&self.learners))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Membership {
    type Err = String;

    /// The form [`Display`](std::fmt::Display) writes.
    fn from_str(s: &str) -> Result<Membership, String> {
        let set = |part: &str| -> Result<NodeSet, String> {
            part.split(',')
                .filter(|p| !p.is_empty())
                .map(|p| match p.parse::<NodeId>() {
                    Ok(0) | Err(_) => Err(format!(
                        "expected node ids such as 1,2,3 in a configuration, found '{p}'"
                    )),
                    Ok(id) => Ok(id),
                })
                .collect()
        };
        let (voting, learners) = s.split_once('+').unwrap_or((s, ""));
        let (voters, outgoing) = voting.split_once('/').unwrap_or((voting, ""));
        let m = Membership {
            voters: set(voters)?,
            outgoing: set(outgoing)?,
            learners: set(learners)?,
        };
        if m.voters.is_empty() {
            return Err(format!("a configuration needs a voter, found '{s}'"));
        }
        Ok(m)
    }
}
