//! Where the service listens: `unix://PATH` or `tcp://HOST:PORT`, or the
//! socket systemd passed (`LISTEN_FDS`/`LISTEN_PID`, socket activation).

use std::net::SocketAddr;
use std::os::fd::{FromRawFd, RawFd};
use std::path::{Path, PathBuf};

/// The default URI for root (Podman: `unix:///run/podman/podman.sock`).
pub const DEFAULT_URI: &str = "unix:///run/rpod/rpod.sock";

/// The first file descriptor systemd passes (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: RawFd = 3;

/// A parsed service URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "API Service endpoint scheme {scheme:?} is not supported. Try tcp://{uri} or unix://{uri}"
    )]
    Scheme { scheme: String, uri: String },
    #[error("{0:?}: invalid TCP address (tcp://IP:PORT)")]
    TcpAddress(String),
    #[error("{0:?}: a unix socket path must be absolute")]
    RelativePath(String),
    #[error("creating {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("listening on {what}: {source}")]
    Bind {
        what: String,
        source: std::io::Error,
    },
    #[error("socket activation: {0}")]
    Activation(String),
}

impl Endpoint {
    /// Parses `unix://PATH` (`unix:///run/x.sock`, or `unix:/run/x.sock`
    /// as Go's URL parser reads it) or `tcp://IP:PORT` (or `tcp:IP:PORT`).
    pub fn parse(uri: &str) -> Result<Endpoint, EndpointError> {
        if let Some(path) = uri
            .strip_prefix("unix://")
            .or_else(|| uri.strip_prefix("unix:").filter(|p| p.starts_with('/')))
        {
            if !path.starts_with('/') {
                return Err(EndpointError::RelativePath(uri.to_owned()));
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        if let Some(addr) = uri
            .strip_prefix("tcp://")
            .or_else(|| uri.strip_prefix("tcp:"))
        {
            let addr = addr.trim_end_matches('/');
            let addr = addr
                .strip_prefix("localhost:")
                .map(|port| format!("127.0.0.1:{port}"))
                .unwrap_or_else(|| addr.to_owned());
            return addr
                .parse()
                .map(Endpoint::Tcp)
                .map_err(|_| EndpointError::TcpAddress(uri.to_owned()));
        }
        Err(EndpointError::Scheme {
            scheme: uri.split_once(':').map_or("", |(s, _)| s).to_owned(),
            uri: uri.to_owned(),
        })
    }

    /// Binds the endpoint: a unix socket's directory is created and a stale
    /// socket file left by an earlier service is replaced.
    pub fn bind(&self) -> Result<Listener, EndpointError> {
        match self {
            Endpoint::Unix(path) => bind_unix(path),
            Endpoint::Tcp(addr) => std::net::TcpListener::bind(addr)
                .and_then(|l| {
                    l.set_nonblocking(true)?;
                    tokio::net::TcpListener::from_std(l)
                })
                .map(Listener::Tcp)
                .map_err(|source| EndpointError::Bind {
                    what: addr.to_string(),
                    source,
                }),
        }
    }
}

fn bind_unix(path: &Path) -> Result<Listener, EndpointError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| EndpointError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    let bind_err = |source| EndpointError::Bind {
        what: path.display().to_string(),
        source,
    };
    // A socket file left by a service that was killed: nobody listens on it.
    if std::os::unix::net::UnixStream::connect(path).is_err() {
        use std::os::unix::fs::FileTypeExt;
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
            std::fs::remove_file(path).map_err(bind_err)?;
        }
    }
    let l = std::os::unix::net::UnixListener::bind(path).map_err(bind_err)?;
    l.set_nonblocking(true).map_err(bind_err)?;
    tokio::net::UnixListener::from_std(l)
        .map(|l| Listener::Unix(l, Some(path.to_owned())))
        .map_err(bind_err)
}

/// A bound socket. A unix socket the service bound itself carries its path
/// (removed when the service ends); an activated one does not.
pub enum Listener {
    Unix(tokio::net::UnixListener, Option<PathBuf>),
    Tcp(tokio::net::TcpListener),
}

/// The socket systemd passed, when `LISTEN_PID` is this process and
/// `LISTEN_FDS` is at least 1 (the first one is served). The variables are
/// removed so that children do not see them.
pub fn activated() -> Result<Option<Listener>, EndpointError> {
    let pid = std::env::var("LISTEN_PID").ok();
    let fds = std::env::var("LISTEN_FDS").ok();
    let (Some(pid), Some(fds)) = (pid, fds) else {
        return Ok(None);
    };
    if pid.parse::<u32>().ok() != Some(std::process::id()) {
        return Ok(None);
    }
    // Called at start-up, before the service's threads read the environment.
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_FDNAMES");
    let n: i32 = fds
        .parse()
        .map_err(|_| EndpointError::Activation(format!("LISTEN_FDS={fds:?} is not a number")))?;
    if n < 1 {
        return Ok(None);
    }
    from_fd(LISTEN_FDS_START).map(Some)
}

/// The listening socket `fd`, unix or TCP by its address family.
fn from_fd(fd: RawFd) -> Result<Listener, EndpointError> {
    use nix::sys::socket::{getsockname, AddressFamily, SockaddrLike, SockaddrStorage};
    let addr: SockaddrStorage = getsockname(fd)
        .map_err(|e| EndpointError::Activation(format!("file descriptor {fd}: {e}")))?;
    let bad = |e: std::io::Error| EndpointError::Activation(format!("file descriptor {fd}: {e}"));
    match addr.family() {
        Some(AddressFamily::Unix) => {
            // SAFETY: systemd passed `fd` to this process as a listening
            // socket (LISTEN_PID is ours); nothing else owns it.
            let l = unsafe { std::os::unix::net::UnixListener::from_raw_fd(fd) };
            l.set_nonblocking(true).map_err(bad)?;
            tokio::net::UnixListener::from_std(l)
                .map(|l| Listener::Unix(l, None))
                .map_err(bad)
        }
        Some(AddressFamily::Inet) | Some(AddressFamily::Inet6) => {
            // SAFETY: as above, a listening socket systemd handed to us.
            let l = unsafe { std::net::TcpListener::from_raw_fd(fd) };
            l.set_nonblocking(true).map_err(bad)?;
            tokio::net::TcpListener::from_std(l)
                .map(Listener::Tcp)
                .map_err(bad)
        }
        other => Err(EndpointError::Activation(format!(
            "file descriptor {fd} is no unix or TCP socket ({other:?})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris() {
        assert_eq!(
            Endpoint::parse(DEFAULT_URI).unwrap(),
            Endpoint::Unix("/run/rpod/rpod.sock".into())
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:8080").unwrap(),
            Endpoint::Tcp("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            Endpoint::parse("tcp://localhost:9").unwrap(),
            Endpoint::Tcp("127.0.0.1:9".parse().unwrap())
        );
        assert!(matches!(
            Endpoint::parse("unix://x.sock"),
            Err(EndpointError::RelativePath(_))
        ));
        assert!(matches!(
            Endpoint::parse("tcp://nohost"),
            Err(EndpointError::TcpAddress(_))
        ));
        assert!(matches!(
            Endpoint::parse("http://x"),
            Err(EndpointError::Scheme { .. })
        ));
        assert_eq!(
            Endpoint::parse("localhost:9292").unwrap_err().to_string(),
            "API Service endpoint scheme \"localhost\" is not supported. Try tcp://localhost:9292 or unix://localhost:9292"
        );
        assert_eq!(
            Endpoint::parse("unix:/run/x.sock").unwrap(),
            Endpoint::Unix(PathBuf::from("/run/x.sock"))
        );
        assert_eq!(
            Endpoint::parse("tcp:127.0.0.1:80").unwrap(),
            Endpoint::Tcp("127.0.0.1:80".parse().unwrap())
        );
    }

    #[tokio::test]
    async fn binds_replacing_a_stale_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/s.sock");
        let first = Endpoint::Unix(path.clone()).bind().unwrap();
        drop(first);
        assert!(path.exists(), "a dropped listener leaves its file");
        let second = Endpoint::Unix(path.clone()).bind();
        assert!(second.is_ok());
    }
}
