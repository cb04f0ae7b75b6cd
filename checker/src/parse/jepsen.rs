//! Jepsen's etcd register log: one event per line, `PROCESS :TYPE :F VALUE` after any
//! logger prefix, e.g. `INFO  jepsen.util - 3 :invoke :cas [1 4]`. Fields may be separated by
//! tabs or spaces. The line position is the event's time.
//!
//! - `:ok` completes the operation (a read returns VALUE, `nil` for the empty register).
//! - `:fail` on a `cas` means the comparison failed; on a `read` it carries no information
//!   (outcome unknown); on a `write` the write did not happen.
//! - `:info` means the outcome is unknown: it may take effect later, or never.
//! - Operations still pending at the end have an unknown outcome.
//! - Lines of the nemesis process are skipped.
use super::{text, ParseError};
use crate::history::{EventLog, History};
use crate::models::{RegisterInput, RegisterOutput};

const TYPES: [&str; 4] = [":invoke", ":ok", ":fail", ":info"];

fn int(s: &str, line: usize, what: &str) -> Result<i64, ParseError> {
    s.parse()
        .map_err(|_| ParseError::new(line, format!("expected an integer {what}, found {s:?}")))
}

fn optional_int(s: &str, line: usize) -> Result<Option<i64>, ParseError> {
    if s == "nil" {
        Ok(None)
    } else {
        int(s, line, "or nil").map(Some)
    }
}

/// `[FROM TO]`, possibly split over two fields.
fn cas_args(value: &[&str], line: usize) -> Result<(i64, i64), ParseError> {
    let joined = value.join(" ");
    let inner = joined
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| ParseError::new(line, format!("expected [FROM TO], found {joined:?}")))?;
    let parts: Vec<&str> = inner.split_whitespace().collect();
    match parts.as_slice() {
        [a, b] => Ok((int(a, line, "FROM")?, int(b, line, "TO")?)),
        _ => Err(ParseError::new(
            line,
            format!("expected [FROM TO], found {joined:?}"),
        )),
    }
}

pub fn parse(bytes: &[u8]) -> Result<History<RegisterInput, RegisterOutput>, ParseError> {
    let mut log = EventLog::new();
    for (k, raw) in text(bytes)?.lines().enumerate() {
        let line = k + 1;
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let Some(t) = fields.iter().position(|f| TYPES.contains(f)) else {
            return Err(ParseError::new(
                line,
                "expected a Jepsen event: PROCESS :invoke|:ok|:fail|:info :F VALUE",
            ));
        };
        let process = if t > 0 { fields[t - 1] } else { "" };
        if process == ":nemesis" {
            continue;
        }
        let client: u64 = process.parse().map_err(|_| {
            ParseError::new(
                line,
                format!(
                    "expected a process number before {}, found {process:?}",
                    fields[t]
                ),
            )
        })?;
        let f = *fields.get(t + 1).ok_or_else(|| {
            ParseError::new(line, "missing the operation (:read, :write or :cas)")
        })?;
        let value = &fields[t + 2..];
        let one = || -> Result<&str, ParseError> {
            match value {
                [v] => Ok(v),
                _ => Err(ParseError::new(
                    line,
                    format!("expected one value after {f}, found {:?}", value.join(" ")),
                )),
            }
        };
        let event = |e| ParseError::event(line, e);
        match fields[t] {
            ":invoke" => {
                let input = match f {
                    ":read" => RegisterInput::Read,
                    ":write" => RegisterInput::Write(int(one()?, line, "to write")?),
                    ":cas" => {
                        let (from, to) = cas_args(value, line)?;
                        RegisterInput::Cas { from, to }
                    }
                    _ => {
                        return Err(ParseError::new(
                            line,
                            format!("unknown operation {f:?} (expected :read, :write or :cas)"),
                        ))
                    }
                };
                log.invoke(client, input).map_err(event)?;
            }
            kind => {
                let Some(input) = log.pending_input(client).copied() else {
                    return Err(ParseError::new(
                        line,
                        format!("process {client} completes an operation it never invoked"),
                    ));
                };
                let invoked = match input {
                    RegisterInput::Read => ":read",
                    RegisterInput::Write(_) => ":write",
                    RegisterInput::Cas { .. } => ":cas",
                };
                if f != invoked {
                    return Err(ParseError::new(
                        line,
                        format!("process {client} invoked {invoked} but completes {f}"),
                    ));
                }
                match (kind, input) {
                    (":info", _) | (":fail", RegisterInput::Read) => log.give_up(client),
                    (":fail", RegisterInput::Cas { .. }) => {
                        log.complete(client, RegisterOutput::Cas(false))
                    }
                    (":fail", _) => log.discard(client),
                    (_, RegisterInput::Read) => {
                        let v = optional_int(one()?, line)?;
                        log.complete(client, RegisterOutput::Read(v))
                    }
                    (_, RegisterInput::Write(_)) => log.complete(client, RegisterOutput::Write),
                    (_, RegisterInput::Cas { .. }) => {
                        log.complete(client, RegisterOutput::Cas(true))
                    }
                }
                .map_err(event)?;
            }
        }
    }
    Ok(log.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_and_outcomes() {
        let log = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\
                   INFO  jepsen.util - 1 :invoke :cas [1 2]\n\
                   INFO  jepsen.util - 0\t:ok\t:read\t3\n\
                   INFO  jepsen.util - 1\t:fail\t:cas\t[1 2]\n\
                   INFO  jepsen.util - 2\t:invoke\t:write\t4\n\
                   INFO  jepsen.util - 2\t:info\t:write\t:timed-out\n\
                   \n\
                   INFO  jepsen.util - 3\t:invoke\t:read\tnil\n\
                   INFO  jepsen.util - 3\t:fail\t:read\t:timed-out\n\
                   INFO  jepsen.util - 4\t:invoke\t:write\t1\n";
        let h = parse(log.as_bytes()).unwrap();
        let ops = h.ops();
        assert_eq!(ops.len(), 5);
        assert_eq!(ops[0].output, Some(RegisterOutput::Read(Some(3))));
        assert_eq!(ops[1].input, RegisterInput::Cas { from: 1, to: 2 });
        assert_eq!(ops[1].output, Some(RegisterOutput::Cas(false)));
        assert_eq!((ops[2].output, ops[2].ret), (None, Some(5)));
        assert_eq!(ops[3].output, None);
        assert_eq!((ops[4].output, ops[4].ret), (None, None));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("0 :invoke :read nil\n0 :invoke :read nil", 2),
            ("0 :ok :read 1", 1),
            ("x :invoke :read nil", 1),
            ("0 :invoke :cas [1]", 1),
            ("0 :invoke :frob 1", 1),
            ("\n\nhello", 3),
            ("0 :invoke :read nil\n0 :ok :write 1", 2),
            ("0 :invoke", 1),
        ];
        for (input, line) in cases {
            let e = parse(input.as_bytes()).unwrap_err();
            assert_eq!(e.line, line, "{input:?}: {e}");
        }
    }
}
