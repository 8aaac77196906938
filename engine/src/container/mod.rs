//! Containers: the options a user gives, the record the database keeps,
//! and the actor through which every transition passes.

pub mod actor;
mod error;
pub mod exec;
pub mod health;
pub mod inspect;
pub(crate) mod lifecycle;
pub mod monitor_files;
pub mod names;
pub mod options;
pub mod paths;
pub mod reconcile;
mod recovery;
pub mod restart;
mod sdnotify;
mod wait;

pub use actor::ContainerHandle;
pub use error::ContainerError;
pub use exec::{ExecOptions, ExecSession};
pub use lifecycle::{DEFAULT_STOP_TIMEOUT, SIGKILL, SIGTERM};
pub use options::{
    BindMount, ContainerOptions, HealthConfig, HealthOnFailure, InitCtrMode, NetworkMode,
    PodMembership, RestartConfig, RestartPolicy,
};
pub use paths::ContainerPaths;
pub use wait::WaitCondition;
