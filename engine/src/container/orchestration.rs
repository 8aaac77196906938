//! What a container's operations ask of the layers above it: the steps that
//! involve other containers or its pod (start its pod's infra container and
//! the containers it requires first; tell its pod that it exited). The
//! container module defines the steps; the engine gives each container
//! handle an implementation (the pod module's), so containers never know
//! pods.

use async_trait::async_trait;

use super::ContainerError;
use crate::engine::EngineCtx;
use crate::state::ContainerRecord;

/// The steps above a container.
#[async_trait]
pub(crate) trait Orchestration: Send + Sync {
    /// Before `rec` is initialized or started: starts what it needs first.
    async fn before_start(&self, rec: &ContainerRecord) -> Result<(), ContainerError>;

    /// After `rec` (its row as it was before the exit was cleaned up)
    /// exited and was cleaned up. Failures are the implementation's to log:
    /// the container's own cleanup has succeeded.
    async fn after_exit(&self, rec: &ContainerRecord);
}

/// [`Orchestration::before_start`] for container `id`, if it still exists.
pub(crate) async fn before_start(
    ctx: &EngineCtx,
    above: &dyn Orchestration,
    id: &str,
) -> Result<(), ContainerError> {
    match ctx.db.container_by_id(id)? {
        Some(rec) => above.before_start(&rec).await,
        None => Ok(()),
    }
}
