//! The scenario-file parser on raw bytes: it must never panic, and what parses must print and
//! parse back to the same scenario.
#![no_main]
use libfuzzer_sys::fuzz_target;
use verraft_harness::scenario_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = scenario_target::check(data) {
        panic!("{e}");
    }
});
