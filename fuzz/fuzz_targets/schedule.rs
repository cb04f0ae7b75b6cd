//! Bytes → a world and a schedule of events; every invariant is checked after every event.
//! A violation panics with the scenario that reproduces it. `VERRAFT_FUZZ_BUGS` and
//! `VERRAFT_FUZZ_NODES` force a bug set or a cluster size (see fuzz/RESULTS.md).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use verraft_harness::{schedule, FuzzOptions};

/// A run allocates and frees many small objects (messages, log copies, records); mimalloc
/// does that in about half the time of the system allocator, as in the `verraft` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn options() -> &'static FuzzOptions {
    static OPTIONS: OnceLock<FuzzOptions> = OnceLock::new();
    OPTIONS.get_or_init(|| match FuzzOptions::from_env() {
        Ok(o) => o,
        // Fuzzing another world than the one asked for would waste the whole run.
        Err(e) => panic!("{e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    match schedule::check(data, options()) {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => panic!("schedule failed: {failure}"),
        Err(harness) => panic!("harness error: {harness}"),
    }
});
