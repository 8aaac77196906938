//! Pods: groups of containers sharing namespaces held by an infra
//! container, ordered by the pod actor (infra first, then members
//! honouring `--requires`; stop in reverse), under one cgroup parent.
//!
//! - [`records`]: the pod's row, options, derived status.
//! - [`infra_image`]: the locally built `localhost/rpod-pause` image.
//! - [`create`]: `pod create`, and creating containers into a pod.
//! - [`actor`]: the pod actor and its operations.
//! - [`order`]: start order from `--requires`.
//! - [`members`]: what a member needs from its pod at start (namespace
//!   paths, cgroup), dependencies started first, the exit policy.
//! - [`cgroup`]: the pod cgroup parent.
//! - [`shm`]: the /dev/shm shared by the pod's containers (IPC shared).

pub mod actor;
pub mod cgroup;
pub mod create;
mod error;
pub mod infra_image;
pub mod members;
pub mod order;
pub mod records;
pub mod shm;

pub use actor::PodHandle;
pub use cgroup::cgroups_path;
pub use create::{MemberSpec, NewPod};
pub use error::PodError;
pub use infra_image::{ensure_infra_image, INFRA_IMAGE};
pub use records::{
    default_share, ExitPolicy, PodOptions, PodRecord, PodStatus, PodTransition, SHAREABLE,
};

/// Name of a pod's lock file in the lock directory (pods lock before
/// containers, so the name never collides with a container id).
pub(crate) fn lock_name(pod_id: &str) -> String {
    format!("pod-{pod_id}")
}
