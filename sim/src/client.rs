//! Clients: each performs its script of operations one at a time through its session
//! (client id, sequence number), retrying a request after a timeout with the same number.
use serde::{Deserialize, Serialize};
use verraft_core::{Index, NodeId, Term};
use verraft_kv::{ClientId, KvOp, KvOutput};

#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum ClientState {
    /// Ready to start its next operation (or finished, when the script is done).
    Idle,
    /// The request was taken by `node` into its log at `index` in `term`; waiting for the
    /// answer. `index` is `None` when the answer can no longer come (the node crashed).
    Waiting {
        node: NodeId,
        index: Option<(Index, Term)>,
    },
    /// A read is being served without the log (read-index): `node` will answer it once the
    /// read is confirmed and applied, or refuse it.
    Reading { node: NodeId },
    /// The answer is on its way to the client.
    Answered { output: KvOutput },
    /// The client gave up waiting (or was refused) and will send the request again.
    Retrying,
}

/// In words, for reports: "waiting for n2's answer to entry 4 of term 2".
impl std::fmt::Display for ClientState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientState::Idle => f.write_str("idle"),
            ClientState::Waiting {
                node,
                index: Some((index, term)),
            } => write!(
                f,
                "waiting for n{node}'s answer to entry {index} of term {term}"
            ),
            ClientState::Waiting { node, index: None } => write!(
                f,
                "waiting for n{node}, whose answer can no longer come (it must time out)"
            ),
            ClientState::Reading { node } => write!(f, "waiting for n{node} to serve its read"),
            ClientState::Answered { output } => {
                write!(f, "its answer ({output}) is on its way")
            }
            ClientState::Retrying => f.write_str("about to retry its request"),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    /// Operations started so far (the current one is `script[started - 1]`).
    pub started: usize,
    pub state: ClientState,
    /// Position of the current operation in the world's history.
    pub history_index: usize,
}

/// The read id under which client `client`'s request `seq` is read (the node's `ReadId`).
pub fn read_id(client: ClientId, seq: u64) -> u64 {
    (client << 32) | seq
}

/// The client and request a read id names (see `read_id`).
pub fn read_of(id: u64) -> (ClientId, u64) {
    (id >> 32, id & 0xffff_ffff)
}

impl ClientState {
    /// The node a waiting or reading client waits on.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            ClientState::Waiting { node, .. } | ClientState::Reading { node } => Some(*node),
            _ => None,
        }
    }

    /// This state with the node it names renamed.
    pub fn renamed(&self, rename: impl Fn(NodeId) -> NodeId) -> ClientState {
        match self {
            ClientState::Waiting { node, index } => ClientState::Waiting {
                node: rename(*node),
                index: *index,
            },
            ClientState::Reading { node } => ClientState::Reading {
                node: rename(*node),
            },
            other => other.clone(),
        }
    }
}

impl Client {
    pub fn new(id: ClientId) -> Client {
        Client {
            id,
            started: 0,
            state: ClientState::Idle,
            history_index: 0,
        }
    }

    /// The sequence number of the current (or last) request.
    pub fn seq(&self) -> u64 {
        self.started as u64
    }

    pub fn can_invoke(&self, script_len: usize) -> bool {
        match self.state {
            ClientState::Idle => self.started < script_len,
            ClientState::Retrying => true,
            _ => false,
        }
    }
}

/// One client operation as the client saw it. Times are a logical clock that advances at
/// every invocation and every answer, which is all linearizability needs.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct HistoryOp {
    pub client: ClientId,
    pub seq: u64,
    pub op: KvOp,
    pub invoked_at: u32,
    /// The answer and when it arrived; `None` while (or if forever) unknown.
    pub returned: Option<(u32, KvOutput)>,
}
