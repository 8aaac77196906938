//! Reading a container's log.

use async_trait::async_trait;

/// Podman's `ContainerLogs`.
#[async_trait]
pub trait ContainerLogs: Send + Sync {}
