//! The front door's errors as gRPC statuses, with the codes CRI-O answers.

use rpod_api::{Error, ErrorKind};
use tonic::Status;

/// The status for an engine error.
pub fn from_api(e: Error) -> Status {
    let message = e.message;
    match e.kind {
        kind if kind.is_no_such() => Status::not_found(message),
        ErrorKind::InvalidArgument => Status::invalid_argument(message),
        ErrorKind::AlreadyExists => Status::already_exists(message),
        ErrorKind::InvalidState | ErrorKind::InUse => Status::failed_precondition(message),
        ErrorKind::NotImplemented => Status::unimplemented(message),
        _ => Status::unknown(message),
    }
}

/// Whether `e` says the object does not exist.
pub fn is_not_found(e: &Error) -> bool {
    e.kind.is_no_such()
}

/// The one object an inspect by `id` found, else why not.
pub fn found<T>(found: Vec<T>, mut errors: Vec<Error>, what: &str, id: &str) -> Result<T, Status> {
    match found.into_iter().next() {
        Some(t) => Ok(t),
        None => Err(errors
            .pop()
            .map(from_api)
            .unwrap_or_else(|| Status::not_found(format!("{what} {id} not found")))),
    }
}

/// The first error of a batch's reports, if any, as a status; with
/// `gone_ok`, an object already gone is no error (CRI's idempotent removals).
pub fn first_error(
    errors: impl IntoIterator<Item = Option<Error>>,
    gone_ok: bool,
) -> Result<(), Status> {
    match errors
        .into_iter()
        .flatten()
        .find(|e| !(gone_ok && is_not_found(e)))
    {
        Some(e) => Err(from_api(e)),
        None => Ok(()),
    }
}

/// `None` for a NOT_FOUND answer (removing what is gone is no error).
pub fn unless_gone<T>(r: Result<T, Status>) -> Result<Option<T>, Status> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.code() == tonic::Code::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A required field missing from a request.
pub fn missing(field: &str) -> Status {
    Status::invalid_argument(format!("{field} is required"))
}

/// An RPC rpod does not implement (listed in docs/compatibility.md).
pub fn unimplemented(rpc: &str) -> Status {
    Status::unimplemented(format!(
        "{rpc} is not implemented by rpod's CRI endpoint (see docs/compatibility.md)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let s = from_api(Error::new(ErrorKind::NoSuchPod, "no pod"));
        assert_eq!(s.code(), tonic::Code::NotFound);
        assert_eq!(s.message(), "no pod");
        let s = from_api(Error::invalid("bad"));
        assert_eq!(s.code(), tonic::Code::InvalidArgument);
        assert_eq!(from_api(Error::other("x")).code(), tonic::Code::Unknown);
        assert_eq!(unimplemented("Exec").code(), tonic::Code::Unimplemented);
    }
}
