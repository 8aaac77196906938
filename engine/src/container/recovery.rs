//! Finishing or undoing operations cut off by SIGKILL or power loss.
//!
//! A transient state (`stopping`, `initialized` before `start`) whose
//! container lock nobody holds was left by a process that died: the lock
//! is released by the kernel when its holder dies, so "transient and
//! unlocked" means "interrupted". These checks are lock-free and cheap, so
//! `ps` runs them on every row without ever waiting behind a `stop`.

use std::time::{Duration, Instant};

use super::paths::ContainerPaths;
use super::reconcile::now_nanos;
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::state::{ContainerRecord, ContainerState};

/// How long a stale monitor may take to die after SIGKILL.
const STALE_MONITOR_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether some process (this one included) holds the container's lock.
fn locked(ctx: &EngineCtx, id: &str) -> bool {
    let path = ctx.config.lock_dir().join(format!("{id}.lock"));
    let Ok(file) = std::fs::File::open(&path) else {
        return false;
    };
    match file.try_lock_shared() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => true,
    }
}

/// Repairs a live row whose last operation was interrupted:
/// - `stopping` with a live monitor and no stopper: back to `running`
///   (the stop never reached the monitor, or the monitor will still
///   deliver the exit);
/// - `initialized` whose process already runs the user's program (killed
///   between `runtime start` and the database update): `running`.
///
/// `lock_held`: the caller holds the container's lock, so a transient
/// state it finds was necessarily left by an interrupted operation.
pub(crate) fn repair_live(
    ctx: &EngineCtx,
    mut rec: ContainerRecord,
    lock_held: bool,
) -> Result<ContainerRecord, ContainerError> {
    let interrupted = |id: &str| lock_held || !locked(ctx, id);
    match rec.state {
        ContainerState::Stopping if interrupted(&rec.id) => {
            tracing::debug!(container = %rec.id, "interrupted stop: back to running");
            if ctx.db.revert_stopping(&rec.id)? {
                rec.state = ContainerState::Running;
            }
        }
        ContainerState::Initialized
            if rec.pid > 0 && !is_runtime_init(rec.pid) && interrupted(&rec.id) =>
        {
            let now = now_nanos();
            if ctx.db.promote_started(&rec.id, now)? {
                rec.state = ContainerState::Running;
                rec.started_at = Some(now);
            }
        }
        _ => {}
    }
    Ok(rec)
}

/// Repairs run by the actor once it holds the container's lock.
pub(crate) fn after_lock(
    ctx: &EngineCtx,
    rec: ContainerRecord,
) -> Result<ContainerRecord, ContainerError> {
    if !rec.state.has_monitor() {
        return Ok(rec);
    }
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    if !crate::monitor::monitor_alive(&paths.monitor.monitor_pid_file) {
        // Its monitor died: settle the truth before the operation (an exit
        // record it left, or the orphan killed and recorded exited), so
        // `stop`, `rm -f` and `start` act on an exited container whose
        // resources they then release.
        return super::reconcile::refresh(ctx, rec);
    }
    repair_live(ctx, rec, true)
}

/// Whether `pid` is still the runtime's init waiting for `start`
/// (runc names it `runc:[2:INIT]`).
fn is_runtime_init(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => comm.starts_with("runc:[") || comm.trim() == "crun",
        // Gone: not started by anyone; the monitor reports the exit.
        Err(_) => true,
    }
}

/// Kills a monitor left behind by an interrupted operation of a container
/// that should have none (created/exited/removing), so it cannot write
/// into the next run's files. Waits (bounded) until it is gone.
///
/// A monitor that has written its exit record is not stale: it is running
/// its cleanup command (`rpod container cleanup`, which waits for the lock
/// the caller holds and then finds the work done) and writes no file of
/// the container any more. `run --rm` removes its container while that
/// monitor is still alive; killing it there cost a SIGKILL and a wait for
/// every run.
pub(crate) fn kill_stale_monitor(paths: &ContainerPaths) {
    let Some(pid) = crate::monitor::read_monitor_pid(&paths.monitor.monitor_pid_file) else {
        return;
    };
    // The monitor whose cleanup command this process is (`--rm`) is
    // finishing normally, as is any monitor that published the exit.
    if nix::unistd::getppid().as_raw() == pid
        || paths.monitor.exit_file.exists()
        || !crate::monitor::monitor_alive(&paths.monitor.monitor_pid_file)
    {
        return;
    }
    tracing::debug!(monitor = pid, "killing a stale monitor");
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    let deadline = Instant::now() + STALE_MONITOR_TIMEOUT;
    while crate::monitor::monitor_alive(&paths.monitor.monitor_pid_file)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Kills (through the runtime) a container whose monitor died, so the
/// `exited` that is reported for it is the truth. Synchronous: this is
/// rare and must happen before the row says `exited`.
pub(crate) fn kill_orphan(ctx: &EngineCtx, rec: &ContainerRecord) {
    let Ok(runtime) = super::lifecycle::runtime_for(ctx, rec) else {
        return;
    };
    let out = std::process::Command::new(&runtime.path)
        .args(runtime.runtime_args())
        .args(["delete", "--force", &rec.id])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if let Err(e) = out {
        tracing::warn!(container = %rec.id, "runtime delete of an orphaned container: {e}");
    }
}

#[cfg(test)]
mod stale_monitor_tests {
    use std::process::{Child, Command};

    use super::*;
    use crate::config::{EngineConfig, StorageConf};

    /// A live process named `pod-monitor` (a copy of `sleep`) recorded as
    /// the container's monitor.
    fn fake_monitor(dir: &std::path::Path, paths: &ContainerPaths) -> Child {
        let exe = dir.join("pod-monitor");
        std::fs::copy("/bin/sleep", &exe).unwrap();
        let child = Command::new(&exe).arg("1000").spawn().unwrap();
        std::fs::create_dir_all(paths.run_dir.clone()).unwrap();
        std::fs::write(&paths.monitor.monitor_pid_file, child.id().to_string()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !crate::monitor::monitor_alive(&paths.monitor.monitor_pid_file) {
            assert!(Instant::now() < deadline, "the fake monitor never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        child
    }

    #[test]
    fn a_monitor_that_wrote_its_exit_record_is_left_alone_and_one_without_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let config = EngineConfig::load_with_storage(
            Some(dir.path().join("root")),
            Some(dir.path().join("run")),
            Some(dir.path().join("rpod.conf")),
            StorageConf::default(),
        )
        .unwrap();
        let paths = ContainerPaths::new(&config, &"ab".repeat(32));
        let mut child = fake_monitor(dir.path(), &paths);

        // Finishing its cleanup (`run --rm` removes the container meanwhile).
        std::fs::write(&paths.monitor.exit_file, r#"{"code":0}"#).unwrap();
        kill_stale_monitor(&paths);
        assert!(
            child.try_wait().unwrap().is_none(),
            "a monitor that published the exit was killed"
        );

        // Left behind by an interrupted start: no exit record.
        std::fs::remove_file(&paths.monitor.exit_file).unwrap();
        kill_stale_monitor(&paths);
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    }
}
