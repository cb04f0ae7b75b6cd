//! What a step did to a node's log, in words: `n2 log +[3:t2 c1.1 put x 1]` for entries
//! added, `n2 log cut 3..4` for entries removed (a conflict truncated, or a restart that
//! came back without unsynced writes), both when an entry was replaced. The replay prints
//! it under the step, because the one entry two appends disagree on is often the whole
//! story of a counterexample, and the node cells show only the last index.
use crate::world::World;
use verraft_core::{Index, Membership, NodeId, Payload, Term};
use verraft_kv::KvCommand;

/// A node's log as the replay compares it: the index of its first entry held in memory
/// (after its snapshot) and each entry's term and words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogView {
    first: Index,
    entries: Vec<(Term, String)>,
}

impl LogView {
    /// The log of node `id`, or `None` while it is down.
    pub fn of(world: &World, id: NodeId) -> Option<LogView> {
        let node = world.node(id)?;
        let first = node.snapshot().index + 1;
        let entries = node
            .log()
            .iter()
            .map(|e| (e.term, words(&e.payload)))
            .collect();
        Some(LogView { first, entries })
    }

    fn last(&self) -> Index {
        self.first + self.entries.len() as Index - 1
    }

    fn at(&self, index: Index) -> Option<&(Term, String)> {
        index
            .checked_sub(self.first)
            .and_then(|i| self.entries.get(i as usize))
    }
}

fn words(payload: &Payload<KvCommand>) -> String {
    match payload {
        Payload::Noop => "noop".into(),
        Payload::Command(c) => format!("c{}.{} {}", c.client, c.seq, c.op),
        Payload::Config(m) => format!("config={m}"),
    }
}

/// What changed from `before` to `after` in node `id`'s log, if anything did. Entries that
/// left only because a snapshot now covers them are not a change: compaction keeps them
/// in the snapshot.
pub fn describe(id: NodeId, before: &LogView, after: &LogView) -> Option<String> {
    let from = before.first.max(after.first);
    // The first index (past both snapshots) where they differ, or that only one holds.
    let differ = (from..=before.last().max(after.last())).find(|&i| before.at(i) != after.at(i))?;
    let mut parts = Vec::new();
    if before.at(differ).is_some() {
        let last = before.last();
        parts.push(if last == differ {
            format!("cut {differ}")
        } else {
            format!("cut {differ}..{last}")
        });
    }
    let added: Vec<String> = (differ..=after.last())
        .filter_map(|i| after.at(i).map(|(t, w)| format!("{i}:t{t} {w}")))
        .collect();
    if !added.is_empty() {
        parts.push(format!("+[{}]", added.join(", ")));
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!("n{id} log {}", parts.join(" ")))
}

/// The last log seen of every node (kept while a node is down, so that its restart shows
/// what it came back without), and the changes each step made.
#[derive(Default)]
pub struct LogWatch {
    seen: Vec<Option<LogView>>,
    /// The configuration each running node had in force (membership changes).
    configs: Vec<Option<Membership>>,
}

impl LogWatch {
    /// The changes since the last call, one line per node whose log changed, and one per
    /// node whose configuration changed (`n4 config 1,3,4 (was 1,2,3,4)`); the first call
    /// only takes note.
    pub fn step(&mut self, world: &World) -> Vec<String> {
        let mut lines = Vec::new();
        let ids: Vec<NodeId> = world.config.node_ids().collect();
        self.seen.resize(ids.len(), None);
        self.configs.resize(ids.len(), None);
        for (slot, id) in ids.into_iter().enumerate() {
            let Some(now) = LogView::of(world, id) else {
                continue;
            };
            if let Some(before) = &self.seen[slot] {
                lines.extend(describe(id, before, &now));
            }
            self.seen[slot] = Some(now);
            let config = world.node(id).map(|n| *n.membership());
            if let (Some(before), Some(now)) = (self.configs[slot], config) {
                if before != now {
                    let shown = |m: &Membership| {
                        if m.voters.is_empty() {
                            "none".to_string()
                        } else {
                            m.to_string()
                        }
                    };
                    lines.push(format!(
                        "n{id} config {} (was {})",
                        shown(&now),
                        shown(&before)
                    ));
                }
            }
            self.configs[slot] = config;
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(first: Index, terms: &[Term]) -> LogView {
        LogView {
            first,
            entries: terms.iter().map(|t| (*t, "noop".to_string())).collect(),
        }
    }

    #[test]
    fn appends_cuts_and_replacements_are_named() {
        let d = |a: &LogView, b: &LogView| describe(2, a, b);
        assert_eq!(
            d(&view(1, &[1]), &view(1, &[1, 2])).as_deref(),
            Some("n2 log +[2:t2 noop]")
        );
        assert_eq!(
            d(&view(1, &[1, 1, 1]), &view(1, &[1])).as_deref(),
            Some("n2 log cut 2..3")
        );
        assert_eq!(
            d(&view(1, &[1, 1]), &view(1, &[1, 2])).as_deref(),
            Some("n2 log cut 2 +[2:t2 noop]")
        );
        assert_eq!(d(&view(1, &[1, 2]), &view(1, &[1, 2])), None);
        assert_eq!(
            d(&view(1, &[]), &view(1, &[1])).as_deref(),
            Some("n2 log +[1:t1 noop]")
        );
    }

    #[test]
    fn compaction_alone_is_no_change() {
        assert_eq!(describe(1, &view(1, &[1, 1, 2]), &view(3, &[2])), None);
        assert_eq!(
            describe(1, &view(1, &[1, 1]), &view(3, &[2])).as_deref(),
            Some("n1 log +[3:t2 noop]")
        );
    }
}
