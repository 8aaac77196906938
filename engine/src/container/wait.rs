//! Waiting for a container to exit, without taking its lock.

use std::time::Duration;

use super::lifecycle::load;
use super::paths::ContainerPaths;
use super::reconcile::{exit_info, UNKNOWN_EXIT_CODE};
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::monitor::MonitorClient;
use crate::state::ContainerState;

/// Interval at which a container that has no monitor yet (created, or
/// between `init` and `start` in another process) is looked at again.
const NOT_STARTED_POLL: Duration = Duration::from_millis(100);

pub(crate) async fn wait_exit(ctx: &EngineCtx, id: &str) -> Result<i32, ContainerError> {
    loop {
        let rec = load(ctx, id)?;
        match rec.state {
            ContainerState::Exited => return Ok(rec.exit_code.unwrap_or(UNKNOWN_EXIT_CODE)),
            s if s.has_monitor() => {
                let socket = ContainerPaths::new(&ctx.config, id).monitor.control_socket;
                let exit = tokio::task::spawn_blocking(move || {
                    MonitorClient::connect(&socket).and_then(|mut c| c.wait_exit())
                })
                .await
                .map_err(|_| ContainerError::ActorGone)?;
                match exit {
                    Ok(exit) => {
                        ctx.db.record_exit(id, &exit_info(&exit))?;
                        return Ok(exit.code);
                    }
                    // The monitor just exited: the next load reconciles
                    // from its exit file.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
            _ => tokio::time::sleep(NOT_STARTED_POLL).await,
        }
    }
}
