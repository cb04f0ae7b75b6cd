//! Turning a violation into a short story told with step numbers: who voted when, when a
//! restart lost what, when an entry was committed and when the leader that lacks it won.
//! Works from per-step snapshots of the nodes, so it needs nothing from the engines.
use crate::event::{Event, MsgRef};
use crate::invariants::{Invariant, Violation};
use crate::world::World;
use verraft_core::{Index, NodeId, Role, Term};

/// What the story needs of a node after each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSnap {
    pub role: Role,
    pub term: Term,
    pub voted_for: Option<NodeId>,
    pub commit: Index,
}

/// The nodes after each step; index 0 is the initial world.
#[derive(Default, Debug)]
pub struct Trace {
    pub snaps: Vec<Vec<Option<NodeSnap>>>,
    pub events: Vec<Event>,
}

impl Trace {
    pub fn record(&mut self, world: &World, event: Option<&Event>) {
        let snap = world
            .config
            .node_ids()
            .map(|id| {
                world.node(id).map(|n| NodeSnap {
                    role: n.role(),
                    term: n.term(),
                    voted_for: n.voted_for(),
                    commit: n.commit_index(),
                })
            })
            .collect();
        self.snaps.push(snap);
        if let Some(e) = event {
            self.events.push(e.clone());
        }
    }

    fn at(&self, step: usize, id: NodeId) -> Option<NodeSnap> {
        self.snaps.get(step).and_then(|s| s[id as usize - 1])
    }

    /// Steps at which `id` cast a vote in `term`, with the candidate.
    fn votes(&self, id: NodeId, term: Term) -> Vec<(usize, NodeId)> {
        let mut out = Vec::new();
        for step in 1..self.snaps.len() {
            let now = self.at(step, id);
            let before = self.at(step - 1, id);
            // A restart reads the vote back from disk: that is not a vote being cast.
            let restarted = before.is_none();
            if let (Some(n), false) = (now, restarted) {
                let changed = before.map(|b| (b.term, b.voted_for)) != Some((n.term, n.voted_for));
                let again = out.last().map(|(_, c)| Some(*c)) == Some(n.voted_for);
                if let (true, false, true, Some(c)) = (changed, again, n.term == term, n.voted_for)
                {
                    out.push((step, c));
                }
            }
        }
        out
    }

    /// Steps at which `id` restarted, with the term and vote it came back with.
    fn restarts(&self, id: NodeId) -> Vec<(usize, Term, Option<NodeId>)> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, e)| **e == Event::Restart(id))
            .filter_map(|(i, _)| self.at(i + 1, id).map(|n| (i + 1, n.term, n.voted_for)))
            .collect()
    }

    /// The step at which `id` became leader of `term`.
    fn won(&self, id: NodeId, term: Term) -> Option<usize> {
        (1..self.snaps.len()).find(|&s| {
            let is =
                |n: Option<NodeSnap>| n.is_some_and(|n| n.role == Role::Leader && n.term == term);
            is(self.at(s, id)) && !is(self.at(s - 1, id))
        })
    }

    /// The first step after which some node's commit index reached `index`.
    fn committed(&self, index: Index) -> Option<(usize, NodeId)> {
        (1..self.snaps.len()).find_map(|s| {
            self.snaps[s].iter().enumerate().find_map(|(i, n)| {
                n.filter(|n| n.commit >= index)
                    .map(|_| (s, i as NodeId + 1))
            })
        })
    }
}

fn list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// The voting story of `voter` in `term`: each vote with its step, and restarts that lost one.
fn vote_story(trace: &Trace, voter: NodeId, term: Term) -> Vec<String> {
    let votes = trace.votes(voter, term);
    if votes.len() < 2 {
        return Vec::new();
    }
    let cast: Vec<String> = votes
        .iter()
        .map(|(s, c)| format!("for n{c} at step {s}"))
        .collect();
    let mut line = format!("n{voter} voted twice in term {term}: {}", list(&cast));
    let (first, last) = (votes[0].0, votes[votes.len() - 1].0);
    if let Some((s, t, v)) = trace
        .restarts(voter)
        .into_iter()
        .find(|(s, _, _)| *s > first && *s < last)
    {
        let vote = v.map_or("no vote".to_string(), |v| format!("a vote for n{v}"));
        line.push_str(&format!(
            "; its restart at step {s} came back at term {t} with {vote}: the first vote was lost"
        ));
    } else if let Some(step) = (first + 1..=last).find(|&s| {
        trace
            .at(s, voter)
            .is_some_and(|n| n.term == term && n.voted_for.is_none())
    }) {
        // Forgotten in memory rather than on disk: name the event that cleared it.
        line.push_str(&format!(
            "; step {step} ({}) cleared its vote",
            trace.events[step - 1]
        ));
    }
    vec![line]
}

/// Story lines for a violation found at the last step of `trace`.
pub fn narrate(trace: &Trace, violation: &Violation) -> Vec<String> {
    let Some(last) = trace.events.last() else {
        return Vec::new();
    };
    let Some(node) = last.node() else {
        return Vec::new();
    };
    let Some(now) = trace.at(trace.snaps.len() - 1, node) else {
        return Vec::new();
    };
    match violation.invariant {
        Invariant::SingleVote => vote_story(trace, node, now.term),
        Invariant::ElectionSafety => {
            let term = now.term;
            let leaders: Vec<NodeId> = (1..=trace.snaps[0].len() as NodeId)
                .filter(|id| trace.won(*id, term).is_some())
                .collect();
            let mut lines: Vec<String> = leaders
                .iter()
                .filter_map(|id| {
                    trace
                        .won(*id, term)
                        .map(|s| format!("n{id} became leader of term {term} at step {s}"))
                })
                .collect();
            for voter in 1..=trace.snaps[0].len() as NodeId {
                lines.extend(vote_story(trace, voter, term));
            }
            lines
        }
        Invariant::LeaderCompleteness | Invariant::StateMachineSafety => {
            // The entry's index is named in the summary as "index N".
            let index = violation
                .summary
                .split("index ")
                .nth(1)
                .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|d| d.parse::<Index>().ok());
            let mut lines = Vec::new();
            if let Some((s, by)) = index.and_then(|i| trace.committed(i)) {
                lines.push(format!(
                    "index {} was first committed at step {s} (by n{by}: {})",
                    index.unwrap_or(0),
                    trace.events[s - 1]
                ));
            }
            if now.role == Role::Leader {
                if let Some(s) = trace.won(node, now.term) {
                    lines.push(format!(
                        "n{node} became leader of term {} at step {s}",
                        now.term
                    ));
                }
            }
            lines
        }
        // A log whose terms go back the moment a snapshot arrived: the entries after it
        // were kept on top of it.
        Invariant::TermOrder => trace
            .events
            .iter()
            .enumerate()
            .next_back()
            .and_then(|(i, e)| match e {
                Event::Deliver {
                    to,
                    msg: MsgRef::Snapshot { index, last_term, .. },
                    ..
                } if *to == node => Some(format!(
                    "n{node} installed a snapshot up to index {index} (term {last_term}) at step {}: {e}, and kept the entries after it",
                    i + 1
                )),
                _ => None,
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}
