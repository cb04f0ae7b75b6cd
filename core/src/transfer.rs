//! Leadership transfer (Raft dissertation §3.10): the leader stops taking proposals, brings
//! the target's log up to date, and tells it to campaign at once (`TimeoutNow`), so a node
//! can be handed leadership without waiting for an election timeout. The transfer is
//! abandoned when the leader's election timer fires first.
use crate::message::Message;
use crate::node::Node;
use crate::state_machine::StateMachine;
use crate::types::{NodeId, Role, Term};
use serde::{Deserialize, Serialize};

/// Why [`Node::transfer_leadership`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TransferError {
    /// Only the leader can hand over leadership.
    #[error("not the leader (known leader: {leader:?})")]
    NotLeader {
        /// The leader as this node knows it.
        leader: Option<NodeId>,
    },
    /// The target is this node itself, or not another voter of the cluster.
    #[error("node {0} is not another voter of this cluster")]
    NotAPeer(NodeId),
    /// A transfer to this node is already under way.
    #[error("a transfer to node {0} is already under way")]
    InProgress(NodeId),
}

impl<M: StateMachine> Node<M> {
    /// Hand leadership to `target`: stop taking proposals, bring its log up to date, then
    /// send it `TimeoutNow` so that it campaigns at once (its vote requests pass the other
    /// nodes' leader lease, which would otherwise ignore them). The old leader becomes a
    /// follower when it hears of the new term. If the leader's election timer fires first
    /// (an election timeout from now), the transfer is abandoned and proposals are taken
    /// again. Check [`Node::has_ready`] afterwards.
    pub fn transfer_leadership(&mut self, target: NodeId) -> Result<(), TransferError> {
        if self.role != Role::Leader {
            return Err(TransferError::NotLeader {
                leader: self.leader,
            });
        }
        if target == self.config.id || !self.membership.is_voter(target) {
            return Err(TransferError::NotAPeer(target));
        }
        if let Some(to) = self.transfer {
            return Err(TransferError::InProgress(to));
        }
        self.transfer = Some(target);
        // The transfer has one election timeout to complete.
        self.election_elapsed = 0;
        self.continue_transfer(target);
        Ok(())
    }

    /// The target of the leadership transfer under way, if one is.
    pub fn transfer_target(&self) -> Option<NodeId> {
        self.transfer
    }

    /// Tell the target to campaign once it holds the whole log; until then send it what it
    /// lacks.
    pub(crate) fn continue_transfer(&mut self, target: NodeId) {
        let last = self.log.last_index();
        match self.progress.get(target) {
            Some(p) if p.matched >= last => {
                // The target's vote requests pass the followers' promises from now on.
                self.spend_lease();
                let term = self.term;
                self.send(target, Message::TimeoutNow { term });
            }
            Some(_) => self.send_append(target),
            None => {}
        }
    }

    /// `TimeoutNow` from the leader of this node's term: campaign at once, skipping pre-vote
    /// (the leader has stepped aside, so no node will refuse for lack of an election).
    pub(crate) fn handle_timeout_now(&mut self, from: NodeId, term: Term) {
        if term != self.term
            || self.role != Role::Follower
            || self.leader != Some(from)
            || !self.may_campaign()
        {
            return;
        }
        self.campaign_with(true);
    }
}
