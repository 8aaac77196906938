//! Pods: groups of containers sharing namespaces held by an infra
//! container, ordered by the pod actor (infra first, then members
//! honouring `--requires`; stop in reverse), under one cgroup parent.
//!
//! - [`records`]: the pod's row, options, derived status.
//! - [`infra_rootfs`]: the default infra container's root (no image:
//!   an empty overlay with the host's catatonit bound in).
//! - [`create`]: `pod create`, and creating containers into a pod.
//! - [`actor`]: the pod actor and its operations.
//! - [`order`]: start order from `--requires`.
//! - [`registry`]: the engine's pod actors, one per pod.
//! - [`orchestration`]: the pod's steps around a member's own operations
//!   (dependencies started first, the exit policy after it exits), given
//!   to container handles; a member's placement (cgroup, shared
//!   namespaces) is set on its record when it is created.
//! - [`cgroup`]: the pod cgroup parent.
//! - [`service`]: service containers, living as long as their pods.
//!
//! Pods sit above containers: this module drives containers through their
//! handles, and the container module never refers to pods.

pub mod actor;
pub mod cgroup;
pub mod create;
mod error;
pub mod infra_rootfs;
pub(crate) mod orchestration;
pub mod order;
pub mod records;
pub(crate) mod registry;
pub mod service;

pub use actor::PodHandle;
pub use create::{MemberSpec, NewPod};
pub use error::PodError;
pub(crate) use orchestration::orchestration;
pub use records::{ExitPolicy, PodOptions, PodRecord, PodStatus, PodTransition};
pub(crate) use registry::PodActors;

/// Name of a pod's lock file in the lock directory (pods lock before
/// containers, so the name never collides with a container id).
pub(crate) fn lock_name(pod_id: &str) -> String {
    format!("pod-{pod_id}")
}
