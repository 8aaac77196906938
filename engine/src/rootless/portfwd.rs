//! Published ports of a container on a rootless bridge network, as
//! Podman's `rootlessport` forwards them: a process of the user's in the
//! host's network namespace listens on the host ports (the sockets rpod
//! reserved, inherited). For each TCP connection it opens one from inside
//! the rootless network namespace to the container's address and copies
//! both ways; for each UDP peer it keeps a socket made inside that
//! namespace, relaying datagrams both ways until the peer is idle for a
//! minute. It runs as `rpod rootlessport` (comm `rootlessport`), from the
//! container's setup until its teardown.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::network::helper_proc::{self, HelperError};

/// The process name the forwarder takes.
pub const NAME: &str = "rootlessport";

/// How long a UDP peer may stay silent before its relay is dropped.
const UDP_IDLE: Duration = Duration::from_secs(60);

/// The protocols forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

/// One forwarded port: a host socket (bound, TCP not yet listening) and
/// where its connections or datagrams go inside the rootless network
/// namespace.
#[derive(Debug)]
pub struct Forward {
    pub socket: OwnedFd,
    pub proto: Proto,
    pub target: SocketAddr,
}

/// Starts the forwarder for `forwards` (its sockets passed on, closed
/// here), detached in a session of its own, its output in `log`; writes
/// its pid to `pid_file` and returns it.
pub fn spawn(
    exe: &Path,
    netns: &Path,
    forwards: Vec<Forward>,
    pid_file: &Path,
    log: &Path,
) -> Result<i32, HelperError> {
    let out = helper_proc::log_file(log)?;
    let mut cmd = Command::new(exe);
    cmd.arg(NAME).arg("--netns").arg(netns);
    let fds: Vec<RawFd> = forwards.iter().map(|f| f.socket.as_raw_fd()).collect();
    for f in &forwards {
        let proto = match f.proto {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        };
        cmd.arg("--forward")
            .arg(format!("{}={}/{proto}", f.socket.as_raw_fd(), f.target));
    }
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone().map_err(|e| HelperError::io(log, e))?)
        .stderr(out);
    // SAFETY: runs in the forked child before exec and makes only
    // async-signal-safe calls (fcntl, setsid) on descriptors this process
    // keeps open until the child is spawned (`forwards` lives past it).
    unsafe {
        cmd.pre_exec(move || {
            for &fd in &fds {
                if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            libc::setsid();
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| HelperError::io(exe, e))?;
    drop(forwards);
    let pid = helper_proc::reap_in_background(child);
    std::fs::write(pid_file, format!("{pid}\n")).map_err(|e| HelperError::io(pid_file, e))?;
    Ok(pid)
}

/// Stops the forwarder recorded in `pid_file` (when it still serves
/// `netns`) and removes the file.
pub fn stop(pid_file: &Path, netns: &Path) {
    if let Some(pid) = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
    {
        helper_proc::stop(pid, netns);
    }
    let _ = std::fs::remove_file(pid_file);
}

/// Parses a `FD=ADDRESS:PORT/PROTO` argument of `rpod rootlessport`.
pub fn parse_forward(arg: &str) -> Result<(RawFd, Proto, SocketAddr), String> {
    let (fd, target) = arg
        .split_once('=')
        .ok_or_else(|| format!("invalid forward {arg:?}: want FD=ADDRESS:PORT/PROTO"))?;
    let fd = fd
        .parse::<RawFd>()
        .map_err(|_| format!("invalid descriptor in {arg:?}"))?;
    let (target, proto) = match target.rsplit_once('/') {
        Some((t, "tcp")) => (t, Proto::Tcp),
        Some((t, "udp")) => (t, Proto::Udp),
        _ => return Err(format!("invalid protocol in {arg:?}: want tcp or udp")),
    };
    let target = target
        .parse::<SocketAddr>()
        .map_err(|_| format!("invalid address in {arg:?}"))?;
    Ok((fd, proto, target))
}

/// The forwarder's body: serves every inherited socket until killed.
/// Returns only on a setup failure.
pub fn serve(netns: &Path, forwards: &[(RawFd, Proto, SocketAddr)]) -> io::Result<()> {
    set_name();
    let ns = Arc::new(File::open(netns)?);
    let mut threads = Vec::new();
    for &(fd, proto, target) in forwards {
        let ns = Arc::clone(&ns);
        if proto == Proto::Udp {
            // SAFETY: the descriptor was inherited for this process alone
            // and is owned by the socket from here on.
            let socket = unsafe { UdpSocket::from_raw_fd(fd) };
            threads.push(std::thread::spawn(move || udp_loop(socket, ns, target)));
            continue;
        }
        // SAFETY: listen(2) on a descriptor the parent passed for this
        // purpose; no memory is involved.
        if unsafe { libc::listen(fd, 128) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the descriptor was inherited for this process alone and
        // is owned by the listener from here on.
        let listener = unsafe { TcpListener::from_raw_fd(fd) };
        threads.push(std::thread::spawn(move || {
            accept_loop(listener, ns, target)
        }));
    }
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

/// Names the process (its main thread's comm, whichever thread calls).
fn set_name() {
    if let Err(e) = std::fs::write("/proc/self/comm", NAME) {
        tracing::debug!("naming the process {NAME}: {e}");
    }
}

fn accept_loop(listener: TcpListener, ns: Arc<File>, target: SocketAddr) {
    for conn in listener.incoming() {
        match conn {
            Ok(client) => {
                let ns = Arc::clone(&ns);
                std::thread::spawn(move || {
                    if let Err(e) = relay(client, &ns, target) {
                        tracing::debug!("forwarding to {target}: {e}");
                    }
                });
            }
            Err(e) => tracing::debug!("accepting: {e}"),
        }
    }
}

/// Connects to `target` from inside `ns` (this thread joins it) and
/// copies both ways until both sides are done.
fn relay(client: TcpStream, ns: &File, target: SocketAddr) -> io::Result<()> {
    nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET)?;
    let upstream = TcpStream::connect(target)?;
    let (mut c_read, mut u_write) = (client.try_clone()?, upstream.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(Shutdown::Write);
    });
    let (mut u_read, mut c_write) = (upstream, client);
    let _ = io::copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// Relays the datagrams of each peer of `host` through a socket of its
/// own made inside `ns`, connected to `target`; replies go back to the
/// peer from `host`.
fn udp_loop(host: UdpSocket, ns: Arc<File>, target: SocketAddr) {
    let host = Arc::new(host);
    let peers: Arc<Mutex<HashMap<SocketAddr, Arc<UdpSocket>>>> = Arc::default();
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, peer) = match host.recv_from(&mut buf) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!("receiving: {e}");
                continue;
            }
        };
        let known = peers.lock().ok().and_then(|p| p.get(&peer).cloned());
        let upstream = match known {
            Some(u) => u,
            None => match udp_upstream(&ns, target) {
                Ok(u) => {
                    let u = Arc::new(u);
                    if let Ok(mut p) = peers.lock() {
                        p.insert(peer, Arc::clone(&u));
                    }
                    let (host, peers, reply) =
                        (Arc::clone(&host), Arc::clone(&peers), Arc::clone(&u));
                    std::thread::spawn(move || {
                        let mut buf = vec![0u8; 65536];
                        while let Ok(n) = reply.recv(&mut buf) {
                            let _ = host.send_to(&buf[..n], peer);
                        }
                        if let Ok(mut p) = peers.lock() {
                            p.remove(&peer);
                        }
                    });
                    u
                }
                Err(e) => {
                    tracing::debug!("forwarding to {target}: {e}");
                    continue;
                }
            },
        };
        let _ = upstream.send(&buf[..n]);
    }
}

/// A UDP socket made inside `ns` (on a thread that joins it), connected
/// to `target`, giving up after [`UDP_IDLE`] without a reply.
fn udp_upstream(ns: &Arc<File>, target: SocketAddr) -> io::Result<UdpSocket> {
    let ns = Arc::clone(ns);
    std::thread::spawn(move || -> io::Result<UdpSocket> {
        nix::sched::setns(&*ns, nix::sched::CloneFlags::CLONE_NEWNET)?;
        let any: SocketAddr = if target.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let s = UdpSocket::bind(any)?;
        s.connect(target)?;
        s.set_read_timeout(Some(UDP_IDLE))?;
        Ok(s)
    })
    .join()
    .unwrap_or_else(|_| Err(io::Error::other("the namespace thread panicked")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_parse() {
        assert_eq!(
            parse_forward("5=10.88.0.2:80/tcp").unwrap(),
            (5, Proto::Tcp, "10.88.0.2:80".parse().unwrap())
        );
        assert_eq!(
            parse_forward("6=10.88.0.2:53/udp").unwrap(),
            (6, Proto::Udp, "10.88.0.2:53".parse().unwrap())
        );
        assert!(parse_forward("5").is_err());
        assert!(parse_forward("5=10.88.0.2:80").is_err());
        assert!(parse_forward("5=10.88.0.2:80/sctp").is_err());
        assert!(parse_forward("x=10.88.0.2:80/tcp").is_err());
        assert!(parse_forward("5=10.88.0.2/tcp").is_err());
    }
}
