//! Built-in sequential specifications.
pub mod kv;
pub mod text;
pub mod register;

pub use kv::{KvInput, KvModel, KvOutput, KvState};
pub use text::{Rope, Text};
pub use register::{RegisterInput, RegisterModel, RegisterOutput};
