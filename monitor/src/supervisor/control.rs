//! The control socket: its listener, the connections (non-blocking frame
//! input and output buffers, both bounded so a client can neither block
//! nor bloat the monitor) and the answer to each request.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{UnixListener, UnixStream};

use rpod_proto::frame::{decode, encode, FrameError};
use rpod_proto::{ExitRecord, MonitorMode, MonitorState, Reply, Request, PROTO_VERSION};

use super::{Phase, Supervisor};
use crate::diag;
use crate::sockets::{accept_stream, BoundPath};

/// Connections served at once; more wait in the listen backlog.
const MAX_CONNS: usize = 64;

/// The listening control socket and its connections.
pub(super) struct Controls {
    listener: UnixListener,
    path: BoundPath,
    conns: Vec<ControlConn>,
}

impl Controls {
    pub(super) fn new((listener, path): (UnixListener, BoundPath)) -> Controls {
        Controls {
            listener,
            path,
            conns: Vec::new(),
        }
    }

    /// The listener, while more connections are accepted.
    pub(super) fn listener_fd(&self) -> Option<BorrowedFd<'_>> {
        (self.conns.len() < MAX_CONNS).then(|| self.listener.as_fd())
    }

    /// Each connection with the poll events it waits for.
    pub(super) fn poll_events(&self) -> impl Iterator<Item = (usize, BorrowedFd<'_>, i16)> {
        self.conns.iter().enumerate().map(|(i, c)| {
            let mut ev = 0;
            if c.wants_read() {
                ev |= libc::POLLIN;
            }
            if c.wants_write() {
                ev |= libc::POLLOUT;
            }
            (i, c.stream.as_fd(), ev)
        })
    }

    /// Accepts the pending connections, up to the limit.
    pub(super) fn accept(&mut self) {
        while self.conns.len() < MAX_CONNS {
            match accept_stream(&self.listener) {
                Ok(Some(s)) => self.conns.push(ControlConn::new(s)),
                Ok(None) => break,
                Err(e) => {
                    diag::warn(&format!("control accept: {e}"));
                    break;
                }
            }
        }
    }

    /// Answers the clients waiting for the exit.
    pub(super) fn exited(&mut self, rec: &ExitRecord) {
        for c in &mut self.conns {
            if c.subscribed || c.run_subscribed {
                c.subscribed = false;
                c.run_subscribed = false;
                c.send(&Reply::Exited { exit: rec.clone() });
            }
        }
    }

    /// Answers the clients waiting for the end of this run (the restart
    /// policy starts another).
    pub(super) fn run_exited(&mut self, rec: &ExitRecord) {
        for c in &mut self.conns {
            if c.run_subscribed {
                c.run_subscribed = false;
                c.send(&Reply::RunExited { exit: rec.clone() });
            }
        }
    }

    /// Answers the clients waiting for a health check.
    pub(super) fn health_result(&mut self, reply: &Reply) {
        for c in &mut self.conns {
            if c.health_waiting {
                c.health_waiting = false;
                c.send(reply);
            }
        }
    }

    /// Drops the connections that are done.
    /// Whether a connected client holds the cleanup back (`HoldCleanup`)
    /// and has not hung up yet.
    pub(super) fn cleanup_held(&self) -> bool {
        self.conns
            .iter()
            .any(|c| c.holds_cleanup && !c.read_done && !c.closing)
    }

    pub(super) fn retain_live(&mut self) {
        self.conns.retain(|c| !c.finished());
    }

    /// Last chance to deliver queued replies before the monitor exits.
    pub(super) fn flush_all(&mut self) {
        for c in &mut self.conns {
            let _ = c.flush();
        }
    }

    /// Unlinks the socket file if it is still this monitor's.
    pub(super) fn remove_socket(&self) {
        self.path.remove();
    }
}

/// Largest request frame accepted; real requests are a few dozen bytes.
const MAX_REQUEST: usize = 64 * 1024;
/// Pending reply bytes after which a client that does not read is dropped.
const MAX_PENDING_OUT: usize = 256 * 1024;

/// What came out of the input buffer.
enum Incoming {
    Request(Request),
    /// A well-formed request this monitor does not know, by its `type`.
    Unknown(String),
    /// Not a valid frame: answer with an error and close.
    Garbled(String),
}

struct ControlConn {
    stream: UnixStream,
    inbuf: Vec<u8>,
    outbuf: Vec<u8>,
    /// The client's Hello has been answered.
    greeted: bool,
    /// Waiting for the process to exit.
    subscribed: bool,
    /// Waiting for the end of the current run (`SubscribeRun`).
    run_subscribed: bool,
    /// Waiting for the result of a health check.
    health_waiting: bool,
    /// The client removes the container after the exit (`HoldCleanup`):
    /// the cleanup command waits for it to hang up.
    holds_cleanup: bool,
    /// Close once the output buffer is flushed.
    closing: bool,
    /// The peer will send nothing more (EOF or garbled input).
    read_done: bool,
}

impl ControlConn {
    fn new(stream: UnixStream) -> ControlConn {
        ControlConn {
            stream,
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            greeted: false,
            subscribed: false,
            run_subscribed: false,
            health_waiting: false,
            holds_cleanup: false,
            closing: false,
            read_done: false,
        }
    }

    /// Whether the loop should wait for input on this connection.
    fn wants_read(&self) -> bool {
        !self.read_done && !self.closing && self.outbuf.is_empty()
    }

    fn wants_write(&self) -> bool {
        !self.outbuf.is_empty()
    }

    /// Whether the connection has nothing left to do and can be dropped.
    fn finished(&self) -> bool {
        self.outbuf.is_empty()
            && (self.closing
                || (self.read_done
                    && !self.subscribed
                    && !self.run_subscribed
                    && !self.health_waiting))
    }

    /// Reads what is available and returns the complete frames in it.
    fn read_incoming(&mut self, scratch: &mut [u8]) -> io::Result<Vec<Incoming>> {
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
    fn send(&mut self, reply: &Reply) {
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
    fn flush(&mut self) -> io::Result<()> {
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

impl Supervisor {
    /// Input, output or hang-up on connection `i`: answers every
    /// complete request in its input.
    pub(super) fn on_control(&mut self, i: usize, revents: i16) {
        if revents & (libc::POLLERR | libc::POLLHUP) != 0 {
            self.controls.conns[i].closing = true;
            self.controls.conns[i].read_done = true;
            let _ = self.controls.conns[i].flush();
            return;
        }
        if revents & libc::POLLOUT != 0 && self.controls.conns[i].flush().is_err() {
            self.controls.conns[i].closing = true;
            return;
        }
        if revents & libc::POLLIN == 0 {
            return;
        }
        let mut scratch = [0u8; 1024];
        let incoming = match self.controls.conns[i].read_incoming(&mut scratch) {
            Ok(v) => v,
            Err(_) => {
                self.controls.conns[i].closing = true;
                return;
            }
        };
        for inc in incoming {
            let reply = match inc {
                Incoming::Garbled(message) => {
                    self.controls.conns[i].send(&Reply::Error { message });
                    self.controls.conns[i].closing = true;
                    break;
                }
                Incoming::Unknown(request) => Some(Reply::Unsupported { request }),
                Incoming::Request(req) => self.handle(i, req),
            };
            if let Some(r) = reply {
                self.controls.conns[i].send(&r);
            }
            if self.controls.conns[i].closing {
                break;
            }
        }
    }

    /// The state reported by `Status`.
    fn state(&self) -> MonitorState {
        match self.phase {
            Phase::Waiting | Phase::Creating | Phase::Restarting => MonitorState::Waiting,
            Phase::Running | Phase::Draining => MonitorState::Running,
            Phase::Cleanup | Phase::Done => MonitorState::Exited,
        }
    }

    /// The reply to one request, `None` when it comes later (`Subscribe`
    /// before the exit, `RunHealthcheck`).
    fn handle(&mut self, i: usize, req: Request) -> Option<Reply> {
        let conn = &mut self.controls.conns[i];
        if !conn.greeted {
            if let Request::Hello { .. } = req {
                conn.greeted = true;
                return Some(Reply::Hello {
                    version: PROTO_VERSION,
                });
            }
            conn.closing = true;
            return Some(Reply::Error {
                message: format!("expected Hello as the first request, got {}", req.name()),
            });
        }
        let ok_or = |r: io::Result<()>| match r {
            Ok(()) => Reply::Ok,
            Err(e) => Reply::Error {
                message: e.to_string(),
            },
        };
        let name = req.name();
        Some(match req {
            Request::Hello { .. } => Reply::Hello {
                version: PROTO_VERSION,
            },
            Request::Status => Reply::Status {
                state: self.state(),
                pid: self.pid,
                monitor_pid: self.monitor_pid,
                exit: self.exit.clone(),
            },
            Request::Attach => Reply::AttachSocket {
                path: self.cfg.attach_path.to_string_lossy().into_owned(),
            },
            Request::Resize { rows, cols } => {
                if !self.cfg.terminal {
                    return Some(Reply::Unsupported {
                        request: "Resize".to_string(),
                    });
                }
                ok_or(self.io.resize(rows, cols))
            }
            Request::ReopenLog => ok_or(match &mut self.log {
                Some(log) => log.reopen(),
                None => Ok(()),
            }),
            Request::Kill { signal } => ok_or(self.signal_process(signal)),
            Request::Stop {
                signal,
                timeout_secs,
            } => ok_or(self.stop(signal, timeout_secs)),
            Request::Subscribe => match &self.exit {
                Some(exit) => Reply::Exited { exit: exit.clone() },
                None => {
                    self.controls.conns[i].subscribed = true;
                    return None;
                }
            },
            Request::SubscribeRun => match &self.exit {
                Some(exit) => Reply::Exited { exit: exit.clone() },
                None => {
                    self.controls.conns[i].run_subscribed = true;
                    return None;
                }
            },
            Request::DisableRestart => {
                self.restarts.disabled = true;
                if self.phase == Phase::Restarting {
                    self.give_up(String::new());
                }
                Reply::Ok
            }
            Request::HoldCleanup => {
                if self.cfg.mode != MonitorMode::Create {
                    return Some(Reply::Unsupported {
                        request: name.to_string(),
                    });
                }
                self.controls.conns[i].holds_cleanup = true;
                Reply::Ok
            }
            Request::CleanupDone => {
                if !self.controls.conns[i].holds_cleanup {
                    return Some(Reply::Error {
                        message: "CleanupDone without HoldCleanup".to_owned(),
                    });
                }
                self.controls.conns[i].holds_cleanup = false;
                self.skip_cleanup();
                Reply::Ok
            }
            Request::RunHealthcheck => {
                if self.health.is_none() {
                    return Some(Reply::Error {
                        message: "container has no defined healthcheck".to_owned(),
                    });
                }
                if self.phase != Phase::Running {
                    return Some(Reply::Error {
                        message: "container is not running".to_owned(),
                    });
                }
                self.controls.conns[i].health_waiting = true;
                if self
                    .health
                    .as_ref()
                    .is_some_and(|h| h.running_check().is_none())
                {
                    self.start_health_check();
                }
                return None;
            }
            Request::SetRestart { restart } => {
                if self.cfg.mode != MonitorMode::Create {
                    return Some(Reply::Unsupported {
                        request: name.to_string(),
                    });
                }
                self.restarts.set_policy(restart);
                Reply::Ok
            }
            Request::SetHealthcheck { healthcheck } => {
                if self.cfg.mode != MonitorMode::Create {
                    return Some(Reply::Unsupported {
                        request: name.to_string(),
                    });
                }
                self.set_healthcheck(healthcheck);
                Reply::Ok
            }
            Request::Unknown => Reply::Unsupported {
                request: req.name().to_string(),
            },
        })
    }
}

/// The `type` of an undecodable-but-valid request, for `Unsupported`.
fn request_type(payload_json: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(payload_json).ok()?;
    Some(v.get("type")?.as_str()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(json: &str) -> Vec<u8> {
        let mut f = (json.len() as u32).to_le_bytes().to_vec();
        f.extend_from_slice(json.as_bytes());
        f
    }

    fn read_all(conn: &mut ControlConn) -> Vec<Incoming> {
        let mut scratch = [0u8; 1024];
        conn.read_incoming(&mut scratch).unwrap()
    }

    #[test]
    fn splits_frames_and_names_unknown_requests() {
        let (mut client, server) = UnixStream::pair().unwrap();
        server.set_nonblocking(true).unwrap();
        let mut conn = ControlConn::new(server);
        let mut bytes = encode(&Request::Status).unwrap();
        bytes.extend(frame(r#"{"type":"Teleport"}"#));
        let partial = encode(&Request::Subscribe).unwrap();
        bytes.extend_from_slice(&partial[..3]);
        client.write_all(&bytes).unwrap();
        let got = read_all(&mut conn);
        assert_eq!(got.len(), 2);
        assert!(matches!(got[0], Incoming::Request(Request::Status)));
        assert!(matches!(&got[1], Incoming::Unknown(t) if t == "Teleport"));
        client.write_all(&partial[3..]).unwrap();
        let got = read_all(&mut conn);
        assert!(matches!(got[..], [Incoming::Request(Request::Subscribe)]));
        assert!(conn.wants_read());
        drop(client);
        assert!(read_all(&mut conn).is_empty());
        assert!(conn.finished(), "EOF with nothing pending");
    }

    #[test]
    fn garbled_and_oversized_frames_end_the_input() {
        let (mut client, server) = UnixStream::pair().unwrap();
        server.set_nonblocking(true).unwrap();
        let mut conn = ControlConn::new(server);
        client.write_all(&frame("not json")).unwrap();
        assert!(matches!(read_all(&mut conn)[..], [Incoming::Garbled(_)]));
        assert!(!conn.wants_read());

        let (mut client, server) = UnixStream::pair().unwrap();
        server.set_nonblocking(true).unwrap();
        let mut conn = ControlConn::new(server);
        client
            .write_all(&((MAX_REQUEST as u32 + 1).to_le_bytes()))
            .unwrap();
        assert!(matches!(read_all(&mut conn)[..], [Incoming::Garbled(_)]));
    }

    #[test]
    fn a_subscriber_stays_until_answered() {
        let (client, server) = UnixStream::pair().unwrap();
        server.set_nonblocking(true).unwrap();
        let mut conn = ControlConn::new(server);
        conn.subscribed = true;
        drop(client);
        assert!(read_all(&mut conn).is_empty());
        assert!(!conn.finished(), "the exit is still owed");
        conn.subscribed = false;
        assert!(conn.finished());
    }
}
