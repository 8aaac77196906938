//! The engine's one error at its public boundary: each subsystem keeps its
//! own error type (with Podman's wording), and [`Error`] wraps any of them
//! unchanged (`#[from]`, transparent), so `?` lifts a subsystem's error into
//! it without turning it into a string. The front door maps it to
//! `rpod_api::Error` in one place (`front_door::error`).

use crate::check::CheckError;
use crate::config::ConfigError;
use crate::container::ContainerError;
use crate::engine::OpenError;
use crate::lock::LockError;
use crate::monitor::MonitorError;
use crate::pod::PodError;
use crate::registry::auth::AuthError;
use crate::registry::push::PushError;
use crate::registry::registries_conf::RegistriesConfError;
use crate::registry::trust::TrustError;
use crate::registry::{PullError, ReferenceError};
use crate::runtime::RuntimeError;
use crate::spec::SpecError;
use crate::state::StateError;
use crate::storage::archive::ArchiveError;
use crate::storage::StorageError;

/// Any failure of the engine, by the subsystem it comes from.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error(transparent)]
    Pod(#[from] PodError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Pull(#[from] PullError),
    #[error(transparent)]
    Push(#[from] PushError),
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    RegistriesConf(#[from] RegistriesConfError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Monitor(#[from] MonitorError),
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Check(#[from] CheckError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lift<E: Into<Error>>(e: E) -> Error {
        e.into()
    }

    #[test]
    fn wraps_each_subsystem_unchanged() {
        let e = lift(ContainerError::NotFound("c".into()));
        assert!(matches!(e, Error::Container(ContainerError::NotFound(_))));
        assert_eq!(
            e.to_string(),
            "no container with name or ID \"c\" found: no such container"
        );
        let e = lift(PodError::NotFound("p".into()));
        assert!(matches!(e, Error::Pod(PodError::NotFound(_))));
        assert_eq!(e.to_string(), "no pod with name or ID p found: no such pod");
        let e = lift(StorageError::ImageUnknown("i".into()));
        assert_eq!(e.to_string(), "i: image not known");
        let e = lift(StateError::NameInUse {
            name: "n".into(),
            holder: "h".into(),
        });
        assert!(matches!(e, Error::State(StateError::NameInUse { .. })));
    }
}
