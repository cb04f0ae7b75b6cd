//! The peer protocol's frame decoder on raw bytes: never a panic, and a decoded frame
//! round-trips (verraft_server::fuzz_checks::peer_frame).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = verraft_server::fuzz_checks::peer_frame(data) {
        panic!("{e}");
    }
});
