//! `Node<KvStore>`, the node every verraft driver runs, compiled in this crate.
//!
//! Rust compiles a generic function into each crate that uses it with concrete types, so the
//! node's code for `KvStore` would otherwise be compiled in `verraft-sim`, `verraft-models`
//! and the service, and never in one place of its own. The `#[used]` table below makes this
//! crate, the first that knows both the node and the store, compile the node's entry points
//! and everything they call. With `-Zshare-generics=y` the crates downstream then link to
//! this one copy instead of compiling their own.
//!
//! The `schedule` fuzz build relies on this: it gives libFuzzer the coverage of the Raft
//! crates alone (`verraft-core`, and this one, where the core's generic code is compiled for
//! `KvStore`), not of the simulator around them (see fuzz/coverage-scope). For the same
//! reason fuzz/Cargo.toml keeps overflow checks and debug assertions on in this crate: the
//! node's code compiled here is built with this crate's settings, not the core's. Other
//! builds are unaffected; they just compile the table.
use crate::{KvCommand, KvOutput, KvStore};
use verraft_core::{
    Config, Index, MemStorage, Message, Node, NodeError, NodeId, Proposal, ProposeError, ReadId,
    Ready, SnapshotError, SnapshotMeta, Term, TransferError,
};

/// The node the simulator, the model checker and the key-value service run.
pub type KvNode = Node<KvStore>;

type New = fn(Config, KvStore) -> Result<KvNode, NodeError>;
type Restart = fn(Config, &MemStorage<KvCommand>, KvStore) -> Result<KvNode, NodeError>;
type Input = fn(&mut KvNode);
type Step = fn(&mut KvNode, NodeId, Message<KvCommand>) -> Result<(), NodeError>;
type Propose = fn(&mut KvNode, KvCommand) -> Result<Proposal, ProposeError>;
type TakeReady = fn(&mut KvNode) -> Ready<KvCommand, KvOutput>;
type Synced = fn(&mut KvNode, Index, Term);
type Read = fn(&mut KvNode, ReadId);
type Compact = fn(&mut KvNode) -> Result<Option<SnapshotMeta>, SnapshotError>;
type Transfer = fn(&mut KvNode, NodeId) -> Result<(), TransferError>;

/// The driver's requests besides proposals: reads, snapshots, leadership transfer.
type Requests = (Read, Compact, Transfer);

/// Every way a driver feeds a node or takes its output. Naming a function here is what
/// makes this crate compile it for `KvStore`.
#[used]
static ENTRY_POINTS: (
    New,
    Restart,
    [Input; 3],
    Step,
    Propose,
    TakeReady,
    Synced,
    Requests,
) = (
    KvNode::new,
    KvNode::restart::<MemStorage<KvCommand>>,
    [
        KvNode::tick,
        KvNode::fire_heartbeat,
        KvNode::fire_election_timeout,
    ],
    KvNode::step,
    KvNode::propose,
    KvNode::ready,
    KvNode::log_synced,
    (KvNode::read, KvNode::compact, KvNode::transfer_leadership),
);
