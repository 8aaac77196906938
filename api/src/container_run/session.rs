//! An attached process: its output as a stream of items, its input as a
//! sink, its terminal size and signals as controls, and how it ended. The
//! local engine implements it over the container's (or exec's) monitor;
//! an HTTP client can implement it over a hijacked connection. The caller
//! keeps the local terminal (raw mode, detach keys, signals it receives).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Result;

/// A terminal size: (rows, columns).
pub type TerminalSize = (u16, u16);

/// What an attach is to: the container and its streams.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The container's full id.
    pub id: String,
    /// The process has a terminal (one output stream, no stderr).
    pub tty: bool,
    /// The process reads the input sent ([`AttachSession::take_input`]).
    pub stdin: bool,
}

/// One piece of the process's output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttachOutput {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
}

/// How an attach ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttachEnd {
    /// The process exited with this code.
    Exited(i32),
    /// The caller detached; the process runs on.
    Detached,
}

/// The process's stdin, usable from a thread of its own.
pub trait AttachInput: Send {
    /// Sends input. Input the process no longer takes is dropped.
    fn send(&mut self, data: &[u8]) -> Result<()>;
    /// End of input: the process's stdin is closed, output keeps flowing.
    fn close(&mut self) -> Result<()>;
    /// Leaves without closing the process's stdin: the output stream ends
    /// and the session finishes as [`AttachEnd::Detached`].
    fn detach(&mut self) -> Result<()>;
}

/// Requests to the attached process, usable from any thread.
pub trait AttachControl: Send + Sync {
    /// Sets the process's terminal size.
    fn resize(&self, size: TerminalSize) -> Result<()>;
    /// Sends the process a signal (`--sig-proxy`).
    fn signal(&self, signal: i32) -> Result<()>;
}

/// An attached process. Read [`AttachSession::next_output`] until `None`,
/// then [`AttachSession::finish`].
#[async_trait]
pub trait AttachSession: Send {
    fn info(&self) -> &SessionInfo;
    /// The input sink, once (`None` when the process takes no input).
    fn take_input(&mut self) -> Option<Box<dyn AttachInput>>;
    /// A control handle (any number of them).
    fn control(&self) -> Box<dyn AttachControl>;
    /// Blocks for the next output; `None` once the stream has ended (the
    /// process exited or the caller detached).
    fn next_output(&mut self) -> Result<Option<AttachOutput>>;
    /// After the stream ended: how the process ended. A `--rm` container
    /// that exited is removed.
    async fn finish(self: Box<Self>) -> Result<AttachEnd>;
    /// Leaves without awaiting the exit (the caller can no longer copy the
    /// output); a `--rm` container is removed, forcibly.
    async fn abandon(self: Box<Self>);
}

/// `start --attach`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartAttachOptions {
    /// `-i`: attach stdin (when the container has it open).
    pub interactive: bool,
    /// The caller's terminal size, applied before the process starts.
    pub terminal_size: Option<TerminalSize>,
}

/// `attach`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachOptions {
    /// `--latest`: the container created last (the name is ignored).
    pub latest: bool,
    /// `--no-stdin`.
    pub no_stdin: bool,
    /// The caller's terminal size.
    pub terminal_size: Option<TerminalSize>,
}

/// `exec`: a process run in a running container (Podman's `ExecOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecOptions {
    /// `--latest`: the container created last (the name is ignored).
    pub latest: bool,
    pub command: Vec<String>,
    /// `KEY=VALUE` entries.
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    /// The caller's terminal size, applied once the process's terminal exists.
    pub terminal_size: Option<TerminalSize>,
    /// `--preserve-fds N`: the caller's descriptors 3..3+N pass into the
    /// process (the same numbers).
    #[serde(default)]
    pub preserve_fds: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shapes() {
        assert_eq!(
            serde_json::to_string(&AttachEnd::Exited(3)).unwrap(),
            r#"{"Exited":3}"#
        );
        assert_eq!(
            serde_json::to_string(&AttachOutput::Stderr(b"x".to_vec())).unwrap(),
            r#"{"Stderr":[120]}"#
        );
        let o = ExecOptions {
            command: vec!["ls".into()],
            terminal_size: Some((24, 80)),
            ..Default::default()
        };
        let s = serde_json::to_string(&o).unwrap();
        assert!(s.contains(r#""terminal_size":[24,80]"#), "{s}");
        assert_eq!(serde_json::from_str::<ExecOptions>(&s).unwrap(), o);
    }
}
