//! Remote connections as Podman keeps them (its `podman-connections.json`
//! shape), in rpod's own file: `$XDG_CONFIG_HOME/rpod/rpod-connections.json`
//! (`~/.config/rpod/...`), never Podman's. And which service a remote
//! command talks to: `--url`, `--connection`, `CONTAINER_HOST`,
//! `CONTAINER_CONNECTION`, the default connection, or the local default
//! socket.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cli_error::{CliError, CliResult};

/// The service's default socket for root (`rpod system service`'s default).
pub const DEFAULT_URL: &str = "unix:///run/rpod/rpod.sock";

/// One named connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    #[serde(rename = "URI")]
    pub uri: String,
    #[serde(rename = "Identity", default, skip_serializing_if = "String::is_empty")]
    pub identity: String,
    #[serde(rename = "IsMachine", default)]
    pub is_machine: bool,
    /// `--tls-ca`: the CA bundle the service's certificate is checked against.
    #[serde(
        rename = "TLSCAFile",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub tls_ca: String,
    /// `--tls-cert`: the client certificate (mutual TLS).
    #[serde(
        rename = "TLSCertFile",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub tls_cert: String,
    /// `--tls-key`: the client certificate's key.
    #[serde(
        rename = "TLSKeyFile",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub tls_key: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSection {
    #[serde(rename = "Default", default)]
    pub default: String,
    #[serde(rename = "Connections", default)]
    pub connections: BTreeMap<String, Destination>,
}

/// The whole file (`Farm` kept as it was found).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionsFile {
    #[serde(rename = "Connection", default)]
    pub connection: ConnectionSection,
    #[serde(rename = "Farm", default)]
    pub farm: serde_json::Map<String, serde_json::Value>,
}

/// Where the file lives.
pub fn path() -> CliResult<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => {
            let home = std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .ok_or_else(|| CliError::usage("neither XDG_CONFIG_HOME nor HOME is set"))?;
            PathBuf::from(home).join(".config")
        }
    };
    Ok(base.join("rpod").join("rpod-connections.json"))
}

impl ConnectionsFile {
    /// The file's contents (empty when it does not exist).
    pub fn load() -> CliResult<ConnectionsFile> {
        let p = path()?;
        match std::fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| CliError::usage(format!("reading {}: {e}", p.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConnectionsFile::default()),
            Err(e) => Err(CliError::usage(format!("reading {}: {e}", p.display()))),
        }
    }

    /// Writes the file whole (a temporary file renamed over it).
    pub fn save(&self) -> CliResult<()> {
        let p = path()?;
        let err = |e: std::io::Error| CliError::usage(format!("writing {}: {e}", p.display()));
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut text = serde_json::to_string(self)
            .map_err(|e| CliError::usage(format!("encoding connections: {e}")))?;
        text.push('\n');
        let tmp = p.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(err)?;
        std::fs::rename(&tmp, &p).map_err(err)
    }
}

/// The service a remote command talks to, and the ssh key for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub identity: Option<PathBuf>,
    /// The TLS files: the flags', else the connection's.
    pub tls: rpod_remote::tls::TlsOptions,
}

/// What the user named (flags and environment).
#[derive(Clone, Debug, Default)]
pub struct Wanted {
    pub url: Option<String>,
    pub connection: Option<String>,
    /// `--context` (Docker's `--connection`; `default` names none).
    pub context: Option<String>,
    /// `-H/--host` (Docker's `--url`).
    pub host: Option<String>,
    pub identity: Option<PathBuf>,
    /// `--tls-ca`, `--tls-cert`, `--tls-key`.
    pub tls: rpod_remote::tls::TlsOptions,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Resolves the target as Podman does: `--connection`, then `--url`, then
/// `--context` (unless `default`), then `--host`, then `CONTAINER_HOST`,
/// then `CONTAINER_CONNECTION`, then the default connection, then the
/// local default socket. `--identity` (or
/// `CONTAINER_SSHKEY`) overrides a connection's identity.
pub fn resolve(w: &Wanted) -> CliResult<Target> {
    let identity = w
        .identity
        .clone()
        .or_else(|| env("CONTAINER_SSHKEY").map(PathBuf::from));
    let direct = |url: String| Target {
        url,
        identity: identity.clone(),
        tls: w.tls.clone(),
    };
    let named = |name: &str| -> CliResult<Target> {
        let file = ConnectionsFile::load()?;
        let d = file.connection.connections.get(name).ok_or_else(|| {
            CliError::usage(format!("read cli flags: connection \"{name}\" not found"))
        })?;
        let path = |flag: &Option<PathBuf>, stored: &str| {
            flag.clone()
                .or_else(|| Some(PathBuf::from(stored)).filter(|_| !stored.is_empty()))
        };
        Ok(Target {
            url: d.uri.clone(),
            identity: identity
                .clone()
                .or_else(|| Some(PathBuf::from(&d.identity)).filter(|_| !d.identity.is_empty())),
            tls: rpod_remote::tls::TlsOptions {
                ca: path(&w.tls.ca, &d.tls_ca),
                cert: path(&w.tls.cert, &d.tls_cert),
                key: path(&w.tls.key, &d.tls_key),
            },
        })
    };
    if let Some(c) = &w.connection {
        return named(c);
    }
    if let Some(u) = &w.url {
        return Ok(direct(u.clone()));
    }
    if let Some(c) = w.context.as_deref().filter(|c| *c != "default") {
        return named(c);
    }
    if let Some(h) = &w.host {
        return Ok(direct(h.clone()));
    }
    if let Some(h) = env("CONTAINER_HOST") {
        return Ok(direct(h));
    }
    if let Some(c) = env("CONTAINER_CONNECTION") {
        return named(&c);
    }
    let file = ConnectionsFile::load()?;
    if !file.connection.default.is_empty() {
        return named(&file.connection.default);
    }
    Ok(direct(
        rpod_engine::user_service_uri().unwrap_or_else(|| DEFAULT_URL.to_owned()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_shape_is_podmans() {
        let mut f = ConnectionsFile::default();
        f.connection.default = "a".into();
        f.connection.connections.insert(
            "a".into(),
            Destination {
                uri: "ssh://root@h:22/run/rpod/rpod.sock".into(),
                identity: "/k".into(),
                is_machine: false,
                ..Default::default()
            },
        );
        let text = serde_json::to_string(&f).unwrap();
        assert_eq!(
            text,
            r#"{"Connection":{"Default":"a","Connections":{"a":{"URI":"ssh://root@h:22/run/rpod/rpod.sock","Identity":"/k","IsMachine":false}}},"Farm":{}}"#
        );
        let back: ConnectionsFile = serde_json::from_str(&text).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn connection_flag_wins_then_url_then_context_then_host() {
        let w = Wanted {
            url: Some("unix:///x".into()),
            connection: Some("nope".into()),
            ..Default::default()
        };
        let e = resolve(&w).unwrap_err().to_string();
        assert!(e.contains("connection \"nope\" not found"), "{e}");
        let w = Wanted {
            url: Some("unix:///x".into()),
            context: Some("nope".into()),
            host: Some("unix:///h".into()),
            ..Default::default()
        };
        assert_eq!(resolve(&w).unwrap().url, "unix:///x");
        let w = Wanted {
            context: Some("default".into()),
            host: Some("unix:///h".into()),
            ..Default::default()
        };
        assert_eq!(resolve(&w).unwrap().url, "unix:///h");
        let w = Wanted {
            context: Some("nope".into()),
            host: Some("unix:///h".into()),
            ..Default::default()
        };
        let e = resolve(&w).unwrap_err().to_string();
        assert!(e.contains("connection \"nope\" not found"), "{e}");
    }
}
