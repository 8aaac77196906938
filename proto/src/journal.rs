//! The systemd journal's native protocol (what `sd_journal_sendv` speaks):
//! one datagram per entry on `/run/systemd/journal/socket`, each field
//! `NAME=value\n`, or `NAME\n` + little-endian u64 length + value + `\n`
//! when the value holds a newline. The monitor sends container output with
//! conmon's fields ([`log_fields`]); monitors and engine send events with
//! Podman's `PODMAN_*` fields (see [`crate::events`]).

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::Path;

/// journald's native socket.
pub const SOCKET: &str = "/run/systemd/journal/socket";

/// journald priorities conmon gives container output: `info` for stdout,
/// `err` for stderr (Podman's reader maps them back).
pub const PRIORITY_STDOUT: u8 = 6;
pub const PRIORITY_STDERR: u8 = 3;

/// One entry's fields, in order.
pub type Fields = Vec<(&'static str, Vec<u8>)>;

/// The datagram of an entry with `fields`.
pub fn encode(fields: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.iter().map(|(k, v)| k.len() + v.len() + 10).sum());
    for (name, value) in fields {
        out.extend_from_slice(name.as_bytes());
        if value.contains(&b'\n') {
            out.push(b'\n');
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            out.push(b'=');
        }
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out
}

/// A connection to journald's native socket.
pub struct Journal {
    sock: UnixDatagram,
}

impl Journal {
    /// Connects to journald's socket (fails when no journal listens).
    pub fn connect() -> io::Result<Journal> {
        Journal::connect_to(Path::new(SOCKET))
    }

    /// Connects to the native socket at `path`.
    pub fn connect_to(path: &Path) -> io::Result<Journal> {
        let sock = UnixDatagram::unbound()?;
        sock.connect(path)?;
        Ok(Journal { sock })
    }

    /// Sends one entry.
    pub fn send(&self, fields: &[(&str, Vec<u8>)]) -> io::Result<()> {
        let data = encode(fields);
        let n = self.sock.send(&data)?;
        if n != data.len() {
            return Err(io::Error::other("short write to the journal socket"));
        }
        Ok(())
    }
}

/// What the container's log entries carry besides the message (conmon's
/// journald fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalLogConfig {
    /// The container's name (`CONTAINER_NAME`, and `SYSLOG_IDENTIFIER`
    /// unless a tag is set).
    #[serde(default)]
    pub name: String,
    /// `--log-opt tag=`: `CONTAINER_TAG` and `SYSLOG_IDENTIFIER`.
    #[serde(default)]
    pub tag: Option<String>,
}

/// The fields conmon writes for one line of output: `MESSAGE` (without its
/// newline), `CONTAINER_ID_FULL`, `PRIORITY` (6 stdout, 3 stderr),
/// `CONTAINER_ID` (12 characters), `CONTAINER_TAG` (with a tag),
/// `CONTAINER_NAME`, `SYSLOG_IDENTIFIER` (tag, else name, else short ID),
/// and `CONTAINER_PARTIAL_MESSAGE=true` for a line without its end.
pub fn log_fields(
    id: &str,
    cfg: &JournalLogConfig,
    stderr: bool,
    message: &[u8],
    partial: bool,
) -> Fields {
    let short = &id[..id.len().min(12)];
    let priority = if stderr {
        PRIORITY_STDERR
    } else {
        PRIORITY_STDOUT
    };
    let mut f: Fields = vec![
        ("MESSAGE", message.to_vec()),
        ("CONTAINER_ID_FULL", id.as_bytes().to_vec()),
        ("PRIORITY", priority.to_string().into_bytes()),
        ("CONTAINER_ID", short.as_bytes().to_vec()),
    ];
    if let Some(tag) = &cfg.tag {
        f.push(("CONTAINER_TAG", tag.as_bytes().to_vec()));
    }
    if !cfg.name.is_empty() {
        f.push(("CONTAINER_NAME", cfg.name.as_bytes().to_vec()));
    }
    let ident = cfg
        .tag
        .as_deref()
        .or((!cfg.name.is_empty()).then_some(cfg.name.as_str()))
        .unwrap_or(short);
    f.push(("SYSLOG_IDENTIFIER", ident.as_bytes().to_vec()));
    if partial {
        f.push(("CONTAINER_PARTIAL_MESSAGE", b"true".to_vec()));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_binary_safe_fields() {
        let got = encode(&[("MESSAGE", b"hi".to_vec()), ("X", b"a\nb".to_vec())]);
        let mut want = b"MESSAGE=hi\nX\n".to_vec();
        want.extend_from_slice(&3u64.to_le_bytes());
        want.extend_from_slice(b"a\nb\n");
        assert_eq!(got, want);
    }

    #[test]
    fn conmon_fields() {
        let id = "0123456789abcdef0123";
        let cfg = JournalLogConfig {
            name: "web".into(),
            tag: None,
        };
        let f = log_fields(id, &cfg, true, b"oops", true);
        let get = |k: &str| {
            f.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
        };
        assert_eq!(get("PRIORITY").as_deref(), Some("3"));
        assert_eq!(get("CONTAINER_ID").as_deref(), Some("0123456789ab"));
        assert_eq!(get("SYSLOG_IDENTIFIER").as_deref(), Some("web"));
        assert_eq!(get("CONTAINER_PARTIAL_MESSAGE").as_deref(), Some("true"));
        let tagged = JournalLogConfig {
            name: String::new(),
            tag: Some("t".into()),
        };
        let f = log_fields(id, &tagged, false, b"ok", false);
        assert!(f.contains(&("SYSLOG_IDENTIFIER", b"t".to_vec())));
        assert!(f.contains(&("CONTAINER_TAG", b"t".to_vec())));
        assert!(f.contains(&("PRIORITY", b"6".to_vec())));
        assert!(!f.iter().any(|(n, _)| *n == "CONTAINER_PARTIAL_MESSAGE"));
    }
}
