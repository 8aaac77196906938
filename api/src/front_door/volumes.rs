//! Named volumes.

use async_trait::async_trait;

/// Podman's `Volume*` operations.
#[async_trait]
pub trait Volumes: Send + Sync {}
