//! One attach client on the SOCK_SEQPACKET socket: output packets are
//! sent without blocking and queued (bounded by the caller's
//! back-pressure) when the client is slow.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{recv, send, MsgFlags};

/// What one receive on a client produced.
pub enum AttachInput {
    /// A packet of this many bytes is in the buffer.
    Packet(usize),
    /// The client half-closed or closed its end.
    Eof,
    WouldBlock,
}

pub struct AttachConn {
    pub fd: OwnedFd,
    queue: VecDeque<Vec<u8>>,
    queued: usize,
    /// The client will send no more input.
    pub eof: bool,
    /// The client sent DETACH: its EOF must not close the container's stdin.
    pub detached: bool,
    /// The client hung up while its input was not being read.
    pub hup: bool,
    /// To be dropped at the end of this loop iteration.
    pub dead: bool,
}

impl AttachConn {
    pub fn new(fd: OwnedFd) -> AttachConn {
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
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Sends `packet` now if nothing is queued before it, else queues it.
    pub fn send_packet(&mut self, packet: &[u8]) -> io::Result<()> {
        if self.queue.is_empty() && try_send(&self.fd, packet)? {
            return Ok(());
        }
        self.queued += packet.len();
        self.queue.push_back(packet.to_vec());
        Ok(())
    }

    /// Sends queued packets until the socket would block.
    pub fn flush(&mut self) -> io::Result<()> {
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
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<AttachInput> {
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
