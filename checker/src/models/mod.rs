//! Built-in sequential specifications.
pub mod kv;
pub mod register;
pub mod text;

pub use kv::{KvInput, KvModel, KvOutput, KvState};
pub use register::{RegisterInput, RegisterModel, RegisterOutput};
pub use text::{Rope, Text};
