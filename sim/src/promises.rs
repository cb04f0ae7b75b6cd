//! What each node promised its leader, as the world saw it happen (check-quorum, the
//! dissertation's §4.2.3): a node that received an AppendEntries of its term or a later one
//! ignores vote requests for a later term for an election timeout by its own clock (counted
//! here in its clock's ticks; in a world without clocks, until its election timer fires).
//! With lease reads the promise survives a term adopted without a leader and a restart, since
//! the leader's lease rests on it; without them it ends there. Tracked by the world, not read
//! from the node, so that a node that forgets its promise is caught by `auxiliary`.
use serde::{Deserialize, Serialize};
use verraft_core::NodeId;

/// Ticks of promise left per node, four bits each (nodes up to 9, timeouts capped at 15).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Promises(u64);

impl Promises {
    const MAX: u8 = 15;

    fn shift(id: NodeId) -> u32 {
        4 * (u32::from(id) - 1)
    }

    /// Ticks of node `id`'s promise left (0: none).
    pub fn left(&self, id: NodeId) -> u8 {
        ((self.0 >> Self::shift(id)) & 0xf) as u8
    }

    pub fn set(&mut self, id: NodeId, ticks: u32) {
        let ticks = u64::from(ticks.min(u32::from(Self::MAX)));
        let s = Self::shift(id);
        self.0 = (self.0 & !(0xf << s)) | (ticks << s);
    }

    /// One tick of node `id`'s clock passed.
    pub fn tick(&mut self, id: NodeId) {
        let left = self.left(id);
        self.set(id, u32::from(left.saturating_sub(1)));
    }

    /// The promises with node `i` renamed to `rename(i)`.
    pub fn renamed(&self, nodes: u8, rename: impl Fn(NodeId) -> NodeId) -> Promises {
        let mut out = Promises::default();
        for id in 1..=nodes {
            out.set(rename(id), u32::from(self.left(id)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_counts_down_alone_and_renaming_moves_its_count() {
        let mut p = Promises::default();
        p.set(1, 3);
        p.set(9, 40);
        assert_eq!((p.left(1), p.left(2), p.left(9)), (3, 0, 15));
        p.tick(1);
        p.tick(2);
        assert_eq!((p.left(1), p.left(2)), (2, 0));
        let r = p.renamed(9, |id| {
            if id == 1 {
                2
            } else if id == 2 {
                1
            } else {
                id
            }
        });
        assert_eq!((r.left(1), r.left(2), r.left(9)), (0, 2, 15));
    }
}
