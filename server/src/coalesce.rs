//! Fewer, larger AppendEntries. The core replicates each proposal as it is made, so a leader
//! that took 500 proposals in one turn hands out 500 AppendEntries of one entry per follower,
//! each encoded, sent, decoded, stepped and answered on its own. The driver joins the ones to
//! the same follower that continue each other into one message of up to [`MAX_MERGED`]
//! entries, the message the leader's own heartbeat would send from the first one's start:
//! same term, the first one's `prev`, every entry, and the latest commit index (which the
//! follower still caps at the last entry the message carries).
use std::collections::HashMap;
use std::sync::Arc;
use verraft_core::{Entry, Envelope, Index, Message, NodeId, Term};

/// Most entries in one joined message: the core's own limit per AppendEntries, so a joined
/// message fits a peer frame as any other does.
pub const MAX_MERGED: usize = 64;

/// An AppendEntries being joined, and where in the output it goes.
struct Run<C> {
    at: usize,
    from: NodeId,
    term: Term,
    prev_log_index: Index,
    prev_log_term: Term,
    first: Arc<[Entry<C>]>,
    more: Vec<Entry<C>>,
    leader_commit: Index,
}

impl<C: Clone> Run<C> {
    fn len(&self) -> usize {
        self.first.len() + self.more.len()
    }

    /// The index of the last entry carried (`prev_log_index` when none).
    fn end(&self) -> Index {
        self.prev_log_index + self.len() as Index
    }

    /// The term of the last entry carried.
    fn end_term(&self) -> Term {
        self.more
            .last()
            .or_else(|| self.first.last())
            .map_or(self.prev_log_term, |e| e.term)
    }

    fn into_envelope(self, to: NodeId) -> Envelope<C> {
        let entries = if self.more.is_empty() {
            self.first
        } else {
            self.first.iter().cloned().chain(self.more).collect()
        };
        Envelope {
            from: self.from,
            to,
            msg: Message::AppendEntries {
                term: self.term,
                prev_log_index: self.prev_log_index,
                prev_log_term: self.prev_log_term,
                entries,
                leader_commit: self.leader_commit,
            },
        }
    }
}

/// `msgs` with each follower's consecutive AppendEntries joined; every other message, and
/// the order of the messages to each follower, as they were.
pub fn coalesce<C: Clone>(msgs: impl IntoIterator<Item = Envelope<C>>) -> Vec<Envelope<C>> {
    let msgs = msgs.into_iter();
    let mut out: Vec<Option<Envelope<C>>> = Vec::with_capacity(msgs.size_hint().0);
    let mut open: HashMap<NodeId, Run<C>> = HashMap::new();
    for env in msgs {
        let Message::AppendEntries {
            term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
        } = env.msg
        else {
            if let Some(run) = open.remove(&env.to) {
                let at = run.at;
                out[at] = Some(run.into_envelope(env.to));
            }
            out.push(Some(env));
            continue;
        };
        if let Some(run) = open.get_mut(&env.to) {
            let continues = run.term == term
                && run.end() == prev_log_index
                && run.end_term() == prev_log_term
                && run.len() + entries.len() <= MAX_MERGED;
            if continues {
                run.more.extend(entries.iter().cloned());
                run.leader_commit = run.leader_commit.max(leader_commit);
                continue;
            }
        }
        if let Some(run) = open.remove(&env.to) {
            let at = run.at;
            out[at] = Some(run.into_envelope(env.to));
        }
        open.insert(
            env.to,
            Run {
                at: out.len(),
                from: env.from,
                term,
                prev_log_index,
                prev_log_term,
                first: entries,
                more: Vec::new(),
                leader_commit,
            },
        );
        out.push(None);
    }
    for (to, run) in open {
        let at = run.at;
        out[at] = Some(run.into_envelope(to));
    }
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use verraft_core::Payload;

    fn entry(term: Term) -> Entry<u32> {
        Entry {
            term,
            payload: Payload::Noop,
        }
    }

    fn append(to: NodeId, prev: Index, n: usize, commit: Index) -> Envelope<u32> {
        Envelope {
            from: 1,
            to,
            msg: Message::AppendEntries {
                term: 2,
                prev_log_index: prev,
                prev_log_term: if prev == 0 { 0 } else { 2 },
                entries: (0..n).map(|_| entry(2)).collect(),
                leader_commit: commit,
            },
        }
    }

    fn shape(env: &Envelope<u32>) -> (NodeId, &'static str, Index, usize, Index) {
        match &env.msg {
            Message::AppendEntries {
                prev_log_index,
                entries,
                leader_commit,
                ..
            } => (env.to, "AE", *prev_log_index, entries.len(), *leader_commit),
            other => (env.to, other.kind(), 0, 0, 0),
        }
    }

    #[test]
    fn consecutive_appends_to_a_follower_join_and_the_rest_keeps_its_order() {
        let confirm = |to| Envelope {
            from: 1,
            to,
            msg: Message::ReadConfirm { term: 2, round: 0 },
        };
        let msgs = vec![
            append(2, 0, 1, 0),
            append(3, 0, 1, 0),
            append(2, 1, 1, 0),
            append(3, 1, 1, 1),
            append(2, 2, 2, 1),
            confirm(2),
            append(2, 4, 1, 2),
            // A gap (a retransmission from an earlier point) starts a new message.
            append(3, 0, 1, 2),
        ];
        let shapes: Vec<_> = coalesce(msgs).iter().map(shape).collect();
        assert_eq!(
            shapes,
            vec![
                (2, "AE", 0, 4, 1),
                (3, "AE", 0, 2, 1),
                (2, "RC", 0, 0, 0),
                (2, "AE", 4, 1, 2),
                (3, "AE", 0, 1, 2),
            ]
        );
    }

    #[test]
    fn a_joined_message_holds_at_most_the_cap() {
        let msgs: Vec<_> = (0..MAX_MERGED as Index + 5)
            .map(|i| append(2, i, 1, 0))
            .collect();
        let shapes: Vec<_> = coalesce(msgs).iter().map(shape).collect();
        assert_eq!(
            shapes,
            vec![
                (2, "AE", 0, MAX_MERGED, 0),
                (2, "AE", MAX_MERGED as Index, 5, 0)
            ]
        );
    }
}
