//! Creating and running containers and talking to their processes:
//! create, run, attach, exec.

use async_trait::async_trait;

/// Podman's `ContainerCreate`, `ContainerRun`, `ContainerAttach`, `ContainerExec*`.
#[async_trait]
pub trait ContainerRun: Send + Sync {}
