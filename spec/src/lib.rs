//! # verraft-spec
//!
//! The sequential specification of verraft's key-value store ([`KvSpec`]) and the judgement
//! of a client history against it ([`judge`]). The spec is written here, independently of
//! the store's code (`verraft_kv`), so a bug in the store cannot hide itself.
//!
//! It is a crate of its own, not a module of the simulator, so that the checker's generic
//! search is compiled once, here, for this one model. The `schedule` fuzz target uses that
//! to leave the oracle (this crate and `verraft-checker`) out of libFuzzer's coverage map,
//! which then follows the Raft code under test and not the shape of the search (see
//! `fuzz/coverage-scope`).
mod spec;

pub use spec::{KeyState, KvSpec};

use verraft_checker::sequential::forced_order;
use verraft_checker::{check, CheckOptions, History, Operation, Outcome};
use verraft_kv::{KvOp, KvOutput};

/// One operation of a client history, as the checker takes it.
pub type KvOperation = Operation<KvOp, KvOutput>;

/// Why a history was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The operations do not form a history (a known output without a return time, a
    /// return before its call): a bug in whoever recorded them.
    Malformed(String),
    /// No order of the operations on `part` (one key) fits one sequential store.
    NotLinearizable {
        /// The part (key) that failed, as the checker labels it.
        part: String,
        /// The checker's explanation, one finding per line.
        explanation: String,
    },
}

/// Whether `ops` is linearizable against [`KvSpec`]. Deterministic: one thread and no time
/// limit, because the histories verraft's worlds produce are small.
///
/// Not inlined, so that the search is instantiated in this crate (see the crate docs).
#[inline(never)]
pub fn judge(ops: Vec<KvOperation>) -> Result<(), Rejection> {
    let history = History::new(ops).map_err(|e| Rejection::Malformed(e.to_string()))?;
    // The common case, clients that took turns, needs neither the partition nor the search:
    // replaying the one order real time allows settles it.
    let ops: Vec<&KvOperation> = history.ops().iter().collect();
    if forced_order(&KvSpec, &ops).is_some() {
        return Ok(());
    }
    let options = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    let result = check(&KvSpec, &history, &options);
    for part in result.parts {
        if let Outcome::NotLinearizable { explanation } = part.outcome {
            return Err(Rejection::NotLinearizable {
                part: part.label,
                explanation: explanation.to_string(),
            });
        }
    }
    Ok(())
}
