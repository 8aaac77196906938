//! `--sdnotify=container`: the container's own readiness notification.
//! The monitor binds a datagram socket in the container's run directory
//! (bind-mounted into the container, `NOTIFY_SOCKET` names it there) and,
//! when the container sends `READY=1`, tells the service manager's socket
//! that the container is ready, with the monitor as the main process.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;

use rpod_proto::NotifyConfig;

use crate::diag;
use crate::sockets::BoundPath;

/// Largest notification read (systemd's own limit is far larger than
/// anything `READY=1`/`STATUS=` needs; longer datagrams are truncated).
const MAX_DATAGRAM: usize = 4096;

/// The container-side notify socket and where readiness is relayed to.
pub struct Notify {
    sock: UnixDatagram,
    bound: BoundPath,
    outer: String,
    buf: Vec<u8>,
}

impl Notify {
    /// Binds the container-side socket (replacing a stale one), writable
    /// by any user of the container.
    pub fn bind(cfg: &NotifyConfig) -> io::Result<Notify> {
        match std::fs::remove_file(&cfg.socket_path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let sock = UnixDatagram::bind(&cfg.socket_path).map_err(|e| {
            io::Error::new(e.kind(), format!("bind {}: {e}", cfg.socket_path.display()))
        })?;
        let bound = BoundPath::new(&cfg.socket_path);
        std::fs::set_permissions(&cfg.socket_path, std::fs::Permissions::from_mode(0o777))?;
        sock.set_nonblocking(true)?;
        Ok(Notify {
            sock,
            bound,
            outer: cfg.outer_socket.clone(),
            buf: vec![0; MAX_DATAGRAM],
        })
    }

    /// The descriptor to poll for readability.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// Reads every pending datagram; relays readiness for each `READY=1`.
    pub fn on_readable(&mut self, monitor_pid: i32) {
        loop {
            let n = match self.sock.recv(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    diag::warn(&format!("notify socket: {e}"));
                    return;
                }
            };
            let ready = self.buf[..n]
                .split(|&b| b == b'\n')
                .any(|line| line == b"READY=1");
            if ready {
                let msg = format!("MAINPID={monitor_pid}\nREADY=1\n");
                if let Err(e) = send_to(&self.outer, msg.as_bytes()) {
                    diag::warn(&format!("relaying READY=1 to {}: {e}", self.outer));
                }
            }
        }
    }

    /// Unlinks the socket file if it is still this monitor's.
    pub fn remove(&self) {
        self.bound.remove();
    }
}

/// Sends one datagram to a path or (leading `@`) abstract socket address.
fn send_to(target: &str, msg: &[u8]) -> io::Result<()> {
    let sock = UnixDatagram::unbound()?;
    if let Some(abs) = target.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(abs.as_bytes())?;
        sock.send_to_addr(msg, &addr)?;
    } else {
        sock.send_to(msg, target)?;
    }
    Ok(())
}
