//! Three verraft nodes in one process: the smallest complete driver, to copy.
//!
//! Each node has its own `MemStorage` (a stand-in for a disk), messages travel through one
//! FIFO queue, and the driver ticks the nodes until one of them is elected, proposes a few
//! key-value commands to it, and delivers messages until every node has applied them.
//!
//! `cargo run -p verraft-core --example three_nodes`; `cargo test -p verraft-core` runs it
//! too (core/tests/example_runs.rs), so that it fails loudly when the core breaks.
use std::collections::VecDeque;
use verraft_core::{Config, Envelope, Index, MemStorage, Node, NodeId, Payload, Role, Storage};
use verraft_kv::{KvCommand, KvNode, KvOp, KvOutput, KvStore};

/// What one node applied, in order: index, command, the store's answer.
pub type AppliedLog = Vec<(Index, KvCommand, KvOutput)>;

/// A node, its disk, and what the driver saw it apply.
struct Server {
    node: KvNode,
    disk: MemStorage<KvCommand>,
    applied: AppliedLog,
}

struct Cluster {
    servers: Vec<Server>, // node id `i` at `servers[i - 1]`
    network: VecDeque<Envelope<KvCommand>>,
}

impl Cluster {
    /// Carry out a node's output in the order the `Ready` contract demands.
    fn handle_ready(&mut self, id: NodeId) {
        let server = &mut self.servers[usize::from(id) - 1];
        // `log_synced` can commit entries, which makes new output: loop until there is none.
        while server.node.has_ready() {
            let ready = server.node.ready();
            // 1. Persist term, vote and log. A real disk would fsync here when
            //    `ready.must_sync` (always, unless a seeded bug is on); MemStorage is durable
            //    the moment it is written.
            if let Some(hard_state) = ready.hard_state {
                server.disk.save_hard_state(hard_state).expect("disk");
            }
            if let Some(write) = ready.log_write {
                let last = write.last();
                server.disk.write_log(write).expect("disk");
                // 2. The write is durable: say so. Only now may a leader count its own copy.
                if let Some((index, term)) = last {
                    server.node.log_synced(index, term);
                }
            }
            // 3. Only after the disk holds what they promise (a vote, an acknowledged entry)
            //    may the messages leave.
            self.network.extend(ready.messages);
            // 4. Committed entries, already applied to the node's store, with its answers.
            for a in ready.applied {
                if let (Payload::Command(cmd), Some(out)) = (a.entry.payload, a.output) {
                    server.applied.push((a.index, cmd, out));
                }
            }
        }
    }

    /// Deliver messages (and the ones they cause) until the network is empty, in order and
    /// without loss; a real network may lose, delay, duplicate or reorder them: Raft copes.
    fn deliver_all(&mut self) {
        while let Some(Envelope { from, to, msg }) = self.network.pop_front() {
            let node = &mut self.servers[usize::from(to) - 1].node;
            node.step(from, msg).expect("the sender is a voter");
            self.handle_ready(to);
        }
    }

    /// One tick of every node's clock, then deliver what that made them send.
    fn tick_all(&mut self) {
        for id in 1..=3 {
            self.servers[usize::from(id) - 1].node.tick();
            self.handle_ready(id);
        }
        self.deliver_all();
    }
}

/// Elect a leader, commit four commands, and return what each node applied.
pub fn run() -> Vec<AppliedLog> {
    let servers = (1..=3)
        .map(|id| Server {
            // The default timings: an election timeout of 10..=20 ticks, drawn by a
            // generator seeded with the id, so every run elects the same way.
            node: Node::new(Config::new(id, 1..=3), KvStore::new()).expect("valid config"),
            disk: MemStorage::default(),
            applied: Vec::new(),
        })
        .collect();
    let mut cluster = Cluster {
        servers,
        network: VecDeque::new(),
    };

    let mut ticks = 0;
    let leader = loop {
        cluster.tick_all();
        ticks += 1;
        if let Some(s) = cluster
            .servers
            .iter()
            .find(|s| s.node.role() == Role::Leader)
        {
            break s.node.id();
        }
        assert!(ticks < 200, "no leader after {ticks} ticks");
    };
    println!("n{leader} was elected after {ticks} ticks");

    // One client (id 7) numbers its requests 1, 2, 3...; a retry would reuse its number.
    #[rustfmt::skip]
    let ops = [
        KvOp::Put { key: "x".into(), value: "1".into() },
        KvOp::Append { key: "x".into(), value: "2".into() },
        KvOp::Put { key: "y".into(), value: "hi".into() },
        KvOp::Append { key: "x".into(), value: "3".into() },
    ];
    let count = ops.len();
    for (seq, op) in (1..).zip(ops) {
        let node = &mut cluster.servers[usize::from(leader) - 1].node;
        let proposal = node.propose(KvCommand { client: 7, seq, op });
        let proposal = proposal.expect("the leader takes proposals");
        println!("seq {seq} proposed at index {}", proposal.index);
        cluster.handle_ready(leader);
        cluster.deliver_all();
    }

    // Followers learn the latest commit index from the leader's next append: keep the clocks
    // running (heartbeats) until every node has applied all four commands.
    while cluster.servers.iter().any(|s| s.applied.len() < count) {
        cluster.tick_all();
        ticks += 1;
        assert!(ticks < 400, "the commands did not commit on every node");
    }

    for s in &cluster.servers {
        let show = |(i, c, out): &(_, KvCommand, _)| format!("{i}:{} -> {out}", c.op);
        let line: Vec<String> = s.applied.iter().map(show).collect();
        println!("n{} applied {}", s.node.id(), line.join(", "));
        assert_eq!(s.applied, cluster.servers[0].applied, "n{}", s.node.id());
        assert_eq!(s.node.state_machine().get("x"), Some("123"));
    }
    cluster.servers.into_iter().map(|s| s.applied).collect()
}

fn main() {
    run();
}
