//! RESP, the Redis serialization protocol (version 2): the request parser, the reply type and
//! its encoder, and a reply parser for verraft's own client.
//!
//! The parsers are plain functions over bytes returning `Result`, so the RESP fuzz target
//! calls them directly. Each returns `Ok(None)` while its input holds only part of a value.
use std::fmt;

/// Most arguments in one command.
pub const MAX_ARGS: usize = 1024;
/// Longest bulk string (one key or value) accepted. Sized so that an AppendEntries of the
/// core's 64 entries, each a key and a value this long, fits in one peer frame
/// (`wire::MAX_FRAME`, 16 MiB) with room to spare.
pub const MAX_BULK: usize = 64 << 10;
/// Longest line (an inline command, a length or a simple string).
pub const MAX_LINE: usize = 64 << 10;
/// Deepest nesting of arrays in a reply.
const MAX_DEPTH: usize = 8;

/// A command's arguments and the bytes it took from the buffer.
pub type Parsed = (Vec<Vec<u8>>, usize);

/// Why bytes are not RESP. The connection is closed with this as the logged reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RespError {
    /// Malformed input, described.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A length or count beyond the limits above.
    #[error("too large: {0}")]
    TooLarge(String),
}

fn protocol(msg: impl Into<String>) -> RespError {
    RespError::Protocol(msg.into())
}

/// A reply (RESP2 types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`-style status.
    Simple(String),
    /// `-ERR ...`: the text after the dash.
    Error(String),
    /// `:n`.
    Int(i64),
    /// `$n` bulk string, `None` for the null bulk string `$-1`.
    Bulk(Option<Vec<u8>>),
    /// `*n` array, `None` for the null array `*-1`.
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// Append the RESP encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            // Simple strings and errors cannot hold line breaks: replace them, the text is
            // for people.
            Reply::Simple(s) => line(out, b'+', s),
            Reply::Error(s) => line(out, b'-', s),
            Reply::Int(n) => out.extend_from_slice(format!(":{n}\r\n").as_bytes()),
            Reply::Bulk(None) => out.extend_from_slice(b"$-1\r\n"),
            Reply::Bulk(Some(b)) => {
                out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Array(None) => out.extend_from_slice(b"*-1\r\n"),
            Reply::Array(Some(items)) => {
                out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
                for item in items {
                    item.encode(out);
                }
            }
        }
    }

    /// A bulk string from text.
    pub fn bulk(s: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(Some(s.as_ref().to_vec()))
    }
}

fn line(out: &mut Vec<u8>, tag: u8, s: &str) {
    out.push(tag);
    out.extend(
        s.bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.extend_from_slice(b"\r\n");
}

impl fmt::Display for Reply {
    /// As `redis-cli` prints replies, roughly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Simple(s) => write!(f, "{s}"),
            Reply::Error(s) => write!(f, "(error) {s}"),
            Reply::Int(n) => write!(f, "(integer) {n}"),
            Reply::Bulk(None) | Reply::Array(None) => write!(f, "(nil)"),
            Reply::Bulk(Some(b)) => write!(f, "\"{}\"", String::from_utf8_lossy(b)),
            Reply::Array(Some(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{}) {item}", i + 1)?;
                }
                Ok(())
            }
        }
    }
}

/// The line at the start of `buf` (without its CRLF) and the bytes it took with the CRLF.
fn read_line(buf: &[u8]) -> Result<Option<(&[u8], usize)>, RespError> {
    match buf.iter().position(|&b| b == b'\n') {
        Some(nl) if nl > 0 && buf[nl - 1] == b'\r' => Ok(Some((&buf[..nl - 1], nl + 1))),
        Some(_) => Err(protocol("line not ended by CRLF")),
        None if buf.len() > MAX_LINE => Err(RespError::TooLarge("line".into())),
        None => Ok(None),
    }
}

fn number(digits: &[u8]) -> Result<i64, RespError> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| protocol(format!("bad number {:?}", String::from_utf8_lossy(digits))))
}

/// A length field: -1 (null) or 0..=max.
fn length(digits: &[u8], max: usize, what: &str) -> Result<Option<usize>, RespError> {
    match number(digits)? {
        -1 => Ok(None),
        n if n < 0 => Err(protocol(format!("negative {what} {n}"))),
        n if n as u64 > max as u64 => Err(RespError::TooLarge(format!("{what} {n}"))),
        n => Ok(Some(n as usize)),
    }
}

/// A bulk string's body after its `$n` line: `Ok(None)` when not all there yet.
fn bulk_body(buf: &[u8], len: usize) -> Result<Option<(&[u8], usize)>, RespError> {
    let Some(tail) = buf.get(len..len + 2) else {
        return Ok(None);
    };
    if tail != b"\r\n" {
        return Err(protocol("bulk string not followed by CRLF"));
    }
    Ok(Some((&buf[..len], len + 2)))
}

/// One command from a client: an array of bulk strings (what every client library and
/// `redis-cli` send), or an inline command (a line of words, as typed into telnet). Returns
/// the arguments and the bytes used; an empty line gives no arguments.
pub fn parse_command(buf: &[u8]) -> Result<Option<Parsed>, RespError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first != b'*' {
        return inline(buf);
    }
    let Some((head, mut at)) = read_line(buf)? else {
        return Ok(None);
    };
    let count = length(&head[1..], MAX_ARGS, "argument count")?.unwrap_or(0);
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        let Some((line, used)) = read_line(&buf[at..])? else {
            return Ok(None);
        };
        if line.first() != Some(&b'$') {
            return Err(protocol("command argument is not a bulk string"));
        }
        let len = length(&line[1..], MAX_BULK, "bulk length")?
            .ok_or_else(|| protocol("null bulk string as an argument"))?;
        at += used;
        let Some((body, used)) = bulk_body(&buf[at..], len)? else {
            return Ok(None);
        };
        args.push(body.to_vec());
        at += used;
    }
    Ok(Some((args, at)))
}

fn inline(buf: &[u8]) -> Result<Option<Parsed>, RespError> {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > MAX_LINE {
            return Err(RespError::TooLarge("inline command".into()));
        }
        return Ok(None);
    };
    let args: Vec<Vec<u8>> = buf[..nl]
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    if args.len() > MAX_ARGS {
        return Err(RespError::TooLarge("inline argument count".into()));
    }
    Ok(Some((args, nl + 1)))
}

/// One reply from a server, and the bytes it took.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, RespError> {
    reply_at(buf, 0)
}

fn reply_at(buf: &[u8], depth: usize) -> Result<Option<(Reply, usize)>, RespError> {
    if depth > MAX_DEPTH {
        return Err(RespError::TooLarge("reply nesting".into()));
    }
    let Some((line, mut at)) = read_line(buf)? else {
        return Ok(None);
    };
    let Some((&tag, rest)) = line.split_first() else {
        return Err(protocol("empty reply line"));
    };
    let text = || String::from_utf8_lossy(rest).into_owned();
    let reply = match tag {
        b'+' => Reply::Simple(text()),
        b'-' => Reply::Error(text()),
        b':' => Reply::Int(number(rest)?),
        b'$' => match length(rest, MAX_BULK, "bulk length")? {
            None => Reply::Bulk(None),
            Some(len) => {
                let Some((body, used)) = bulk_body(&buf[at..], len)? else {
                    return Ok(None);
                };
                at += used;
                Reply::Bulk(Some(body.to_vec()))
            }
        },
        b'*' => match length(rest, MAX_ARGS, "array length")? {
            None => Reply::Array(None),
            Some(n) => {
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    let Some((item, used)) = reply_at(&buf[at..], depth + 1)? else {
                        return Ok(None);
                    };
                    items.push(item);
                    at += used;
                }
                Reply::Array(Some(items))
            }
        },
        other => return Err(protocol(format!("unknown reply type {:?}", other as char))),
    };
    Ok(Some((reply, at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_whole_and_wait_when_partial() {
        let cmd = b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2\r\n10\r\n";
        let (args, used) = parse_command(cmd).unwrap().unwrap();
        assert_eq!(args, vec![b"SET".to_vec(), b"x".to_vec(), b"10".to_vec()]);
        assert_eq!(used, cmd.len());
        for cut in 0..cmd.len() {
            assert_eq!(parse_command(&cmd[..cut]), Ok(None), "cut at {cut}");
        }
        let (args, used) = parse_command(b"get  k\r\nrest").unwrap().unwrap();
        assert_eq!((args, used), (vec![b"get".to_vec(), b"k".to_vec()], 8));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_command(b"*1\r\n:5\r\n").is_err());
        assert!(parse_command(b"*1\r\n$3\r\nabcd\r\n").is_err());
        assert!(parse_command(b"*-5\r\n").is_err());
        assert!(parse_command(b"*99999999\r\n").is_err());
        assert!(parse_command(b"*1\r\n$99999999999\r\n").is_err());
        assert!(parse_command(b"*1\n").is_err());
        assert!(parse_command(&[b'*'; MAX_LINE + 1]).is_err());
    }

    #[test]
    fn replies_round_trip() {
        let reply = Reply::Array(Some(vec![
            Reply::Int(1),
            Reply::bulk("v"),
            Reply::Bulk(None),
            Reply::Simple("OK".into()),
            Reply::Error("MOVED 0 127.0.0.1:6381".into()),
            Reply::Array(None),
        ]));
        let mut out = Vec::new();
        reply.encode(&mut out);
        assert_eq!(parse_reply(&out), Ok(Some((reply, out.len()))));
        for cut in 0..out.len() {
            assert_eq!(parse_reply(&out[..cut]), Ok(None));
        }
    }
}
