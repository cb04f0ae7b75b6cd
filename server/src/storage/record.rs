//! The framing of one record in the log file: `[length u32 LE][crc32 u32 LE][body]`, the
//! checksum taken over the body. A crash can leave the last record half written, and a bad
//! disk can flip bytes anywhere: `scan` stops at the first record whose frame or checksum is
//! wrong, so what is handed back is exactly the prefix that was written whole.
use crc32fast::Hasher;

/// Bytes before each record's body.
pub const HEADER: usize = 8;

/// A body longer than this is taken for a corrupt length field rather than allocated: no
/// single Ready of the core comes close (64 entries per append, small commands).
pub const MAX_BODY: usize = 64 << 20;

/// Append one framed record holding `body` to `out`. Refuses a body over [`MAX_BODY`],
/// which `scan` would take for damage.
pub fn frame(body: &[u8], out: &mut Vec<u8>) -> Result<(), Damage> {
    if body.len() > MAX_BODY {
        return Err(Damage::Length(body.len() as u32));
    }
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(body).to_le_bytes());
    out.extend_from_slice(body);
    Ok(())
}

fn checksum(body: &[u8]) -> u32 {
    let mut h = Hasher::new();
    h.update(body);
    h.finalize()
}

/// Why the scan stopped before the end of the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// Fewer bytes than a header or than the header's length: a write cut short.
    Truncated {
        /// Bytes present from the record's start.
        have: usize,
        /// Bytes the record needs (header included; 8 when the header itself is cut).
        need: usize,
    },
    /// The length field is beyond [`MAX_BODY`].
    Length(u32),
    /// The body does not match its checksum.
    Checksum,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::Truncated { have, need } => {
                write!(f, "record cut short ({have} of {need} bytes)")
            }
            Damage::Length(n) => {
                write!(f, "record length {n} is beyond the {MAX_BODY}-byte limit")
            }
            Damage::Checksum => write!(f, "record checksum mismatch"),
        }
    }
}

/// What [`scan`] found: each whole record as (offset of its frame, body), and where the
/// damage starts and what it is, if the bytes do not end with a whole record.
pub type Scan<'a> = (Vec<(usize, &'a [u8])>, Option<(usize, Damage)>);

/// The records of `bytes` in order, each as (offset of its frame, body), up to the first
/// damaged one; with the offset where the damage starts and what it is.
pub fn scan(bytes: &[u8]) -> Scan<'_> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match record_at(&bytes[at..]) {
            Ok(body) => {
                out.push((at, body));
                at += HEADER + body.len();
            }
            Err(d) => return (out, Some((at, d))),
        }
    }
    (out, None)
}

fn record_at(bytes: &[u8]) -> Result<&[u8], Damage> {
    let have = bytes.len();
    if have < HEADER {
        return Err(Damage::Truncated { have, need: HEADER });
    }
    let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let crc = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if len as usize > MAX_BODY {
        return Err(Damage::Length(len));
    }
    let need = HEADER + len as usize;
    if have < need {
        return Err(Damage::Truncated { have, need });
    }
    let body = &bytes[HEADER..need];
    if checksum(body) != crc {
        return Err(Damage::Checksum);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_cut_is_found_at_every_byte() {
        let mut buf = Vec::new();
        frame(b"hello", &mut buf).unwrap();
        frame(b"", &mut buf).unwrap();
        frame(b"world!", &mut buf).unwrap();
        let (recs, damage) = scan(&buf);
        assert_eq!(damage, None);
        let bodies: Vec<&[u8]> = recs.iter().map(|r| r.1).collect();
        assert_eq!(bodies, vec![&b"hello"[..], b"", b"world!"]);
        let last = recs[2].0;
        for cut in last + 1..buf.len() {
            let (recs, damage) = scan(&buf[..cut]);
            assert_eq!(recs.len(), 2);
            assert!(matches!(damage, Some((at, Damage::Truncated { .. })) if at == last));
        }
    }

    #[test]
    fn a_flipped_byte_is_a_checksum_or_length_error() {
        let mut buf = Vec::new();
        frame(b"abcdef", &mut buf).unwrap();
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x40;
            let (recs, damage) = scan(&bad);
            assert!(recs.is_empty(), "flip at {i} went unnoticed");
            assert!(damage.is_some());
        }
    }
}
