//! The engine's errors as the front door's [`rpod_api::Error`]: a kind callers
//! branch on and the message with its causes.

use rpod_api::{Error, ErrorKind};

use crate::container::ContainerError;
use crate::error_chain::display_chain;
use crate::pod::PodError;
use crate::volume::VolumeError;

/// Any error, with its cause chain, as [`ErrorKind::Other`].
pub(crate) fn other(e: &(dyn std::error::Error + 'static)) -> Error {
    Error::new(ErrorKind::Other, display_chain(e))
}

/// The kind of a container error.
pub(crate) fn container_kind(e: &ContainerError) -> ErrorKind {
    match e {
        ContainerError::NotFound(_) => ErrorKind::NoSuchContainer,
        ContainerError::ImageNotFound(_) => ErrorKind::NoSuchImage,
        ContainerError::InvalidName(_)
        | ContainerError::InvalidWaitCondition(_)
        | ContainerError::InvalidArgument(_) => ErrorKind::InvalidArgument,
        ContainerError::StateImproper(_) => ErrorKind::InvalidState,
        ContainerError::HasDependents { .. } => ErrorKind::InUse,
        ContainerError::Volume(v) => volume_kind(v),
        ContainerError::Secret(s) => secret_kind(s),
        ContainerError::Hook(_) => ErrorKind::InvalidArgument,
        ContainerError::State(crate::state::StateError::NameInUse { .. }) => {
            ErrorKind::AlreadyExists
        }
        ContainerError::Network(crate::network::NetworkError::Store(
            crate::network::store::StoreError::NotFound(_),
        )) => ErrorKind::NoSuchNetwork,
        // What the container needed first failed: the pod's own kind when it
        // has one, else the container's state did not allow the start.
        ContainerError::Dependency(e) => match e.downcast_ref::<PodError>().map(pod_kind) {
            Some(kind) if kind != ErrorKind::Other => kind,
            _ => ErrorKind::InvalidState,
        },
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

pub(crate) use rpod_api::error::run_start_failure;

/// The kind of a pod error.
pub(crate) fn pod_kind(e: &PodError) -> ErrorKind {
    match e {
        PodError::NotFound(_) => ErrorKind::NoSuchPod,
        PodError::InvalidArg(_) => ErrorKind::InvalidArgument,
        PodError::StateImproper(_) => ErrorKind::InvalidState,
        PodError::Container(c) => container_kind(c),
        PodError::State(s) => state_kind(s),
        _ => ErrorKind::Other,
    }
}

/// The kind of a database error.
fn state_kind(e: &crate::state::StateError) -> ErrorKind {
    use crate::state::StateError;
    match e {
        StateError::NameInUse { .. } | StateError::PodNameInUse(_) => ErrorKind::AlreadyExists,
        _ => ErrorKind::Other,
    }
}

/// The kind of any engine error: each subsystem's own mapping.
pub(crate) fn engine_kind(e: &crate::Error) -> ErrorKind {
    use crate::storage::StorageError;
    match e {
        crate::Error::Container(c) => container_kind(c),
        crate::Error::Pod(p) => pod_kind(p),
        crate::Error::State(s) => state_kind(s),
        crate::Error::Storage(StorageError::ImageUnknown(_)) => ErrorKind::NoSuchImage,
        crate::Error::Reference(_) => ErrorKind::InvalidArgument,
        _ => ErrorKind::Other,
    }
}

/// The kind of a volume error.
pub(crate) fn volume_kind(e: &VolumeError) -> ErrorKind {
    match e {
        VolumeError::NotFound(_) => ErrorKind::NoSuchVolume,
        VolumeError::Exists(_) => ErrorKind::AlreadyExists,
        VolumeError::InvalidName(_) | VolumeError::Invalid(_) => ErrorKind::InvalidArgument,
        VolumeError::InUse { .. } => ErrorKind::InUse,
        _ => ErrorKind::Other,
    }
}

impl From<VolumeError> for Error {
    fn from(e: VolumeError) -> Error {
        Error::new(volume_kind(&e), display_chain(&e))
    }
}

/// The kind of a secret error.
pub(crate) fn secret_kind(e: &crate::secret::SecretError) -> ErrorKind {
    use crate::secret::SecretError as S;
    match e {
        S::NotFound(_) => ErrorKind::NoSuchSecret,
        S::NameInUse(_) => ErrorKind::AlreadyExists,
        S::DriverNotSupported(_) => ErrorKind::NotImplemented,
        S::InvalidName(_) | S::DataSize | S::Ambiguous(_) | S::InvalidDriver | S::Invalid(_) => {
            ErrorKind::InvalidArgument
        }
        _ => ErrorKind::Other,
    }
}

impl From<crate::secret::SecretError> for Error {
    fn from(e: crate::secret::SecretError) -> Error {
        Error::new(secret_kind(&e), display_chain(&e))
    }
}

impl From<PodError> for Error {
    fn from(e: PodError) -> Error {
        Error::new(pod_kind(&e), display_chain(&e))
    }
}

/// The engine's one error as the front door's: the subsystem's kind, the
/// message with its causes.
impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Error {
        Error::new(engine_kind(&e), display_chain(&e))
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
        let e = run_start_failure(Error::other(
            "workdir \"/x\" does not exist on container abc",
        ));
        assert_eq!(e.exit_code(), 126);
    }

    #[test]
    fn the_engine_error_keeps_each_subsystems_kind() {
        let cases: Vec<(crate::Error, ErrorKind)> = vec![
            (
                ContainerError::NotFound("c".into()).into(),
                ErrorKind::NoSuchContainer,
            ),
            (PodError::NotFound("p".into()).into(), ErrorKind::NoSuchPod),
            (
                PodError::Container(ContainerError::HasDependents {
                    id: "a".into(),
                    dependents: "b".into(),
                })
                .into(),
                ErrorKind::InUse,
            ),
            (
                crate::state::StateError::NameInUse {
                    name: "n".into(),
                    holder: "h".into(),
                }
                .into(),
                ErrorKind::AlreadyExists,
            ),
            (
                crate::storage::StorageError::ImageUnknown("i".into()).into(),
                ErrorKind::NoSuchImage,
            ),
            (
                ContainerError::Dependency(Box::new(PodError::InitFailed {
                    name: "i".into(),
                    code: 3,
                }))
                .into(),
                ErrorKind::InvalidState,
            ),
        ];
        for (e, kind) in cases {
            let text = display_chain(&e);
            let api: Error = e.into();
            assert_eq!((api.kind, api.message), (kind, text));
        }
    }

    #[test]
    fn a_pod_failure_behind_a_container_keeps_its_wording() {
        let e = ContainerError::Dependency(Box::new(PodError::InitFailed {
            name: "i".into(),
            code: 3,
        }));
        assert_eq!(
            e.to_string(),
            "init container i exited with code 3: container state improper"
        );
    }
}
