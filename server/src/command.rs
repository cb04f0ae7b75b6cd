//! The client port's commands: RESP arguments to a request, and a key-value output back to
//! a RESP reply.
//!
//! | command | operation | reply |
//! |---|---|---|
//! | `GET key` | a ReadIndex read on the leader (no log entry) | bulk string, or nil |
//! | `SET key value` | `KvOp::Put` | `+OK` |
//! | `APPEND key value` | `KvOp::Append` | `+OK` (Redis answers the new length; the store does not report it) |
//! | `DEL key` | `KvOp::Delete` | `+OK` (Redis answers how many keys existed; the store does not report it) |
//! | `EXISTS key` | the same read | `:1` or `:0` |
//! | `CAS key expected new` | `KvOp::Cas` swapping when the value equals `expected` | `*2 :swapped $found` |
//! | `CAS key new` | `KvOp::Cas` swapping when the key is absent | same |
//! | `PING [msg]` | answered locally | `+PONG` or the message |
//! | `INFO` | answered locally: role, term, commit, applied, leader, snapshot index and counts | bulk string of `field:value` lines |
//! | `VSESSION client seq CMD args...` | `CMD` in session `client` with number `seq` | `CMD`'s reply |
//!
//! Keys and values must be UTF-8 (the store's `Text`), 64 KiB at most each. `COMMAND`, `CONFIG`, `CLIENT` and
//! `SELECT 0`, which `redis-cli` and `redis-benchmark` send on connecting, get harmless
//! answers.
use crate::resp::Reply;
use verraft_kv::{ClientId, KvOp, KvOutput, Text};

/// How to render the output of a key-value command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `GET`: the value.
    Value,
    /// `EXISTS`: 1 or 0.
    Exists,
    /// `SET`, `APPEND`, `DEL`: `+OK`.
    Ok,
    /// `CAS`: `[swapped, found]`.
    Cas,
}

/// A parsed client command.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// A key-value operation, with an explicit session (`VSESSION`) or the connection's own.
    Kv {
        /// `(client, seq)` from `VSESSION`; `None`: the connection's session numbers it.
        session: Option<(ClientId, u64)>,
        /// The operation.
        op: KvOp,
        /// How to render its output.
        shape: Shape,
    },
    /// `INFO`.
    Info,
    /// Answered without the node: `PING`, the introspection commands of client tools.
    Local(Reply),
    /// `QUIT`: answer `+OK` and close.
    Quit,
    /// `VCLOCK rate`: run the node's timers at `rate` times real time from now on (fault
    /// injection for the nemesis; refused unless the node was started with
    /// `--clock-control`).
    Clock(f64),
}

fn text(arg: &[u8]) -> Result<Text, Reply> {
    std::str::from_utf8(arg)
        .map(Text::from)
        .map_err(|_| Reply::Error("ERR keys and values must be UTF-8".into()))
}

fn arity(name: &str) -> Reply {
    Reply::Error(format!(
        "ERR wrong number of arguments for '{}' command",
        name.to_ascii_lowercase()
    ))
}

/// The request `args` spell, or the error reply to send (the connection stays open).
pub fn parse(args: &[Vec<u8>]) -> Result<Request, Reply> {
    let Some((name, rest)) = args.split_first() else {
        return Err(Reply::Error("ERR empty command".into()));
    };
    let name = String::from_utf8_lossy(name).to_ascii_uppercase();
    let kv = |op: KvOp, shape: Shape| {
        Ok(Request::Kv {
            session: None,
            op,
            shape,
        })
    };
    match (name.as_str(), rest) {
        ("GET", [k]) => kv(KvOp::Get { key: text(k)? }, Shape::Value),
        ("EXISTS", [k]) => kv(KvOp::Get { key: text(k)? }, Shape::Exists),
        ("SET", [k, v]) => kv(
            KvOp::Put {
                key: text(k)?,
                value: text(v)?,
            },
            Shape::Ok,
        ),
        ("APPEND", [k, v]) => kv(
            KvOp::Append {
                key: text(k)?,
                value: text(v)?,
            },
            Shape::Ok,
        ),
        ("DEL", [k]) => kv(KvOp::Delete { key: text(k)? }, Shape::Ok),
        ("CAS", [k, new]) => kv(
            KvOp::Cas {
                key: text(k)?,
                expected: None,
                new: text(new)?,
            },
            Shape::Cas,
        ),
        ("CAS", [k, expected, new]) => kv(
            KvOp::Cas {
                key: text(k)?,
                expected: Some(text(expected)?),
                new: text(new)?,
            },
            Shape::Cas,
        ),
        ("VSESSION", [client, seq, inner @ ..]) if !inner.is_empty() => {
            let num = |b: &[u8]| std::str::from_utf8(b).ok().and_then(|s| s.parse().ok());
            let (Some(client), Some(seq)) = (num(client), num(seq)) else {
                return Err(Reply::Error(
                    "ERR VSESSION client and seq must be numbers".into(),
                ));
            };
            match parse(inner)? {
                Request::Kv { op, shape, .. } => Ok(Request::Kv {
                    session: Some((client, seq)),
                    op,
                    shape,
                }),
                _ => Err(Reply::Error(
                    "ERR VSESSION wraps key-value commands only".into(),
                )),
            }
        }
        ("PING", []) => Ok(Request::Local(Reply::Simple("PONG".into()))),
        ("PING", [msg]) => Ok(Request::Local(Reply::bulk(msg))),
        ("INFO", _) => Ok(Request::Info),
        ("VCLOCK", [rate]) => std::str::from_utf8(rate)
            .ok()
            .and_then(|r| r.parse::<f64>().ok())
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(Request::Clock)
            .ok_or_else(|| Reply::Error("ERR VCLOCK takes a rate, a positive number".into())),
        ("QUIT", _) => Ok(Request::Quit),
        // Sent by redis-cli and redis-benchmark on connecting; they cope with empty answers.
        ("COMMAND" | "CONFIG", _) => Ok(Request::Local(Reply::Array(Some(Vec::new())))),
        ("CLIENT", _) => Ok(Request::Local(Reply::Simple("OK".into()))),
        ("SELECT", [db]) if db.as_slice() == b"0" => Ok(Request::Local(Reply::Simple("OK".into()))),
        (
            "GET" | "EXISTS" | "SET" | "APPEND" | "DEL" | "CAS" | "VSESSION" | "PING" | "SELECT"
            | "VCLOCK",
            _,
        ) => Err(arity(&name)),
        _ => Err(Reply::Error(format!(
            "ERR unknown command '{}'",
            name.to_ascii_lowercase()
        ))),
    }
}

/// The reply to a key-value output.
pub fn render(shape: Shape, out: KvOutput) -> Reply {
    let bulk = |v: Option<Text>| Reply::Bulk(v.map(|s| s.as_bytes().to_vec()));
    match (shape, out) {
        (_, KvOutput::Stale) => Reply::Error(
            "ERR stale request: the session has already moved past this sequence number".into(),
        ),
        (Shape::Value, KvOutput::Value(v)) => bulk(v),
        (Shape::Exists, KvOutput::Value(v)) => Reply::Int(i64::from(v.is_some())),
        (Shape::Cas, KvOutput::Cas { swapped, found }) => {
            Reply::Array(Some(vec![Reply::Int(i64::from(swapped)), bulk(found)]))
        }
        (_, KvOutput::Done) => Reply::Simple("OK".into()),
        // A retry answered from the session gets the first request's output; with the same
        // (client, seq) that is the same command, so the shapes agree. Anything else is a
        // client that reused a sequence number for another command.
        (_, other) => Reply::Error(format!(
            "ERR session answered a different command for this sequence number ({other})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Vec<u8>> {
        s.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn commands_map_to_operations() {
        let Ok(Request::Kv { session, op, shape }) = parse(&args("VSESSION 9 4 cas k - v")) else {
            panic!("not a kv request")
        };
        assert_eq!(session, Some((9, 4)));
        assert_eq!(shape, Shape::Cas);
        assert_eq!(
            op,
            KvOp::Cas {
                key: "k".into(),
                expected: Some("-".into()),
                new: "v".into()
            }
        );
        assert!(matches!(parse(&args("set k")), Err(Reply::Error(e)) if e.contains("arguments")));
        assert!(parse(&args("FLUSHALL")).is_err());
        assert!(parse(&[b"GET".to_vec(), vec![0xff]]).is_err());
    }
}
