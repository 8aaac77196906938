//! The front door's errors as gRPC statuses, with the codes CRI-O answers.

use rpod_api::{Error, ErrorKind};
use tonic::Status;

/// The status for an engine error.
pub fn from_api(e: Error) -> Status {
    let message = e.message;
    match e.kind {
        ErrorKind::NoSuchContainer
        | ErrorKind::NoSuchPod
        | ErrorKind::NoSuchImage
        | ErrorKind::NoSuchExecSession
        | ErrorKind::NoSuchVolume
        | ErrorKind::NoSuchNetwork
        | ErrorKind::NoSuchSecret => Status::not_found(message),
        ErrorKind::InvalidArgument => Status::invalid_argument(message),
        ErrorKind::AlreadyExists => Status::already_exists(message),
        ErrorKind::InvalidState | ErrorKind::InUse => Status::failed_precondition(message),
        ErrorKind::NotImplemented => Status::unimplemented(message),
        _ => Status::unknown(message),
    }
}

/// Whether `e` says the object does not exist.
pub fn is_not_found(e: &Error) -> bool {
    matches!(
        e.kind,
        ErrorKind::NoSuchContainer | ErrorKind::NoSuchPod | ErrorKind::NoSuchImage
    )
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
