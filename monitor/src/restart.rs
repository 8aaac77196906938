//! The restart policy: whether an exit is followed by a new run, the
//! back-off between runs, and the restart state file the engine reads.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rpod_proto::{ExitRecord, RestartConfig, RestartState};

use crate::diag;
use crate::clock::now_nanos;
use crate::fdio::atomic_write;

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
        let ran = self.run_started.elapsed();
        if ran >= STABLE_RUN {
            self.delay = FIRST_DELAY;
        }
        self.due = Some(Instant::now() + self.delay);
        self.delay = (self.delay * 2).min(MAX_DELAY);
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
