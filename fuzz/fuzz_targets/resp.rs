//! The client port's RESP parsers (commands and replies) and command table on raw bytes:
//! never a panic, and what parses round-trips (verraft_server::fuzz_checks::resp).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = verraft_server::fuzz_checks::resp(data) {
        panic!("{e}");
    }
});
