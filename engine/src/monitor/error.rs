//! Errors of the monitor client side.

use std::io;
use std::path::PathBuf;

use rpod_proto::FrameError;

/// Everything that can go wrong spawning or talking to a monitor.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("write monitor config {path}: {source}")]
    Config { path: PathBuf, source: io::Error },
    #[error("start {binary}: {source}")]
    Spawn { binary: PathBuf, source: io::Error },
    /// The monitor could not get ready (bad config, sockets, ...).
    #[error("pod-monitor failed to start: {0}")]
    Startup(String),
    /// The OCI runtime failed; the text is the runtime's own message.
    #[error("{0}")]
    Runtime(String),
    #[error("connect to monitor socket {path}: {source}")]
    Connect { path: PathBuf, source: io::Error },
    #[error("monitor protocol error ({context}): {source}")]
    Protocol { context: String, source: FrameError },
    #[error("unexpected reply from monitor to {request}: {reply}")]
    UnexpectedReply { request: String, reply: String },
    /// The monitor answered with an error.
    #[error("monitor: {0}")]
    Remote(String),
    #[error("monitor does not support {0}")]
    Unsupported(String),
    #[error("read exit file {path}: {source}")]
    ExitFile { path: PathBuf, source: io::Error },
    #[error("parse exit file {path}: {source}")]
    ExitFileParse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
    #[error("pod-monitor not found: set $RPOD_MONITOR, or install it next to rpod, in $PATH or in /usr/libexec/rpod")]
    BinaryNotFound,
    #[error("the monitor exited without writing its exit file {0}")]
    NoExitRecord(PathBuf),
}

impl MonitorError {
    pub(crate) fn io(context: impl Into<String>, source: impl Into<io::Error>) -> Self {
        MonitorError::Io {
            context: context.into(),
            source: source.into(),
        }
    }

    pub(crate) fn protocol(context: impl Into<String>, source: FrameError) -> Self {
        MonitorError::Protocol {
            context: context.into(),
            source,
        }
    }
}
