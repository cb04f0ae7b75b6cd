//! Reading histories from files: verraft's JSON, porcupine's key-value log and Jepsen's
//! etcd register log. Every parser returns one [`ParseError`] with a line number on bad
//! input and never panics, whatever the bytes.
mod edn;
pub mod jepsen;
pub mod json;
pub mod porcupine_kv;

use crate::history::{EventError, History};
use crate::models::{KvInput, KvOutput, RegisterInput, RegisterOutput};
use std::str::FromStr;

/// A file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Guess from the first non-blank line (see [`detect`]).
    Auto,
    Json,
    PorcupineKv,
    JepsenEtcd,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Format::Auto),
            "json" => Ok(Format::Json),
            "porcupine-kv" => Ok(Format::PorcupineKv),
            "jepsen-etcd" => Ok(Format::JepsenEtcd),
            _ => Err(format!(
                "unknown format {s:?} (expected auto, json, porcupine-kv or jepsen-etcd)"
            )),
        }
    }
}

/// A parsed history, typed by the model family its operations belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParsedHistory {
    Register(History<RegisterInput, RegisterOutput>),
    Kv(History<KvInput, KvOutput>),
}

impl ParsedHistory {
    pub fn len(&self) -> usize {
        match self {
            ParsedHistory::Register(h) => h.len(),
            ParsedHistory::Kv(h) => h.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Bad input: what and where (1-based line).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }

    pub(crate) fn event(line: usize, e: EventError) -> Self {
        ParseError::new(line, e.to_string())
    }
}

/// The input as text, or an error on the line of the first invalid UTF-8 byte.
pub(crate) fn text(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = line_of(bytes, e.valid_up_to());
        ParseError::new(line, "invalid UTF-8")
    })
}

/// The 1-based line of byte `offset`.
pub(crate) fn line_of(bytes: &[u8], offset: usize) -> usize {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Guesses the format from the first non-blank line: `{:` starts a porcupine map, `{` or
/// `[` starts JSON, anything else is taken as a Jepsen log.
pub fn detect(bytes: &[u8]) -> Format {
    let first = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    match first {
        [b'{', rest @ ..] if rest.trim_ascii_start().starts_with(b":") => Format::PorcupineKv,
        [b'{' | b'[', ..] => Format::Json,
        _ => Format::JepsenEtcd,
    }
}

/// Parses a history in `format` (or the detected one for [`Format::Auto`]).
pub fn parse_history(bytes: &[u8], format: Format) -> Result<ParsedHistory, ParseError> {
    match format {
        Format::Auto => parse_history(bytes, detect(bytes)),
        Format::Json => json::parse(bytes),
        Format::PorcupineKv => porcupine_kv::parse(bytes).map(ParsedHistory::Kv),
        Format::JepsenEtcd => jepsen::parse(bytes).map(ParsedHistory::Register),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(
            detect(b"\n  {:process 1, :type :invoke}"),
            Format::PorcupineKv
        );
        assert_eq!(detect(b"[]"), Format::Json);
        assert_eq!(detect(b"{\"operations\": []}"), Format::Json);
        assert_eq!(
            detect(b"INFO  jepsen.util - 0\t:invoke\t:read\tnil"),
            Format::JepsenEtcd
        );
        assert_eq!(detect(b""), Format::JepsenEtcd);
    }

    #[test]
    fn invalid_utf8_reports_its_line() {
        let e = parse_history(b"\n\n\xff", Format::JepsenEtcd).unwrap_err();
        assert_eq!(e.line, 3);
    }
}
