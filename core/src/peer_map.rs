//! A leader's per-follower records, kept sorted by id in one small inline vector: clusters
//! have a handful of peers, and a node is copied whenever a model checker or simulator takes
//! a step on it, which must not allocate.
use crate::types::NodeId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;
use std::collections::BTreeMap;
use std::fmt;

/// A small map from peer id to a record `V`, iterated in id order. Lookups are a binary
/// search over at most a handful of entries; up to four records stay inline.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PeerMap<V> {
    /// Sorted by id, each id once.
    entries: SmallVec<[(NodeId, V); 4]>,
}

impl<V> Default for PeerMap<V> {
    fn default() -> Self {
        PeerMap {
            entries: SmallVec::new(),
        }
    }
}

impl<V> PeerMap<V> {
    /// An empty map (allocates nothing).
    pub fn new() -> Self {
        PeerMap::default()
    }

    fn position(&self, id: NodeId) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&id, |(k, _)| *k)
    }

    /// The record of `id`; `None` when it has none.
    pub fn get(&self, id: NodeId) -> Option<&V> {
        self.position(id).ok().map(|i| &self.entries[i].1)
    }

    /// The record of `id`, to change in place; `None` when it has none.
    pub fn get_mut(&mut self, id: NodeId) -> Option<&mut V> {
        self.position(id).ok().map(|i| &mut self.entries[i].1)
    }

    /// Set the record of `id`, returning the one it replaces.
    pub fn insert(&mut self, id: NodeId, value: V) -> Option<V> {
        match self.position(id) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (id, value));
                None
            }
        }
    }

    /// Drop the record of `id`, returning it.
    pub fn remove(&mut self, id: NodeId) -> Option<V> {
        self.position(id).ok().map(|i| self.entries.remove(i).1)
    }

    /// The number of peers with a record.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no peer has a record (a node's progress map is empty unless it leads).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Remove every record.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Records in id order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &V)> + '_ {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// The peer ids, in increasing order.
    pub fn keys(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.entries.iter().map(|(k, _)| *k)
    }

    /// The records, in the order of their ids.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The records, mutably, in the order of their ids.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

impl<V> FromIterator<(NodeId, V)> for PeerMap<V> {
    fn from_iter<I: IntoIterator<Item = (NodeId, V)>>(items: I) -> Self {
        let mut m = PeerMap::new();
        for (k, v) in items {
            m.insert(k, v);
        }
        m
    }
}

impl<V: fmt::Debug> fmt::Debug for PeerMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Written as a map from id to record, as the ordered map it replaced was.
impl<V: Serialize> Serialize for PeerMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for PeerMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(BTreeMap::<NodeId, V>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_one_record_per_id_in_id_order() {
        let mut m: PeerMap<u32> = [(5, 50), (2, 20), (9, 90)].into_iter().collect();
        assert_eq!(m.insert(2, 21), Some(20));
        assert_eq!(m.insert(7, 70), None);
        assert_eq!(m.keys().collect::<Vec<_>>(), vec![2, 5, 7, 9]);
        assert_eq!(m.get(7), Some(&70));
        assert_eq!(m.get(3), None);
        *m.get_mut(9).unwrap() += 1;
        assert_eq!(
            m.values().copied().collect::<Vec<_>>(),
            vec![21, 50, 70, 91]
        );
        assert_eq!(m.len(), 4);
        assert_eq!(format!("{m:?}"), "{2: 21, 5: 50, 7: 70, 9: 91}");
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<PeerMap<u32>>(&text).unwrap(), m);
        m.clear();
        assert!(m.is_empty());
    }
}
