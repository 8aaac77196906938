//! The engine's errors as the front door's [`rpod_api::Error`]: a kind callers
//! branch on and the message with its causes.

use rpod_api::{Error, ErrorKind};

use crate::container::ContainerError;
use crate::error_chain::display_chain;
use crate::pod::PodError;

/// Any error, with its cause chain, as [`ErrorKind::Other`].
pub(crate) fn other(e: &(dyn std::error::Error + 'static)) -> Error {
    Error::new(ErrorKind::Other, display_chain(e))
}

/// The kind of a container error.
pub(crate) fn container_kind(e: &ContainerError) -> ErrorKind {
    match e {
        ContainerError::NotFound(_) => ErrorKind::NoSuchContainer,
        ContainerError::ImageNotFound(_) => ErrorKind::NoSuchImage,
        ContainerError::InvalidName(_) | ContainerError::InvalidWaitCondition(_) => {
            ErrorKind::InvalidArgument
        }
        ContainerError::StateImproper(_) => ErrorKind::InvalidState,
        ContainerError::HasDependents { .. } => ErrorKind::InUse,
        ContainerError::State(crate::state::StateError::NameInUse(_)) => ErrorKind::AlreadyExists,
        ContainerError::Dependency(e) => e
            .downcast_ref::<PodError>()
            .map_or(ErrorKind::Other, pod_kind),
        e @ ContainerError::RuntimeFailed(_) => match e.exit_code() {
            127 => ErrorKind::CommandNotFound,
            126 => ErrorKind::CommandNotExecutable,
            _ => ErrorKind::Other,
        },
        _ => ErrorKind::Other,
    }
}

impl From<ContainerError> for Error {
    fn from(e: ContainerError) -> Error {
        Error::new(container_kind(&e), display_chain(&e))
    }
}

/// The kind of a pod error.
pub(crate) fn pod_kind(e: &PodError) -> ErrorKind {
    match e {
        PodError::NotFound(_) => ErrorKind::NoSuchPod,
        PodError::InvalidArg(_) => ErrorKind::InvalidArgument,
        PodError::StateImproper(_) => ErrorKind::InvalidState,
        PodError::Container(c) => container_kind(c),
        _ => ErrorKind::Other,
    }
}

impl From<PodError> for Error {
    fn from(e: PodError) -> Error {
        Error::new(pod_kind(&e), display_chain(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_messages() {
        let e: Error = ContainerError::NotFound("x".into()).into();
        assert_eq!(e.kind, ErrorKind::NoSuchContainer);
        assert_eq!(
            e.message,
            "no container with name or ID \"x\" found: no such container"
        );
        let e: Error = PodError::Container(ContainerError::StateImproper("y".into())).into();
        assert_eq!(e.kind, ErrorKind::InvalidState);
        let e: Error = ContainerError::RuntimeFailed(
            "exec: \"nope\": executable file not found in $PATH".into(),
        )
        .into();
        assert_eq!(e.exit_code(), 127);
    }
}
