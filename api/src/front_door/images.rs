//! Images: pull, push, list, inspect, remove, tag, save, load, import, history,
//! commit, mount, login, trust.

use async_trait::async_trait;

/// Podman's `ImageEngine`.
#[async_trait]
pub trait Images: Send + Sync {}
