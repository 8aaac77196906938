//! The requests the RPCs accepted, waiting for their client to connect:
//! each under a random one-use token that expires after a minute (the
//! kubelet streaming library's cache).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::distributions::Alphanumeric;
use rand::Rng;

/// How long a URL stays valid.
const TTL: Duration = Duration::from_secs(60);
/// At most this many requests wait; the oldest goes first.
const MAX_PENDING: usize = 1000;

/// Which streams of a remote command the client takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Streams {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

/// An `Exec` waiting for its connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecStream {
    pub container_id: String,
    pub cmd: Vec<String>,
    pub streams: Streams,
}

/// An `Attach` waiting for its connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachStream {
    pub container_id: String,
    pub streams: Streams,
}

/// A `PortForward` waiting for its connection: the sandbox's network
/// namespace (`None`: the host's, for a host-network sandbox).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortForwardTarget {
    pub sandbox_id: String,
    pub netns: Option<std::path::PathBuf>,
    /// The ports the RPC named (the URL's `port` parameters win).
    pub ports: Vec<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    Exec(ExecStream),
    Attach(AttachStream),
    PortForward(PortForwardTarget),
}

impl Pending {
    /// The URL path's first element.
    pub fn kind(&self) -> &'static str {
        match self {
            Pending::Exec(_) => "exec",
            Pending::Attach(_) => "attach",
            Pending::PortForward(_) => "portforward",
        }
    }
}

#[derive(Default)]
pub struct Tokens {
    waiting: Mutex<HashMap<String, (Instant, Pending)>>,
}

impl Tokens {
    /// Files `pending` under a new token.
    pub fn insert(&self, pending: Pending) -> String {
        let token: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(16)
            .map(char::from)
            .collect();
        let now = Instant::now();
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.retain(|_, (at, _)| now.duration_since(*at) < TTL);
        if waiting.len() >= MAX_PENDING {
            if let Some(oldest) = waiting
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
            {
                waiting.remove(&oldest);
            }
        }
        waiting.insert(token.clone(), (now, pending));
        token
    }

    /// The request under `token` if it is of `kind` and has not expired;
    /// the token is spent either way.
    pub fn take(&self, token: &str, kind: &str) -> Option<Pending> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let (at, pending) = waiting.remove(token)?;
        (at.elapsed() < TTL && pending.kind() == kind).then_some(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_used_once_and_by_kind() {
        let t = Tokens::default();
        let p = Pending::Attach(AttachStream {
            container_id: "c".into(),
            streams: Streams::default(),
        });
        let a = t.insert(p.clone());
        let b = t.insert(p.clone());
        assert_ne!(a, b);
        assert_eq!(t.take(&a, "attach"), Some(p));
        assert_eq!(t.take(&a, "attach"), None);
        assert_eq!(t.take(&b, "exec"), None);
        assert_eq!(t.take(&b, "attach"), None, "a wrong kind spends the token");
    }
}
