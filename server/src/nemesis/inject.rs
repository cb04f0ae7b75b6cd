//! Carrying out one episode of the schedule on the live cluster: its target resolved to
//! nodes, the fault done, and what undoes it.
use super::cluster::LiveCluster;
use super::schedule::{choose, Episode, Fault, Shape, Target};
use verraft_core::NodeId;

/// What ends a fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heal {
    /// Restart these killed nodes.
    Restart(Vec<NodeId>),
    /// Wake these paused nodes.
    Resume(Vec<NodeId>),
    /// Reopen these links (from, to).
    Reopen(Vec<(NodeId, NodeId)>),
    /// Nothing (a clock fault lasts until a later one or the end of the run).
    Nothing,
}

fn names(ids: &[NodeId]) -> String {
    let v: Vec<String> = ids.iter().map(|i| format!("n{i}")).collect();
    v.join(",")
}

/// The nodes `target` means now, and how to say so.
fn resolve(cluster: &LiveCluster, target: Target, pick: u64) -> (Vec<NodeId>, String) {
    let ids = cluster.ids();
    let (nodes, note) = match target {
        Target::Leader => match cluster.leader() {
            Some(l) => (vec![l], "the leader".to_string()),
            None => (
                choose(&ids, 1, pick),
                "no leader known: one node".to_string(),
            ),
        },
        Target::One => (choose(&ids, 1, pick), target.to_string()),
        Target::Majority => (choose(&ids, ids.len() / 2 + 1, pick), target.to_string()),
        Target::All => (ids, target.to_string()),
    };
    let text = format!("{} ({note})", names(&nodes));
    (nodes, text)
}

/// Cut the links `shape` names; the links cut and a description.
fn partition(cluster: &LiveCluster, shape: Shape, pick: u64) -> (Vec<(NodeId, NodeId)>, String) {
    let ids = cluster.ids();
    let leader_or_one = |target| resolve(cluster, target, pick);
    let (side, text): (Vec<NodeId>, String) = match shape {
        Shape::IsolateLeader | Shape::LeaderMute | Shape::LeaderDeaf => {
            leader_or_one(Target::Leader)
        }
        Shape::IsolateOne => leader_or_one(Target::One),
        Shape::Halves => {
            let minority = choose(&ids, (ids.len() - 1) / 2, pick);
            let text = format!("minority {}", names(&minority));
            (minority, text)
        }
    };
    let others: Vec<NodeId> = ids.iter().copied().filter(|i| !side.contains(i)).collect();
    let mut links = Vec::new();
    for &a in &side {
        for &b in &others {
            if shape != Shape::LeaderDeaf {
                links.push((a, b));
            }
            if shape != Shape::LeaderMute {
                links.push((b, a));
            }
        }
    }
    for &(a, b) in &links {
        cluster.set_link(a, b, false);
    }
    let arrow = match shape {
        Shape::LeaderMute => "->",
        Shape::LeaderDeaf => "<-",
        _ => "<->",
    };
    let text = format!(
        "partition: {shape}: {text}; cut {} {arrow} {}",
        names(&side),
        names(&others)
    );
    (links, text)
}

/// Do the episode's fault; what undoes it and what was done, in words.
pub fn inject(cluster: &mut LiveCluster, episode: &Episode) -> Result<(Heal, String), String> {
    let pick = episode.pick;
    Ok(match episode.fault {
        Fault::Kill(target) => {
            let (nodes, text) = resolve(cluster, target, pick);
            for &id in &nodes {
                cluster.kill(id)?;
            }
            (Heal::Restart(nodes), format!("kill {text}"))
        }
        Fault::Pause(target) => {
            let (nodes, text) = resolve(cluster, target, pick);
            for &id in &nodes {
                cluster.pause(id)?;
            }
            (Heal::Resume(nodes), format!("pause {text}"))
        }
        Fault::Partition(shape) => {
            let (links, text) = partition(cluster, shape, pick);
            (Heal::Reopen(links), text)
        }
        Fault::Clock { target, rate } => {
            let (nodes, text) = resolve(cluster, target, pick);
            for &id in &nodes {
                cluster.set_clock(id, rate)?;
            }
            (Heal::Nothing, format!("clock of {text} at {rate}x"))
        }
    })
}

/// Undo a fault; what was done, in words.
pub fn heal(cluster: &mut LiveCluster, heal: &Heal) -> Result<String, String> {
    Ok(match heal {
        Heal::Restart(nodes) => {
            for &id in nodes {
                cluster.restart(id)?;
            }
            format!("restart {}", names(nodes))
        }
        Heal::Resume(nodes) => {
            for &id in nodes {
                cluster.resume(id)?;
            }
            format!("resume {}", names(nodes))
        }
        Heal::Reopen(links) => {
            for &(a, b) in links {
                cluster.set_link(a, b, true);
            }
            "heal the partition".to_string()
        }
        Heal::Nothing => String::new(),
    })
}
