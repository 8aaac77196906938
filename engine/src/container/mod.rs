//! Containers: the options a user gives, the record the database keeps,
//! and the actor through which every transition passes.

pub mod actor;
pub mod cgroup_opts;
mod default_mounts;
mod error;
pub mod exec;
mod extra_mounts;
pub mod filter;
pub mod health;
pub mod inspect;
mod inspect_mounts;
pub(crate) mod lifecycle;
mod log_link;
pub mod monitor_files;
pub mod names;
pub(crate) mod net_connect;
pub mod net_report;
pub(crate) mod network;
pub mod ns_modes;
pub mod options;
pub(crate) mod orchestration;
mod overlay_volumes;
pub mod paths;
mod pinned_ns;
pub(crate) mod placement;
pub(crate) mod pod_pins;
pub mod procfs;
pub mod reconcile;
mod recovery;
pub mod restart;
mod rootfs_dir;
mod sdnotify;
pub(crate) mod shm;
pub(crate) mod stats;
pub(crate) mod top;
mod top_descriptors;
pub(crate) mod update;
pub(crate) mod usermode_net;
pub(crate) mod userns;
pub(crate) mod volumes;
mod wait;

pub use actor::ContainerHandle;
pub use error::ContainerError;
pub use exec::{ExecOptions, ExecSession};
pub use lifecycle::{DEFAULT_STOP_TIMEOUT, SIGTERM};
pub use options::{
    BindMount, ContainerOptions, HealthConfig, HealthOnFailure, InitCtrMode, NetOptions,
    NetworkMode, PodMembership, RestartConfig, RestartPolicy, RootfsDir, TmpfsMount, VolumeMount,
};
pub(crate) use orchestration::Orchestration;
pub use paths::ContainerPaths;
pub use update::ContainerUpdate;
pub use wait::WaitCondition;
