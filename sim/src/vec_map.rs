//! A small ordered map kept as a sorted vector. The ghost records hold a handful of entries
//! each, are copied on write and read in order on every fingerprint: a vector does all of
//! that faster than a tree, and iterates in the same key order.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(bound(serialize = "K: Serialize, V: Serialize"))]
#[serde(bound(deserialize = "K: Ord + Deserialize<'de>, V: Deserialize<'de>"))]
#[serde(from = "Vec<(K, V)>", into = "Vec<(K, V)>")]
pub struct VecMap<K, V>
where
    K: Clone,
    V: Clone,
{
    /// Sorted by key, each key once.
    entries: Vec<(K, V)>,
}

impl<K: Ord + Clone, V: Clone> VecMap<K, V> {
    pub fn new() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }

    fn position(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    /// Set the value of `key`, returning the one it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.entries.retain(|(k, v)| keep(k, v));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.entries.iter().map(|(k, _)| k)
    }
}

impl<K: Ord + Clone, V: Clone> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap::new()
    }
}

impl<K: Ord + Clone, V: Clone> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let mut m = VecMap::new();
        for (k, v) in items {
            m.insert(k, v);
        }
        m
    }
}

impl<K: Ord + Clone, V: Clone> From<Vec<(K, V)>> for VecMap<K, V> {
    fn from(entries: Vec<(K, V)>) -> Self {
        entries.into_iter().collect()
    }
}

impl<K: Clone, V: Clone> From<VecMap<K, V>> for Vec<(K, V)> {
    fn from(m: VecMap<K, V>) -> Self {
        m.entries
    }
}

impl<K: fmt::Debug + Clone, V: fmt::Debug + Clone> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The same answers as the ordered tree map it replaces, through any mix of changes.
    #[test]
    fn agrees_with_a_btree_map() {
        let mut ours: VecMap<(u8, u64), u8> = VecMap::new();
        let mut tree: BTreeMap<(u8, u64), u8> = BTreeMap::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..3_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = ((x % 4) as u8, (x >> 8) % 6);
            if step % 7 == 6 {
                let floor = (x >> 16) % 6;
                ours.retain(|k, _| k.1 >= floor);
                tree.retain(|k, _| k.1 >= floor);
            } else {
                assert_eq!(ours.insert(key, step as u8), tree.insert(key, step as u8));
            }
            assert_eq!(ours.get(&key), tree.get(&key));
            assert_eq!(ours.len(), tree.len());
            assert!(ours.iter().eq(tree.iter()));
        }
        assert_eq!(format!("{ours:?}"), format!("{tree:?}"));
    }
}
