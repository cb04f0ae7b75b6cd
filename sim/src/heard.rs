//! Whom each leader heard from since its last check-quorum check, as the world saw messages
//! delivered (any message of the leader's term from a peer counts, as in the core). With it
//! Check-Quorum Sound judges both ways: a leader that heard from a quorum keeps leading (read
//! from the node's own marks), and a leader that did not steps down at its check (read from
//! this record, so that a leader whose marks never clear, and which so never steps down when
//! cut off, is caught).
//!
//! History, not state: the model checker leaves it out of fingerprints. That raises no false
//! alarm: the node marks a peer only at a delivery recorded here and clears its marks only at
//! a check, where this record is cleared too, so in every history that reaches a state the
//! record holds at least the node's marks.
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verraft_core::symmetry::{rename, Renaming};
use verraft_core::{NodeId, NodeSet, Term};

/// Per leader: the term it leads and whom it heard from in that term since its last check.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct HeardSince(Arc<VecMap<NodeId, (Term, NodeSet)>>);

impl HeardSince {
    /// Leader `leader` of `term` received a message of its term from `from`.
    pub fn heard(&mut self, leader: NodeId, term: Term, from: NodeId) {
        let known = self
            .0
            .get(&leader)
            .is_some_and(|(t, set)| *t == term && set.contains(from));
        if known {
            return;
        }
        let mut set = self.since_check(leader, term);
        set.insert(from);
        Arc::make_mut(&mut self.0).insert(leader, (term, set));
    }

    /// Whom leader `leader` of `term` heard from since its last check (or since it was
    /// elected).
    pub fn since_check(&self, leader: NodeId, term: Term) -> NodeSet {
        match self.0.get(&leader) {
            Some((t, set)) if *t == term => *set,
            _ => NodeSet::new(),
        }
    }

    /// Node `id` ran its check (or went down): it starts counting afresh.
    pub fn checked(&mut self, id: NodeId) {
        if self.0.get(&id).is_some() {
            Arc::make_mut(&mut self.0).retain(|leader, _| *leader != id);
        }
    }

    /// The record with every node id renamed by `map`.
    pub fn renamed(&self, map: Renaming) -> HeardSince {
        if self.0.is_empty() {
            return self.clone();
        }
        let renamed = self
            .0
            .iter()
            .map(|(id, (term, set))| (rename(map, *id), (*term, set.map(|n| rename(map, n)))))
            .collect::<VecMap<_, _>>();
        HeardSince(Arc::new(renamed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_lasts_one_term_and_one_check() {
        let mut h = HeardSince::default();
        h.heard(1, 2, 3);
        h.heard(1, 2, 2);
        assert_eq!(h.since_check(1, 2).iter().collect::<Vec<_>>(), vec![2, 3]);
        assert!(h.since_check(1, 3).is_empty(), "another term's leadership");
        h.heard(1, 3, 2);
        assert_eq!(h.since_check(1, 3).iter().collect::<Vec<_>>(), vec![2]);
        h.checked(1);
        assert!(h.since_check(1, 3).is_empty());
        h.heard(2, 1, 1);
        let r = h.renamed(&[2, 1, 3]);
        assert_eq!(r.since_check(1, 1).iter().collect::<Vec<_>>(), vec![2]);
    }
}
