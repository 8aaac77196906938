//! Pods.

use async_trait::async_trait;

/// Podman's `Pod*` operations.
#[async_trait]
pub trait Pods: Send + Sync {}
