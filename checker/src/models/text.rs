//! Strings for the key-value model.
//!
//! Appending to a long value is the common step of a key-value history, and the search
//! meets every distinct value as a state that must be hashed and compared. [`Rope`] is a
//! persistent append-only string: an append allocates one small node that shares the whole
//! prefix, and each node carries the length and a polynomial hash of the full value, so
//! hashing a state is O(1) and comparing with a read is O(1) unless it matches (a match is
//! then confirmed byte by byte: the hash only filters, it never decides).
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

const BASE: u64 = 0x9e37_79b9_7f4a_7c15;

fn poly(s: &str) -> u64 {
    s.bytes().fold(0u64, |h, b| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(b) + 1)
    })
}

fn pow(mut exp: usize) -> u64 {
    let (mut base, mut acc) = (BASE, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    acc
}

/// An immutable string with its polynomial hash precomputed.
#[derive(Clone)]
pub struct Text {
    s: Arc<str>,
    poly: u64,
    /// `BASE^len`, to extend a hash by this text.
    pow: u64,
}

impl Text {
    pub fn new(s: impl Into<Arc<str>>) -> Self {
        let s: Arc<str> = s.into();
        Text {
            poly: poly(&s),
            pow: pow(s.len()),
            s,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.s
    }

    pub fn is_empty(&self) -> bool {
        self.s.is_empty()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::new(s)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.poly == other.poly && self.s == other.s
    }
}

impl Eq for Text {}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.poly);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.s, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

struct Node {
    parent: Option<Arc<Node>>,
    piece: Arc<str>,
    /// Length and hash of the whole value up to and including `piece`.
    len: usize,
    poly: u64,
}

impl Drop for Node {
    // Dropping a long chain recursively could overflow the stack: unwind it in a loop.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(node) = next {
            match Arc::try_unwrap(node) {
                Ok(mut n) => next = n.parent.take(),
                Err(_) => break,
            }
        }
    }
}

/// A persistent string built by appends; cloning is O(1). The empty rope has no node.
#[derive(Clone, Default)]
pub struct Rope(Option<Arc<Node>>);

impl Rope {
    pub fn from_text(t: &Text) -> Self {
        Rope::empty().append(t)
    }

    pub fn empty() -> Self {
        Rope(None)
    }

    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |n| n.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn poly(&self) -> u64 {
        self.0.as_ref().map_or(0, |n| n.poly)
    }

    pub fn append(&self, t: &Text) -> Rope {
        if t.is_empty() {
            return self.clone();
        }
        Rope(Some(Arc::new(Node {
            parent: self.0.clone(),
            piece: t.s.clone(),
            len: self.len() + t.s.len(),
            poly: self.poly().wrapping_mul(t.pow).wrapping_add(t.poly),
        })))
    }

    /// Whether this rope spells `t`.
    pub fn eq_text(&self, t: &Text) -> bool {
        self.len() == t.s.len() && self.poly() == t.poly && self.spells(t.s.as_bytes())
    }

    /// Whether this rope spells a prefix of `s`.
    pub fn is_prefix_of(&self, s: &str) -> bool {
        let bytes = s.as_bytes();
        self.len() <= bytes.len() && self.spells(&bytes[..self.len()])
    }

    /// Whether the rope's pieces, walked from the last one back, spell exactly `bytes`
    /// (whose length the callers have already matched to the rope's).
    fn spells(&self, bytes: &[u8]) -> bool {
        let mut end = bytes.len();
        let mut node = self.0.as_deref();
        while let Some(n) = node {
            let p = n.piece.as_bytes();
            if end < p.len() || bytes[end - p.len()..end] != *p {
                return false;
            }
            end -= p.len();
            node = n.parent.as_deref();
        }
        end == 0
    }

    fn pieces(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut node = self.0.as_deref();
        while let Some(n) = node {
            out.push(&*n.piece);
            node = n.parent.as_deref();
        }
        out.reverse();
        out
    }
}

/// A cursor walking a rope's bytes backwards, piece by piece.
struct Back<'a> {
    node: Option<&'a Node>,
    /// Bytes of `node.piece` not yet consumed (a prefix of it).
    left: usize,
}

impl<'a> Back<'a> {
    fn new(r: &'a Rope) -> Self {
        let node = r.0.as_deref();
        Back {
            node,
            left: node.map_or(0, |n| n.piece.len()),
        }
    }

    /// Skips exhausted nodes; returns the current node, or None at the start of the rope.
    fn settle(&mut self) -> Option<&'a Node> {
        while let Some(n) = self.node {
            if self.left > 0 {
                return Some(n);
            }
            self.node = n.parent.as_deref();
            self.left = self.node.map_or(0, |n| n.piece.len());
        }
        None
    }
}

impl PartialEq for Rope {
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() || self.poly() != other.poly() {
            return false;
        }
        let (mut a, mut b) = (Back::new(self), Back::new(other));
        loop {
            match (a.settle(), b.settle()) {
                (None, None) => return true,
                (Some(x), Some(y)) => {
                    if std::ptr::eq(x, y) && a.left == b.left {
                        // The rest is the very same shared prefix.
                        return true;
                    }
                    let k = a.left.min(b.left);
                    let xs = &x.piece.as_bytes()[a.left - k..a.left];
                    let ys = &y.piece.as_bytes()[b.left - k..b.left];
                    if xs != ys {
                        return false;
                    }
                    a.left -= k;
                    b.left -= k;
                }
                _ => return false,
            }
        }
    }
}

impl Eq for Rope {}

impl Hash for Rope {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        state.write_u64(self.poly());
    }
}

impl fmt::Display for Rope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.pieces() {
            f.write_str(p)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Rope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ropes_compare_by_content_not_by_pieces() {
        let ab = Rope::from_text(&"a".into())
            .append(&"b".into())
            .append(&"".into());
        let ab2 = Rope::from_text(&"ab".into());
        assert_eq!(ab, ab2);
        assert!(ab.eq_text(&"ab".into()));
        assert!(!ab.eq_text(&"ba".into()));
        assert!(!ab.eq_text(&"abc".into()));
        assert_ne!(ab, Rope::from_text(&"ba".into()));
        assert_eq!(ab.to_string(), "ab");
        assert!(Rope::empty().eq_text(&"".into()));
        assert!(ab.is_prefix_of("abc") && ab.is_prefix_of("ab") && !ab.is_prefix_of("a"));
        assert!(!ab.is_prefix_of("acb") && Rope::empty().is_prefix_of(""));
        let shared = ab.append(&"cd".into());
        assert_eq!(shared.clone(), shared);
        assert_eq!(shared, Rope::from_text(&"abcd".into()));
    }

    #[test]
    fn long_chains_drop_without_overflowing_the_stack() {
        let x: Text = "x".into();
        let mut r = Rope::empty();
        for _ in 0..1_000_000 {
            r = r.append(&x);
        }
        assert_eq!(r.len(), 1_000_000);
        drop(r);
    }
}
