//! The JSON-lines streams the service answers pulls, pushes and builds
//! with: one JSON message a line, read as the frames arrive (a last line
//! without its newline counts; blank lines are skipped).

use http_body_util::BodyExt;
use hyper::body::Incoming;
use rpod_api::Result;
use serde::de::DeserializeOwned;

use crate::error::transport;

/// The messages of one streamed response body.
pub(crate) struct JsonLines {
    body: Incoming,
    buf: Vec<u8>,
    /// The body has ended (what is left in `buf` is the last of it).
    ended: bool,
    /// What the stream is, for errors ("pull": "reading the pull stream").
    what: &'static str,
}

impl JsonLines {
    pub(crate) fn new(body: Incoming, what: &'static str) -> JsonLines {
        JsonLines {
            body,
            buf: Vec::new(),
            ended: false,
            what,
        }
    }

    /// The next message, `None` once the body has ended.
    pub(crate) async fn next<T: DeserializeOwned>(&mut self) -> Result<Option<T>> {
        loop {
            while let Some(nl) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=nl).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return serde_json::from_slice(&line)
                    .map(Some)
                    .map_err(|e| transport(&format!("decoding the {} stream", self.what), e));
            }
            if self.ended {
                return Ok(None);
            }
            match self.body.frame().await {
                Some(Ok(f)) => {
                    if let Some(d) = f.data_ref() {
                        self.buf.extend_from_slice(d);
                    }
                }
                Some(Err(e)) => {
                    return Err(transport(&format!("reading the {} stream", self.what), e))
                }
                None => {
                    self.ended = true;
                    if !self.buf.iter().all(u8::is_ascii_whitespace) {
                        self.buf.push(b'\n');
                    }
                }
            }
        }
    }
}
