//! The nodes' clocks, in a world that keeps time (lease reads on).
//!
//! Only how far each clock runs ahead of the slowest one matters to the nodes (their timers
//! count ticks they were given), so that is all the world keeps: one small number per node,
//! packed into a word so that a world state stays cheap to copy, hash and rename.
use serde::{Deserialize, Serialize};
use verraft_core::NodeId;

/// Bits per node: room for a lead of 15 ticks.
const BITS: u32 = 4;
const MASK: u64 = (1 << BITS) - 1;

/// How many ticks each node's clock is ahead of the slowest live clock (0 for a node
/// that is down: its clock starts afresh with the slowest when it restarts).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Clocks(u64);

impl Clocks {
    pub fn ahead(self, id: NodeId) -> u8 {
        ((self.0 >> Self::shift(id)) & MASK) as u8
    }

    fn shift(id: NodeId) -> u32 {
        (u32::from(id) - 1) * BITS
    }

    fn set(&mut self, id: NodeId, ahead: u8) {
        let s = Self::shift(id);
        self.0 = (self.0 & !(MASK << s)) | (u64::from(ahead) & MASK) << s;
    }

    /// The clocks after `id`'s alone ticks once, if no clock then runs more than
    /// `max_ahead` ahead of the slowest; `live` says which nodes run.
    pub fn after_tick(
        self,
        id: NodeId,
        live: impl Fn(NodeId) -> bool + Copy,
        nodes: u8,
        max_ahead: u8,
    ) -> Option<Clocks> {
        let mut next = self;
        next.set(id, self.ahead(id) + 1);
        next = next.normalized(live, nodes);
        (next.ahead(id) <= max_ahead).then_some(next)
    }

    /// Whether `after_tick(id, ..)` would be `Some`, without renormalizing: the clocks are
    /// kept normalized (some live clock is 0 ahead), so a clock at the bound is ahead of a
    /// live clock at 0, and one more tick takes it past the bound; a clock short of it can
    /// always tick (renormalizing only lowers leads). A bound of 0 lets no clock tick alone.
    /// The choice count asks this for every node before every event.
    pub fn can_tick_alone(self, id: NodeId, max_ahead: u8) -> bool {
        self.ahead(id) < max_ahead
    }

    /// A node went down: its clock is gone, and the others are measured against the
    /// slowest of the clocks still running.
    pub fn stopped(self, id: NodeId, live: impl Fn(NodeId) -> bool + Copy, nodes: u8) -> Clocks {
        let mut next = self;
        next.set(id, 0);
        next.normalized(live, nodes)
    }

    /// Shift every live clock so that the slowest is 0 ahead.
    fn normalized(mut self, live: impl Fn(NodeId) -> bool + Copy, nodes: u8) -> Clocks {
        let slowest = (1..=nodes)
            .filter(|&n| live(n))
            .map(|n| self.ahead(n))
            .min();
        if let Some(s) = slowest.filter(|s| *s > 0) {
            for n in (1..=nodes).filter(|&n| live(n)) {
                self.set(n, self.ahead(n) - s);
            }
        }
        self
    }

    /// The clocks with node `i` renamed to `rename(i)`.
    pub fn renamed(self, nodes: u8, rename: impl Fn(NodeId) -> NodeId) -> Clocks {
        let mut out = Clocks::default();
        for n in 1..=nodes {
            out.set(rename(n), self.ahead(n));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_runs_ahead_only_as_far_as_the_bound() {
        let all = |_| true;
        let c = Clocks::default();
        assert_eq!(c.after_tick(1, all, 3, 0), None, "no drift at bound 0");
        let c = c.after_tick(1, all, 3, 1).unwrap();
        assert_eq!(c.ahead(1), 1);
        assert_eq!(c.after_tick(1, all, 3, 1), None, "two ahead is too far");
        // The slow ones catch up: then the lead is measured afresh.
        let c = c.after_tick(2, all, 3, 1).unwrap();
        let c = c.after_tick(3, all, 3, 1).unwrap();
        assert_eq!((c.ahead(1), c.ahead(2), c.ahead(3)), (0, 0, 0));
    }

    /// `can_tick_alone` answers what `after_tick` would, for every normalized state of
    /// up to four clocks, every set of live nodes and bounds 0 to 3.
    #[test]
    fn can_tick_alone_agrees_with_after_tick() {
        for nodes in 1..=4u8 {
            for live_mask in 0..(1u32 << nodes) {
                let live = move |n: NodeId| live_mask & (1 << (n - 1)) != 0;
                for max_ahead in 0..=3u8 {
                    for leads in 0..(max_ahead as u32 + 1).pow(u32::from(nodes)) {
                        let mut c = Clocks::default();
                        let mut rest = leads;
                        for n in 1..=nodes {
                            let lead = (rest % (u32::from(max_ahead) + 1)) as u8;
                            rest /= u32::from(max_ahead) + 1;
                            c.set(n, if live(n) { lead } else { 0 });
                        }
                        if c.normalized(live, nodes) != c {
                            continue; // not a state the world keeps
                        }
                        for id in (1..=nodes).filter(|&n| live(n)) {
                            let slow =
                                max_ahead > 0 && c.after_tick(id, live, nodes, max_ahead).is_some();
                            assert_eq!(
                                c.can_tick_alone(id, max_ahead),
                                slow,
                                "{c:?} n{id} bound {max_ahead}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_stopped_clock_no_longer_holds_the_others_back() {
        let c = Clocks::default();
        let c = c.after_tick(1, |_| true, 2, 1).unwrap();
        assert_eq!(c.ahead(1), 1);
        let c = c.stopped(2, |n| n == 1, 2);
        assert_eq!((c.ahead(1), c.ahead(2)), (0, 0));
    }

    #[test]
    fn renaming_moves_each_lead_with_its_node() {
        let c = Clocks::default().after_tick(1, |_| true, 3, 1).unwrap();
        let r = c.renamed(3, |n| {
            if n == 1 {
                3
            } else if n == 3 {
                1
            } else {
                n
            }
        });
        assert_eq!((r.ahead(1), r.ahead(3)), (0, 1));
    }
}
