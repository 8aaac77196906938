//! Property tests of the frame decoder: whatever bytes a peer sends, reading
//! a frame never panics, refuses oversized frames before allocating them,
//! and a frame the encoder wrote decodes to the same message.
//!
//! `PROPTEST_CASES=N` raises the number of cases (default 256).
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use std::io::Cursor;

use proptest::prelude::*;
use rpod_proto::frame::{decode, encode, payload_len};
use rpod_proto::{read_frame, FrameError, Request, MAX_FRAME_LEN};

fn config() -> ProptestConfig {
    // ProptestConfig::default() honours PROPTEST_CASES.
    ProptestConfig::default()
}

/// A frame header for `len` followed by `body`.
fn frame(len: u32, body: &[u8]) -> Vec<u8> {
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut r = Cursor::new(&bytes);
        match read_frame::<_, Request>(&mut r) {
            Ok(_) => {
                let len = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
                prop_assert!(len <= MAX_FRAME_LEN);
                prop_assert!(bytes.len() >= 4 + len);
            }
            Err(FrameError::Closed) => prop_assert!(bytes.is_empty()),
            Err(FrameError::TooLarge { len, max }) => {
                prop_assert_eq!(max, MAX_FRAME_LEN);
                prop_assert!(len > MAX_FRAME_LEN);
            }
            Err(FrameError::Garbled(_) | FrameError::Io(_)) => {}
        }
        let _ = decode::<Request>(&bytes);
    }

    #[test]
    fn oversized_headers_are_refused_without_reading_the_payload(
        len in (MAX_FRAME_LEN as u32 + 1)..=u32::MAX,
        body in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let data = frame(len, &body);
        let mut r = Cursor::new(&data);
        let err = read_frame::<_, Request>(&mut r).unwrap_err();
        let is_too_large = matches!(err, FrameError::TooLarge { .. });
        prop_assert!(is_too_large, "{}", err);
        // Nothing past the header was consumed.
        prop_assert_eq!(r.position(), 4);
        prop_assert!(payload_len(len.to_le_bytes()).is_err());
    }

    #[test]
    fn truncated_frames_are_errors(
        len in 1u32..=4096,
        cut in 0usize..4096,
        fill in any::<u8>(),
    ) {
        let body = vec![fill; (cut % len as usize).min(len as usize - 1)];
        let data = frame(len, &body);
        let err = read_frame::<_, Request>(&mut Cursor::new(&data)).unwrap_err();
        let is_io = matches!(err, FrameError::Io(_));
        prop_assert!(is_io, "{}", err);
    }

    #[test]
    fn mangled_json_never_panics(
        keys in proptest::collection::vec("[a-z_]{0,8}", 0..6),
        values in proptest::collection::vec(prop_oneof![
            Just("null".to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            "[a-zA-Z]{0,8}".prop_map(|s| format!("{s:?}")),
            Just("{}".to_string()),
            Just("[".to_string()),
        ], 0..6),
        ty in prop_oneof![Just("Hello"), Just("Status"), Just("Resize"), Just("Stop"), Just("Bogus")],
    ) {
        let mut json = format!("{{\"v\":1,\"type\":\"{ty}\"");
        for (k, v) in keys.iter().zip(&values) {
            json.push_str(&format!(",\"{k}\":{v}"));
        }
        json.push('}');
        let data = frame(json.len() as u32, json.as_bytes());
        let _ = read_frame::<_, Request>(&mut Cursor::new(&data));
    }

    #[test]
    fn encoded_frames_round_trip(version in any::<u32>(), rows in any::<u16>(), cols in any::<u16>()) {
        for msg in [Request::Hello { version }, Request::Resize { rows, cols }] {
            let data = encode(&msg).unwrap();
            let back: Request = read_frame(&mut Cursor::new(&data)).unwrap();
            prop_assert_eq!(back, msg);
        }
    }
}
