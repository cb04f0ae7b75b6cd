//! The peer protocol: frames `[length u32 LE][version u8][postcard body]` over TCP, the
//! length counting the version byte and the body. The first frame on a connection is a
//! `Hello` naming the sender; every later one carries one Raft message from it.
//!
//! `decode_frame` is a plain function over bytes, so the peer fuzz target calls it directly.
use serde::{Deserialize, Serialize};
use verraft_core::{Message, NodeId};
use verraft_kv::KvCommand;

/// The protocol version this build speaks; a frame of any other version closes the connection.
pub const VERSION: u8 = 1;

/// The largest frame accepted (length field included in neither): bigger is taken for garbage
/// or an attack. An AppendEntries of 64 entries of kilobyte-sized commands is far below it.
pub const MAX_FRAME: usize = 16 << 20;

/// What a peer connection carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerFrame {
    /// The first frame: who dials whom, and where the dialer serves clients (so a follower
    /// can redirect clients to the leader's client port).
    Hello {
        /// The dialing node.
        from: NodeId,
        /// The node it believes it dialed.
        to: NodeId,
        /// The dialer's client (RESP) address, `host:port`.
        client_addr: String,
    },
    /// A Raft message from the node named in `Hello`.
    Msg(Message<KvCommand>),
}

/// Why bytes are not a valid frame. Any of these closes the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length field is beyond [`MAX_FRAME`].
    #[error("frame of {0} bytes exceeds the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    /// A frame of length 0 has no version byte.
    #[error("empty frame")]
    Empty,
    /// A protocol version this build does not speak.
    #[error("unknown protocol version {0} (this node speaks {VERSION})")]
    Version(u8),
    /// The body is not a `PeerFrame`, or has bytes left over after one.
    #[error("undecodable frame: {0}")]
    Decode(String),
}

/// Append the encoding of `frame` to `out`.
pub fn encode_frame(frame: &PeerFrame, out: &mut Vec<u8>) -> Result<(), FrameError> {
    let body = postcard::to_allocvec(frame).map_err(|e| FrameError::Decode(e.to_string()))?;
    let len = body.len() + 1;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.push(VERSION);
    out.extend_from_slice(&body);
    Ok(())
}

/// The first frame in `buf` and the bytes it took; `Ok(None)` when `buf` holds only part of
/// one (read more). Checks the length before waiting for the body, so an oversized frame is
/// refused at once rather than buffered.
pub fn decode_frame(buf: &[u8]) -> Result<Option<(PeerFrame, usize)>, FrameError> {
    let Some(head) = buf.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    if len == 0 {
        return Err(FrameError::Empty);
    }
    let Some(frame) = buf.get(4..4 + len) else {
        return Ok(None);
    };
    if frame[0] != VERSION {
        return Err(FrameError::Version(frame[0]));
    }
    let (decoded, rest) = postcard::take_from_bytes::<PeerFrame>(&frame[1..])
        .map_err(|e| FrameError::Decode(e.to_string()))?;
    if !rest.is_empty() {
        return Err(FrameError::Decode(format!(
            "{} bytes left over after the frame",
            rest.len()
        )));
    }
    Ok(Some((decoded, 4 + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> PeerFrame {
        PeerFrame::Hello {
            from: 1,
            to: 2,
            client_addr: "127.0.0.1:6381".into(),
        }
    }

    #[test]
    fn frames_round_trip_and_partial_frames_wait() {
        let mut buf = Vec::new();
        encode_frame(&hello(), &mut buf).unwrap();
        let msg = PeerFrame::Msg(Message::RequestVote {
            term: 3,
            last_log_index: 7,
            last_log_term: 2,
            transfer: false,
        });
        encode_frame(&msg, &mut buf).unwrap();
        let (first, used) = decode_frame(&buf).unwrap().unwrap();
        assert_eq!(first, hello());
        assert_eq!(decode_frame(&buf[used..]).unwrap().unwrap().0, msg);
        for cut in 0..used {
            assert_eq!(decode_frame(&buf[..cut]), Ok(None));
        }
    }

    #[test]
    fn bad_frames_are_refused() {
        let mut buf = Vec::new();
        encode_frame(&hello(), &mut buf).unwrap();
        let mut v = buf.clone();
        v[4] = 9;
        assert_eq!(decode_frame(&v), Err(FrameError::Version(9)));
        let huge = ((MAX_FRAME + 1) as u32).to_le_bytes();
        assert!(matches!(decode_frame(&huge), Err(FrameError::TooLarge(_))));
        assert_eq!(decode_frame(&[0, 0, 0, 0]), Err(FrameError::Empty));
        let junk = [3, 0, 0, 0, VERSION, 0xff, 0xff];
        assert!(matches!(decode_frame(&junk), Err(FrameError::Decode(_))));
    }
}
