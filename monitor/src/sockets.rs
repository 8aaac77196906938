//! Listening sockets: control (SOCK_STREAM), attach (SOCK_SEQPACKET) and
//! the console socket on which the runtime passes the PTY master.

use std::fs;
use std::io::{self, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::socket::{
    accept4, bind, listen, recvmsg, socket, AddressFamily, Backlog, ControlMessageOwned, MsgFlags,
    SockFlag, SockType, UnixAddr,
};

/// A socket file this monitor bound, identified by device and inode so
/// that removing it never deletes a successor's socket at the same path.
pub struct BoundPath {
    path: PathBuf,
    id: Option<(u64, u64)>,
}

impl BoundPath {
    pub(crate) fn new(path: &Path) -> BoundPath {
        let id = fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()));
        BoundPath {
            path: path.to_path_buf(),
            id,
        }
    }

    /// Unlinks the socket file if it is still the one bound here.
    pub fn remove(&self) {
        let current = fs::symlink_metadata(&self.path)
            .ok()
            .map(|m| (m.dev(), m.ino()));
        if current.is_some() && current == self.id {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Binds a SOCK_STREAM listener at `path` (replacing a stale socket file).
pub fn stream_listener(path: &Path) -> io::Result<(UnixListener, BoundPath)> {
    remove_stale(path)?;
    let l = UnixListener::bind(path)
        .map_err(|e| io::Error::new(e.kind(), format!("bind {}: {e}", path.display())))?;
    let bound = BoundPath::new(path);
    l.set_nonblocking(true)?;
    Ok((l, bound))
}

/// Binds a SOCK_SEQPACKET listener at `path`.
pub fn seqpacket_listener(path: &Path) -> io::Result<(OwnedFd, BoundPath)> {
    remove_stale(path)?;
    let fd = socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        None,
    )?;
    let addr = UnixAddr::new(path)?;
    bind(fd.as_raw_fd(), &addr).map_err(|e| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("bind {}: {e}", path.display()),
        )
    })?;
    let bound = BoundPath::new(path);
    listen(&fd, Backlog::new(64)?)?;
    Ok((fd, bound))
}

fn remove_stale(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Accepts one connection on a non-blocking SEQPACKET listener; `None`
/// when none is pending.
pub fn accept_seqpacket(listener: &OwnedFd) -> io::Result<Option<OwnedFd>> {
    loop {
        match accept4(
            listener.as_raw_fd(),
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        ) {
            // SAFETY: accept4 returned a new descriptor that nothing else owns.
            Ok(fd) => return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) })),
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) | Err(Errno::ECONNABORTED) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Accepts one connection on a non-blocking stream listener.
pub fn accept_stream(listener: &UnixListener) -> io::Result<Option<UnixStream>> {
    match listener.accept() {
        Ok((s, _)) => {
            s.set_nonblocking(true)?;
            Ok(Some(s))
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => Ok(None),
        Err(e) => Err(e),
    }
}

/// Receives the PTY master the runtime sends over a console-socket
/// connection (SCM_RIGHTS; the data part is the terminal's name).
pub fn receive_fd(conn: &UnixStream) -> io::Result<OwnedFd> {
    let mut name = [0u8; 256];
    let mut iov = [IoSliceMut::new(&mut name)];
    let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 2]);
    let msg = loop {
        match recvmsg::<()>(
            conn.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(m) => break m,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    };
    let mut received: Option<OwnedFd> = None;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            for fd in fds {
                // SAFETY: SCM_RIGHTS installed these descriptors in this
                // process just now; each is owned exactly once here.
                let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                if received.is_none() {
                    received = Some(owned);
                }
            }
        }
    }
    received.ok_or_else(|| io::Error::other("console socket message carried no file descriptor"))
}
