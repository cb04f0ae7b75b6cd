//! The search for a linearization of one independent part of a history.
//!
//! Wing–Gong/Lowe backtracking over a doubly linked list of call and return events sorted
//! by time: the calls before the first remaining return are the operations that may be
//! linearized next; reaching a return whose operation is not yet linearized is a dead end.
//! Every explored configuration (set of linearized operations, state) is memoized, so each
//! is explored once. On top of that:
//!
//! - A part whose known operations real time already orders (each returns before the next
//!   is called) is not searched at all: that one order is replayed through the model
//!   ([`crate::sequential`]). Only a `yes` is taken from the replay; a part it rejects is
//!   searched, so a failure always comes with the search's explanation.
//! - States are interned: each distinct state is hashed once and then named by a `u32`, and
//!   `step` results are memoized per (state, operation), so the model is called once per
//!   distinct pair however often the search meets it.
//! - The set of linearized operations is a bitset with an incremental (Zobrist) hash.
//! - Operations with an unknown outcome have no return event: they are never a dead end, and
//!   the search succeeds as soon as every operation with a known outcome is linearized (the
//!   rest take effect after everything, which is the same as never).
//! - An operation with an unknown outcome is not tried where it would leave the state as it
//!   is (using it up gains nothing), nor while an identical unknown-outcome operation invoked
//!   no later is still available (the two are interchangeable).
//! - A configuration is abandoned as soon as the model says a pending read can never become
//!   legal with the operations that may still precede it ([`Model::can_become_legal`]; for
//!   the key-value store: the value read must be the current value or that of a pending
//!   put, followed by values of pending appends). Reads among the candidates are checked,
//!   and reads invoked up to 48 events later; a search that runs long looks further (see
//!   `LOOKAHEAD_WIDENS_AFTER`).
//! - A read-only candidate (one the model says never changes the state where it is legal: a
//!   read, a cas observed to fail) that fits the current state is linearized at once with no
//!   alternative tried: if any linearization exists from here, moving that operation to the
//!   front keeps it valid, since nothing still pending has to precede it and it changes
//!   nothing, neither here nor where it stood. (An operation that merely happens to leave
//!   this state unchanged, like a cas of unknown outcome whose comparison fails here, does
//!   not qualify: later it might take effect.)
use crate::bitset::Bitset;
use crate::hash::FxHashMap;
use crate::history::{Operation, Time};
use crate::model::Model;
use crate::visited::Visited;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const NIL: u32 = u32::MAX;

/// How many events past the candidates to scan, at first, for reads that can no longer be
/// satisfied.
const LOOKAHEAD_EVENTS: u32 = 48;
/// Configurations explored before the lookahead starts to reach further. Looking further
/// costs time at every configuration, and the search of most parts ends well before this
/// (every part of the porcupine histories but one ends under 1,000); a search that goes
/// on is one the near lookahead does not prune enough: from here on, each time the
/// configurations explored double, so does the reach of the lookahead, up to
/// [`LOOKAHEAD_MAX_EVENTS`]. A read further ahead that no order can satisfy any more then
/// ends every branch at once (c50-bad's key 0 needs ~140,000 configurations and 0.85 s
/// with a fixed reach of 48 events, ~6,000 and 0.1 s this way).
const LOOKAHEAD_WIDENS_AFTER: usize = 4096;
/// The furthest the lookahead reaches. Each read it checks costs the pending operations
/// before that read, so a configuration costs about the square of the reach: on 2,000-
/// operation registers searched whole, an unbounded reach decided fewer of them within
/// 10 s than this one (measured with reaches of 48, 192, 256, 384 and unbounded).
const LOOKAHEAD_MAX_EVENTS: u32 = 256;

/// When to give up and answer `Unknown`.
#[derive(Clone, Copy, Default)]
pub struct Limits<'a> {
    pub deadline: Option<Instant>,
    /// Set by another thread to abandon this search: the verdict no longer depends on it.
    pub cancel: Option<&'a AtomicBool>,
    /// Set by the user (Ctrl-C) to stop every search.
    pub interrupt: Option<&'a AtomicBool>,
    /// Approximate bytes the memo tables may use.
    pub memory: Option<usize>,
    /// Distinct configurations the search may explore. Unlike time, this budget gives the
    /// same answer on every run, so a scheduler can use it to decide which parts to try
    /// again later (see [`crate::check::CheckOptions::stop_at_first_failure`]).
    pub configurations: Option<usize>,
}

/// Why a search stopped without a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    Timeout,
    MemoryLimit,
    /// The budget of [`Limits::configurations`] was spent.
    ConfigurationLimit,
    /// Not needed: another part already made the history not linearizable.
    Cancelled,
    /// The user asked to stop.
    Interrupted,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopReason::Timeout => "timeout",
            StopReason::MemoryLimit => "memory limit",
            StopReason::ConfigurationLimit => "configuration limit",
            StopReason::Cancelled => "not checked: another part is not linearizable",
            StopReason::Interrupted => "interrupted",
        })
    }
}

/// Result of a search; operation indices are positions in the slice searched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchOutcome {
    /// A linearization of every operation with a known outcome (and of the unknown ones that
    /// had to take effect).
    Linearizable { order: Vec<usize> },
    /// No linearization; `deepest` is the longest linearizable prefix the search reached.
    NotLinearizable { deepest: Vec<usize> },
    Unknown {
        reason: StopReason,
        deepest: Vec<usize>,
    },
}

/// Counters, for benchmarks and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// Distinct (linearized set, state) configurations explored.
    pub configurations: usize,
    /// Distinct model states met.
    pub states: usize,
    /// Model `step` calls (distinct (state, operation) pairs).
    pub steps: usize,
}

/// Interned states and memoized steps.
struct Stepper<'m, M: Model> {
    model: &'m M,
    states: Vec<M::State>,
    ids: FxHashMap<M::State, u32>,
    steps: FxHashMap<u64, u32>,
}

impl<'m, M: Model> Stepper<'m, M> {
    fn new(model: &'m M) -> Self {
        let mut s = Stepper {
            model,
            states: Vec::new(),
            ids: FxHashMap::default(),
            steps: FxHashMap::default(),
        };
        s.intern(model.init());
        s
    }

    fn intern(&mut self, state: M::State) -> u32 {
        if let Some(&id) = self.ids.get(&state) {
            return id;
        }
        let id = self.states.len() as u32;
        self.states.push(state.clone());
        self.ids.insert(state, id);
        id
    }

    #[inline]
    fn step(
        &mut self,
        state: u32,
        op: u32,
        ops: &[&Operation<M::Input, M::Output>],
    ) -> Option<u32> {
        let key = u64::from(state) << 32 | u64::from(op);
        if let Some(&r) = self.steps.get(&key) {
            return (r != NIL).then_some(r);
        }
        let o = ops[op as usize];
        let current = &self.states[state as usize];
        let r = if self.model.is_read_only(&o.input, o.output.as_ref()) {
            // Legal read-only steps return the state they start from: skip building it.
            self.model
                .accepts(current, &o.input, o.output.as_ref())
                .then_some(state)
        } else {
            self.model
                .step(current, &o.input, o.output.as_ref())
                .map(|s| self.intern(s))
        };
        self.steps.insert(key, r.unwrap_or(NIL));
        r
    }

    fn bytes(&self) -> usize {
        // Entries plus hashbrown's control bytes; states' own heap data is not counted.
        self.steps.capacity() * 17
            + self.ids.capacity() * (std::mem::size_of::<M::State>() + 5)
            + self.states.capacity() * std::mem::size_of::<M::State>()
    }
}

/// The event list: calls and returns sorted by time, calls first at equal times.
struct Events {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Per event: its operation, and whether it is a call.
    op: Vec<u32>,
    is_call: Vec<bool>,
    call_of: Vec<u32>,
    ret_of: Vec<u32>,
    head: u32,
}

impl Events {
    fn new<I, O>(ops: &[&Operation<I, O>]) -> Self {
        let mut evs: Vec<(Time, bool, u32)> = Vec::with_capacity(ops.len() * 2);
        for (i, o) in ops.iter().enumerate() {
            evs.push((o.call, false, i as u32));
            if let Some(r) = o.effective_ret() {
                evs.push((r, true, i as u32));
            }
        }
        // `false` (call) sorts before `true` (return): operations that touch at one instant
        // are concurrent.
        evs.sort_unstable();
        let n = evs.len();
        let head = n as u32;
        let mut ev = Events {
            next: (1..=n as u32).chain([NIL]).collect(),
            prev: Vec::with_capacity(n + 1),
            op: evs.iter().map(|e| e.2).collect(),
            is_call: evs.iter().map(|e| !e.1).collect(),
            call_of: vec![NIL; ops.len()],
            ret_of: vec![NIL; ops.len()],
            head,
        };
        // The head sentinel is stored last; event 0 follows it.
        ev.prev.push(head);
        ev.prev.extend(0..n.saturating_sub(1) as u32);
        ev.prev.push(NIL);
        if n > 0 {
            ev.next[n - 1] = NIL;
        }
        ev.next[n] = if n > 0 { 0 } else { NIL };
        for (e, &(_, is_ret, op)) in evs.iter().enumerate() {
            if is_ret {
                ev.ret_of[op as usize] = e as u32;
            } else {
                ev.call_of[op as usize] = e as u32;
            }
        }
        ev
    }

    #[inline]
    fn unlink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = n;
        if n != NIL {
            self.prev[n as usize] = p;
        }
    }

    /// Undoes `unlink(e)`; valid in LIFO order, as the removed node kept its links.
    #[inline]
    fn relink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = e;
        if n != NIL {
            self.prev[n as usize] = e;
        }
    }

    #[inline]
    fn lift(&mut self, op: u32) {
        self.unlink(self.call_of[op as usize]);
        let r = self.ret_of[op as usize];
        if r != NIL {
            self.unlink(r);
        }
    }

    #[inline]
    fn unlift(&mut self, op: u32) {
        let r = self.ret_of[op as usize];
        if r != NIL {
            self.relink(r);
        }
        self.relink(self.call_of[op as usize]);
    }

    #[inline]
    fn first(&self) -> u32 {
        self.next[self.head as usize]
    }
}

/// The model's pruning hook for pending reads ([`Model::can_become_legal`]).
struct Lookahead<'o, I> {
    /// The operations that may change the state, by invocation time.
    mutators: Vec<u32>,
    /// Per operation: how many of `mutators` are invoked no later than its return, i.e. may
    /// be linearized before it.
    horizon: Vec<u32>,
    /// Per operation: its position in `mutators`, or NIL for a read-only one.
    slot: Vec<u32>,
    /// A doubly linked list over the slots of `mutators` not yet linearized (the last
    /// entry of `next` is the head), so that a read's `others` costs the pending mutators
    /// before its return, not every mutator before it.
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Scratch: the inputs handed to the model.
    others: Vec<&'o I>,
}

impl<'o, I> Lookahead<'o, I> {
    fn new<O>(ops: &[&'o Operation<I, O>], read_only: &[bool]) -> Self {
        let mut by_call: Vec<u32> = (0..ops.len() as u32)
            .filter(|&i| !read_only[i as usize])
            .collect();
        by_call.sort_by_key(|&i| (ops[i as usize].call, i));
        let calls: Vec<Time> = by_call.iter().map(|&i| ops[i as usize].call).collect();
        let horizon = ops
            .iter()
            .map(|o| match o.effective_ret() {
                Some(r) => calls.partition_point(|&c| c <= r) as u32,
                None => calls.len() as u32,
            })
            .collect();
        let mut slot = vec![NIL; ops.len()];
        for (k, &m) in by_call.iter().enumerate() {
            slot[m as usize] = k as u32;
        }
        // Slot k (in call order) links to k + 1, the last to nothing; the head sentinel,
        // at n, to slot 0. Backwards, slot 0 links to the head.
        let n = by_call.len() as u32;
        let mut next: Vec<u32> = (1..=n).collect();
        if let Some(last) = next.last_mut() {
            *last = NIL;
        }
        next.push(if n > 0 { 0 } else { NIL });
        let mut prev: Vec<u32> = (0..n).map(|k| k.checked_sub(1).unwrap_or(n)).collect();
        prev.push(NIL);
        Lookahead {
            mutators: by_call,
            horizon,
            slot,
            next,
            prev,
            others: Vec::new(),
        }
    }

    /// `op` was linearized: no longer pending.
    #[inline]
    fn take(&mut self, op: u32) {
        let k = self.slot[op as usize];
        if k != NIL {
            let (p, n) = (self.prev[k as usize], self.next[k as usize]);
            self.next[p as usize] = n;
            if n != NIL {
                self.prev[n as usize] = p;
            }
        }
    }

    /// Undoes `take(op)`; valid in LIFO order, as the removed node kept its links.
    #[inline]
    fn restore(&mut self, op: u32) {
        let k = self.slot[op as usize];
        if k != NIL {
            let (p, n) = (self.prev[k as usize], self.next[k as usize]);
            self.next[p as usize] = k;
            if n != NIL {
                self.prev[n as usize] = k;
            }
        }
    }

    /// Whether the pending read `op`, illegal in `state`, may still become legal through
    /// the operations not yet linearized that may precede it.
    fn reachable<M: Model<Input = I>>(
        &mut self,
        stepper: &Stepper<'_, M>,
        state: u32,
        op: u32,
        ops: &[&'o Operation<I, M::Output>],
    ) -> bool {
        let o = ops[op as usize];
        let Some(out) = &o.output else { return true };
        let horizon = self.horizon[op as usize];
        self.others.clear();
        let mut k = self.next[self.mutators.len()];
        while k != NIL && k < horizon {
            self.others
                .push(&ops[self.mutators[k as usize] as usize].input);
            k = self.next[k as usize];
        }
        stepper
            .model
            .can_become_legal(&stepper.states[state as usize], &o.input, out, &self.others)
    }
}

/// One step of the current path: the operation linearized and the state before it.
struct Frame {
    op: u32,
    prev_state: u32,
}

/// A configuration on the current path: its untried candidates are
/// `cands[next..end]`. A configuration that took a forced step has none left.
struct Level {
    start: u32,
    next: u32,
    end: u32,
}

enum Action {
    /// A configuration reached for the first time.
    Fresh,
    /// Try the next candidate of the top level.
    Next,
    Backtrack,
}

/// Searches for a linearization of `ops` (which should not contain read-only operations
/// with unknown outcome; they are harmless but useless).
pub fn search<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    limits: &Limits<'_>,
) -> (SearchOutcome, SearchStats) {
    match crate::sequential::forced_order(model, ops) {
        // Real time left one order and the model accepts it: nothing to search.
        Some(order) => {
            let stats = replay_stats(order.len());
            (SearchOutcome::Linearizable { order }, stats)
        }
        None => backtrack(model, ops, limits),
    }
}

/// What replaying one order of `len` operations costs, counted as the search counts.
pub(crate) fn replay_stats(len: usize) -> SearchStats {
    SearchStats {
        configurations: len + 1,
        states: len + 1,
        steps: len,
    }
}

/// Why a check that has not started yet should not start: the user stopped it, it is
/// no longer needed, or its time is up.
pub(crate) fn stopped(limits: &Limits<'_>) -> Option<StopReason> {
    if limits.interrupt.is_some_and(|c| c.load(Ordering::Relaxed)) {
        return Some(StopReason::Interrupted);
    }
    if limits.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        return Some(StopReason::Cancelled);
    }
    if limits.deadline.is_some_and(|d| Instant::now() >= d) {
        return Some(StopReason::Timeout);
    }
    None
}

/// The backtracking search itself, without the shortcut of [`search`].
pub(crate) fn backtrack<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    limits: &Limits<'_>,
) -> (SearchOutcome, SearchStats) {
    let n = ops.len();
    let mut ev = Events::new(ops);
    let mut stepper = Stepper::new(model);
    let known: Vec<bool> = ops.iter().map(|o| o.output.is_some()).collect();
    let read_only: Vec<bool> = ops
        .iter()
        .map(|o| model.is_read_only(&o.input, o.output.as_ref()))
        .collect();
    let rank = try_order(ops);
    let mut remaining = known.iter().filter(|&&k| k).count();
    let twin_before = twins(ops);
    let mut lookahead = Lookahead::new(ops, &read_only);
    let mut bits = Bitset::new(n);
    let mut visited = Visited::new(bits.words().len());
    visited.insert(bits.hash(), 0, bits.words());
    let mut path: Vec<Frame> = Vec::with_capacity(n);
    let mut levels: Vec<Level> = Vec::with_capacity(n + 1);
    let mut cands: Vec<u32> = Vec::new();
    let mut deepest: Vec<usize> = Vec::new();
    let mut state: u32 = 0;
    let mut action = Action::Fresh;
    let mut fresh_count: u64 = 0;
    let mut reach = LOOKAHEAD_EVENTS;
    let mut widen_at = LOOKAHEAD_WIDENS_AFTER;

    let stats = |visited: &Visited, stepper: &Stepper<M>| SearchStats {
        configurations: visited.len(),
        states: stepper.states.len(),
        steps: stepper.steps.len(),
    };

    loop {
        match action {
            Action::Fresh => {
                if remaining == 0 {
                    let order = path.iter().map(|f| f.op as usize).collect();
                    return (
                        SearchOutcome::Linearizable { order },
                        stats(&visited, &stepper),
                    );
                }
                fresh_count += 1;
                if visited.len() >= widen_at {
                    reach = reach.saturating_mul(2).min(LOOKAHEAD_MAX_EVENTS);
                    widen_at = widen_at.saturating_mul(2);
                }
                if fresh_count & 0xff == 1 {
                    if let Some(reason) = exceeded(limits, &visited, &stepper) {
                        let deepest = deepest_of(&path, deepest);
                        return (
                            SearchOutcome::Unknown { reason, deepest },
                            stats(&visited, &stepper),
                        );
                    }
                }
                // The candidates are the calls before the first return. A read-only one that
                // fits is taken at once (see the module docs); otherwise all are queued.
                let start = cands.len() as u32;
                let mut forced = NIL;
                let mut hopeless = false;
                let mut e = ev.first();
                while e != NIL && ev.is_call[e as usize] {
                    let op = ev.op[e as usize];
                    if read_only[op as usize] {
                        match stepper.step(state, op, ops) {
                            Some(s) if s == state => {
                                forced = op;
                                break;
                            }
                            None if known[op as usize]
                                && !lookahead.reachable(&stepper, state, op, ops) =>
                            {
                                hopeless = true;
                                break;
                            }
                            _ => {}
                        }
                    }
                    cands.push(op);
                    e = ev.next[e as usize];
                }
                if forced == NIL && !hopeless {
                    // Reads invoked later must be satisfiable too: an operation linearized
                    // now cannot be undone before them. Looking a bounded distance ahead
                    // catches a wrong branch long before those reads become candidates.
                    let mut budget = reach;
                    while e != NIL && budget > 0 && !hopeless {
                        budget -= 1;
                        let op = ev.op[e as usize];
                        if ev.is_call[e as usize]
                            && read_only[op as usize]
                            && known[op as usize]
                            && stepper.step(state, op, ops).is_none()
                        {
                            hopeless = !lookahead.reachable(&stepper, state, op, ops);
                        }
                        e = ev.next[e as usize];
                    }
                }
                if hopeless {
                    // A pending read can never be satisfied from here.
                    cands.truncate(start as usize);
                    levels.push(Level {
                        start,
                        next: start,
                        end: start,
                    });
                    action = Action::Backtrack;
                    continue;
                }
                if forced != NIL {
                    cands.truncate(start as usize);
                    levels.push(Level {
                        start,
                        next: start,
                        end: start,
                    });
                    bits.toggle(forced as usize);
                    if visited.insert(bits.hash(), state, bits.words()) {
                        path.push(Frame {
                            op: forced,
                            prev_state: state,
                        });
                        ev.lift(forced);
                        lookahead.take(forced);
                        remaining -= usize::from(known[forced as usize]);
                    } else {
                        // Explored before from this very configuration, and failed.
                        bits.toggle(forced as usize);
                        action = Action::Backtrack;
                    }
                    continue;
                }
                cands[start as usize..].sort_unstable_by_key(|&op| rank[op as usize]);
                levels.push(Level {
                    start,
                    next: start,
                    end: cands.len() as u32,
                });
                action = Action::Next;
            }
            Action::Next => {
                let Some(level) = levels.last_mut() else {
                    action = Action::Backtrack;
                    continue;
                };
                if level.next == level.end {
                    action = Action::Backtrack;
                    continue;
                }
                let op = cands[level.next as usize];
                level.next += 1;
                let twin = twin_before[op as usize];
                if twin != NIL && !bits.contains(twin as usize) {
                    // An identical unknown-outcome operation invoked no later is still
                    // available: trying this one too would only repeat its subtree.
                    continue;
                }
                let Some(next_state) = stepper.step(state, op, ops) else {
                    continue;
                };
                if next_state == state && !known[op as usize] {
                    // Taking effect without changing anything only uses the operation
                    // up: leaving it available is never worse.
                    continue;
                }
                bits.toggle(op as usize);
                if visited.insert(bits.hash(), next_state, bits.words()) {
                    path.push(Frame {
                        op,
                        prev_state: state,
                    });
                    state = next_state;
                    ev.lift(op);
                    lookahead.take(op);
                    remaining -= usize::from(known[op as usize]);
                    action = Action::Fresh;
                } else {
                    bits.toggle(op as usize);
                }
            }
            Action::Backtrack => {
                if path.len() > deepest.len() {
                    deepest = path.iter().map(|f| f.op as usize).collect();
                }
                // Leave the failed configuration, and every forced one above it: a forced
                // step was the only one worth trying there.
                loop {
                    if let Some(level) = levels.pop() {
                        cands.truncate(level.start as usize);
                    }
                    let Some(f) = path.pop() else {
                        return (
                            SearchOutcome::NotLinearizable { deepest },
                            stats(&visited, &stepper),
                        );
                    };
                    bits.toggle(f.op as usize);
                    ev.unlift(f.op);
                    lookahead.restore(f.op);
                    state = f.prev_state;
                    remaining += usize::from(known[f.op as usize]);
                    if levels.last().is_some_and(|l| l.end > l.start) {
                        break;
                    }
                }
                action = Action::Next;
            }
        }
    }
}

/// The order in which candidates are tried: by invocation, operations of unknown outcome
/// last, since one that may never take effect is best left for when nothing else fits.
/// (Ordering by return time was measured too: it explored more configurations in total on
/// the acceptance histories.)
fn try_order<I, O>(ops: &[&Operation<I, O>]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| (ops[i].output.is_none(), ops[i].call, i));
    let mut rank = vec![0u32; ops.len()];
    for (r, i) in order.into_iter().enumerate() {
        rank[i] = r as u32;
    }
    rank
}

/// For each operation with an unknown outcome, the previous one (by invocation, then
/// index) with an identical input and unknown outcome, or NIL. Such operations are
/// interchangeable: both may take effect at any point after their invocations, or never,
/// and the earlier one is available whenever the later one is. So the search only ever
/// tries the first still-available operation of each such class.
fn twins<I: Eq + std::hash::Hash, O>(ops: &[&Operation<I, O>]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].output.is_none())
        .collect();
    order.sort_by_key(|&i| (ops[i].call, i));
    let mut last: FxHashMap<&I, u32> = FxHashMap::default();
    let mut twin = vec![NIL; ops.len()];
    for i in order {
        if let Some(prev) = last.insert(&ops[i].input, i as u32) {
            twin[i] = prev;
        }
    }
    twin
}

fn deepest_of(path: &[Frame], deepest: Vec<usize>) -> Vec<usize> {
    if path.len() > deepest.len() {
        path.iter().map(|f| f.op as usize).collect()
    } else {
        deepest
    }
}

fn exceeded<M: Model>(
    limits: &Limits<'_>,
    visited: &Visited,
    stepper: &Stepper<M>,
) -> Option<StopReason> {
    if let Some(reason) = stopped(limits) {
        return Some(reason);
    }
    if limits
        .memory
        .is_some_and(|m| visited.bytes() + stepper.bytes() > m)
    {
        return Some(StopReason::MemoryLimit);
    }
    if limits.configurations.is_some_and(|c| visited.len() > c) {
        return Some(StopReason::ConfigurationLimit);
    }
    None
}

/// The operations that may be linearized right after `prefix`, and the operation whose
/// return closes that window (the first pending return), if any.
pub fn frontier<I, O>(ops: &[&Operation<I, O>], prefix: &[usize]) -> (Vec<usize>, Option<usize>) {
    let mut done = vec![false; ops.len()];
    for &i in prefix {
        done[i] = true;
    }
    let deadline = (0..ops.len())
        .filter(|&i| !done[i])
        .filter_map(|i| ops[i].effective_ret().map(|r| (r, i)))
        .min();
    let candidates = (0..ops.len())
        .filter(|&i| !done[i])
        .filter(|&i| !matches!(deadline, Some((r, _)) if ops[i].call > r))
        .collect();
    (candidates, deadline.map(|(_, i)| i))
}
