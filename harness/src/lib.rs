//! verraft-harness: the logic of every verraft fuzz target as plain library functions.
//!
//! The cargo-fuzz crate in `fuzz/` is a thin shell that hands libFuzzer's bytes to these
//! functions, so stable `cargo test` replays any fuzz input, the seed corpus and every
//! regression file without the nightly toolchain.
//!
//! - [`schedule`]: bytes → a world and a schedule of events, every invariant checked after
//!   every event ([`schedule::check`], [`schedule::decode_schedule`]).
//! - [`scenario_target`]: the scenario-file parser on raw bytes (never panics, round-trips).
//! - [`lincheck_target`]: small random histories judged by the checker and by brute force
//!   ([`brute`]), and the history parsers on raw bytes.
//! - [`regression`]: replaying `corpus/regressions/*.scn` with and without their bug.
pub mod brute;
pub mod decode;
pub mod lincheck_target;
pub mod options;
pub mod regression;
pub mod scenario_target;
pub mod schedule;

pub use options::FuzzOptions;
pub use schedule::{decode_schedule, decode_schedule_env};
