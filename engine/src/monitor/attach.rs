//! The attach socket client: a SOCK_SEQPACKET connection carrying tagged
//! packets (see `rpod_proto::attach`), and a blocking pump between it and
//! the user's stdin/stdout/stderr with Podman's detach keys.

use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    connect, recv, send, shutdown, socket, AddressFamily, MsgFlags, Shutdown, SockFlag, SockType,
    UnixAddr,
};
use rpod_proto::attach::{DETACH, MAX_PACKET, STDERR, STDIN, STDOUT};

use super::error::MonitorError;

/// Podman's default detach sequence, "ctrl-p,ctrl-q".
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

/// How an attach session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachEnd {
    /// The monitor closed the stream (the process exited).
    Eof,
    /// The user typed the detach keys.
    Detached,
}

/// A connection to a monitor's attach socket.
#[derive(Debug)]
pub struct AttachStream {
    fd: OwnedFd,
}

impl AsFd for AttachStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// One packet received from the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet {
    /// `len` bytes of output with this stream tag are in the buffer,
    /// after the tag byte.
    Output { tag: u8, len: usize },
    /// The monitor closed the stream.
    Eof,
}

impl AttachStream {
    /// Connects to the attach socket at `path`.
    pub fn connect(path: &Path) -> Result<AttachStream, MonitorError> {
        let conn_err = |e: Errno| MonitorError::Connect {
            path: path.to_path_buf(),
            source: e.into(),
        };
        let fd = socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(conn_err)?;
        let addr = UnixAddr::new(path).map_err(conn_err)?;
        loop {
            match connect(fd.as_raw_fd(), &addr) {
                Ok(()) => break,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(conn_err(e)),
            }
        }
        Ok(AttachStream { fd })
    }

    /// Sends `data` as packets of `tag` (one tag-only packet if empty).
    fn send_packet(&self, tag: u8, data: &[u8]) -> io::Result<()> {
        let mut chunks = data.chunks(MAX_PACKET - 1).peekable();
        if chunks.peek().is_none() {
            return send_all(&self.fd, &[tag], MsgFlags::empty());
        }
        for chunk in chunks {
            let mut pkt = Vec::with_capacity(chunk.len() + 1);
            pkt.push(tag);
            pkt.extend_from_slice(chunk);
            send_all(&self.fd, &pkt, MsgFlags::empty())?;
        }
        Ok(())
    }

    /// Sends input for the container's stdin (blocking).
    pub fn send_input(&self, data: &[u8]) -> Result<(), MonitorError> {
        self.send_packet(STDIN, data)
            .map_err(|e| MonitorError::io("send to attach socket", e))
    }

    /// Leaves without closing the container's stdin.
    pub fn send_detach(&self) -> Result<(), MonitorError> {
        self.send_packet(DETACH, &[])
            .map_err(|e| MonitorError::io("send detach", e))
    }

    /// Half-closes: end of input for the container's stdin.
    pub fn close_input(&self) -> Result<(), MonitorError> {
        shutdown(self.fd.as_raw_fd(), Shutdown::Write)
            .map_err(|e| MonitorError::io("shutdown attach socket", e))
    }

    /// Receives one packet into `buf` (at least [`MAX_PACKET`] bytes).
    pub fn recv(&self, buf: &mut [u8]) -> Result<Packet, MonitorError> {
        loop {
            match recv(self.fd.as_raw_fd(), buf, MsgFlags::empty()) {
                Ok(0) | Err(Errno::ECONNRESET) => return Ok(Packet::Eof),
                Ok(n) => {
                    return Ok(Packet::Output {
                        tag: buf[0],
                        len: n - 1,
                    })
                }
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(MonitorError::io("receive from attach socket", e)),
            }
        }
    }
}

/// One send; `Ok(false)` if non-blocking and the socket is full.
fn try_send(fd: &OwnedFd, pkt: &[u8], flags: MsgFlags) -> io::Result<bool> {
    loop {
        match send(fd.as_raw_fd(), pkt, flags | MsgFlags::MSG_NOSIGNAL) {
            Ok(_) => return Ok(true),
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
    }
}

fn send_all(fd: &OwnedFd, pkt: &[u8], flags: MsgFlags) -> io::Result<()> {
    if try_send(fd, pkt, flags)? {
        Ok(())
    } else {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Parses Podman's detach-key syntax: comma-separated keys, each a single
/// character or `ctrl-X` (X in `a`-`z`, `@`, `[`, `\`, `]`, `^`, `_`).
/// An empty string disables detaching (empty sequence).
pub fn parse_detach_keys(keys: &str) -> Result<Vec<u8>, MonitorError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let bad = |reason: String| MonitorError::DetachKeys {
        keys: keys.to_string(),
        reason,
    };
    let mut out = Vec::new();
    for key in keys.split(',') {
        if key.len() == 1 {
            out.push(key.as_bytes()[0]);
            continue;
        }
        let lower = key.to_ascii_lowercase();
        let code = lower
            .strip_prefix("ctrl-")
            .filter(|r| r.len() == 1)
            .and_then(|r| match r.as_bytes()[0] {
                c @ b'a'..=b'z' => Some(c - b'a' + 1),
                b'@' => Some(0),
                b'[' => Some(27),
                b'\\' => Some(28),
                b']' => Some(29),
                b'^' => Some(30),
                b'_' => Some(31),
                _ => None,
            });
        out.push(code.ok_or_else(|| bad(format!("Unknown character: '{key}'")))?);
    }
    Ok(out)
}

/// Recognizes the detach sequence in typed input, holding back a partial
/// match until it is either completed or broken.
struct DetachMatcher<'a> {
    keys: &'a [u8],
    matched: usize,
}

impl DetachMatcher<'_> {
    /// Appends the bytes to forward to `out`; true when the sequence is
    /// complete. As Podman, a key counts only when it is a read of its
    /// own (typed, not part of piped data): a longer read is forwarded as
    /// it is, and releases a partial match held back before it.
    fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) -> bool {
        let [b] = data else {
            self.flush(out);
            out.extend_from_slice(data);
            return false;
        };
        if self.keys.is_empty() {
            out.push(*b);
            return false;
        }
        if *b != self.keys[self.matched] {
            self.flush(out);
            if *b != self.keys[0] {
                out.push(*b);
                return false;
            }
        }
        self.matched += 1;
        self.matched == self.keys.len()
    }

    /// Releases a held-back partial match (at end of input).
    fn flush(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.keys[..self.matched]);
        self.matched = 0;
    }
}

/// Forwards `input` to the container's stdin and its output to `out` and
/// `err` until the monitor closes the stream (`Eof`) or the detach keys
/// are typed (`Detached`). At end of input the stream is half-closed and
/// output keeps flowing. Input is sent without blocking, so a container
/// that does not read its stdin never stops its output from arriving.
pub fn pump(
    stream: AttachStream,
    input: Option<BorrowedFd<'_>>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    detach_keys: Option<&[u8]>,
) -> Result<AttachEnd, MonitorError> {
    let mut matcher = DetachMatcher {
        keys: detach_keys.unwrap_or_default(),
        matched: 0,
    };
    let mut input = input;
    let mut buf = vec![0u8; MAX_PACKET];
    // Input is read in whole 512-byte blocks (as the 32 KiB reads of
    // Podman's copy are), so a block-wise reader such as `dd bs=512` in
    // the container sees whole records.
    let mut inbuf = vec![0u8; (MAX_PACKET - 1) & !511];
    // Input packets not yet accepted by the socket.
    let mut pending: std::collections::VecDeque<Vec<u8>> = Default::default();
    let mut input_done = false;
    let mut detach_pending = false;
    let write_err = |e: io::Error| MonitorError::io("write attach output", e);
    loop {
        // Flush pending input without blocking.
        while let Some(p) = pending.front() {
            match try_send(&stream.fd, p, MsgFlags::MSG_DONTWAIT) {
                Ok(true) => {
                    pending.pop_front();
                }
                Ok(false) => break,
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => pending.clear(),
                Err(e) => return Err(MonitorError::io("send to attach socket", e)),
            }
        }
        if pending.is_empty() {
            if detach_pending {
                stream.send_detach()?;
                return Ok(AttachEnd::Detached);
            }
            if input_done && input.is_some() {
                input = None;
                // The monitor may already have closed its end.
                let _ = stream.close_input();
            }
        }
        let mut fds = vec![PollFd::new(
            stream.as_fd(),
            if pending.is_empty() {
                PollFlags::POLLIN
            } else {
                PollFlags::POLLIN | PollFlags::POLLOUT
            },
        )];
        let read_input = pending.is_empty() && !input_done && !detach_pending;
        if let (Some(fd), true) = (input, read_input) {
            fds.push(PollFd::new(fd, PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(MonitorError::io("poll attach", e)),
        }
        let sock_ready = fds[0].revents().unwrap_or(PollFlags::empty());
        let in_ready = fds
            .get(1)
            .and_then(|f| f.revents())
            .unwrap_or(PollFlags::empty());
        drop(fds);
        if sock_ready.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR) {
            match stream.recv(&mut buf)? {
                Packet::Eof => {
                    out.flush().map_err(write_err)?;
                    err.flush().map_err(write_err)?;
                    return Ok(AttachEnd::Eof);
                }
                Packet::Output { tag, len } => {
                    let data = &buf[1..=len];
                    match tag {
                        STDOUT => out
                            .write_all(data)
                            .and_then(|_| out.flush())
                            .map_err(write_err)?,
                        STDERR => err
                            .write_all(data)
                            .and_then(|_| err.flush())
                            .map_err(write_err)?,
                        _ => {}
                    }
                }
            }
        }
        if let (Some(fd), false) = (input, in_ready.is_empty()) {
            let n = loop {
                match nix::unistd::read(fd, &mut inbuf) {
                    Ok(n) => break n,
                    Err(Errno::EINTR) => continue,
                    Err(Errno::EAGAIN) => break usize::MAX,
                    Err(Errno::EIO) => break 0,
                    Err(e) => return Err(MonitorError::io("read attach input", e)),
                }
            };
            let mut fwd = Vec::new();
            if n == 0 {
                matcher.flush(&mut fwd);
                input_done = true;
            } else if n != usize::MAX && matcher.feed(&inbuf[..n], &mut fwd) {
                detach_pending = true;
            }
            for chunk in fwd.chunks(MAX_PACKET - 1) {
                let mut pkt = Vec::with_capacity(chunk.len() + 1);
                pkt.push(STDIN);
                pkt.extend_from_slice(chunk);
                pending.push_back(pkt);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_key_syntax() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), vec![16, 17]);
        assert_eq!(parse_detach_keys("ctrl-a").unwrap(), vec![1]);
        assert_eq!(parse_detach_keys("a,b").unwrap(), b"ab".to_vec());
        assert_eq!(parse_detach_keys("CTRL-Z").unwrap(), vec![26]);
        assert_eq!(
            parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_").unwrap(),
            vec![0, 27, 28, 29, 30, 31]
        );
        assert_eq!(parse_detach_keys("").unwrap(), Vec::<u8>::new());
        for bad in ["ctrl-", "ctrl-1", "ctrl-ab", "foo", "a,,b"] {
            let e = parse_detach_keys(bad).unwrap_err();
            assert!(matches!(e, MonitorError::DetachKeys { .. }), "{bad}: {e}");
        }
        assert_eq!(
            parse_detach_keys(DEFAULT_DETACH_KEYS).unwrap(),
            vec![16, 17]
        );
    }

    fn run(keys: &[u8], chunks: &[&[u8]]) -> (Vec<u8>, bool) {
        let mut m = DetachMatcher { keys, matched: 0 };
        let mut out = Vec::new();
        for c in chunks {
            if m.feed(c, &mut out) {
                return (out, true);
            }
        }
        m.flush(&mut out);
        (out, false)
    }

    #[test]
    fn detach_matching() {
        let keys = [16u8, 17];
        // Keys count only as reads of their own, as typed.
        assert_eq!(
            run(&keys, &[b"ab", b"\x10", b"\x11", b"cd"]),
            (b"ab".to_vec(), true)
        );
        assert_eq!(
            run(&keys, &[b"\x10", b"x", b"\x11"]),
            (b"\x10x\x11".to_vec(), false)
        );
        assert_eq!(
            run(&keys, &[b"\x10", b"\x10", b"\x11"]),
            (b"\x10".to_vec(), true)
        );
        assert_eq!(run(&keys, &[b"x", b"\x10"]), (b"x\x10".to_vec(), false));
        assert_eq!(run(&[], &[b"\x10", b"\x11"]), (b"\x10\x11".to_vec(), false));
        assert_eq!(run(&[1], &[b"ab", b"\x01"]), (b"ab".to_vec(), true));
        // Piped data that happens to hold the keys is data (exec -i < file).
        assert_eq!(
            run(&keys, &[b"ab\x10\x11cd"]),
            (b"ab\x10\x11cd".to_vec(), false)
        );
        assert_eq!(
            run(&keys, &[b"\x10", b"\x11z"]),
            (b"\x10\x11z".to_vec(), false)
        );
    }
}
