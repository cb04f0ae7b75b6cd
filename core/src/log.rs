//! The in-memory copy of a node's log.
use crate::types::{Entry, Index, Term};
use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct RaftLog<C> {
    entries: Vec<Entry<C>>,
}

impl<C: Clone> RaftLog<C> {
    pub fn from_entries(entries: Vec<Entry<C>>) -> Self {
        RaftLog { entries }
    }

    pub fn entries(&self) -> &[Entry<C>] {
        &self.entries
    }

    pub fn last_index(&self) -> Index {
        self.entries.len() as Index
    }

    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(0, |e| e.term)
    }

    /// The term of the entry at `index`; index 0 has term 0, past the end has none.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.entries.get(index as usize - 1).map(|e| e.term)
    }

    pub fn get(&self, index: Index) -> Option<&Entry<C>> {
        if index == 0 {
            return None;
        }
        self.entries.get(index as usize - 1)
    }

    /// Entries `from ..= to` (clamped to the log).
    pub fn slice(&self, from: Index, to: Index) -> &[Entry<C>] {
        let start = (from.max(1) - 1) as usize;
        let end = (to as usize).min(self.entries.len());
        if start >= end {
            return &[];
        }
        &self.entries[start..end]
    }

    pub fn push(&mut self, entry: Entry<C>) -> Index {
        self.entries.push(entry);
        self.last_index()
    }

    /// Drop every entry at `index` or later.
    pub fn truncate_from(&mut self, index: Index) {
        self.entries.truncate(index.max(1) as usize - 1);
    }

    /// The first index holding an entry of `term` at or before `index` (for fast back-off).
    pub fn first_index_of_term(&self, term: Term, index: Index) -> Index {
        let mut first = index;
        while first > 1 && self.term_at(first - 1) == Some(term) {
            first -= 1;
        }
        first
    }

    /// The last index holding an entry of `term`, if the log has one.
    pub fn last_index_of_term(&self, term: Term) -> Option<Index> {
        self.entries
            .iter()
            .rposition(|e| e.term == term)
            .map(|p| p as Index + 1)
    }

    /// Figure 2's "at least as up-to-date" comparison: later last term wins, then longer log.
    pub fn is_up_to_date(&self, last_index: Index, last_term: Term) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }
}
