//! The front door's one error: what went wrong (a kind callers branch on) and the
//! message with its causes, as a user sees it. It crosses process boundaries (the
//! REST API and `--remote`), so it is plain data.

use serde::{Deserialize, Serialize};

/// What kind of failure: the CLI picks Podman's exit code per command from it (for
/// example `rm` exits 1 for [`ErrorKind::NoSuchContainer`], 2 for
/// [`ErrorKind::InUse`]); the REST API picks its HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    NoSuchContainer,
    NoSuchPod,
    NoSuchImage,
    NoSuchExecSession,
    NoSuchVolume,
    NoSuchNetwork,
    NoSuchSecret,
    /// The object is in a state that does not allow the operation
    /// (Podman's `ErrCtrStateInvalid`, "container state improper").
    InvalidState,
    /// The object is used by others (a running container, a dependent
    /// container, an image used by a container).
    InUse,
    /// A name or ID already belongs to another object.
    AlreadyExists,
    /// A request Podman refuses as invalid input.
    InvalidArgument,
    /// Something rpod does not implement yet; the message names it.
    NotImplemented,
    /// The container's command was not found (Podman exits 127).
    CommandNotFound,
    /// The container's command could not be executed (Podman exits 126).
    CommandNotExecutable,
    /// The service could not be reached (remote mode: nothing listens at
    /// the address, the ssh tunnel failed, the TLS handshake failed).
    Unreachable,
    /// Anything else (Podman exits 125).
    Other,
}

impl ErrorKind {
    /// Whether the kind says the named object does not exist.
    pub fn is_no_such(self) -> bool {
        matches!(
            self,
            ErrorKind::NoSuchContainer
                | ErrorKind::NoSuchPod
                | ErrorKind::NoSuchImage
                | ErrorKind::NoSuchExecSession
                | ErrorKind::NoSuchVolume
                | ErrorKind::NoSuchNetwork
                | ErrorKind::NoSuchSecret
        )
    }
}

/// A failed front-door request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    /// The message with its causes (`outer: inner: innermost`).
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// An [`ErrorKind::InvalidArgument`] error.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// An [`ErrorKind::Other`] error.
    pub fn other(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Other, message)
    }

    /// Podman's exit code when this error ends a command that has no rule
    /// of its own: 127 and 126 for a command that could not run, else 125.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::CommandNotFound => 127,
            ErrorKind::CommandNotExecutable => 126,
            _ => 125,
        }
    }
}

/// An I/O error as Go prints an errno: the C library's text in lower case,
/// without Rust's ` (os error N)` suffix (`no such file or directory`).
pub fn errno_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let text = std::io::Error::from_raw_os_error(code).to_string();
            let text = text.split(" (os error").next().unwrap_or(&text);
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        }
        None => e.to_string(),
    }
}

/// Podman's `define.ExitCode`, the code of a container that could not be
/// started: 127 when the message says something was not found, else 126.
pub fn start_failure_code(message: &str) -> i32 {
    let m = message.to_ascii_lowercase();
    if m.contains("not found")
        || m.contains("executable path is empty")
        || m.contains("no such file")
    {
        127
    } else {
        126
    }
}

/// A failure to start what `run` created, as Podman reports it (every such
/// failure, not only the runtime's, goes through its `define.ExitCode`,
/// locally and in its remote client): 127 when something was not found,
/// else 126.
pub fn run_start_failure(e: Error) -> Error {
    let kind = match start_failure_code(&e.message) {
        127 => ErrorKind::CommandNotFound,
        _ => ErrorKind::CommandNotExecutable,
    };
    Error::new(kind, e.message)
}

/// A front-door result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Error::new(ErrorKind::CommandNotFound, "x").exit_code(), 127);
        assert_eq!(
            Error::new(ErrorKind::CommandNotExecutable, "x").exit_code(),
            126
        );
        assert_eq!(Error::new(ErrorKind::NoSuchContainer, "x").exit_code(), 125);
    }

    #[test]
    fn round_trips_as_json() {
        let e = Error::new(ErrorKind::InUse, "in use");
        let s = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<Error>(&s).unwrap(), e);
    }
}
