//! A window on a running check for other threads: how many parts are decided, and a way
//! to stop it (a Ctrl-C handler) that still returns what was decided so far.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Shared through [`crate::CheckOptions::monitor`]. One monitor may serve several checks in
/// turn (one per file): each check resets the counts, while an interrupt stays set, so the
/// checks after it stop at once too.
#[derive(Debug, Default)]
pub struct Monitor {
    parts: AtomicUsize,
    decided: AtomicUsize,
    interrupted: Arc<AtomicBool>,
}

impl Monitor {
    /// A monitor whose interrupt is `flag`: a flag a Ctrl-C handler raises, shared with
    /// whatever else the program stops on Ctrl-C.
    pub fn with_interrupt_flag(flag: Arc<AtomicBool>) -> Self {
        Monitor {
            interrupted: flag,
            ..Monitor::default()
        }
    }

    /// Asks every search of the current and later checks to stop; their parts are reported
    /// `Unknown` with [`crate::StopReason::Interrupted`].
    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::Relaxed);
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    /// Parts of the history being checked (0 before the first check starts).
    pub fn parts(&self) -> usize {
        self.parts.load(Ordering::Relaxed)
    }

    /// Parts of the current check judged linearizable or not so far.
    pub fn decided(&self) -> usize {
        self.decided.load(Ordering::Relaxed)
    }

    pub(crate) fn start(&self, parts: usize) {
        self.decided.store(0, Ordering::Relaxed);
        self.parts.store(parts, Ordering::Relaxed);
    }

    pub(crate) fn part_decided(&self) {
        self.decided.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn interrupt_flag(&self) -> &AtomicBool {
        &self.interrupted
    }
}
