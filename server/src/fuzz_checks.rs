//! The checks of the `resp` and `peer_frame` fuzz targets, as plain functions, so that
//! `cargo test` runs them on stable over hand-picked inputs and the fuzz targets stay thin.
//! Each returns `Err` with a description when a property fails; a panic is a failure too.
use crate::resp::{parse_command, parse_reply, Reply};
use crate::wire::{decode_frame, encode_frame};

/// On arbitrary bytes: the command parser and the reply parser never panic, never claim more
/// bytes than they were given, and what they parse survives encoding and parsing again; the
/// command table never panics on parsed arguments.
pub fn resp(data: &[u8]) -> Result<(), String> {
    if let Some((args, used)) = parse_command(data).map_err(|_| ()).ok().flatten() {
        if used == 0 || used > data.len() {
            return Err(format!(
                "command parser used {used} of {} bytes",
                data.len()
            ));
        }
        let _ = crate::command::parse(&args);
        if !args.is_empty() && args.iter().all(|a| !a.is_empty()) {
            // Any arguments, re-sent as the array of bulk strings a client library sends,
            // parse back to themselves.
            let mut out = format!("*{}\r\n", args.len()).into_bytes();
            for a in &args {
                out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                out.extend_from_slice(a);
                out.extend_from_slice(b"\r\n");
            }
            match parse_command(&out) {
                Ok(Some((again, n))) if again == args && n == out.len() => {}
                other => return Err(format!("{args:?} re-encoded parsed as {other:?}")),
            }
        }
    }
    if let Some((reply, used)) = parse_reply(data).map_err(|_| ()).ok().flatten() {
        if used == 0 || used > data.len() {
            return Err(format!("reply parser used {used} of {} bytes", data.len()));
        }
        // Encoding normalizes (line breaks inside simple strings become spaces); once
        // normalized, a reply round-trips exactly.
        let once = encoded(&reply);
        let again = match parse_reply(&once) {
            Ok(Some((r, n))) if n == once.len() => r,
            other => return Err(format!("{reply:?} encoded parsed as {other:?}")),
        };
        if encoded(&again) != once {
            return Err(format!("{reply:?} does not round-trip: {again:?}"));
        }
    }
    Ok(())
}

fn encoded(r: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    r.encode(&mut out);
    out
}

/// On arbitrary bytes: the peer frame decoder never panics nor claims more bytes than it was
/// given, and a frame it decodes encodes and decodes back to itself.
pub fn peer_frame(data: &[u8]) -> Result<(), String> {
    if let Ok(Some((frame, used))) = decode_frame(data) {
        if used > data.len() {
            return Err(format!("decoder used {used} of {} bytes", data.len()));
        }
        let mut out = Vec::new();
        encode_frame(&frame, &mut out).map_err(|e| format!("{frame:?} does not encode: {e}"))?;
        match decode_frame(&out) {
            Ok(Some((again, n))) if again == frame && n == out.len() => {}
            other => return Err(format!("{frame:?} re-encoded decoded as {other:?}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fuzz_checks_hold_on_sample_inputs() {
        let samples: &[&[u8]] = &[
            b"",
            b"*2\r\n$3\r\nGET\r\n$1\r\nx\r\n",
            b"PING hello\r\n",
            b"*1\r\n$-1\r\n",
            b"+a\rb\r\n",
            b"*2\r\n:1\r\n$-1\r\n",
            b"-MOVED 0 127.0.0.1:1\r\n",
            b"*3\r\n*1\r\n+x\r\n",
            b"\n",
            &[3, 0, 0, 0, 1, 0, 0],
            &[2, 0, 0, 0, 1, 1],
            &[0xff, 0xff, 0xff, 0xff],
        ];
        for s in samples {
            resp(s).unwrap();
            peer_frame(s).unwrap();
        }
    }

    /// The seed corpora are real traffic: each seed parses whole, so the fuzzer starts from
    /// inputs that reach past the first check.
    #[test]
    fn the_seed_corpora_parse() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
        for f in std::fs::read_dir(corpus.join("peer_frame")).unwrap() {
            let bytes = std::fs::read(f.unwrap().path()).unwrap();
            assert!(matches!(decode_frame(&bytes), Ok(Some(_))));
            peer_frame(&bytes).unwrap();
        }
        for f in std::fs::read_dir(corpus.join("resp")).unwrap() {
            let bytes = std::fs::read(f.unwrap().path()).unwrap();
            let parsed = parse_command(&bytes).map(|c| c.is_some()).unwrap_or(false)
                || parse_reply(&bytes).map(|r| r.is_some()).unwrap_or(false);
            assert!(parsed);
            resp(&bytes).unwrap();
        }
    }
}
