//! Small random histories judged by the linearizability checker and by brute force, which
//! must agree; and the history parsers on raw bytes, which must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use verraft_harness::lincheck_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = lincheck_target::check(data) {
        panic!("{e}");
    }
});
