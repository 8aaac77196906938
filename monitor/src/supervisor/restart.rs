//! The restart policy: whether an exit is followed by a new run, the
//! back-off between runs, the restart state file the engine reads, and
//! the monitor's own re-run of the runtime (delete, create, start).

use std::fs;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rpod_proto::{ExitRecord, MonitorConfig, MonitorMode, RestartConfig, RestartState};

use super::{Phase, Supervisor};
use crate::clock::now_nanos;
use crate::diag;
use crate::events::emit;
use crate::fdio::atomic_write;
use crate::runtime;

/// First delay between an exit and the next start; doubled after every
/// quick exit, up to `MAX_DELAY`.
const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(60);
/// A run this long resets the back-off.
const STABLE_RUN: Duration = Duration::from_secs(10);

pub struct Restarts {
    policy: Option<RestartConfig>,
    state_file: Option<PathBuf>,
    state: RestartState,
    /// Set by `stop`, `kill`, `rm` and health actions: the next exit is final.
    pub disabled: bool,
    /// One restart regardless of the policy (`--health-on-failure restart`).
    pub forced: bool,
    /// The current run was started by the monitor (not through the engine's
    /// start gate).
    pub in_restart: bool,
    delay: Duration,
    due: Option<Instant>,
    run_started: Instant,
}

impl Restarts {
    pub fn new(policy: Option<RestartConfig>, state_file: Option<PathBuf>) -> Restarts {
        Restarts {
            policy,
            state_file,
            state: RestartState::default(),
            disabled: false,
            forced: false,
            in_restart: false,
            delay: FIRST_DELAY,
            due: None,
            run_started: Instant::now(),
        }
    }

    /// The policy of a monitor's configuration: only a container's own
    /// process restarts, never an exec session.
    pub fn for_config(cfg: &MonitorConfig) -> Restarts {
        let policy = cfg.restart.filter(|_| cfg.mode == MonitorMode::Create);
        Restarts::new(policy, cfg.restart_state_file.clone())
    }

    /// `update --restart`: the policy for the exits to come; the restart
    /// count so far stays.
    pub fn set_policy(&mut self, policy: Option<RestartConfig>) {
        self.policy = policy;
    }

    /// Whether an exit with `code` is followed by another run.
    pub fn wants(&self, code: i32) -> bool {
        if self.disabled {
            return false;
        }
        self.forced
            || self
                .policy
                .is_some_and(|p| p.should_restart(code, self.state.count))
    }

    /// The process exited and will be started again after the back-off.
    pub fn begin(&mut self, exit: ExitRecord) {
        let (wait, next) = backoff(self.delay, self.run_started.elapsed());
        self.due = Some(Instant::now() + wait);
        self.delay = next;
        self.forced = false;
        self.state.count += 1;
        self.state.restarting = true;
        self.state.pid = 0;
        self.state.last_exit = Some(exit);
        self.write();
    }

    /// When the next start is due, while waiting for it.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The back-off is over: the runtime is being run again.
    pub fn starting(&mut self) {
        self.due = None;
        self.in_restart = true;
    }

    /// The new run's process is up.
    pub fn started(&mut self, pid: i32) {
        self.run_started = Instant::now();
        self.state.restarting = false;
        self.state.pid = pid;
        self.state.started_at = now_nanos();
        self.write();
    }

    /// No more runs: returns the exit to publish (the last run's).
    pub fn give_up(&mut self, error: String) -> Option<ExitRecord> {
        self.disabled = true;
        self.due = None;
        self.state.restarting = false;
        self.state.pid = 0;
        self.state.error = error;
        self.write();
        self.state.last_exit.clone()
    }

    fn write(&self) {
        let Some(path) = &self.state_file else {
            return;
        };
        match serde_json::to_vec(&self.state) {
            Ok(data) => {
                if let Err(e) = atomic_write(path, &data) {
                    diag::warn(&format!("write {}: {e}", path.display()));
                }
            }
            Err(e) => diag::warn(&format!("encode restart state: {e}")),
        }
    }
}

/// The wait before the next run, and the one after it, given the current
/// delay and how long the run that just ended lasted: a stable run starts
/// over from the first delay, quick exits double it up to the maximum.
fn backoff(delay: Duration, ran: Duration) -> (Duration, Duration) {
    let wait = if ran >= STABLE_RUN {
        FIRST_DELAY
    } else {
        delay
    };
    (wait, (wait * 2).min(MAX_DELAY))
}

impl Supervisor {
    /// After an exit: if the policy asks for another run, releases this
    /// run (runtime state, outputs) and waits out the back-off.
    pub(super) fn begin_restart(&mut self) -> bool {
        let Some(rec) = self.pending_exit.clone() else {
            return false;
        };
        if !self.restarts.wants(rec.code) {
            return false;
        }
        self.release_io();
        let _ = fs::remove_file(&self.cfg.pid_file);
        // The runtime's state must go before `create` can reuse the id;
        // `delete` of a stopped container is quick.
        let deleted = runtime::delete_command(&self.cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Err(e) = deleted {
            diag::warn(&format!("runtime delete before restart: {e}"));
        }
        self.pending_exit = None;
        self.pid = 0;
        self.controls.run_exited(&rec);
        self.restarts.begin(rec);
        self.phase = Phase::Restarting;
        true
    }

    /// The back-off is over: create the container again.
    pub(super) fn restart_now(&mut self) {
        self.restarts.starting();
        if let Err(message) = self.start_runtime() {
            self.give_up(message);
        }
    }

    /// `runtime start` of the container the monitor re-created.
    pub(super) fn run_restarted(&mut self, pid: i32) -> Result<(), String> {
        if self.restarts.disabled {
            self.kill_created(pid);
            return Err(String::new());
        }
        let out = runtime::run_command(&self.cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("exec {}: {e}", self.cfg.runtime.display()))?;
        if !out.status.success() {
            self.kill_created(pid);
            let status = format!("{}", out.status);
            return Err(runtime::error_message(b"", &out.stderr, &status));
        }
        self.restarts.in_restart = false;
        self.restarts.started(pid);
        emit(&self.cfg, "restart", None, "");
        Ok(())
    }

    fn kill_created(&self, pid: i32) {
        // SAFETY: plain kill(2) of the process the runtime just created; it
        // is our unreaped child (we are its subreaper), so not reused.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let _ = runtime::delete_command(&self.cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// No more runs: the last run's exit becomes the container's exit.
    pub(super) fn give_up(&mut self, message: String) {
        if !message.is_empty() {
            diag::warn(&format!("restart failed: {message}"));
        }
        self.release_io();
        let last = self.restarts.give_up(message);
        self.pending_exit = last.or_else(|| {
            Some(ExitRecord {
                code: 1,
                signal: None,
                finished_at: now_nanos(),
                oom: false,
            })
        });
        self.phase = Phase::Draining;
        self.finish_exit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(code: i32) -> ExitRecord {
        ExitRecord {
            code,
            signal: None,
            finished_at: 1,
            oom: false,
        }
    }

    fn policy(s: &str) -> Restarts {
        Restarts::new(RestartConfig::parse(s).ok(), None)
    }

    #[test]
    fn decides_by_policy_and_exit_code() {
        assert!(!policy("no").wants(1));
        assert!(policy("always").wants(0));
        assert!(policy("unless-stopped").wants(137));
        assert!(policy("on-failure").wants(1));
        assert!(!policy("on-failure").wants(0));
        let mut none = Restarts::new(None, None);
        assert!(!none.wants(1));
        none.forced = true;
        assert!(none.wants(0), "health-on-failure=restart restarts once");
        let mut stopped = policy("always");
        stopped.disabled = true;
        assert!(!stopped.wants(1), "stop and kill end the policy");
    }

    #[test]
    fn exec_sessions_never_restart() {
        let mut cfg: MonitorConfig = serde_json::from_value(serde_json::json!({
            "id": "c", "runtime": "runc", "bundle": "/b", "socket_path": "/s",
            "attach_path": "/a", "pid_file": "/p", "monitor_pid_file": "/m",
            "exit_file": "/e",
            "mode": {"kind": "exec", "exec_id": "x", "process": "/proc.json"},
            "restart": {"policy": "always", "max_retries": 0}
        }))
        .unwrap();
        assert!(!Restarts::for_config(&cfg).wants(1));
        cfg.mode = MonitorMode::Create;
        assert!(Restarts::for_config(&cfg).wants(1));
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_resets_after_a_stable_run() {
        let quick = Duration::from_millis(5);
        let (wait, next) = backoff(FIRST_DELAY, quick);
        assert_eq!((wait, next), (FIRST_DELAY, FIRST_DELAY * 2));
        let (wait, next) = backoff(next, quick);
        assert_eq!((wait, next), (FIRST_DELAY * 2, FIRST_DELAY * 4));
        assert_eq!(backoff(MAX_DELAY, quick), (MAX_DELAY, MAX_DELAY));
        assert_eq!(
            backoff(MAX_DELAY, STABLE_RUN),
            (FIRST_DELAY, FIRST_DELAY * 2)
        );
    }

    #[test]
    fn counts_and_backs_off() {
        let dir = std::env::temp_dir().join(format!("podmon-restart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("restart.json");
        let mut r = Restarts::new(
            RestartConfig::parse("on-failure:2").ok(),
            Some(file.clone()),
        );
        assert!(r.wants(1));
        assert!(!r.wants(0));
        let t0 = Instant::now();
        r.begin(exit(1));
        let first = r.due().unwrap() - t0;
        r.starting();
        r.started(42);
        assert!(r.wants(1));
        r.begin(exit(1));
        assert!(r.due().unwrap() - Instant::now() > first);
        assert!(!r.wants(1), "on-failure:2 allows two restarts");
        let st: RestartState = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(st.count, 2);
        assert!(st.restarting);
        assert_eq!(r.give_up(String::new()), Some(exit(1)));
        r.forced = true;
        assert!(!r.wants(1), "disabled wins over forced");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
