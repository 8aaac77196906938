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

/// `--sdnotify=healthy`: tells the service manager's socket the container
/// is ready when its health check first passes (the process that started
/// it has already named the monitor as main pid). Sent once per monitor.
pub struct HealthyNotify {
    outer: String,
    sent: bool,
}

impl HealthyNotify {
    pub fn new(outer: String) -> HealthyNotify {
        HealthyNotify { outer, sent: false }
    }

    /// The health status after a check: the first `healthy` sends `READY=1`.
    pub fn on_status(&mut self, status: &str) {
        if self.sent || status != rpod_proto::health::HEALTHY {
            return;
        }
        self.sent = true;
        if let Err(e) = send_to(&self.outer, b"READY=1\n") {
            diag::warn(&format!("sending READY=1 to {}: {e}", self.outer));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_goes_to_the_managers_socket_once_at_the_first_healthy_status() {
        let dir = std::env::temp_dir().join(format!("podmon-hn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("manager.sock");
        let manager = UnixDatagram::bind(&path).unwrap();
        manager.set_nonblocking(true).unwrap();
        let mut n = HealthyNotify::new(path.display().to_string());
        n.on_status(rpod_proto::health::STARTING);
        n.on_status(rpod_proto::health::UNHEALTHY);
        let mut buf = [0u8; 64];
        assert!(manager.recv(&mut buf).is_err(), "nothing before healthy");
        n.on_status(rpod_proto::health::HEALTHY);
        let len = manager.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1\n");
        n.on_status(rpod_proto::health::UNHEALTHY);
        n.on_status(rpod_proto::health::HEALTHY);
        assert!(manager.recv(&mut buf).is_err(), "sent once");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
