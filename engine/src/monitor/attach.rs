//! The attach socket client: a SOCK_SEQPACKET connection carrying tagged
//! packets (see `rpod_proto::attach`). Input, detaching and the session
//! around it are the front door's `AttachSession`
//! (`front_door::container_run::session`); detach keys are the client's.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::socket::{
    connect, recv, socket, AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr,
};

use super::error::MonitorError;

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
