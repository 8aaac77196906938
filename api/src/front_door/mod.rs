//! The front door: every operation a client (the CLI, the REST service, a
//! remote client) asks of an engine, as typed requests in and Podman-shaped
//! reports out. Podman splits the same surface into `ContainerEngine` and
//! `ImageEngine` (pkg/domain/entities); rpod splits it by domain, one trait per
//! service, and [`FrontDoor`] is all of them. Method names carry their domain
//! (`container_stop`, `pod_stop`, `image_remove`) as Podman's do, so the traits
//! never collide.
//!
//! The local engine (`rpod_engine::LocalEngine`) is the first implementation;
//! the REST API adds an HTTP one for `rpod --remote`. Every method is async and
//! `Send`, so a `dyn FrontDoor` works from any tokio runtime.

pub mod build;
pub mod container_copy;
pub mod container_logs;
pub mod container_run;
pub mod containers;
pub mod images;
pub mod kube;
pub mod manifests;
pub mod networks;
pub mod options;
pub mod pods;
pub mod secrets;
pub mod system;
pub mod volumes;

pub use build::Builds;
pub use container_copy::ContainerCopy;
pub use container_logs::ContainerLogs;
pub use container_run::ContainerRun;
pub use containers::Containers;
pub use images::Images;
pub use kube::Kube;
pub use manifests::Manifests;
pub use networks::Networks;
pub use options::EngineOptions;
pub use pods::Pods;
pub use secrets::Secrets;
pub use system::{System, SystemCheck};
pub use volumes::Volumes;

/// Everything an engine offers.
pub trait FrontDoor:
    Containers
    + ContainerRun
    + ContainerLogs
    + ContainerCopy
    + Pods
    + Images
    + System
    + Volumes
    + Networks
    + Secrets
    + Kube
    + Builds
    + Manifests
    + Send
    + Sync
{
}

impl<T> FrontDoor for T where
    T: Containers
        + ContainerRun
        + ContainerLogs
        + ContainerCopy
        + Pods
        + Images
        + System
        + Volumes
        + Networks
        + Secrets
        + Kube
        + Builds
        + Manifests
        + Send
        + Sync
{
}
