//! The engine as a whole: info, version, events, system df/check/reset/prune,
//! generate systemd.

use async_trait::async_trait;

/// Podman's `Info`, `Version`, `Events`, `System*` operations.
#[async_trait]
pub trait System: Send + Sync {}
