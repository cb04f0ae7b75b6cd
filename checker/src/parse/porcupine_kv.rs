//! Porcupine's key-value log: one map per line, in order of time:
//! `{:process P, :type :invoke|:ok|:fail|:info, :f :get|:put|:append, :key "K", :value "V"|nil}`.
//! An `:ok` get carries the value read (`nil` reads as the empty string); `:info` (outcome
//! unknown) and `:fail` (did not happen) are accepted too. Integer keys are read as strings.
use super::edn::{parse_map, Scalar};
use super::{text, ParseError};
use crate::history::{EventLog, History};
use crate::models::{KvInput, KvOutput};

struct Event {
    process: u64,
    kind: String,
    f: String,
    key: String,
    value: Option<String>,
}

fn event(line: usize, s: &str) -> Result<Event, ParseError> {
    let err = |m: String| ParseError::new(line, m);
    let map = parse_map(s).map_err(err)?;
    let field = |name: &str| map.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let keyword = |name: &str| match field(name) {
        Some(Scalar::Keyword(k)) => Ok(k.clone()),
        _ => Err(err(format!("missing keyword field :{name}"))),
    };
    let process = match field("process") {
        Some(Scalar::Int(p)) if *p >= 0 => *p as u64,
        _ => return Err(err("missing :process (a non-negative integer)".to_string())),
    };
    let key = match field("key") {
        Some(Scalar::Str(k)) => k.clone(),
        Some(Scalar::Int(k)) => k.to_string(),
        _ => return Err(err("missing :key (a string)".to_string())),
    };
    let value = match field("value") {
        None | Some(Scalar::Nil) => None,
        Some(Scalar::Str(v)) => Some(v.clone()),
        Some(Scalar::Int(v)) => Some(v.to_string()),
        Some(Scalar::Keyword(k)) => {
            return Err(err(format!(":value must be a string or nil, found :{k}")))
        }
    };
    Ok(Event {
        process,
        kind: keyword("type")?,
        f: keyword("f")?,
        key,
        value,
    })
}

pub fn parse(bytes: &[u8]) -> Result<History<KvInput, KvOutput>, ParseError> {
    let mut log: EventLog<KvInput, KvOutput> = EventLog::new();
    for (k, raw) in text(bytes)?.lines().enumerate() {
        let line = k + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let e = event(line, raw)?;
        let client = e.process;
        let result = match e.kind.as_str() {
            "invoke" => {
                let key = e.key;
                let input = match (e.f.as_str(), e.value) {
                    ("get", _) => KvInput::Get { key },
                    ("put", v) => KvInput::Put {
                        key,
                        value: v.unwrap_or_default().into(),
                    },
                    ("append", v) => KvInput::Append {
                        key,
                        value: v.unwrap_or_default().into(),
                    },
                    (f, _) => {
                        return Err(ParseError::new(
                            line,
                            format!("unknown :f :{f} (expected :get, :put or :append)"),
                        ))
                    }
                };
                log.invoke(client, input)
            }
            "ok" | "fail" | "info" => {
                let Some(input) = log.pending_input(client) else {
                    return Err(ParseError::new(
                        line,
                        format!("process {client} completes an operation it never invoked"),
                    ));
                };
                let (f, key) = match input {
                    KvInput::Get { key } => ("get", key),
                    KvInput::Put { key, .. } => ("put", key),
                    KvInput::Append { key, .. } => ("append", key),
                    // Not in porcupine's format: never invoked above.
                    KvInput::Cas { key, .. } => ("cas", key),
                };
                if e.f != f || e.key != *key {
                    return Err(ParseError::new(
                        line,
                        format!("process {client} invoked :{f} on key {key:?} but completes :{} on key {:?}", e.f, e.key),
                    ));
                }
                match e.kind.as_str() {
                    "ok" if f == "get" => {
                        log.complete(client, KvOutput::Value(e.value.unwrap_or_default().into()))
                    }
                    "ok" => log.complete(client, KvOutput::Done),
                    "fail" => log.discard(client),
                    _ => log.give_up(client),
                }
            }
            other => {
                return Err(ParseError::new(
                    line,
                    format!("unknown :type :{other} (expected :invoke, :ok, :fail or :info)"),
                ))
            }
        };
        result.map_err(|e| ParseError::event(line, e))?;
    }
    Ok(log.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_log() {
        let log = r#"{:process 0, :type :invoke, :f :append, :key "k", :value "ab"}
{:process 1, :type :invoke, :f :get, :key "k", :value nil}
{:process 0, :type :ok, :f :append, :key "k", :value "ab"}
{:process 1, :type :ok, :f :get, :key "k", :value "ab"}
{:process 2, :type :invoke, :f :put, :key "j", :value "x"}
"#;
        let h = parse(log.as_bytes()).unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h.ops()[1].output, Some(KvOutput::Value("ab".into())));
        assert_eq!((h.ops()[1].call, h.ops()[1].ret), (1, Some(3)));
        assert_eq!(h.ops()[2].output, None);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("{:process 0, :type :ok, :f :get, :key \"k\", :value nil}", 1),
            ("\n{:process 0, :type :invoke, :f :frob, :key \"k\"}", 2),
            ("{:process 0, :type :invoke, :f :get, :key \"k\"}\n{:process 0, :type :ok, :f :get, :key \"j\"}", 2),
            ("{:process -1, :type :invoke, :f :get, :key \"k\"}", 1),
            ("{:process 0, :type :invoke, :f :get}", 1),
            ("{:process 0, :type :begin, :f :get, :key \"k\"}", 1),
            ("{:process 0 :type", 1),
        ];
        for (input, line) in cases {
            let e = parse(input.as_bytes()).unwrap_err();
            assert_eq!(e.line, line, "{input:?}: {e}");
        }
    }
}
