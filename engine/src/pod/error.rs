//! Errors of pod operations, with Podman's wording where scripts rely on it.

use crate::container::ContainerError;
use crate::{lock::LockError, state::StateError, storage::StorageError};

#[derive(Debug, thiserror::Error)]
pub enum PodError {
    #[error("no pod with name or ID {0} found: no such pod")]
    NotFound(String),
    #[error("{0}")]
    InvalidArg(String),
    /// An operation not allowed in the pod's current state.
    #[error("{0}")]
    StateImproper(String),
    /// The default infra container's root could not be prepared.
    #[error("preparing the infra container's root: {0}")]
    InfraRoot(String),
    #[error("init container {name} exited with code {code}")]
    InitFailed { name: String, code: i32 },
    #[error("removing cgroup {path}: {source}")]
    Cgroup {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// Writing one of the pod's limits into its cgroup.
    #[error("setting the pod's limit {path}: {source}")]
    Limit {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Spec(#[from] crate::spec::SpecError),
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("the pod's actor stopped before answering")]
    ActorGone,
}

impl PodError {
    /// Podman's exit codes: 1 for a missing pod in `pod rm`, 2 for a pod
    /// with live members removed without force, else 125.
    pub fn exit_code(&self) -> i32 {
        match self {
            PodError::Container(e) => e.exit_code(),
            _ => 125,
        }
    }
}
