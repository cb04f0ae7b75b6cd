//! verraft's JSON history format (documented in the crate docs).
use super::{line_of, text, ParseError, ParsedHistory};
use crate::history::{History, Operation, Time};
use crate::models::{KvInput, KvOutput, RegisterInput, RegisterOutput};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document<'a> {
    model: Option<String>,
    #[serde(borrow)]
    operations: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(tag = "f", rename_all = "lowercase", deny_unknown_fields)]
enum Input {
    Read,
    Write {
        value: i64,
    },
    /// A register's (integers, no key) or a store's (strings, with a key).
    Cas {
        key: Option<String>,
        from: Value,
        to: Value,
    },
    Get {
        key: String,
    },
    Put {
        key: String,
        value: String,
    },
    Append {
        key: String,
        value: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOp {
    client: u64,
    input: Input,
    #[serde(default)]
    output: Option<Map<String, Value>>,
    call: Time,
    #[serde(default)]
    ret: Option<Time>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    Register,
    Kv,
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::Register => "register",
            Family::Kv => "kv",
        }
    }
}

/// Typed operations of either family, kept apart so a mixed file is an error.
enum Ops {
    Register(Vec<Operation<RegisterInput, RegisterOutput>>),
    Kv(Vec<Operation<KvInput, KvOutput>>),
}

fn serde_line(base: usize, e: &serde_json::Error) -> usize {
    base + e.line().saturating_sub(1)
}

/// Strips serde's own "at line L column C" suffix: we report the absolute line ourselves.
fn message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn register_output(
    input: &RegisterInput,
    out: &Map<String, Value>,
) -> Result<RegisterOutput, String> {
    match input {
        RegisterInput::Read => match out.get("value") {
            Some(Value::Null) => Ok(RegisterOutput::Read(None)),
            Some(v) => v
                .as_i64()
                .map(|v| RegisterOutput::Read(Some(v)))
                .ok_or_else(|| format!("a read's output value must be an integer or null, found {v}")),
            None => Err("a read's output needs \"value\" (an integer or null)".to_string()),
        },
        RegisterInput::Write(_) => ok_flag(out, true).and_then(|ok| {
            if ok {
                Ok(RegisterOutput::Write)
            } else {
                Err("a write's output cannot be {\"ok\": false}: use output null if unknown, or omit the operation if it did not happen".to_string())
            }
        }),
        RegisterInput::Cas { .. } => match out.get("ok") {
            Some(Value::Bool(b)) => Ok(RegisterOutput::Cas(*b)),
            _ => Err("a cas's output needs \"ok\": true or false".to_string()),
        },
    }
}

fn ok_flag(out: &Map<String, Value>, default: bool) -> Result<bool, String> {
    match out.get("ok") {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(format!("\"ok\" must be a boolean, found {v}")),
    }
}

fn kv_output(input: &KvInput, out: &Map<String, Value>) -> Result<KvOutput, String> {
    match input {
        KvInput::Get { .. } => match out.get("value") {
            Some(Value::String(v)) => Ok(KvOutput::Value(v.as_str().into())),
            Some(Value::Null) => Ok(KvOutput::Value("".into())),
            _ => Err("a get's output needs \"value\" (a string)".to_string()),
        },
        KvInput::Cas { .. } => match out.get("ok") {
            Some(Value::Bool(b)) => Ok(KvOutput::Cas(*b)),
            _ => Err("a cas's output needs \"ok\": true or false".to_string()),
        },
        _ => match ok_flag(out, true)? {
            true => Ok(KvOutput::Done),
            false => Err("a put or append output cannot be {\"ok\": false}: use output null if unknown, or omit the operation if it did not happen".to_string()),
        },
    }
}

pub fn parse(bytes: &[u8]) -> Result<ParsedHistory, ParseError> {
    let src = text(bytes)?;
    let start = src.len() - src.trim_start().len();
    let (declared, raw_ops) = if src[start..].starts_with('[') {
        let ops: Vec<&RawValue> = serde_json::from_str(src)
            .map_err(|e| ParseError::new(serde_line(1, &e), message(&e)))?;
        (None, ops)
    } else {
        let doc: Document = serde_json::from_str(src)
            .map_err(|e| ParseError::new(serde_line(1, &e), message(&e)))?;
        let family = match doc.model.as_deref() {
            None => None,
            Some("register") => Some(Family::Register),
            Some("kv") => Some(Family::Kv),
            Some(m) => {
                let line = src.find("\"model\"").map_or(1, |o| line_of(bytes, o));
                return Err(ParseError::new(
                    line,
                    format!("unknown model {m:?} (expected \"register\" or \"kv\")"),
                ));
            }
        };
        (family, doc.operations)
    };
    let mut ops = match declared {
        Some(Family::Kv) => Ops::Kv(Vec::new()),
        _ => Ops::Register(Vec::new()),
    };
    let mut family = declared;
    for (index, raw) in raw_ops.iter().enumerate() {
        // The raw value borrows from `src`, so its address gives its line.
        let offset = (raw.get().as_ptr() as usize).saturating_sub(src.as_ptr() as usize);
        let line = line_of(bytes, offset);
        let op: RawOp = serde_json::from_str(raw.get())
            .map_err(|e| ParseError::new(serde_line(line, &e), message(&e)))?;
        let this = match op.input {
            Input::Read | Input::Write { .. } | Input::Cas { key: None, .. } => Family::Register,
            _ => Family::Kv,
        };
        match family {
            None => {
                family = Some(this);
                if this == Family::Kv {
                    ops = Ops::Kv(Vec::new());
                }
            }
            Some(f) if f != this => {
                return Err(ParseError::new(
                    line,
                    format!(
                        "operation {index} is a {} operation in a {} history",
                        this.name(),
                        f.name()
                    ),
                ))
            }
            Some(_) => {}
        }
        let err = |m: String| ParseError::new(line, format!("operation {index}: {m}"));
        if let Some(ret) = op.ret {
            if ret < op.call {
                return Err(err(format!("ret {ret} is before call {}", op.call)));
            }
        } else if op.output.is_some() {
            return Err(err("a known output needs \"ret\"".to_string()));
        }
        match (&mut ops, op.input) {
            (Ops::Register(v), input) => {
                let input = match input {
                    Input::Read => RegisterInput::Read,
                    Input::Write { value } => RegisterInput::Write(value),
                    Input::Cas { from, to, .. } => match (from.as_i64(), to.as_i64()) {
                        (Some(from), Some(to)) => RegisterInput::Cas { from, to },
                        _ => {
                            return Err(err(
                                "a register cas's \"from\" and \"to\" must be integers".to_string(),
                            ))
                        }
                    },
                    // Excluded by the family check above.
                    _ => return Err(err("not a register operation".to_string())),
                };
                let output = op
                    .output
                    .map(|o| register_output(&input, &o))
                    .transpose()
                    .map_err(err)?;
                v.push(Operation {
                    client: op.client,
                    input,
                    output,
                    call: op.call,
                    ret: op.ret,
                });
            }
            (Ops::Kv(v), input) => {
                let input = match input {
                    Input::Get { key } => KvInput::Get { key },
                    Input::Put { key, value } => KvInput::Put {
                        key,
                        value: value.into(),
                    },
                    Input::Append { key, value } => KvInput::Append {
                        key,
                        value: value.into(),
                    },
                    Input::Cas {
                        key: Some(key),
                        from: Value::String(from),
                        to: Value::String(to),
                    } => KvInput::Cas {
                        key,
                        from: from.into(),
                        to: to.into(),
                    },
                    Input::Cas { key: Some(_), .. } => {
                        return Err(err(
                            "a key-value cas's \"from\" and \"to\" must be strings".to_string()
                        ))
                    }
                    _ => return Err(err("not a key-value operation".to_string())),
                };
                let output = op
                    .output
                    .map(|o| kv_output(&input, &o))
                    .transpose()
                    .map_err(err)?;
                v.push(Operation {
                    client: op.client,
                    input,
                    output,
                    call: op.call,
                    ret: op.ret,
                });
            }
        }
    }
    // Validated above, so History::new cannot fail; map its error anyway rather than panic.
    let invalid = |e: crate::history::HistoryError| ParseError::new(1, e.to_string());
    Ok(match ops {
        Ops::Register(v) => ParsedHistory::Register(History::new(v).map_err(invalid)?),
        Ops::Kv(v) => ParsedHistory::Kv(History::new(v).map_err(invalid)?),
    })
}

/// Writes a history in the JSON format (the inverse of [`parse`]).
pub fn to_json(history: &ParsedHistory) -> String {
    fn op_json(
        client: u64,
        input: Value,
        output: Option<Value>,
        call: Time,
        ret: Option<Time>,
    ) -> Value {
        serde_json::json!({"client": client, "input": input, "output": output, "call": call, "ret": ret})
    }
    let (model, ops): (&str, Vec<Value>) = match history {
        ParsedHistory::Register(h) => (
            "register",
            h.ops()
                .iter()
                .map(|o| {
                    let input = match o.input {
                        RegisterInput::Read => serde_json::json!({"f": "read"}),
                        RegisterInput::Write(v) => serde_json::json!({"f": "write", "value": v}),
                        RegisterInput::Cas { from, to } => {
                            serde_json::json!({"f": "cas", "from": from, "to": to})
                        }
                    };
                    let output = o.output.map(|out| match out {
                        RegisterOutput::Read(v) => serde_json::json!({ "value": v }),
                        RegisterOutput::Write => serde_json::json!({}),
                        RegisterOutput::Cas(ok) => serde_json::json!({ "ok": ok }),
                    });
                    op_json(o.client, input, output, o.call, o.ret)
                })
                .collect(),
        ),
        ParsedHistory::Kv(h) => (
            "kv",
            h.ops()
                .iter()
                .map(|o| {
                    let input = match &o.input {
                        KvInput::Get { key } => serde_json::json!({"f": "get", "key": key}),
                        KvInput::Put { key, value } => {
                            serde_json::json!({"f": "put", "key": key, "value": value.as_str()})
                        }
                        KvInput::Append { key, value } => {
                            serde_json::json!({"f": "append", "key": key, "value": value.as_str()})
                        }
                        KvInput::Cas { key, from, to } => serde_json::json!(
                            {"f": "cas", "key": key, "from": from.as_str(), "to": to.as_str()}
                        ),
                    };
                    let output = o.output.as_ref().map(|out| match out {
                        KvOutput::Value(v) => serde_json::json!({ "value": v.as_str() }),
                        KvOutput::Done => serde_json::json!({}),
                        KvOutput::Cas(ok) => serde_json::json!({ "ok": ok }),
                    });
                    op_json(o.client, input, output, o.call, o.ret)
                })
                .collect(),
        ),
    };
    let mut s = String::from("{\"model\": \"");
    s.push_str(model);
    s.push_str("\", \"operations\": [\n");
    for (i, op) in ops.iter().enumerate() {
        s.push_str("  ");
        s.push_str(&op.to_string());
        s.push_str(if i + 1 < ops.len() { ",\n" } else { "\n" });
    }
    s.push_str("]}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_families_and_round_trips() {
        let doc = r#"[
  {"client": 0, "input": {"f": "write", "value": 1}, "output": {}, "call": 0, "ret": 3},
  {"client": 1, "input": {"f": "cas", "from": 1, "to": 2}, "output": null, "call": 1},
  {"client": 2, "input": {"f": "read"}, "output": {"value": null}, "call": 2, "ret": 4}
]"#;
        let h = parse(doc.as_bytes()).unwrap();
        let ParsedHistory::Register(r) = &h else {
            panic!("register expected")
        };
        assert_eq!(r.ops()[1].output, None);
        assert_eq!(r.ops()[2].output, Some(RegisterOutput::Read(None)));
        assert_eq!(parse(to_json(&h).as_bytes()).unwrap(), h);

        let kv = r#"{"model": "kv", "operations": [
  {"client": 0, "input": {"f": "append", "key": "a", "value": "x"}, "output": {"ok": true}, "call": 0, "ret": 1},
  {"client": 0, "input": {"f": "get", "key": "a"}, "output": {"value": "x"}, "call": 2, "ret": 3},
  {"client": 0, "input": {"f": "cas", "key": "a", "from": "x", "to": "y"}, "output": {"ok": true}, "call": 4, "ret": 5}
]}"#;
        let h = parse(kv.as_bytes()).unwrap();
        assert!(matches!(&h, ParsedHistory::Kv(k) if k.len() == 3));
        assert_eq!(parse(to_json(&h).as_bytes()).unwrap(), h);
        assert!(matches!(
            parse(br#"{"model": "kv", "operations": []}"#),
            Ok(ParsedHistory::Kv(_))
        ));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("[\n{\"client\": 0, \"input\": {\"f\": \"read\"}, \"output\": {\"value\": 1}, \"call\": 0}\n]", 2),
            ("[\n{\"client\": 0, \"input\": {\"f\": \"read\"}, \"output\": {\"value\": 1}, \"call\": 5, \"ret\": 4}\n]", 2),
            ("[\n\n{\"client\": 0,\n \"input\": {\"f\": \"zap\"}, \"call\": 0}]", 4),
            ("[{\"client\": 0, \"input\": {\"f\": \"read\"}, \"call\": 0},\n{\"client\": 0, \"input\": {\"f\": \"get\", \"key\": \"k\"}, \"call\": 0}]", 2),
            ("{\"model\": \"queue\", \"operations\": []}", 1),
            ("[\n{\"client\": 0, \"input\": {\"f\": \"cas\", \"from\": 1, \"to\": 2}, \"output\": {}, \"call\": 0, \"ret\": 1}]", 2),
            ("[\n{\"client\": 0, \"input\": {\"f\": \"cas\", \"from\": \"a\", \"to\": 2}, \"call\": 0}]", 2),
            ("[\n{\"client\": 0, \"input\": {\"f\": \"cas\", \"key\": \"k\", \"from\": 1, \"to\": \"b\"}, \"call\": 0}]", 2),
            ("[1,\n", 2),
        ];
        for (input, line) in cases {
            let e = parse(input.as_bytes()).unwrap_err();
            assert_eq!(e.line, line, "{input:?}: {e}");
        }
    }
}
