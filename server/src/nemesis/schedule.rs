//! The fault schedule: which faults, when, for how long, drawn from a seed before the run
//! starts, so the same seed gives the same schedule. Targets are named by role ("the
//! leader", "a majority") and resolved against the live cluster when the fault starts: who
//! leads then is up to the cluster, but the choice among candidates uses a number drawn
//! here, so the same cluster state gives the same nodes.
use std::fmt;
use std::time::Duration;
use verraft_core::rng::SplitMix64;

/// The kinds of fault a run may inject (`--faults kill,pause,partition,clock`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultSet {
    /// SIGKILL nodes and restart them from their data directory.
    pub kill: bool,
    /// SIGSTOP nodes and SIGCONT them.
    pub pause: bool,
    /// Cut links between nodes, in one direction or both.
    pub partition: bool,
    /// Run a node's timers fast or slow.
    pub clock: bool,
}

impl FaultSet {
    /// Every kind.
    pub const ALL: FaultSet = FaultSet {
        kill: true,
        pause: true,
        partition: true,
        clock: true,
    };

    /// Parse a comma-separated list of kill, pause, partition, clock (or `all`, `none`).
    pub fn parse(s: &str) -> Result<FaultSet, String> {
        let mut set = FaultSet::default();
        for word in s.split(',').map(str::trim) {
            match word {
                "kill" => set.kill = true,
                "pause" => set.pause = true,
                "partition" => set.partition = true,
                "clock" => set.clock = true,
                "all" => set = FaultSet::ALL,
                "none" => {}
                "" => return Err("empty fault name (say 'none' for no faults)".into()),
                other => {
                    return Err(format!(
                        "unknown fault '{other}' (known: kill, pause, partition, clock, all, none)"
                    ))
                }
            }
        }
        Ok(set)
    }

    /// The kinds switched on, by name.
    pub fn names(self) -> Vec<&'static str> {
        [
            (self.kill, "kill"),
            (self.pause, "pause"),
            (self.partition, "partition"),
            (self.clock, "clock"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// Whom a fault hits, resolved when it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The node that leads (the one with the highest term that says so); any node if none.
    Leader,
    /// One node, drawn.
    One,
    /// A majority of the nodes, drawn.
    Majority,
    /// Every node.
    All,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Target::Leader => "the leader",
            Target::One => "one node",
            Target::Majority => "a majority",
            Target::All => "every node",
        })
    }
}

/// How a partition splits the cluster. Links carry one direction of traffic each (node a's
/// messages to node b), so a one-way partition cuts the links one way only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The leader cut off from every other node, both ways: it may go on believing it leads
    /// until its check-quorum timer fires, while the others elect a new leader.
    IsolateLeader,
    /// One node cut off, both ways.
    IsolateOne,
    /// A majority and a minority, drawn, cut apart both ways.
    Halves,
    /// The leader's messages to the others are lost; theirs reach it.
    LeaderMute,
    /// The others' messages to the leader are lost; its reach them.
    LeaderDeaf,
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Shape::IsolateLeader => "isolate the leader",
            Shape::IsolateOne => "isolate one node",
            Shape::Halves => "split majority | minority",
            Shape::LeaderMute => "the leader's messages lost (one way)",
            Shape::LeaderDeaf => "messages to the leader lost (one way)",
        })
    }
}

/// One fault.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// SIGKILL the target; restart it when the fault ends.
    Kill(Target),
    /// SIGSTOP the target; SIGCONT it when the fault ends.
    Pause(Target),
    /// Cut links; reopen them when the fault ends.
    Partition(Shape),
    /// Run the target's timers at `rate` times real time; it keeps that clock until a later
    /// clock fault or the end of the run, so it meets the faults that follow: a leader with
    /// a slow clock that is then cut off believes it leads for longer.
    Clock {
        /// Whose clock.
        target: Target,
        /// The new rate.
        rate: f64,
    },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Kill(t) => write!(f, "kill {t}"),
            Fault::Pause(t) => write!(f, "pause {t}"),
            Fault::Partition(s) => write!(f, "partition: {s}"),
            Fault::Clock { target, rate } => write!(f, "clock of {target} at {rate}x"),
        }
    }
}

impl Fault {
    /// The kind's name, as `--faults` spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Kill(_) => "kill",
            Fault::Pause(_) => "pause",
            Fault::Partition(_) => "partition",
            Fault::Clock { .. } => "clock",
        }
    }
}

/// A fault at a time, held for a while.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Episode {
    /// When it starts, from the start of the run's workload.
    pub at: Duration,
    /// What it does.
    pub fault: Fault,
    /// How long before it is healed (a clock fault has nothing to heal: 0).
    pub hold: Duration,
    /// Drawn with the schedule: picks among the nodes a target may resolve to.
    pub pick: u64,
}

/// Clock rates a clock fault draws from: fast clocks make a node's election timer and its
/// leader's check-quorum timer fire early, slow ones late. All within the node's bounds.
const RATES: [f64; 4] = [0.25, 0.5, 2.0, 4.0];

/// Time before the first fault: the cluster elects its first leader and the clients start.
pub const WARMUP: Duration = Duration::from_secs(2);

/// The faults of a run of `duration`, from `seed`: one at a time, each held 1–4 s (a
/// partition 2–5 s) with a quiet gap of 0.5–2.5 s after it, none starting in the last 2 s.
pub fn schedule(seed: u64, faults: FaultSet, duration: Duration) -> Vec<Episode> {
    let mut rng = SplitMix64(seed);
    let mut kinds = Vec::new();
    if faults.kill {
        kinds.push(0);
    }
    if faults.pause {
        kinds.push(1);
    }
    if faults.partition {
        kinds.push(2);
    }
    if faults.clock {
        kinds.push(3);
    }
    let mut out = Vec::new();
    if kinds.is_empty() {
        return out;
    }
    let ms = |rng: &mut SplitMix64, lo: u32, hi: u32| {
        Duration::from_millis(u64::from(lo + rng.up_to(hi - lo)))
    };
    let mut at = WARMUP;
    let end = duration.saturating_sub(Duration::from_secs(2));
    while at < end {
        let kind = kinds[rng.up_to(kinds.len() as u32 - 1) as usize];
        let target = |rng: &mut SplitMix64, choices: &[Target]| {
            choices[rng.up_to(choices.len() as u32 - 1) as usize]
        };
        let fault = match kind {
            0 => Fault::Kill(target(
                &mut rng,
                &[Target::Leader, Target::One, Target::Majority, Target::All],
            )),
            1 => Fault::Pause(target(&mut rng, &[Target::Leader, Target::One])),
            2 => Fault::Partition(
                [
                    Shape::IsolateLeader,
                    Shape::IsolateLeader,
                    Shape::IsolateOne,
                    Shape::Halves,
                    Shape::LeaderMute,
                    Shape::LeaderDeaf,
                ][rng.up_to(5) as usize],
            ),
            _ => match target(&mut rng, &[Target::Leader, Target::Leader, Target::One]) {
                // A slow leader is the one that matters most: it believes it leads for
                // longer after it was cut off (its check-quorum timer fires late).
                Target::Leader => Fault::Clock {
                    target: Target::Leader,
                    rate: [0.25, 0.25, 0.5][rng.up_to(2) as usize],
                },
                target => Fault::Clock {
                    target,
                    rate: RATES[rng.up_to(RATES.len() as u32 - 1) as usize],
                },
            },
        };
        let hold = match fault {
            Fault::Clock { .. } => Duration::ZERO,
            // A partition shorter than an election (which takes 0.3 to 2 s here) is over
            // before the side without the leader has done anything.
            Fault::Partition(_) => ms(&mut rng, 2000, 5000),
            _ => ms(&mut rng, 1000, 4000),
        };
        let pick = rng.next_u64();
        out.push(Episode {
            at,
            fault,
            hold,
            pick,
        });
        at += hold + ms(&mut rng, 500, 2500);
    }
    out
}

/// `k` of `from`, chosen by `pick` (a partial Fisher–Yates shuffle driven by it).
pub fn choose<T: Copy>(from: &[T], k: usize, pick: u64) -> Vec<T> {
    let mut pool = from.to_vec();
    let mut rng = SplitMix64(pick);
    let k = k.min(pool.len());
    for i in 0..k {
        let j = i + (rng.next_u64() % (pool.len() - i) as u64) as usize;
        pool.swap(i, j);
    }
    pool.truncate(k);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_fixes_the_schedule_and_only_chosen_faults_appear() {
        let d = Duration::from_secs(60);
        let a = schedule(7, FaultSet::ALL, d);
        assert_eq!(a, schedule(7, FaultSet::ALL, d));
        assert_ne!(a, schedule(8, FaultSet::ALL, d));
        assert!(a.len() >= 10, "{} episodes", a.len());
        for kind in ["kill", "pause", "partition", "clock"] {
            assert!(a.iter().any(|e| e.fault.kind() == kind), "no {kind}");
        }
        let only = FaultSet::parse("pause").unwrap();
        assert!(schedule(7, only, d)
            .iter()
            .all(|e| e.fault.kind() == "pause"));
        assert!(schedule(7, FaultSet::default(), d).is_empty());
        // Nothing starts in the warm-up or the last two seconds, and faults do not overlap.
        for w in a.windows(2) {
            assert!(w[0].at + w[0].hold < w[1].at);
        }
        assert!(a[0].at >= WARMUP);
        assert!(a.last().unwrap().at < d - Duration::from_secs(2));
    }

    #[test]
    fn fault_lists_parse_and_bad_names_are_refused() {
        assert_eq!(FaultSet::parse("all").unwrap(), FaultSet::ALL);
        let s = FaultSet::parse("kill,clock").unwrap();
        assert_eq!(s.names(), vec!["kill", "clock"]);
        assert!(FaultSet::parse("kill,,pause").is_err());
        assert!(FaultSet::parse("skew")
            .unwrap_err()
            .contains("unknown fault 'skew'"));
    }

    #[test]
    fn choose_picks_distinct_members() {
        let v = choose(&[1, 2, 3, 4, 5], 3, 99);
        assert_eq!(v.len(), 3);
        assert!(v.iter().all(|x| (1..=5).contains(x)));
        assert_ne!(v[0], v[1]);
        assert_eq!(v, choose(&[1, 2, 3, 4, 5], 3, 99));
    }
}
