//! Containers: lifecycle (init, start, stop, kill, restart, pause, unpause,
//! rm, rename, wait, exists, cleanup), listing (`ps`), inspect, top, mount,
//! diff, healthcheck run.

use async_trait::async_trait;

use crate::Result;

/// Podman's container operations other than create/run/attach/exec and logs.
#[async_trait]
pub trait Containers: Send + Sync {
    /// `rename`: gives the container `name_or_id` the name `new_name`.
    async fn container_rename(&self, name_or_id: &str, new_name: &str) -> Result<()>;
}
