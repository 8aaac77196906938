//! What the monitor's restart policy did: the restart state file it
//! writes (count, whether a restart is under way, the current pid), read
//! lock-free by `ps`/`inspect` and folded into the database row.

use rpod_proto::RestartState;

use super::paths::ContainerPaths;
use super::ContainerError;
use crate::config::EngineConfig;
use crate::engine::EngineCtx;
use crate::state::{ContainerRecord, ContainerState};

/// The monitor's restart state of `rec`, if it ever restarted it.
pub fn state(config: &EngineConfig, rec: &ContainerRecord) -> Option<RestartState> {
    // Only a restart policy or a health check (`--health-on-failure
    // restart`) makes a monitor restart: skip the file read for others.
    if rec.options.restart.is_none()
        && rec.options.healthcheck.is_none()
        && rec.options.startup_healthcheck.is_none()
    {
        return None;
    }
    let paths = ContainerPaths::new(config, &rec.id);
    let data = std::fs::read(&paths.restart_state).ok()?;
    serde_json::from_slice(&data).ok()
}

/// Restarts done by the monitor since the container was last started.
pub fn restart_count(config: &EngineConfig, rec: &ContainerRecord) -> u32 {
    state(config, rec).map_or(0, |s| s.count)
}

/// Brings the pid and start time of a live container in line with the
/// monitor's latest run.
pub(crate) fn sync(
    ctx: &EngineCtx,
    mut rec: ContainerRecord,
) -> Result<ContainerRecord, ContainerError> {
    if !matches!(
        rec.state,
        ContainerState::Running | ContainerState::Stopping
    ) {
        return Ok(rec);
    }
    let Some(st) = state(&ctx.config, &rec) else {
        return Ok(rec);
    };
    if st.restarting {
        // Between two runs there is no process: never show the dead one.
        rec.pid = 0;
        rec.generation = ContainerRecord::UNSAVED;
        return Ok(rec);
    }
    if st.pid <= 0 || st.pid == rec.pid {
        return Ok(rec);
    }
    ctx.db.record_restart(&rec.id, st.pid, st.started_at)?;
    rec.pid = st.pid;
    rec.started_at = Some(st.started_at);
    Ok(rec)
}

/// A fresh start resets what the monitor counted.
pub(crate) fn reset(paths: &ContainerPaths) {
    let _ = std::fs::remove_file(&paths.restart_state);
    let _ = std::fs::remove_file(&paths.health_state);
}
