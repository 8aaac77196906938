//! One control-socket connection: non-blocking frame input and output
//! buffers, both bounded so a client can neither block nor bloat the
//! monitor.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;

use rpod_proto::frame::{decode, encode, FrameError};
use rpod_proto::{Reply, Request};

/// Largest request frame accepted; real requests are a few dozen bytes.
const MAX_REQUEST: usize = 64 * 1024;
/// Pending reply bytes after which a client that does not read is dropped.
const MAX_PENDING_OUT: usize = 256 * 1024;

/// What came out of the input buffer.
pub enum Incoming {
    Request(Request),
    /// A well-formed request this monitor does not know, by its `type`.
    Unknown(String),
    /// Not a valid frame: answer with an error and close.
    Garbled(String),
}

pub struct ControlConn {
    pub stream: UnixStream,
    inbuf: Vec<u8>,
    outbuf: Vec<u8>,
    /// The client's Hello has been answered.
    pub greeted: bool,
    /// Waiting for the process to exit.
    pub subscribed: bool,
    /// Waiting for the result of a health check.
    pub health_waiting: bool,
    /// Close once the output buffer is flushed.
    pub closing: bool,
    /// The peer will send nothing more (EOF or garbled input).
    pub read_done: bool,
}

impl ControlConn {
    pub fn new(stream: UnixStream) -> ControlConn {
        ControlConn {
            stream,
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            greeted: false,
            subscribed: false,
            health_waiting: false,
            closing: false,
            read_done: false,
        }
    }

    /// Whether the loop should wait for input on this connection.
    pub fn wants_read(&self) -> bool {
        !self.read_done && !self.closing && self.outbuf.is_empty()
    }

    pub fn wants_write(&self) -> bool {
        !self.outbuf.is_empty()
    }

    /// Whether the connection has nothing left to do and can be dropped.
    pub fn finished(&self) -> bool {
        self.outbuf.is_empty()
            && (self.closing || (self.read_done && !self.subscribed && !self.health_waiting))
    }

    /// Reads what is available and returns the complete frames in it.
    pub fn read_incoming(&mut self, scratch: &mut [u8]) -> io::Result<Vec<Incoming>> {
        match self.stream.read(scratch) {
            Ok(0) => self.read_done = true,
            Ok(n) => self.inbuf.extend_from_slice(&scratch[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
        let mut out = Vec::new();
        loop {
            if self.inbuf.len() < 4 {
                break;
            }
            let len =
                u32::from_le_bytes([self.inbuf[0], self.inbuf[1], self.inbuf[2], self.inbuf[3]])
                    as usize;
            if len > MAX_REQUEST {
                let err = FrameError::TooLarge {
                    len,
                    max: MAX_REQUEST,
                };
                out.push(Incoming::Garbled(err.to_string()));
                self.inbuf = Vec::new();
                self.read_done = true;
                break;
            }
            if self.inbuf.len() < 4 + len {
                break;
            }
            let payload = &self.inbuf[4..4 + len];
            match decode::<Request>(payload) {
                Ok(Request::Unknown) => out.push(Incoming::Unknown(
                    request_type(payload).unwrap_or_else(|| "unknown".to_string()),
                )),
                Ok(req) => out.push(Incoming::Request(req)),
                Err(e) => {
                    out.push(Incoming::Garbled(e.to_string()));
                    self.inbuf = Vec::new();
                    self.read_done = true;
                    break;
                }
            }
            self.inbuf.drain(..4 + len);
        }
        if self.read_done && !self.inbuf.is_empty() {
            // A truncated frame before EOF: nothing more will complete it.
            self.inbuf = Vec::new();
        }
        if self.inbuf.capacity() > 4096 && self.inbuf.len() < 1024 {
            self.inbuf.shrink_to(1024);
        }
        Ok(out)
    }

    /// Queues a reply and tries to send it.
    pub fn send(&mut self, reply: &Reply) {
        match encode(reply) {
            Ok(frame) => self.outbuf.extend_from_slice(&frame),
            Err(_) => self.closing = true,
        }
        if self.outbuf.len() > MAX_PENDING_OUT {
            self.outbuf.clear();
            self.closing = true;
        }
        if self.flush().is_err() {
            self.outbuf.clear();
            self.closing = true;
        }
    }

    /// Writes as much pending output as the socket takes.
    pub fn flush(&mut self) -> io::Result<()> {
        while !self.outbuf.is_empty() {
            match self.stream.write(&self.outbuf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.outbuf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.outbuf.is_empty() && self.outbuf.capacity() > 4096 {
            self.outbuf = Vec::new();
        }
        Ok(())
    }
}

/// The `type` of an undecodable-but-valid request, for `Unsupported`.
fn request_type(payload_json: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(payload_json).ok()?;
    Some(v.get("type")?.as_str()?.to_string())
}
