//! # verraft-checker
//!
//! A standalone linearizability checker for concurrent histories: verraft's simulations,
//! Jepsen logs, porcupine logs, or any system that records what its clients asked and saw.
//!
//! - A [`History`] is a set of [`Operation`]s: client, input, output (or `None` for an
//!   unknown outcome: the client crashed or timed out, so the operation may take effect at
//!   any point after its invocation, or never) and invoke/return times. Logs that are an
//!   ordered list of events are turned into histories with [`EventLog`].
//! - A [`Model`] is a sequential specification. Built in: [`models::RegisterModel`]
//!   (read / write / compare-and-set with etcd semantics) and [`models::KvModel`]
//!   (get / put / append / compare-and-set, partitioned per key).
//! - [`check()`] splits the history into the model's independent parts, searches each in
//!   parallel (Wing–Gong/Lowe backtracking with memoization of (linearized set, state); see
//!   [`search`] for the pruning) and returns a [`CheckResult`]: per part a witness order, an
//!   [`Explanation`] of the failure, or `Unknown` when the timeout or memory limit stopped it
//!   (never a guess), and the [`Method`] that decided it. A part that is a register whose
//!   reads each name a single write (distinct written values) is decided without a search,
//!   in O(n log n) ([`distinct`]).
//! - [`generate`] makes large register histories, linearizable or provably not, from a seed.
//! - [`html::render`] draws a self-contained HTML report.
//!
//! ```
//! use verraft_checker::{check, CheckOptions, History, Operation, Verdict};
//! use verraft_checker::models::{RegisterInput as I, RegisterModel, RegisterOutput as O};
//!
//! let op = |client, input, output, call, ret| Operation { client, input, output, call, ret };
//! // A write of 1 completes, then a read sees the empty register: a stale read.
//! let history = History::new(vec![
//!     op(0, I::Write(1), Some(O::Write), 0, Some(1)),
//!     op(1, I::Read, Some(O::Read(None)), 2, Some(3)),
//! ]).unwrap();
//! let result = check(&RegisterModel, &history, &CheckOptions::default());
//! assert_eq!(result.verdict, Verdict::NotLinearizable);
//! ```
//!
//! ## Input formats
//!
//! [`parse_history`] reads three formats (chosen, or detected by [`parse::detect`]):
//! Jepsen's etcd register log ([`parse::jepsen`]), porcupine's key-value log
//! ([`parse::porcupine_kv`]) and verraft's own JSON, described here.
//!
//! ### verraft JSON
//!
//! Either a list of operations, or an object `{"model": "register" | "kv", "operations":
//! [...]}` (without `model`, the family is taken from the first operation). Each operation:
//!
//! ```json
//! {"client": 3, "input": {"f": "cas", "from": 1, "to": 2}, "output": {"ok": true}, "call": 17, "ret": 25}
//! ```
//!
//! - `client`: a non-negative integer; a client's operations do not overlap.
//! - `call`, `ret`: non-negative integer times with `call <= ret`. Only their order matters;
//!   two operations are concurrent unless one's `ret` is strictly before the other's `call`.
//! - `output`: `null` (or absent) when the outcome is unknown; `ret` may then be absent too
//!   (if present it is shown in reports but not used: the operation may take effect later).
//! - Register inputs and outputs (values are 64-bit integers, `null` is the empty register):
//!   `{"f": "read"}` → `{"value": 4}` or `{"value": null}`;
//!   `{"f": "write", "value": 4}` → `{}`;
//!   `{"f": "cas", "from": 1, "to": 2}` → `{"ok": true}` (swapped) or `{"ok": false}`
//!   (comparison failed).
//! - Key-value inputs and outputs (keys and values are strings; a missing key reads `""`):
//!   `{"f": "get", "key": "k"}` → `{"value": "..."}`;
//!   `{"f": "put", "key": "k", "value": "v"}` → `{}`;
//!   `{"f": "append", "key": "k", "value": "v"}` → `{}`;
//!   `{"f": "cas", "key": "k", "from": "a", "to": "b"}` → `{"ok": true}` (swapped: the value
//!   was `from`; `from` `""` swaps a missing key) or `{"ok": false}`.
//!
//! An operation known not to have happened is simply left out. [`parse::json::to_json`]
//! writes this format.
pub mod bitset;
pub mod check;
pub mod distinct;
pub mod explain;
pub mod generate;
pub mod hash;
pub mod history;
pub mod html;
pub mod model;
pub mod models;
pub mod monitor;
pub mod parse;
pub mod report;
mod schedule;
pub mod search;
pub mod sequential;
mod visited;

pub use check::{check, CheckOptions, CheckResult, Method, Outcome, PartResult, Verdict};
pub use explain::{BlockReason, Blocked, ConflictNote, Explanation};
pub use history::{EventLog, History, Operation, Time};
pub use model::{Access, Model, Part, Value};
pub use monitor::Monitor;
pub use parse::{parse_history, Format, ParseError, ParsedHistory};
pub use search::StopReason;
