//! Attach clients on the SOCK_SEQPACKET socket: output packets are sent
//! without blocking and queued when a client is slow (a client too far
//! behind pauses the reading of container output), input packets carry
//! the container's stdin, a detach, or the end of input.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{recv, send, MsgFlags};
use rpod_proto::attach::{DETACH, STDIN};

use super::{Phase, Supervisor};
use crate::diag;
use crate::sockets::{accept_seqpacket, BoundPath};

/// Clients served at once; more wait in the listen backlog.
const MAX_CONNS: usize = 32;
/// A client this far behind pauses reading of container output.
const HIGH_WATER: usize = 64 * 1024;

/// The listening attach socket and its clients.
pub(super) struct Attaches {
    listener: OwnedFd,
    path: BoundPath,
    conns: Vec<AttachConn>,
}

/// What the container gets from one ready client.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ClientInput {
    Nothing,
    /// Stdin bytes in `buf[1..n]`.
    Stdin(usize),
    /// The client's input ended without a detach: end of the container's
    /// stdin.
    Eof,
}

impl Attaches {
    pub(super) fn new((listener, path): (OwnedFd, BoundPath)) -> Attaches {
        Attaches {
            listener,
            path,
            conns: Vec::new(),
        }
    }

    /// The listener, while more clients are accepted.
    pub(super) fn listener_fd(&self) -> Option<BorrowedFd<'_>> {
        (self.conns.len() < MAX_CONNS).then(|| self.listener.as_fd())
    }

    /// Each client with the poll events it waits for; `reading`: input is
    /// accepted now.
    pub(super) fn poll_events(
        &self,
        reading: bool,
    ) -> impl Iterator<Item = (usize, BorrowedFd<'_>, i16)> {
        self.conns.iter().enumerate().filter_map(move |(i, a)| {
            let read_this = reading && !a.eof;
            if a.hup && !read_this {
                return None;
            }
            let mut ev = 0;
            if read_this {
                ev |= libc::POLLIN;
            }
            if a.queued() > 0 {
                ev |= libc::POLLOUT;
            }
            Some((i, a.fd.as_fd(), ev))
        })
    }

    /// Accepts the pending clients; `keep` false closes them at once (after
    /// the exit a new client gets EOF).
    pub(super) fn accept(&mut self, keep: bool) {
        while self.conns.len() < MAX_CONNS {
            match accept_seqpacket(&self.listener) {
                Ok(Some(fd)) => {
                    if keep {
                        self.conns.push(AttachConn::new(fd));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    diag::warn(&format!("attach accept: {e}"));
                    break;
                }
            }
        }
    }

    /// Readiness `revents` on client `i`: sends what is queued, reads one
    /// packet into `buf` if `reading`, notes hang-ups.
    pub(super) fn on_ready(
        &mut self,
        i: usize,
        revents: i16,
        reading: bool,
        buf: &mut [u8],
    ) -> ClientInput {
        let Some(a) = self.conns.get_mut(i) else {
            return ClientInput::Nothing;
        };
        if a.dead {
            return ClientInput::Nothing;
        }
        if revents & libc::POLLOUT != 0 && a.flush().is_err() {
            a.dead = true;
            return ClientInput::Nothing;
        }
        if revents & libc::POLLERR != 0 {
            a.dead = true;
            return ClientInput::Nothing;
        }
        let read_this = reading && !a.eof;
        if revents & libc::POLLHUP != 0 && !read_this {
            // Gone for good once its input is consumed; otherwise remember
            // the hang-up and read its remaining input when allowed.
            if a.eof {
                a.dead = true;
            } else {
                a.hup = true;
            }
            return ClientInput::Nothing;
        }
        if !(read_this && revents & (libc::POLLIN | libc::POLLHUP) != 0) {
            return ClientInput::Nothing;
        }
        match a.recv(buf) {
            Ok(AttachInput::Packet(n)) => match buf[0] {
                STDIN => ClientInput::Stdin(n),
                DETACH => {
                    a.detached = true;
                    ClientInput::Nothing
                }
                _ => ClientInput::Nothing,
            },
            Ok(AttachInput::Eof) => {
                a.eof = true;
                a.hup = false;
                if a.detached {
                    ClientInput::Nothing
                } else {
                    ClientInput::Eof
                }
            }
            Ok(AttachInput::WouldBlock) => ClientInput::Nothing,
            Err(_) => {
                a.dead = true;
                ClientInput::Nothing
            }
        }
    }

    /// Sends one output packet to every client.
    pub(super) fn broadcast(&mut self, packet: &[u8]) {
        for a in &mut self.conns {
            if !a.dead && a.send_packet(packet).is_err() {
                a.dead = true;
            }
        }
    }

    /// Whether a client is so far behind that output must wait.
    pub(super) fn paused(&self) -> bool {
        self.conns.iter().any(|a| a.queued() >= HIGH_WATER)
    }

    /// Whether every live client has been sent everything.
    pub(super) fn flushed(&self) -> bool {
        self.conns.iter().all(|a| a.dead || a.queued() == 0)
    }

    /// Drops the clients that are gone.
    pub(super) fn retain_live(&mut self) {
        self.conns.retain(|a| !a.dead);
    }

    /// Closes every client (they read EOF): the process has exited.
    pub(super) fn close_all(&mut self) {
        self.conns.clear();
    }

    /// Unlinks the socket file if it is still this monitor's.
    pub(super) fn remove_socket(&self) {
        self.path.remove();
    }
}

impl Supervisor {
    /// Client input is read once the process runs, and only while earlier
    /// input still waits for the container's stdin to take it.
    pub(super) fn attach_input_allowed(&self) -> bool {
        self.phase >= Phase::Running && self.stdin_pending.is_empty()
    }

    /// Accepts new clients (closed at once after the exit).
    pub(super) fn accept_attaches(&mut self) {
        self.attaches.accept(self.phase < Phase::Cleanup);
    }

    /// Readiness on client `i`; its input goes to the container's stdin.
    pub(super) fn on_attach(&mut self, i: usize, revents: i16) {
        let reading = self.attach_input_allowed();
        let mut buf = self.take_scratch();
        match self.attaches.on_ready(i, revents, reading, &mut buf) {
            ClientInput::Stdin(n) if self.cfg.stdin && self.phase == Phase::Running => {
                self.queue_stdin(&buf[1..n]);
            }
            ClientInput::Eof if self.phase == Phase::Running => self.close_stdin(),
            _ => {}
        }
        self.scratch = buf;
    }
}

/// What one receive on a client produced.
enum AttachInput {
    /// A packet of this many bytes is in the buffer.
    Packet(usize),
    /// The client half-closed or closed its end.
    Eof,
    WouldBlock,
}

struct AttachConn {
    fd: OwnedFd,
    queue: VecDeque<Vec<u8>>,
    queued: usize,
    /// The client will send no more input.
    eof: bool,
    /// The client sent DETACH: its EOF must not close the container's stdin.
    detached: bool,
    /// The client hung up while its input was not being read.
    hup: bool,
    /// To be dropped at the end of this loop iteration.
    dead: bool,
}

impl AttachConn {
    fn new(fd: OwnedFd) -> AttachConn {
        AttachConn {
            fd,
            queue: VecDeque::new(),
            queued: 0,
            eof: false,
            detached: false,
            hup: false,
            dead: false,
        }
    }

    /// Bytes waiting to be sent to this client.
    fn queued(&self) -> usize {
        self.queued
    }

    /// Sends `packet` now if nothing is queued before it, else queues it.
    fn send_packet(&mut self, packet: &[u8]) -> io::Result<()> {
        if self.queue.is_empty() && try_send(&self.fd, packet)? {
            return Ok(());
        }
        self.queued += packet.len();
        self.queue.push_back(packet.to_vec());
        Ok(())
    }

    /// Sends queued packets until the socket would block.
    fn flush(&mut self) -> io::Result<()> {
        while let Some(p) = self.queue.front() {
            if !try_send(&self.fd, p)? {
                break;
            }
            self.queued -= p.len();
            self.queue.pop_front();
        }
        if self.queue.is_empty() && self.queue.capacity() > 16 {
            self.queue = VecDeque::new();
        }
        Ok(())
    }

    /// Receives one packet into `buf`.
    fn recv(&self, buf: &mut [u8]) -> io::Result<AttachInput> {
        loop {
            match recv(self.fd.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT) {
                Ok(0) => return Ok(AttachInput::Eof),
                Ok(n) => return Ok(AttachInput::Packet(n)),
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return Ok(AttachInput::WouldBlock),
                Err(Errno::ECONNRESET) => return Ok(AttachInput::Eof),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// One non-blocking send; `Ok(false)` when the socket is full.
fn try_send(fd: &OwnedFd, packet: &[u8]) -> io::Result<bool> {
    loop {
        match send(
            fd.as_raw_fd(),
            packet,
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
        ) {
            Ok(_) => return Ok(true),
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
    use rpod_proto::attach::MAX_PACKET;

    /// An `Attaches` with one client; returns the client's end.
    fn one_client(name: &str) -> (Attaches, OwnedFd) {
        let path = std::env::temp_dir().join(format!("podmon-att-{name}-{}", std::process::id()));
        let listener = crate::sockets::seqpacket_listener(&path).unwrap();
        listener.1.remove();
        let mut attaches = Attaches::new(listener);
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        )
        .unwrap();
        attaches.conns.push(AttachConn::new(ours));
        (attaches, theirs)
    }

    fn send_packet(fd: &OwnedFd, p: &[u8]) {
        send(fd.as_raw_fd(), p, MsgFlags::empty()).unwrap();
    }

    #[test]
    fn input_packets_become_stdin_and_eof_ends_it() {
        let (mut a, client) = one_client("stdin");
        let mut buf = vec![0; MAX_PACKET];
        send_packet(&client, &[STDIN, b'h', b'i']);
        assert_eq!(
            a.on_ready(0, libc::POLLIN, true, &mut buf),
            ClientInput::Stdin(3)
        );
        assert_eq!(&buf[1..3], b"hi");
        assert_eq!(
            a.on_ready(0, libc::POLLIN, true, &mut buf),
            ClientInput::Nothing,
            "nothing more to read"
        );
        drop(client);
        assert_eq!(
            a.on_ready(0, libc::POLLIN | libc::POLLHUP, true, &mut buf),
            ClientInput::Eof
        );
        let events: Vec<i16> = a.poll_events(true).map(|(_, _, ev)| ev).collect();
        assert_eq!(events, [0], "at EOF only its hang-up is awaited");
        a.on_ready(0, libc::POLLHUP, true, &mut buf);
        a.retain_live();
        assert!(a.conns.is_empty());
    }

    #[test]
    fn a_detached_client_leaves_stdin_open() {
        let (mut a, client) = one_client("detach");
        let mut buf = vec![0; MAX_PACKET];
        send_packet(&client, &[DETACH]);
        drop(client);
        assert_eq!(
            a.on_ready(0, libc::POLLIN, true, &mut buf),
            ClientInput::Nothing
        );
        assert_eq!(
            a.on_ready(0, libc::POLLIN | libc::POLLHUP, true, &mut buf),
            ClientInput::Nothing
        );
        assert!(a.conns[0].eof);
    }

    #[test]
    fn input_waits_while_not_reading() {
        let (mut a, client) = one_client("wait");
        let mut buf = vec![0; MAX_PACKET];
        send_packet(&client, &[STDIN, b'x']);
        drop(client);
        assert_eq!(
            a.on_ready(0, libc::POLLIN | libc::POLLHUP, false, &mut buf),
            ClientInput::Nothing
        );
        assert!(a.conns[0].hup, "the hang-up is remembered");
        assert_eq!(a.poll_events(false).count(), 0);
        assert_eq!(a.poll_events(true).count(), 1, "its input is read later");
        assert_eq!(
            a.on_ready(0, libc::POLLHUP, true, &mut buf),
            ClientInput::Stdin(2)
        );
    }

    #[test]
    fn a_slow_client_queues_and_pauses_output() {
        let (mut a, client) = one_client("slow");
        let packet = vec![rpod_proto::attach::STDOUT; MAX_PACKET];
        while !a.paused() {
            a.broadcast(&packet);
        }
        assert!(!a.flushed());
        assert!(a
            .poll_events(false)
            .all(|(_, _, ev)| ev & libc::POLLOUT != 0));
        let mut buf = vec![0; MAX_PACKET];
        while !a.flushed() {
            while recv(client.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT).is_ok() {}
            a.on_ready(0, libc::POLLOUT, false, &mut buf);
        }
        assert!(!a.paused());
    }
}
