//! verraft-models: exhaustive, bounded model checking of the verraft core with stateright.
//!
//! The model's states are `verraft_sim::World`s (with a cached fingerprint) and its actions the world's enabled events,
//! so every path is a scenario file and every counterexample replays with `verraft replay`.
//! - [`bounds`]: the limits that keep the world finite (never a depth bound);
//! - [`model`]: the stateright `Model`;
//! - [`properties`]: one `always` per invariant sim checks, and `sometimes` properties that
//!   prove the bounded model is not vacuous;
//! - [`run`]: DFS (with symmetry reduction over node ids), then a shortest counterexample;
//! - [`shortest`]: the breadth-first search for that counterexample;
//! - [`bug_bounds`]: what each seeded bug needs of every engine, written once;
//! - [`hunt`]: the table `verraft bughunt` fills, one row per bug and engine.
pub mod bounds;
pub mod bug_bounds;
pub mod hunt;
pub mod model;
pub mod properties;
pub mod run;
pub mod shortest;

pub use bounds::Bounds;
pub use model::{RaftModel, State};
pub use run::{
    check, CheckOptions, Counterexample, Progress, PropertyResult, Report, Status, Stopped,
};
