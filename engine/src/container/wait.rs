//! Waiting for a container to exit, without taking its lock.

use std::time::Duration;

use super::lifecycle::load;
use super::paths::ContainerPaths;
use super::reconcile::{exit_info, UNKNOWN_EXIT_CODE};
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::monitor::MonitorClient;
use crate::state::ContainerState;

/// Interval at which a container in a transient state (being removed) is
/// looked at again.
const NOT_STARTED_POLL: Duration = Duration::from_millis(100);

pub(crate) async fn wait_exit(ctx: &EngineCtx, id: &str) -> Result<i32, ContainerError> {
    loop {
        let rec = load(ctx, id)?;
        match rec.state {
            ContainerState::Exited => return Ok(rec.exit_code.unwrap_or(UNKNOWN_EXIT_CODE)),
            // Podman: a container that never ran has nothing to wait for.
            ContainerState::Created => return Ok(rec.exit_code.unwrap_or(0)),
            s if s.has_monitor() => {
                let socket = ContainerPaths::new(&ctx.config, id).monitor.control_socket;
                let exit = tokio::task::spawn_blocking(move || {
                    MonitorClient::connect(&socket).and_then(|mut c| c.wait_run_exit())
                })
                .await
                .map_err(|_| ContainerError::ActorGone)?;
                match exit {
                    Ok((exit, true)) => {
                        ctx.db.record_exit(id, &exit_info(&exit))?;
                        return Ok(exit.code);
                    }
                    // The restart policy runs it again: Podman's `wait`
                    // returns this run's code (#18572).
                    Ok((exit, false)) => return Ok(exit.code),
                    // The monitor just exited: the next load reconciles
                    // from its exit file.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
            _ => tokio::time::sleep(NOT_STARTED_POLL).await,
        }
    }
}

/// One `wait --condition`: a container state or a health status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitCondition {
    /// `stopped` or `exited`: the container's exit, answered with its code.
    Exited,
    State(ContainerState),
    Healthy,
    Unhealthy,
}

impl WaitCondition {
    /// Podman's condition names (`configured` is its name for `created`).
    pub fn parse(s: &str) -> Result<WaitCondition, ContainerError> {
        Ok(match s {
            "stopped" | "exited" => WaitCondition::Exited,
            "configured" | "created" => WaitCondition::State(ContainerState::Created),
            "healthy" => WaitCondition::Healthy,
            "unhealthy" => WaitCondition::Unhealthy,
            other => match ContainerState::parse(other) {
                Some(state) => WaitCondition::State(state),
                None => return Err(ContainerError::InvalidWaitCondition(other.to_owned())),
            },
        })
    }
}

/// Waits until one of `conditions` holds, looking every `interval`.
/// Returns the exit code for an exit, else -1 (as Podman).
pub(crate) async fn wait_for(
    ctx: &EngineCtx,
    id: &str,
    conditions: &[WaitCondition],
    interval: Duration,
) -> Result<i32, ContainerError> {
    if conditions.iter().all(|c| *c == WaitCondition::Exited) {
        return wait_exit(ctx, id).await;
    }
    let wants_health = conditions
        .iter()
        .any(|c| matches!(c, WaitCondition::Healthy | WaitCondition::Unhealthy));
    if wants_health {
        let rec = load(ctx, id)?;
        if rec.options.healthcheck.is_none() {
            let which = if conditions.contains(&WaitCondition::Healthy) {
                "healthy"
            } else {
                "unhealthy"
            };
            return Err(ContainerError::StateImproper(format!(
                "cannot use condition {which:?}: container {} has no healthcheck",
                rec.id
            )));
        }
    }
    loop {
        let rec = match load(ctx, id) {
            Ok(rec) => rec,
            Err(ContainerError::NotFound(_))
                if conditions.contains(&WaitCondition::State(ContainerState::Removing)) =>
            {
                return Ok(-1)
            }
            Err(e) => return Err(e),
        };
        for c in conditions {
            match c {
                WaitCondition::Exited if rec.state == ContainerState::Exited => {
                    return Ok(rec.exit_code.unwrap_or(UNKNOWN_EXIT_CODE))
                }
                WaitCondition::State(s) if *s == rec.state => return Ok(-1),
                WaitCondition::Healthy | WaitCondition::Unhealthy => {
                    let want = if *c == WaitCondition::Healthy {
                        "healthy"
                    } else {
                        "unhealthy"
                    };
                    if super::health::state(&ctx.config, &rec).is_some_and(|h| h.status == want) {
                        return Ok(-1);
                    }
                }
                _ => {}
            }
        }
        tokio::time::sleep(interval).await;
    }
}
