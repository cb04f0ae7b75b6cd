//! The bounds of one exhaustive check. Every bound is a limit on the world itself (terms,
//! log length, crashes, messages in flight, faults), never on search depth: a depth bound
//! with stateright's DFS silently skips states (see STATERIGHT_NOTES.md).
use verraft_core::BugSet;
use verraft_kv::{KvOp, Text};
use verraft_sim::{CrashMode, Faults, Features, Limits, Timing, WorldConfig};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub nodes: u8,
    /// No election starts at a node whose term is already this high.
    pub max_term: u64,
    /// No node may hold a longer log, in memory or on disk (`None`: only the other bounds).
    pub max_log: Option<u64>,
    /// Client operations, handed out round-robin to `clients` clients.
    pub max_ops: usize,
    pub clients: usize,
    /// Crashes in the whole run (each crashed node may restart).
    pub crashes: u32,
    pub faults: Faults,
    /// The optional parts of the core the nodes run.
    pub features: Features,
    /// With snapshots on: a node snapshots on its own every this many applied entries (0:
    /// only at snapshot events).
    pub snapshot_every: u32,
    /// With snapshots on: `snapshot nN` events in the whole run.
    pub snapshots: u32,
    /// With transfer on: `transfer nA->nB` events in the whole run.
    pub transfers: u32,
    /// With lease reads on (the world keeps time): `tick` events in the whole run.
    pub ticks: u32,
    pub max_in_flight: u32,
    /// Heartbeats in the whole run: each one re-sends what followers have not acknowledged.
    pub heartbeats: u32,
    /// With loss on: messages lost in the whole run (`None`: as many as the other bounds
    /// allow).
    pub losses: Option<u32>,
    /// Election timeouts at followers and candidates in the whole run (`None`: as many as
    /// the term bound allows; pre-vote rounds do not raise the term).
    pub elections: Option<u32>,
    /// With membership changes on: `reconfig` events in the whole run.
    pub reconfigs: u32,
    /// With membership changes on: the voters the cluster starts with (nodes 1 to this;
    /// the rest are spares that join when added). `None`: every node.
    pub voters: Option<u8>,
    pub partitions: u32,
    pub client_timeouts: u32,
    pub crash_mode: CrashMode,
    /// Most entries in one AppendEntries message.
    pub max_append: u32,
    pub bugs: BugSet,
    /// Check the auxiliary invariants of the safety proofs too (off: Figure 3's alone).
    pub auxiliary: bool,
}

impl Bounds {
    /// The nodes' timing when the model keeps time (lease reads): timeouts as short as a
    /// lease can be (an election timeout of 3 ticks less a drift of 2 leaves a lease of
    /// one tick), without jitter (the model tries every order of events anyway), and clocks
    /// that may run one tick apart.
    pub const MODEL_TIMING: Timing = Timing {
        election_ticks: 3,
        election_jitter: 0,
        heartbeat_ticks: 1,
        clock_drift: 2,
    };
}

impl Default for Bounds {
    /// The bounds flags start from: the core with every feature but leadership transfer
    /// (pre-vote, check-quorum, reads by ReadIndex, a snapshot every second applied entry), three nodes, elections in
    /// three terms, a write and a read of the same key, message duplication and reordering,
    /// one crash-restart, one heartbeat (3,413,226 unique states). Message loss is left out here: with pre-vote's extra round
    /// it multiplies the space (more than 11 M states with it); the other bound sets of
    /// `portfolio` cover loss.
    fn default() -> Bounds {
        Bounds {
            nodes: 3,
            max_term: 3,
            max_log: Some(3),
            max_ops: 2,
            clients: 1,
            crashes: 1,
            faults: Faults {
                loss: false,
                duplication: true,
                reorder: true,
                crash: true,
                partition: false,
            },
            // Leadership transfer triples this space (a transfer can start wherever a leader
            // is): the portfolio checks it in a bound set of its own.
            features: Features {
                transfer: false,
                ..Features::ALL
            },
            snapshot_every: 2,
            snapshots: 0,
            transfers: 1,
            ticks: 8,
            max_in_flight: 1,
            heartbeats: 1,
            losses: None,
            elections: None,
            reconfigs: 2,
            voters: None,
            partitions: 0,
            client_timeouts: 0,
            crash_mode: CrashMode::KeepUnsynced,
            max_append: 64,
            bugs: BugSet::NONE,
            auxiliary: true,
        }
    }
}

impl Bounds {
    /// The bound sets `verraft check` explores without flags, each exhaustively: together they
    /// cover every optional feature and every message fault within the README's time.
    pub fn portfolio() -> Vec<(&'static str, Bounds)> {
        let features = Bounds::default();
        // The Figure 2 core with loss in two terms: a third term multiplied this set by 7
        // (6.58 M states) and caught no seeded bug that two terms miss (prev-term-skip,
        // forget-vote and the others it catches need one deposed leader, not two).
        let classic = Bounds {
            features: Features::NONE,
            max_term: 2,
            faults: Faults {
                loss: true,
                ..features.faults
            },
            ..features.clone()
        };
        // ReadIndex and snapshots with loss: an old leader that missed its deposition
        // serving reads is the case ReadIndex exists for, and a follower left with entries
        // of a deposed leader when a snapshot arrives is the case the snapshot rules exist
        // for; both need a message to be lost (with at most one message in flight and none
        // lost, a deposed leader always hears of its successor before anything else
        // happens). A snapshot after every applied entry, two terms and no crash keep it
        // small.
        let reads = Bounds {
            features: Features {
                read_index: true,
                snapshots: true,
                ..Features::NONE
            },
            snapshot_every: 1,
            max_term: 2,
            crashes: 0,
            faults: Faults {
                loss: true,
                ..Faults::NONE
            },
            ..features.clone()
        };
        // Leadership transfer, with the features it must get along with (pre-vote, the
        // check-quorum lease its vote requests pass, reads that a change of leader
        // interrupts): two terms, the second the transfer's.
        let transfer = Bounds {
            features: Features {
                snapshots: false,
                ..Features::ALL
            },
            max_term: 2,
            crashes: 0,
            faults: Faults {
                duplication: true,
                reorder: true,
                ..Faults::NONE
            },
            ..features.clone()
        };
        // Appends one entry at a time with two messages in flight: a delayed older append
        // meets a newer one, and a follower's log grows entry by entry, which the sets above
        // (one message in flight, a leader's whole tail in one append) never show. Three
        // terms, no crash: stale-term-vote, commit-overrun and figure-8 break here.
        let pipelined = Bounds {
            features: Features::NONE,
            crashes: 0,
            max_in_flight: 2,
            max_append: 1,
            faults: Faults {
                duplication: true,
                reorder: true,
                ..Faults::NONE
            },
            ..features.clone()
        };
        // A crash that loses what the node had not synced (power loss, not a process kill):
        // a node that acknowledged or counted an unsynced write is caught here.
        let power_loss = Bounds {
            features: Features::NONE,
            max_term: 2,
            faults: Faults {
                crash: true,
                ..Faults::NONE
            },
            crash_mode: CrashMode::LoseUnsynced,
            ..features.clone()
        };
        // Membership changes: two voters and a spare (an even-sized cluster, where a quorum
        // is everyone), two changes (a learner added then promoted, or swapped in by a joint
        // configuration, or the leader removing itself), a client's write, a crash and a lost
        // message in two terms. Every membership `sometimes` is reached; a change the leader
        // should have refused shows in Config Lineage. (Three voters and a spare, the
        // smallest cluster where two uncommitted one-voter changes can decide apart, is
        // `--preset membership`: 57 M states.)
        let membership = Bounds {
            features: Features {
                membership: true,
                ..Features::NONE
            },
            voters: Some(2),
            reconfigs: 2,
            max_term: 2,
            max_log: Some(4),
            max_ops: 1,
            faults: Faults {
                loss: true,
                crash: true,
                ..Faults::NONE
            },
            losses: Some(1),
            ..features.clone()
        };
        vec![
            (
                "the core with pre-vote, check-quorum, read-index and snapshots",
                features,
            ),
            (
                "the Figure 2 core without options, message loss too",
                classic,
            ),
            (
                "reads by ReadIndex and snapshots while messages are lost",
                reads,
            ),
            (
                "leadership transfer with pre-vote, check-quorum and reads",
                transfer,
            ),
            (
                "one-entry appends with two messages in flight, three terms",
                pipelined,
            ),
            (
                "a crash that loses unsynced writes (power loss)",
                power_loss,
            ),
            ("membership changes: two voters and a spare", membership),
        ]
    }

    /// The client scripts: operation `i` goes to client `i % clients`; even operations write
    /// a fresh value to `x`, odd ones read `x`, so a read can observe a write.
    pub fn scripts(&self) -> Vec<Vec<KvOp>> {
        let clients = self.clients.max(1).min(self.max_ops.max(1));
        let mut scripts = vec![Vec::new(); if self.max_ops == 0 { 0 } else { clients }];
        for i in 0..self.max_ops {
            let key = Text::from("x");
            let op = if i % 2 == 0 {
                KvOp::Put {
                    key,
                    value: Text::from((i / 2 + 1).to_string()),
                }
            } else {
                KvOp::Get { key }
            };
            scripts[i % clients].push(op);
        }
        scripts
    }

    /// The world these bounds describe. Every limit the world knows is set, so the world is
    /// finite whatever the faults.
    pub fn world_config(&self) -> WorldConfig {
        let mut c = WorldConfig::new(self.nodes);
        c.bugs = self.bugs;
        c.faults = self.faults;
        c.features = self.features;
        // The snapshot bounds mean something only with snapshots on; off, the world keeps
        // its defaults, as a scenario file without them reads back.
        if self.features.snapshots {
            c.snapshot_every = self.snapshot_every;
        }
        c.faults.crash &= self.crashes > 0;
        c.faults.partition &= self.partitions > 0;
        c.crash_mode = self.crash_mode;
        c.max_append_entries = self.max_append;
        c.limits = Limits {
            max_term: Some(self.max_term),
            max_crashes: Some(self.crashes),
            max_in_flight: Some(self.max_in_flight),
            max_partitions: Some(self.partitions),
            max_client_timeouts: Some(self.client_timeouts),
            max_heartbeats: Some(self.heartbeats),
            max_snapshots: self.features.snapshots.then_some(self.snapshots),
            max_transfers: self.features.transfer.then_some(self.transfers),
            max_ticks: self.features.lease_reads.then_some(self.ticks),
            max_losses: self.losses.filter(|_| self.faults.loss),
            max_elections: self.elections.filter(|_| !self.features.lease_reads),
            max_reconfigs: self.features.membership.then_some(self.reconfigs),
        };
        c.voters = self.voters.filter(|_| self.features.membership);
        if self.features.lease_reads {
            c.timing = Self::MODEL_TIMING;
        }
        c.clients = self.scripts();
        c.auxiliary = self.auxiliary;
        c.promises = false;
        c
    }

    /// Checks that make a bad combination one clear error instead of a silent no-op.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=9).contains(&self.nodes) {
            return Err(format!(
                "--nodes must be between 1 and 9, not {}",
                self.nodes
            ));
        }
        if self.max_term == 0 {
            return Err("--max-term must be at least 1 (no leader can exist in term 0)".into());
        }
        if self.max_in_flight == 0 {
            return Err("--max-in-flight must be at least 1".into());
        }
        if self.clients == 0 {
            return Err("--clients must be at least 1".into());
        }
        if self.elections.is_some() && self.features.lease_reads {
            return Err(
                "--elections bounds election timeouts in a world without clocks; with lease-reads timers fire on ticks (bound them with --ticks)".into(),
            );
        }
        if let Some(l) = self.losses.filter(|l| *l > 0 && !self.faults.loss) {
            return Err(format!("--losses {l} needs 'loss' in --faults"));
        }
        if self.crashes > 0 && !self.faults.crash {
            return Err(format!(
                "--crashes {} needs 'crash' in --faults",
                self.crashes
            ));
        }
        if self.max_ops > 0 && self.clients > self.max_ops {
            return Err(format!(
                "--clients {} needs at least as many operations (--max-ops {}): a client without one would never act",
                self.clients, self.max_ops
            ));
        }
        if !self.features.snapshots && (self.snapshots > 0) {
            return Err(format!(
                "--snapshots {} needs 'snapshots' in --features",
                self.snapshots
            ));
        }
        if self.partitions > 0 && !self.faults.partition {
            return Err(format!(
                "--partitions {} needs 'partition' in --faults",
                self.partitions
            ));
        }
        self.world_config().validate()
    }

    /// The `verraft check` flags that give exactly these bounds, every one spelled out (none
    /// left to a default, which may change): what a counterexample's "found by" line records.
    pub fn to_flags(&self) -> Vec<String> {
        let faults = self.faults.names();
        let mut f = vec![
            format!("--nodes {}", self.nodes),
            format!("--max-term {}", self.max_term),
            format!("--max-ops {}", self.max_ops),
            format!("--clients {}", self.clients),
            format!(
                "--max-log {}",
                self.max_log.map_or("none".to_string(), |l| l.to_string())
            ),
            format!(
                "--faults {}",
                if faults.is_empty() {
                    "none".to_string()
                } else {
                    faults.join(",")
                }
            ),
            format!("--features {}", self.features.list()),
            format!("--crashes {}", self.crashes),
            format!("--partitions {}", self.partitions),
            format!("--max-in-flight {}", self.max_in_flight),
            format!("--heartbeats {}", self.heartbeats),
            format!("--client-timeouts {}", self.client_timeouts),
            format!("--max-append {}", self.max_append),
        ];
        // Each feature's own bounds only when it is on: "found by" lines recorded before a
        // feature existed stay the lines `to_flags` gives.
        let at = f
            .iter()
            .position(|x| x.starts_with("--features"))
            .map_or(f.len(), |i| i + 1);
        if self.features.transfer {
            f.insert(at, format!("--transfers {}", self.transfers));
        }
        if self.features.membership {
            f.insert(at, format!("--reconfigs {}", self.reconfigs));
            if let Some(v) = self.voters {
                f.insert(at, format!("--voters {v}"));
            }
        }
        if self.features.snapshots {
            f.insert(at, format!("--snapshots {}", self.snapshots));
            f.insert(at, format!("--snapshot-every {}", self.snapshot_every));
        }
        // Only when given, for the same reason.
        if let Some(l) = self.losses.filter(|_| self.faults.loss) {
            f.push(format!("--losses {l}"));
        }
        if let Some(e) = self.elections {
            f.push(format!("--elections {e}"));
        }
        if self.crash_mode == CrashMode::LoseUnsynced {
            f.push("--lose-unsynced".into());
        }
        if !self.auxiliary {
            f.push("--no-auxiliary".into());
        }
        f.extend(self.bugs.iter().map(|b| format!("--bug {b}")));
        f
    }

    /// One line naming every bound, for summaries and scenario notes.
    pub fn describe(&self) -> String {
        let faults = self.world_config().faults.names();
        let mut s = format!(
            "nodes={} max-term={} max-ops={} clients={} crashes={} in-flight={} heartbeats={}",
            self.nodes,
            self.max_term,
            self.max_ops,
            self.clients.min(self.max_ops.max(1)),
            self.crashes,
            self.max_in_flight,
            self.heartbeats
        );
        if let Some(l) = self.max_log {
            s += &format!(" max-log={l}");
        }
        if self.max_append != 64 {
            s += &format!(" max-append={}", self.max_append);
        }
        if self.partitions > 0 {
            s += &format!(" partitions={}", self.partitions);
        }
        if let Some(l) = self.losses.filter(|_| self.faults.loss) {
            s += &format!(" losses={l}");
        }
        if let Some(e) = self.elections {
            s += &format!(" elections={e}");
        }
        if self.client_timeouts > 0 {
            s += &format!(" client-timeouts={}", self.client_timeouts);
        }
        s += &format!(" features={}", self.features.list());
        if self.features.snapshots {
            s += &format!(
                " snapshot-every={} snapshots={}",
                self.snapshot_every, self.snapshots
            );
        }
        if self.features.transfer {
            s += &format!(" transfers={}", self.transfers);
        }
        if self.features.membership {
            if let Some(v) = self.voters {
                s += &format!(" voters={v}");
            }
            s += &format!(" reconfigs={}", self.reconfigs);
        }
        s += &format!(
            " faults={}",
            if faults.is_empty() {
                "none".to_string()
            } else {
                faults.join(",")
            }
        );
        let bugs: Vec<&str> = self.bugs.iter().map(|b| b.name()).collect();
        if !bugs.is_empty() {
            s += &format!(" bugs={}", bugs.join(","));
        }
        if !self.auxiliary {
            s += " invariants=figure-3";
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_alternate_writes_and_reads_round_robin() {
        let b = Bounds {
            max_ops: 3,
            clients: 2,
            ..Bounds::default()
        };
        let s = b.scripts();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].len(), 2);
        assert!(matches!(s[0][0], KvOp::Put { .. }));
        assert!(matches!(s[1][0], KvOp::Get { .. }));
        assert!(Bounds {
            max_ops: 0,
            ..Bounds::default()
        }
        .scripts()
        .is_empty());
    }

    #[test]
    fn every_world_limit_is_set() {
        let l = Bounds::default().world_config().limits;
        assert!(l.max_term.is_some() && l.max_crashes.is_some() && l.max_in_flight.is_some());
        assert!(l.max_partitions.is_some() && l.max_client_timeouts.is_some());
        assert!(l.max_heartbeats.is_some());
    }

    #[test]
    fn contradictory_bounds_are_refused() {
        let mut b = Bounds {
            crashes: 1,
            ..Bounds::default()
        };
        b.faults.crash = false;
        assert!(b.validate().unwrap_err().contains("--crashes"));
        assert!(Bounds {
            max_term: 0,
            ..Bounds::default()
        }
        .validate()
        .is_err());
    }
}
