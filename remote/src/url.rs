//! Connection URLs as Podman takes them: `unix:///path`, `tcp://host:port`,
//! `ssh://[user@]host[:port]/path/of/the/remote/socket`.

use std::path::PathBuf;

use rpod_api::Error;

/// A parsed connection URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteUrl {
    Unix(PathBuf),
    /// `host:port`.
    Tcp(String),
    Ssh {
        user: Option<String>,
        host: String,
        port: Option<u16>,
        /// The service's socket on the remote host.
        path: String,
    },
}

impl RemoteUrl {
    /// Parses a URL; a bad one is an invalid-argument error.
    pub fn parse(url: &str) -> Result<RemoteUrl, Error> {
        let bad = |why: &str| Error::invalid(format!("invalid remote URL {url:?}: {why}"));
        // `unix:/path` (no slashes after the colon) as Go's URL parser takes it.
        let (scheme, rest) = match url.split_once("://") {
            Some(parts) => parts,
            None => match url.strip_prefix("unix:").filter(|p| p.starts_with('/')) {
                Some(path) => ("unix", path),
                None => return Err(bad("expected SCHEME://...")),
            },
        };
        match scheme {
            "unix" => {
                if !rest.starts_with('/') {
                    return Err(bad("a unix socket needs an absolute path"));
                }
                Ok(RemoteUrl::Unix(PathBuf::from(rest)))
            }
            "tcp" => {
                let hostport = rest.trim_end_matches('/');
                match hostport.rsplit_once(':') {
                    Some((h, p)) if !h.is_empty() && p.parse::<u16>().is_ok() => {
                        Ok(RemoteUrl::Tcp(hostport.to_owned()))
                    }
                    _ => Err(bad("expected tcp://HOST:PORT")),
                }
            }
            "ssh" => {
                let (authority, path) = match rest.find('/') {
                    Some(i) => (&rest[..i], &rest[i..]),
                    None => (rest, ""),
                };
                if path.is_empty() || path == "/" {
                    return Err(bad("expected ssh://[USER@]HOST[:PORT]/PATH/OF/SOCKET"));
                }
                let (user, hostport) = match authority.rsplit_once('@') {
                    Some((u, h)) => (Some(u.to_owned()), h),
                    None => (None, authority),
                };
                let (host, port) = match hostport.rsplit_once(':') {
                    Some((h, p)) => (h, Some(p.parse::<u16>().map_err(|_| bad("invalid port"))?)),
                    None => (hostport, None),
                };
                if host.is_empty() {
                    return Err(bad("no host"));
                }
                Ok(RemoteUrl::Ssh {
                    user,
                    host: host.to_owned(),
                    port,
                    path: path.to_owned(),
                })
            }
            other => Err(Error::invalid(format!(
                "invalid remote URL {url:?}: scheme {other:?} not supported (unix, tcp, ssh)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_without_slashes() {
        assert_eq!(
            RemoteUrl::parse("unix:/run/x.sock").unwrap(),
            RemoteUrl::Unix(PathBuf::from("/run/x.sock"))
        );
        assert!(RemoteUrl::parse("unix:x.sock").is_err());
    }

    #[test]
    fn urls() {
        assert_eq!(
            RemoteUrl::parse("unix:///run/rpod/rpod.sock").unwrap(),
            RemoteUrl::Unix("/run/rpod/rpod.sock".into())
        );
        assert_eq!(
            RemoteUrl::parse("tcp://127.0.0.1:8080").unwrap(),
            RemoteUrl::Tcp("127.0.0.1:8080".into())
        );
        assert_eq!(
            RemoteUrl::parse("ssh://core@host:2222/run/rpod/rpod.sock").unwrap(),
            RemoteUrl::Ssh {
                user: Some("core".into()),
                host: "host".into(),
                port: Some(2222),
                path: "/run/rpod/rpod.sock".into()
            }
        );
        assert!(RemoteUrl::parse("http://x").is_err());
        assert!(RemoteUrl::parse("unix://relative").is_err());
        assert!(RemoteUrl::parse("tcp://host").is_err());
        assert!(RemoteUrl::parse("ssh://host").is_err());
    }
}
