//! Networks.

use async_trait::async_trait;

/// Podman's `Network*` operations.
#[async_trait]
pub trait Networks: Send + Sync {}
