//! Rebuilding container rows from what outlives the database: each
//! container's creation snapshot (`<root>/containers/<id>/container.json`)
//! and its run-root state (monitor pid file, container pid file, exit file).

use std::time::UNIX_EPOCH;

use crate::config::EngineConfig;
use crate::container::paths::ContainerPaths;
use crate::container::reconcile::UNKNOWN_EXIT_CODE;
use crate::monitor;
use crate::state::snapshot::ContainerSnapshot;
use crate::state::{ContainerRecord, ContainerState, Db, StateError};

/// Modification time of `path` in Unix nanoseconds.
fn mtime_nanos(path: &std::path::Path) -> Option<i64> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

/// The row a snapshot stands for, in the state its run-root files show:
/// running while its monitor lives, exited once there is an exit record
/// (or a trace of a start without one), created otherwise.
pub(crate) fn record_from_run_root(
    config: &EngineConfig,
    snap: ContainerSnapshot,
) -> ContainerRecord {
    let mut rec = snap.into_record();
    let paths = ContainerPaths::new(config, &rec.id);
    let files = &paths.monitor;
    if let Ok(Some(exit)) = monitor::read_exit_file(&files.exit_file) {
        rec.state = ContainerState::Exited;
        rec.started_at = mtime_nanos(&paths.config_json).or(Some(exit.finished_at));
        rec.finished_at = Some(exit.finished_at);
        rec.exit_code = Some(exit.code);
        rec.exit_signal = exit.signal;
        rec.oom_killed = exit.oom;
    } else if monitor::monitor_alive(&files.monitor_pid_file) {
        rec.state = ContainerState::Running;
        rec.monitor_pid = monitor::read_monitor_pid(&files.monitor_pid_file).unwrap_or(0);
        rec.pid = monitor::read_monitor_pid(&files.pid_file).unwrap_or(0);
        rec.started_at = mtime_nanos(&files.pid_file).or(Some(rec.created_at));
    } else if paths.log.exists() || paths.config_json.exists() {
        // Started once; how it ended is unknowable.
        rec.state = ContainerState::Exited;
        rec.started_at = mtime_nanos(&paths.config_json);
        rec.finished_at = Some(crate::container::reconcile::now_nanos());
        rec.exit_code = Some(UNKNOWN_EXIT_CODE);
        rec.error = "rebuilt by 'system check --repair': how it exited is unknown".into();
    }
    rec
}

/// Inserts the rebuilt row; a name taken meanwhile gets the id appended.
pub(crate) fn insert(db: &Db, mut rec: ContainerRecord) -> Result<ContainerRecord, StateError> {
    match db.insert_container(&rec) {
        Err(StateError::NameInUse(_)) => {
            rec.name = format!("{}-{}", rec.name, rec.short_id());
            db.insert_container(&rec)?;
        }
        other => other?,
    }
    // Restore the row's live fields (insert writes them as given).
    db.update_container(&mut rec)?;
    Ok(rec)
}
