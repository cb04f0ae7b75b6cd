//! The one event language every engine speaks: the model checker enumerates events, the fuzzer
//! decodes bytes into them, property tests generate them, scenario files spell them out.
//!
//! Messages are named by their content (sender, receiver and a full summary), never by an id:
//! two identical messages in flight are interchangeable, so the model checker sees one state
//! where ids would make many, and a scenario still replays after a minimizer removed events
//! before it.
use crate::client::read_of;
use serde::{Deserialize, Serialize};
use std::fmt;
use verraft_core::{
    Entry, Envelope, Index, Membership, MembershipChange, Message, NodeId, Payload, Term,
};
use verraft_kv::{ClientId, KvCommand};

/// An entry as a message summary names it: its term and which client request it carries.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum EntryRef {
    Noop {
        term: Term,
    },
    Command {
        term: Term,
        client: ClientId,
        seq: u64,
    },
    Config {
        term: Term,
        membership: Membership,
    },
}

impl EntryRef {
    pub fn of(entry: &Entry<KvCommand>) -> EntryRef {
        match &entry.payload {
            Payload::Noop => EntryRef::Noop { term: entry.term },
            Payload::Command(c) => EntryRef::Command {
                term: entry.term,
                client: c.client,
                seq: c.seq,
            },
            Payload::Config(membership) => EntryRef::Config {
                term: entry.term,
                membership: *membership,
            },
        }
    }
}

impl fmt::Display for EntryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryRef::Noop { term } => write!(f, "{term}:noop"),
            EntryRef::Command { term, client, seq } => write!(f, "{term}:c{client}.{seq}"),
            EntryRef::Config { term, membership } => write!(f, "{term}:config={membership}"),
        }
    }
}

/// A message as events name it. Holds everything that distinguishes one message from another
/// in a world (client requests are identified by client and sequence number).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum MsgRef {
    RequestVote {
        term: Term,
        last_index: Index,
        last_term: Term,
        /// Sent by the target of a leadership transfer (passes the leader lease).
        transfer: bool,
    },
    /// The leader tells a transfer's target to campaign now.
    TimeoutNow {
        term: Term,
    },
    Vote {
        term: Term,
        granted: bool,
    },
    PreVote {
        term: Term,
        last_index: Index,
        last_term: Term,
    },
    PreVoteReply {
        term: Term,
        granted: bool,
    },
    ReadConfirm {
        term: Term,
        round: u64,
    },
    ReadConfirmReply {
        term: Term,
        round: u64,
    },
    /// A forwarded read, named by the client request it serves.
    ReadIndex {
        term: Term,
        client: ClientId,
        seq: u64,
    },
    ReadIndexReply {
        term: Term,
        client: ClientId,
        seq: u64,
        index: Option<Index>,
    },
    Append {
        term: Term,
        prev_index: Index,
        prev_term: Term,
        commit: Index,
        entries: Vec<EntryRef>,
    },
    AppendReply {
        term: Term,
        success: bool,
        index: Index,
        conflict_term: Option<Term>,
    },
    /// A leader's snapshot, named by where it stands (the index and term of the last entry
    /// it covers): a correct cluster has one committed prefix per index, so one content.
    Snapshot {
        term: Term,
        index: Index,
        last_term: Term,
    },
}

impl MsgRef {
    pub fn of(msg: &Message<KvCommand>) -> MsgRef {
        match msg {
            Message::RequestVote {
                term,
                last_log_index,
                last_log_term,
                transfer,
            } => MsgRef::RequestVote {
                term: *term,
                last_index: *last_log_index,
                last_term: *last_log_term,
                transfer: *transfer,
            },
            Message::TimeoutNow { term } => MsgRef::TimeoutNow { term: *term },
            Message::RequestVoteResponse { term, granted } => MsgRef::Vote {
                term: *term,
                granted: *granted,
            },
            Message::PreVote {
                term,
                last_log_index,
                last_log_term,
            } => MsgRef::PreVote {
                term: *term,
                last_index: *last_log_index,
                last_term: *last_log_term,
            },
            Message::PreVoteResponse { term, granted } => MsgRef::PreVoteReply {
                term: *term,
                granted: *granted,
            },
            Message::ReadConfirm { term, round } => MsgRef::ReadConfirm {
                term: *term,
                round: *round,
            },
            Message::ReadConfirmResponse { term, round } => MsgRef::ReadConfirmReply {
                term: *term,
                round: *round,
            },
            Message::ReadIndex { term, id } => {
                let (client, seq) = read_of(*id);
                MsgRef::ReadIndex {
                    term: *term,
                    client,
                    seq,
                }
            }
            Message::ReadIndexResponse { term, id, index } => {
                let (client, seq) = read_of(*id);
                MsgRef::ReadIndexReply {
                    term: *term,
                    client,
                    seq,
                    index: *index,
                }
            }
            Message::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => MsgRef::Append {
                term: *term,
                prev_index: *prev_log_index,
                prev_term: *prev_log_term,
                commit: *leader_commit,
                entries: entries.iter().map(EntryRef::of).collect(),
            },
            Message::InstallSnapshot { term, snapshot } => MsgRef::Snapshot {
                term: *term,
                index: snapshot.meta.index,
                last_term: snapshot.meta.term,
            },
            Message::AppendEntriesResponse {
                term,
                success,
                index,
                conflict_term,
            } => MsgRef::AppendReply {
                term: *term,
                success: *success,
                index: *index,
                conflict_term: *conflict_term,
            },
        }
    }

    pub fn matches(&self, msg: &Message<KvCommand>) -> bool {
        *self == MsgRef::of(msg)
    }
}

impl fmt::Display for MsgRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MsgRef::RequestVote {
                term,
                last_index,
                last_term,
                transfer,
            } => {
                write!(f, "RV t{term} last={last_index}/{last_term}")?;
                if *transfer {
                    f.write_str(" transfer")?;
                }
                Ok(())
            }
            MsgRef::TimeoutNow { term } => write!(f, "TN t{term}"),
            MsgRef::Vote { term, granted } => {
                write!(f, "{} t{term}", if *granted { "V+" } else { "V-" })
            }
            MsgRef::PreVote {
                term,
                last_index,
                last_term,
            } => write!(f, "PV t{term} last={last_index}/{last_term}"),
            MsgRef::PreVoteReply { term, granted } => {
                write!(f, "{} t{term}", if *granted { "P+" } else { "P-" })
            }
            MsgRef::ReadConfirm { term, round } => write!(f, "RC t{term} r{round}"),
            MsgRef::ReadConfirmReply { term, round } => write!(f, "RC+ t{term} r{round}"),
            MsgRef::ReadIndex { term, client, seq } => write!(f, "RI t{term} c{client}.{seq}"),
            MsgRef::ReadIndexReply {
                term,
                client,
                seq,
                index,
            } => match index {
                Some(i) => write!(f, "RI+ t{term} c{client}.{seq} idx={i}"),
                None => write!(f, "RI- t{term} c{client}.{seq}"),
            },
            MsgRef::Append {
                term,
                prev_index,
                prev_term,
                commit,
                entries,
            } => {
                write!(
                    f,
                    "AE t{term} prev={prev_index}/{prev_term} commit={commit} ["
                )?;
                for (i, e) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("]")
            }
            MsgRef::AppendReply {
                term,
                success,
                index,
                conflict_term,
            } => {
                write!(
                    f,
                    "{} t{term} idx={index}",
                    if *success { "A+" } else { "A-" }
                )?;
                if let Some(ct) = conflict_term {
                    write!(f, " ct={ct}")?;
                }
                Ok(())
            }
            MsgRef::Snapshot {
                term,
                index,
                last_term,
            } => write!(f, "IS t{term} snap={index}/{last_term}"),
        }
    }
}

/// Everything that can happen in a world.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Event {
    /// Deliver one copy of an in-flight message (any one: messages are reordered).
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: MsgRef,
    },
    /// Lose one copy of an in-flight message.
    Drop {
        from: NodeId,
        to: NodeId,
        msg: MsgRef,
    },
    /// Put a second copy of an in-flight message on the wire.
    Duplicate {
        from: NodeId,
        to: NodeId,
        msg: MsgRef,
    },
    /// A follower's or candidate's election timer fires.
    Timeout(NodeId),
    /// A leader's heartbeat timer fires.
    Heartbeat(NodeId),
    /// Time passes: every live node's clock ticks once (only in a world that keeps time,
    /// with lease reads; timers then fire on their own instead of at `timeout`/`heartbeat`).
    Tick,
    /// Node n's clock ticks alone: it runs ahead of the others, within the drift bound.
    TickOne(NodeId),
    /// The node stops: its volatile state is gone, its disk stays.
    Crash(NodeId),
    /// A crashed node starts again from its disk.
    Restart(NodeId),
    /// The network splits into these groups; messages between groups are lost.
    Partition(Vec<Vec<NodeId>>),
    /// The network is whole again.
    Heal,
    /// A client sends its current request to a node (a first try, or a retry).
    Invoke { client: ClientId, node: NodeId },
    /// A client stops waiting for its request; it will retry it (same sequence number).
    ClientTimeout(ClientId),
    /// A node's answer reaches the client.
    Reply(ClientId),
    /// The operating system writes a node's unsynced writes out: they become durable.
    Sync(NodeId),
    /// The machine loses power after the first `keep` parts of the node's unsynced writes
    /// reached its disk (each write's term and vote, then its entries; a write cut in the
    /// middle is torn). Only with crash-mode lose-unsynced, and only while writes are pending.
    CrashKeeping { node: NodeId, keep: u32 },
    /// The node snapshots its state machine and compacts its log up to its applied index
    /// (as a driver asks with `Node::compact`). Only with the snapshots feature.
    Snapshot(NodeId),
    /// A leader is asked to hand leadership to another node (`Node::transfer_leadership`).
    /// Only with the transfer feature.
    Transfer { from: NodeId, to: NodeId },
    /// A leader is asked to change the cluster's membership (`Node::change_membership`).
    /// Only with the membership feature.
    Reconfig {
        leader: NodeId,
        change: MembershipChange,
    },
}

/// A membership change as scenarios write it after `reconfig nL`: `add n4`, `remove n2`,
/// `learner n4`, `promote n4`, `drop-learner n4`, `joint n1,n4,n5`.
pub struct ChangeText<'a>(pub &'a MembershipChange);

impl fmt::Display for ChangeText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            MembershipChange::AddVoter(id) => write!(f, "add n{id}"),
            MembershipChange::RemoveVoter(id) => write!(f, "remove n{id}"),
            MembershipChange::AddLearner(id) => write!(f, "learner n{id}"),
            MembershipChange::Promote(id) => write!(f, "promote n{id}"),
            MembershipChange::RemoveLearner(id) => write!(f, "drop-learner n{id}"),
            MembershipChange::Joint(voters) => {
                let names: Vec<String> = voters.iter().map(|n| format!("n{n}")).collect();
                write!(f, "joint {}", names.join(","))
            }
        }
    }
}

/// The nodes a membership change names.
pub fn change_ids(change: &MembershipChange) -> impl Iterator<Item = NodeId> {
    let set = match *change {
        MembershipChange::AddVoter(id)
        | MembershipChange::RemoveVoter(id)
        | MembershipChange::AddLearner(id)
        | MembershipChange::Promote(id)
        | MembershipChange::RemoveLearner(id) => std::iter::once(id).collect(),
        MembershipChange::Joint(voters) => voters,
    };
    set.into_iter()
}

impl Event {
    pub fn deliver(env: &Envelope<KvCommand>) -> Event {
        Event::Deliver {
            from: env.from,
            to: env.to,
            msg: MsgRef::of(&env.msg),
        }
    }

    /// The node whose state the event changes, if it is one node.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            Event::Deliver { to, .. } => Some(*to),
            Event::Timeout(n)
            | Event::Heartbeat(n)
            | Event::TickOne(n)
            | Event::Crash(n)
            | Event::Restart(n)
            | Event::Sync(n)
            | Event::Snapshot(n) => Some(*n),
            Event::Invoke { node, .. } | Event::CrashKeeping { node, .. } => Some(*node),
            Event::Transfer { from, .. } => Some(*from),
            Event::Reconfig { leader, .. } => Some(*leader),
            _ => None,
        }
    }

    /// Whether the event is a fault (as opposed to the normal working of the system).
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Event::Drop { .. }
                | Event::Duplicate { .. }
                | Event::Crash(_)
                | Event::TickOne(_)
                | Event::CrashKeeping { .. }
                | Event::Partition(_)
                | Event::ClientTimeout(_)
        )
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Deliver { from, to, msg } => write!(f, "deliver n{from}->n{to} {msg}"),
            Event::Drop { from, to, msg } => write!(f, "drop n{from}->n{to} {msg}"),
            Event::Duplicate { from, to, msg } => write!(f, "dup n{from}->n{to} {msg}"),
            Event::Timeout(n) => write!(f, "timeout n{n}"),
            Event::Heartbeat(n) => write!(f, "heartbeat n{n}"),
            Event::Tick => f.write_str("tick"),
            Event::TickOne(n) => write!(f, "tick n{n}"),
            Event::Crash(n) => write!(f, "crash n{n}"),
            Event::Restart(n) => write!(f, "restart n{n}"),
            Event::Partition(groups) => {
                f.write_str("partition ")?;
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    let names: Vec<String> = g.iter().map(|n| format!("n{n}")).collect();
                    f.write_str(&names.join(","))?;
                }
                Ok(())
            }
            Event::Heal => f.write_str("heal"),
            Event::Invoke { client, node } => write!(f, "invoke c{client} n{node}"),
            Event::ClientTimeout(c) => write!(f, "client-timeout c{c}"),
            Event::Reply(c) => write!(f, "reply c{c}"),
            Event::Sync(n) => write!(f, "sync n{n}"),
            Event::CrashKeeping { node, keep } => write!(f, "crash n{node} keep={keep}"),
            Event::Snapshot(n) => write!(f, "snapshot n{n}"),
            Event::Transfer { from, to } => write!(f, "transfer n{from}->n{to}"),
            Event::Reconfig { leader, change } => {
                write!(f, "reconfig n{leader} {}", ChangeText(change))
            }
        }
    }
}
