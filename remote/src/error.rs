//! The service's errors as the front door's: the HTTP status and the
//! message of Podman's error body (`{"cause", "message", "response"}`).

use rpod_api::{Error, ErrorKind};
use serde::Deserialize;

/// What is not carried over the API yet: "OPERATION is not supported in
/// remote mode yet".
pub fn unsupported(operation: &str) -> Error {
    Error::new(
        ErrorKind::NotImplemented,
        format!("{operation} is not supported in remote mode yet"),
    )
}

#[derive(Deserialize, Default)]
struct Body {
    #[serde(default)]
    message: String,
    /// rpod's service sends the front door's kind.
    #[serde(default)]
    kind: Option<ErrorKind>,
}

/// The error for a response with a failure status.
pub(crate) fn from_response(status: u16, body: &[u8]) -> Error {
    let parsed = serde_json::from_slice::<Body>(body).unwrap_or_default();
    let message = Some(parsed.message)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    if let Some(kind) = parsed.kind {
        return Error::new(kind, message);
    }
    let lower = message.to_lowercase();
    let kind = match status {
        404 if lower.contains("no such pod") => ErrorKind::NoSuchPod,
        404 if lower.contains("no such exec") => ErrorKind::NoSuchExecSession,
        404 if lower.contains("image not known") || lower.contains("no such image") => {
            ErrorKind::NoSuchImage
        }
        404 if lower.contains("no such volume") => ErrorKind::NoSuchVolume,
        404 if lower.contains("no such network") || lower.contains("network not found") => {
            ErrorKind::NoSuchNetwork
        }
        404 if lower.contains("no such secret") => ErrorKind::NoSuchSecret,
        404 => ErrorKind::NoSuchContainer,
        409 if lower.contains("in use") || lower.contains("being used") => ErrorKind::InUse,
        409 if lower.contains("already in use") || lower.contains("already exists") => {
            ErrorKind::AlreadyExists
        }
        409 => ErrorKind::InvalidState,
        400 => ErrorKind::InvalidArgument,
        501 => ErrorKind::NotImplemented,
        _ if lower.contains("executable file not found")
            || lower.contains("no such file or directory") && lower.contains("exec") =>
        {
            ErrorKind::CommandNotFound
        }
        _ if lower.contains("permission denied") && lower.contains("exec") => {
            ErrorKind::CommandNotExecutable
        }
        _ => ErrorKind::Other,
    };
    Error::new(kind, message)
}

/// The service cannot be reached: `unable to connect to rpod socket:
/// failed to connect: dial tcp ADDR: connect: connection refused`, worded
/// as Podman's client (Go's lower-case system error text).
pub(crate) fn unreachable(step: &str, e: &std::io::Error) -> Error {
    let reason = match e.raw_os_error() {
        Some(_) => format!("connect: {}", rpod_api::error::errno_text(e)),
        None => e.to_string(),
    };
    Error::new(
        ErrorKind::Unreachable,
        format!("unable to connect to rpod socket: failed to connect: {step}: {reason}"),
    )
}

/// A failure to reach the service or to read its answer.
pub(crate) fn transport(what: &str, e: impl std::fmt::Display) -> Error {
    Error::other(format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_reads_as_podmans_client() {
        let e = unreachable(
            "dial tcp 127.0.0.1:9",
            &std::io::Error::from_raw_os_error(libc::ECONNREFUSED),
        );
        assert_eq!(e.kind, ErrorKind::Unreachable);
        assert_eq!(
            e.message,
            "unable to connect to rpod socket: failed to connect: dial tcp 127.0.0.1:9: connect: connection refused"
        );
    }

    #[test]
    fn statuses_and_messages_become_kinds() {
        let e = from_response(404, br#"{"cause":"no such container","message":"no container with name or ID \"x\" found: no such container","response":404}"#);
        assert_eq!(e.kind, ErrorKind::NoSuchContainer);
        assert_eq!(
            e.message,
            "no container with name or ID \"x\" found: no such container"
        );
        assert_eq!(
            from_response(404, b"{\"message\":\"x: no such pod\"}").kind,
            ErrorKind::NoSuchPod
        );
        assert_eq!(from_response(501, b"nope").message, "nope");
        assert_eq!(
            from_response(409, b"{\"message\":\"container state improper\"}").kind,
            ErrorKind::InvalidState
        );
        let e = from_response(500, br#"{"message":"m","kind":"CommandNotFound"}"#);
        assert_eq!(e.kind, ErrorKind::CommandNotFound);
        assert_eq!(
            unsupported("container top").message,
            "container top is not supported in remote mode yet"
        );
    }
}
