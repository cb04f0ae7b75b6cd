//! A set of node ids as a bitmap. Votes and vote records are sets of a few small ids that
//! are copied, compared and hashed in every state a model checker generates: a bitmap does
//! all three without allocating, and iterates in id order like the ordered set it replaces.
use crate::types::NodeId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// One bit per possible `NodeId` (0..=255). Clusters of real size use ids below 64 only,
/// so the operations look at the first word alone when the others are empty.
#[derive(Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct NodeSet([u64; 4]);

/// Equal sets write the same words: the first word alone when the others are empty.
impl std::hash::Hash for NodeSet {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        if self.small() {
            h.write_u64(self.0[0]);
        } else {
            h.write_u64(u64::MAX);
            for w in self.0 {
                h.write_u64(w);
            }
        }
    }
}

impl NodeSet {
    /// The set with no members (usable in constants, unlike `new`).
    pub const EMPTY: NodeSet = NodeSet([0; 4]);

    /// An empty set; the same as [`NodeSet::EMPTY`].
    pub fn new() -> NodeSet {
        NodeSet::EMPTY
    }

    fn word_bit(id: NodeId) -> (usize, u64) {
        (usize::from(id >> 6), 1u64 << (id & 63))
    }

    /// Add `id`; `true` when it was not in the set.
    pub fn insert(&mut self, id: NodeId) -> bool {
        let (w, bit) = Self::word_bit(id);
        let fresh = self.0[w] & bit == 0;
        self.0[w] |= bit;
        fresh
    }

    /// Take `id` out; `true` when it was in the set.
    pub fn remove(&mut self, id: NodeId) -> bool {
        let (w, bit) = Self::word_bit(id);
        let present = self.0[w] & bit != 0;
        self.0[w] &= !bit;
        present
    }

    /// Whether `id` is a member.
    pub fn contains(&self, id: NodeId) -> bool {
        let (w, bit) = Self::word_bit(id);
        self.0[w] & bit != 0
    }

    /// The number of members (a vote count, for a set of voters).
    #[inline]
    pub fn len(&self) -> usize {
        if self.small() {
            return self.0[0].count_ones() as usize;
        }
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// Every member is below 64.
    #[inline]
    fn small(&self) -> bool {
        self.0[1] | self.0[2] | self.0[3] == 0
    }

    /// Remove every member.
    pub fn clear(&mut self) {
        self.0 = [0; 4];
    }

    /// The members, smallest id first.
    pub fn iter(&self) -> Iter {
        Iter {
            words: self.0,
            word: 0,
        }
    }

    /// The ids in both sets.
    pub fn intersection(&self, other: &NodeSet) -> NodeSet {
        let mut out = *self;
        for (w, o) in out.0.iter_mut().zip(other.0) {
            *w &= o;
        }
        out
    }

    /// The ids in either set.
    pub fn union(&self, other: &NodeSet) -> NodeSet {
        let mut out = *self;
        for (w, o) in out.0.iter_mut().zip(other.0) {
            *w |= o;
        }
        out
    }

    /// The set with every member renamed by `rename`.
    pub fn map(&self, rename: impl Fn(NodeId) -> NodeId) -> NodeSet {
        let mut out = NodeSet::EMPTY;
        if self.small() {
            let mut bits = self.0[0];
            while bits != 0 {
                out.insert(rename(bits.trailing_zeros() as NodeId));
                bits &= bits - 1;
            }
            return out;
        }
        for id in self.iter() {
            out.insert(rename(id));
        }
        out
    }
}

/// Members of a [`NodeSet`] in increasing order.
pub struct Iter {
    words: [u64; 4],
    word: usize,
}

impl Iterator for Iter {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        while self.word < 4 {
            let w = &mut self.words[self.word];
            if *w != 0 {
                let bit = w.trailing_zeros();
                *w &= *w - 1;
                return Some((self.word as u32 * 64 + bit) as NodeId);
            }
            self.word += 1;
        }
        None
    }
}

impl IntoIterator for &NodeSet {
    type Item = NodeId;
    type IntoIter = Iter;
    fn into_iter(self) -> Iter {
        self.iter()
    }
}

impl FromIterator<NodeId> for NodeSet {
    fn from_iter<I: IntoIterator<Item = NodeId>>(ids: I) -> NodeSet {
        let mut s = NodeSet::EMPTY;
        for id in ids {
            s.insert(id);
        }
        s
    }
}

impl fmt::Debug for NodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Written as the list of its members, as the ordered set it replaced was.
/// A sequence of ids with its length up front: length-prefixed formats (postcard, which
/// the wire and the disk use) cannot write a sequence of unknown length, and a set now
/// travels inside configurations (log entries, snapshots).
impl Serialize for NodeSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for id in self.iter() {
            seq.serialize_element(&id)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for NodeSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NodeSet, D::Error> {
        Ok(Vec::<NodeId>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `peer_frame` fuzz target: a snapshot carrying a configuration did not
    /// encode, because the set wrote no length.
    #[test]
    fn a_set_round_trips_through_postcard_and_json() {
        let s: NodeSet = [0, 1, 10, 19, 200].into_iter().collect();
        let bytes = postcard::to_allocvec(&s).unwrap();
        assert_eq!(postcard::from_bytes::<NodeSet>(&bytes).unwrap(), s);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "[0,1,10,19,200]");
        assert_eq!(serde_json::from_str::<NodeSet>(&json).unwrap(), s);
        let empty = postcard::to_allocvec(&NodeSet::EMPTY).unwrap();
        assert_eq!(
            postcard::from_bytes::<NodeSet>(&empty).unwrap(),
            NodeSet::EMPTY
        );
    }

    #[test]
    fn behaves_like_an_ordered_set_of_ids() {
        let mut s = NodeSet::new();
        assert!(s.is_empty());
        for id in [200, 3, 64, 1, 3, 255, 0, 63] {
            s.insert(id);
        }
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![0, 1, 3, 63, 64, 200, 255]
        );
        assert_eq!(s.len(), 7);
        assert!(s.contains(64) && !s.contains(65));
        assert!(s.remove(64) && !s.remove(64));
        assert!(!s.insert(3));
        let other: NodeSet = [1, 2, 3, 255].into_iter().collect();
        assert_eq!(
            s.intersection(&other).iter().collect::<Vec<_>>(),
            vec![1, 3, 255]
        );
        let few: NodeSet = [2, 200].into_iter().collect();
        assert_eq!(
            s.union(&few).iter().collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 63, 200, 255]
        );
        assert_eq!(
            other
                .map(|id| id.wrapping_add(1))
                .iter()
                .collect::<Vec<_>>(),
            vec![0, 2, 3, 4]
        );
        assert_eq!(format!("{other:?}"), "{1, 2, 3, 255}");
        s.clear();
        assert_eq!(s, NodeSet::EMPTY);
    }

    #[test]
    fn serializes_as_its_members() {
        let s: NodeSet = [5, 2].into_iter().collect();
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(text, "[2,5]");
        assert_eq!(serde_json::from_str::<NodeSet>(&text).unwrap(), s);
    }
}
