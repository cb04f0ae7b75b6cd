//! A hand-driven cluster for tests: nodes, their disks, a FIFO network, and the sequence each
//! node applied. Tests decide exactly which messages are delivered, dropped or held back.
#![allow(dead_code)]
use std::collections::VecDeque;
use verraft_core::*;
use verraft_kv::*;

pub type AppliedEntry = (Index, Entry<KvCommand>, Option<KvOutput>);

pub fn config(id: NodeId, n: u8, bugs: BugSet) -> Config {
    // The Figure 2 rules these tests drive by hand; pre-vote and check-quorum have their own.
    let mut c = Config::new(id, 1..=n).without_options();
    c.election_jitter = 0;
    c.bugs = bugs;
    c
}

pub fn node(id: NodeId, n: u8) -> KvNode {
    Node::new(config(id, n, BugSet::NONE), KvStore::new()).unwrap()
}

/// A node with the seeded bug `bug` switched on: only where the bugs are compiled in (the
/// `seeded-bugs` feature), since elsewhere the node refuses the configuration.
#[cfg(feature = "seeded-bugs")]
pub fn buggy(id: NodeId, n: u8, bug: Bug) -> KvNode {
    Node::new(config(id, n, BugSet::NONE.with(bug)), KvStore::new()).unwrap()
}

/// The bug sets a test of a rule runs through: none, then `bug`, the seeded bug that removes
/// the rule, where the bugs are compiled in (the `seeded-bugs` feature). A build without
/// them still checks the rule on the correct node.
pub fn correct_then_with(bug: Bug) -> Vec<BugSet> {
    let mut sets = vec![BugSet::NONE];
    if verraft_core::bugs::COMPILED {
        sets.push(BugSet::NONE.with(bug));
    }
    sets
}

/// Drain a node's output as a driver with a perfect disk would (the write is synced and
/// reported), returning the messages it sent.
pub fn sent(node: &mut KvNode) -> Vec<Envelope<KvCommand>> {
    let ready = node.ready();
    if let Some((index, term)) = ready.log_write.as_ref().and_then(|w| w.last()) {
        node.log_synced(index, term);
    }
    ready.messages.into_vec()
}

pub fn put(client: ClientId, seq: u64, key: &str, value: &str) -> KvCommand {
    KvCommand {
        client,
        seq,
        op: KvOp::Append {
            key: key.into(),
            value: value.into(),
        },
    }
}

pub fn entry(term: Term) -> Entry<KvCommand> {
    Entry {
        term,
        payload: Payload::Noop,
    }
}

pub struct Cluster {
    pub bugs: BugSet,
    pub nodes: Vec<Option<KvNode>>,
    pub disks: Vec<MemStorage<KvCommand>>,
    pub network: VecDeque<Envelope<KvCommand>>,
    /// Every entry each node applied, in order, across restarts (a restart starts over).
    pub applied: Vec<Vec<AppliedEntry>>,
}

impl Cluster {
    pub fn new(n: u8) -> Cluster {
        Cluster::with_bugs(n, BugSet::NONE)
    }

    pub fn with_bugs(n: u8, bugs: BugSet) -> Cluster {
        let nodes = (1..=n)
            .map(|id| Some(Node::new(config(id, n, bugs), KvStore::new()).unwrap()))
            .collect();
        Cluster {
            bugs,
            nodes,
            disks: vec![MemStorage::default(); n as usize],
            network: VecDeque::new(),
            applied: vec![Vec::new(); n as usize],
        }
    }

    pub fn node(&self, id: NodeId) -> &KvNode {
        self.nodes[id as usize - 1].as_ref().expect("node is down")
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut KvNode {
        self.nodes[id as usize - 1].as_mut().expect("node is down")
    }

    /// Persist, then send, then record what was applied: the order `Ready` demands.
    pub fn flush(&mut self, id: NodeId) {
        let i = id as usize - 1;
        let Some(node) = self.nodes[i].as_mut() else {
            return;
        };
        let ready = node.ready();
        if let Some(snapshot) = ready.snapshot {
            self.disks[i].save_snapshot(snapshot).unwrap();
        }
        if let Some(hs) = ready.hard_state {
            self.disks[i].save_hard_state(hs).unwrap();
        }
        let synced = ready.log_write.as_ref().and_then(|w| w.last());
        if let Some(w) = ready.log_write {
            self.disks[i].write_log(w).unwrap();
        }
        self.network.extend(ready.messages);
        for a in ready.applied {
            self.applied[i].push((a.index, a.entry, a.output));
        }
        // The write is durable (this disk has no write buffer): tell the node, and hand out
        // what that made it do (a leader whose own copy completes a quorum commits).
        if let Some((index, term)) = synced {
            node.log_synced(index, term);
            if node.has_ready() {
                self.flush(id);
            }
        }
    }

    pub fn timeout(&mut self, id: NodeId) {
        self.node_mut(id).fire_election_timeout();
        self.flush(id);
    }

    pub fn heartbeat(&mut self, id: NodeId) {
        self.node_mut(id).fire_heartbeat();
        self.flush(id);
    }

    pub fn propose(&mut self, id: NodeId, cmd: KvCommand) -> Result<Proposal, ProposeError> {
        let r = self.node_mut(id).propose(cmd);
        self.flush(id);
        r
    }

    /// Deliver every message in flight (and those they cause) until the network is empty.
    /// Messages to a crashed node are lost.
    pub fn settle(&mut self) {
        let mut budget = 100_000;
        while let Some(env) = self.network.pop_front() {
            budget -= 1;
            assert!(budget > 0, "cluster does not settle");
            let i = env.to as usize - 1;
            if let Some(node) = self.nodes[i].as_mut() {
                node.step(env.from, env.msg).unwrap();
                self.flush(env.to);
            }
        }
    }

    pub fn crash(&mut self, id: NodeId) {
        self.nodes[id as usize - 1] = None;
        self.applied[id as usize - 1].clear();
    }

    pub fn restart(&mut self, id: NodeId) {
        let i = id as usize - 1;
        let n = self.disks.len() as u8;
        let node = Node::restart(config(id, n, self.bugs), &self.disks[i], KvStore::new()).unwrap();
        self.nodes[i] = Some(node);
    }

    pub fn leaders(&self) -> Vec<NodeId> {
        self.nodes
            .iter()
            .flatten()
            .filter(|n| n.role() == Role::Leader)
            .map(|n| n.id())
            .collect()
    }

    /// Elect `id`: it times out and every message is delivered.
    pub fn elect(&mut self, id: NodeId) {
        self.timeout(id);
        self.settle();
        assert_eq!(self.node(id).role(), Role::Leader, "n{id} did not win");
    }

    /// The applied sequences of all live nodes, as (index, term, output) lists.
    pub fn applied_commands(&self, id: NodeId) -> Vec<KvCommand> {
        self.applied[id as usize - 1]
            .iter()
            .filter_map(|(_, e, _)| match &e.payload {
                Payload::Command(c) => Some(c.clone()),
                Payload::Noop | Payload::Config(_) => None,
            })
            .collect()
    }
}
