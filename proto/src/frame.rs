//! Length-prefixed frames: a little-endian `u32` payload length followed by
//! a JSON object carrying the protocol version `v` next to the message.

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::PROTO_VERSION;

/// Largest payload accepted in either direction. Control messages are tiny;
/// anything near this is garbage or an attack, and is refused before any
/// allocation of that size happens.
pub const MAX_FRAME_LEN: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("peer closed the connection")]
    Closed,
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("garbled frame: {0}")]
    Garbled(#[from] serde_json::Error),
    #[error("i/o error on monitor socket: {0}")]
    Io(#[from] io::Error),
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    v: u32,
    #[serde(flatten)]
    body: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    #[serde(default)]
    #[allow(dead_code)]
    v: u32,
    #[serde(flatten)]
    body: T,
}

/// Serializes `msg` into one complete frame (header and payload).
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, FrameError> {
    let payload = serde_json::to_vec(&EnvelopeOut {
        v: PROTO_VERSION,
        body: msg,
    })?;
    if payload.len() > MAX_FRAME_LEN {
        return Err(FrameError::TooLarge {
            len: payload.len(),
            max: MAX_FRAME_LEN,
        });
    }
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decodes a payload (without its length header).
pub fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, FrameError> {
    let env: EnvelopeIn<T> = serde_json::from_slice(payload)?;
    Ok(env.body)
}

/// Validates a length header, refusing oversized frames.
pub fn payload_len(header: [u8; 4]) -> Result<usize, FrameError> {
    let len = u32::from_le_bytes(header) as usize;
    if len > MAX_FRAME_LEN {
        return Err(FrameError::TooLarge {
            len,
            max: MAX_FRAME_LEN,
        });
    }
    Ok(len)
}

/// Writes one frame with a single `write_all`, so a frame is never
/// interleaved with another writer's on a stream socket.
pub fn write_frame<W: Write, T: Serialize>(w: &mut W, msg: &T) -> Result<(), FrameError> {
    let buf = encode(msg)?;
    w.write_all(&buf)?;
    w.flush()?;
    Ok(())
}

/// Reads one frame. A clean end of stream before the header is `Closed`.
pub fn read_frame<R: Read, T: DeserializeOwned>(r: &mut R) -> Result<T, FrameError> {
    let mut header = [0u8; 4];
    let mut got = 0;
    while got < header.len() {
        match r.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(FrameError::Io(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = payload_len(header)?;
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    decode(&payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{Reply, Request};

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &Request::Resize { rows: 24, cols: 80 }).unwrap();
        let got: Request = read_frame(&mut buf.as_slice()).unwrap();
        assert_eq!(got, Request::Resize { rows: 24, cols: 80 });
    }

    #[test]
    fn version_is_on_the_wire() {
        let buf = encode(&Request::Status).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf[4..]).unwrap();
        assert_eq!(v["v"], PROTO_VERSION);
        assert_eq!(v["type"], "Status");
    }

    #[test]
    fn oversized_header_is_refused_without_allocating() {
        let mut buf = ((MAX_FRAME_LEN as u32) + 1).to_le_bytes().to_vec();
        buf.extend_from_slice(b"{}");
        let err = read_frame::<_, Request>(&mut buf.as_slice()).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn garbled_payload_is_an_error() {
        let mut buf = 5u32.to_le_bytes().to_vec();
        buf.extend_from_slice(b"{{{{{");
        let err = read_frame::<_, Request>(&mut buf.as_slice()).unwrap_err();
        assert!(matches!(err, FrameError::Garbled(_)), "{err}");
    }

    #[test]
    fn truncated_frame_is_an_error_and_empty_is_closed() {
        let buf = encode(&Request::Status).unwrap();
        let err = read_frame::<_, Request>(&mut &buf[..buf.len() - 1]).unwrap_err();
        assert!(matches!(err, FrameError::Io(_)), "{err}");
        let err = read_frame::<_, Request>(&mut &b""[..]).unwrap_err();
        assert!(matches!(err, FrameError::Closed), "{err}");
    }

    #[test]
    fn newer_peer_fields_and_messages_are_tolerated() {
        // A future engine adds a field to a known request and a new request.
        let known = br#"{"v":7,"type":"Resize","rows":3,"cols":4,"pixel_width":9}"#;
        assert_eq!(
            decode::<Request>(known).unwrap(),
            Request::Resize { rows: 3, cols: 4 }
        );
        let unknown = br#"{"v":7,"type":"Checkpoint","leave_running":true}"#;
        assert_eq!(decode::<Request>(unknown).unwrap(), Request::Unknown);
        let reply = br#"{"v":7,"type":"Teleported","where":"mars"}"#;
        assert_eq!(decode::<Reply>(reply).unwrap(), Reply::Unknown);
    }
}
