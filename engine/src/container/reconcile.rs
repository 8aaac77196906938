//! Bringing a database row in line with the truth: the monitor while it
//! lives, the exit file after. Cheap (a kill(pid, 0), a /proc read and a
//! file read per container) and idempotent, so `ps` can run it on every
//! row without locks: the database only moves forward (`record_exit` only
//! applies to rows still marked live).

use rpod_proto::ExitRecord;

use super::paths::ContainerPaths;
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::monitor;
use crate::state::{ContainerRecord, ContainerState, ExitInfo};

/// Exit code recorded when a monitor died without writing an exit record:
/// the real code is unknowable.
pub const UNKNOWN_EXIT_CODE: i32 = -1;

pub fn exit_info(rec: &ExitRecord) -> ExitInfo {
    ExitInfo {
        code: rec.code,
        signal: rec.signal,
        finished_at: rec.finished_at,
        oom_killed: rec.oom,
    }
}

/// Returns `record` updated with what its monitor or exit file says.
pub fn refresh(
    ctx: &EngineCtx,
    record: ContainerRecord,
) -> Result<ContainerRecord, ContainerError> {
    if !record.state.has_monitor() {
        return Ok(record);
    }
    let paths = ContainerPaths::new(&ctx.config, &record.id);
    if let Some(exit) = monitor::read_exit_file(&paths.monitor.exit_file)? {
        return apply_exit(ctx, record, &exit_info(&exit), None);
    }
    if monitor::monitor_alive(&paths.monitor.monitor_pid_file) {
        let record = super::recovery::repair_live(ctx, record, false)?;
        let mut record = super::restart::sync(ctx, record)?;
        // The monitor is stopping it on its own (health check action).
        if record.state == ContainerState::Running && paths.monitor.stopping_file.exists() {
            record.state = ContainerState::Stopping;
            record.generation = ContainerRecord::UNSAVED;
        }
        return Ok(record);
    }
    // The monitor is gone. It may have written its exit record just now.
    if let Some(exit) = monitor::read_exit_file(&paths.monitor.exit_file)? {
        return apply_exit(ctx, record, &exit_info(&exit), None);
    }
    finish_without_monitor(ctx, record)
}

/// How `.State.Error` of a container whose monitor died begins.
const MONITOR_DIED: &str = "pod-monitor";

/// `fresh` (what [`refresh`] made of the row `before`) was live until
/// now: its monitor died without an exit record, and it was just recorded
/// as exited (Podman's `stop` fails then, once: "conmon exited
/// prematurely").
pub(crate) fn monitor_just_died(before: ContainerState, fresh: &ContainerRecord) -> bool {
    before.has_monitor()
        && fresh.state == ContainerState::Exited
        && fresh.exit_code == Some(UNKNOWN_EXIT_CODE)
        && fresh.error.starts_with(MONITOR_DIED)
}

/// A live row whose monitor died without writing an exit record (Podman:
/// "conmon exited prematurely"). Nobody would log the process or record
/// its exit, so it is never reported `exited` while it runs: it is killed
/// through the runtime, then recorded as exited with code -1, `.State.Error`
/// saying why, and a `died` event (once, by whoever records the exit).
pub(crate) fn finish_without_monitor(
    ctx: &EngineCtx,
    record: ContainerRecord,
) -> Result<ContainerRecord, ContainerError> {
    super::recovery::kill_orphan(ctx, &record);
    let why = format!(
        "{MONITOR_DIED} (pid {}) exited prematurely: it died without writing an exit file, container exit code could not be retrieved (its processes were killed)",
        record.monitor_pid
    );
    // Podman records this in the state's error, quietly: `rm -f` of such a
    // container succeeds without a warning.
    tracing::debug!(container = %record.id, "{why}");
    let exit = ExitInfo {
        code: UNKNOWN_EXIT_CODE,
        signal: None,
        finished_at: now_nanos(),
        oom_killed: false,
    };
    if !ctx.db.record_exit(&record.id, &exit)? {
        // Someone else recorded the exit meanwhile.
        return Ok(ctx.db.container_by_id(&record.id)?.unwrap_or(record));
    }
    // Not a warning: `.State.Error` keeps it, and `rm -f` of such a
    // container is a normal way to end it (Podman prints nothing either).
    tracing::info!(container = %record.id, "{why}");
    let fresh = apply_exit(ctx, record, &exit, Some(why))?;
    crate::events::container_event_with(&ctx.config, &fresh, "died", |e| {
        e.exit_code = Some(UNKNOWN_EXIT_CODE);
    });
    Ok(fresh)
}

fn apply_exit(
    ctx: &EngineCtx,
    record: ContainerRecord,
    exit: &ExitInfo,
    error: Option<String>,
) -> Result<ContainerRecord, ContainerError> {
    ctx.db.record_exit(&record.id, exit)?;
    let mut fresh = ctx.db.container_by_id(&record.id)?.unwrap_or(record);
    if let Some(error) = error {
        if fresh.error.is_empty() {
            fresh.error = error;
            ctx.db.update_container(&mut fresh)?;
        }
    }
    Ok(fresh)
}

pub fn now_nanos() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}
