//! Health checks scheduled by the monitor: `runtime exec` of the check
//! command every interval while the process runs, a timeout, the state
//! file (Podman's healthcheck log shape), the resulting status, its
//! report to `healthcheck run` clients and the `--health-on-failure`
//! action.

use std::fs::{self, File};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rpod_proto::health::{test_argv, HealthConfig, HealthLogEntry, HealthOnFailure, HealthState};
use rpod_proto::{MonitorConfig, MonitorMode, Reply};

use super::{Phase, Supervisor};
use crate::diag;
use crate::events::emit;
use crate::fdio::atomic_write;
use crate::logfile::now_timestamp;
use crate::runtime;

/// Exit code recorded for a check that ran past its timeout.
const TIMED_OUT: i32 = 125;

struct Check {
    pid: i32,
    /// A run of the startup check.
    startup: bool,
    start: String,
    deadline: Instant,
    timed_out: bool,
}

/// Outcome of one finished check.
pub struct Outcome {
    pub status: String,
    pub exit_code: i32,
    pub output: String,
    /// The container turned unhealthy with this check.
    pub turned_unhealthy: bool,
    /// The startup check failed its retries: the container restarts.
    pub startup_failed: bool,
    /// It was a run of the startup check.
    pub startup: bool,
    /// It failed because the container stopped or was stopping.
    pub stopped: bool,
}

/// Progress of the startup check in the current run.
#[derive(Debug, Default)]
struct Startup {
    passed: bool,
    successes: u32,
    failures: u32,
}

pub struct Health {
    pub cfg: HealthConfig,
    state_file: Option<PathBuf>,
    out_path: PathBuf,
    state: HealthState,
    run_started: Instant,
    next: Option<Instant>,
    check: Option<Check>,
    startup: Startup,
}

impl Health {
    pub fn new(cfg: HealthConfig, state_file: Option<PathBuf>, out_path: PathBuf) -> Health {
        Health {
            cfg,
            state_file,
            out_path,
            state: HealthState::default(),
            run_started: Instant::now(),
            next: None,
            check: None,
            startup: Startup::default(),
        }
    }

    /// Whether the startup check still runs (it has one, not passed yet).
    fn in_startup(&self) -> bool {
        self.cfg.startup.is_some() && !self.startup.passed
    }

    /// Whether the regular check is held back: `kube play`'s containers
    /// run none during the start period.
    fn held(&self) -> bool {
        self.cfg.held_in_start_period
            && !self.in_startup()
            && self.run_started.elapsed() < Duration::from_millis(self.cfg.start_period_ms)
    }

    /// The command line of the next check.
    pub fn check_argv(&self) -> Vec<String> {
        match &self.cfg.startup {
            Some(s) if !self.startup.passed => test_argv(&s.test),
            _ => self.cfg.argv(),
        }
    }

    /// Where the state and log go (`--health-log-destination`).
    fn state_path(&self) -> Option<&PathBuf> {
        self.cfg.log_file.as_ref().or(self.state_file.as_ref())
    }

    /// The checks of a monitor's configuration: a container's own process
    /// has them, an exec session never.
    pub fn for_config(cfg: &MonitorConfig) -> Option<Health> {
        let h = cfg
            .healthcheck
            .as_ref()
            .filter(|_| cfg.mode == MonitorMode::Create)?;
        Some(Health::new(
            h.clone(),
            cfg.health_state_file.clone(),
            output_path(cfg),
        ))
    }

    /// `update`: a new configuration; the next check is one interval from
    /// now (Podman: changing the check resets its timer).
    fn replace(&mut self, cfg: HealthConfig, running: bool) {
        // As Podman: a startup check added to a running container counts
        // as passed; a changed one that has not passed starts counting again.
        if self.cfg.startup.is_none() && cfg.startup.is_some() {
            self.startup.passed = true;
        } else if cfg.startup != self.cfg.startup && !self.startup.passed {
            self.startup = Startup::default();
        }
        self.cfg = cfg;
        if self.check.is_none() {
            self.next = self
                .interval()
                .filter(|_| running)
                .map(|i| Instant::now() + i);
        }
    }

    /// The time to the next check: the startup check's interval until it
    /// passes, then the regular one (none without a regular command).
    fn interval(&self) -> Option<Duration> {
        let ms = match &self.cfg.startup {
            Some(s) if !self.startup.passed => s.interval_ms,
            _ if self.cfg.test.is_empty() => 0,
            _ => self.cfg.interval_ms,
        };
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// A run of the process began: status `starting`, first check after
    /// one interval.
    pub fn run_started(&mut self) {
        self.run_started = Instant::now();
        self.state = HealthState::default();
        self.startup = Startup::default();
        self.write();
        self.next = self.interval().map(|i| Instant::now() + i);
    }

    /// The process exited: no more checks until the next run.
    pub fn run_ended(&mut self) {
        self.next = None;
    }

    pub fn running_check(&self) -> Option<i32> {
        self.check.as_ref().map(|c| c.pid)
    }

    /// The earliest moment the loop must wake up for.
    pub fn deadline(&self) -> Option<Instant> {
        match &self.check {
            Some(c) if !c.timed_out => Some(c.deadline),
            Some(_) => None,
            None => self.next,
        }
    }

    /// Whether a scheduled check is due now.
    pub fn due(&self, now: Instant) -> bool {
        self.check.is_none() && self.next.is_some_and(|n| now >= n)
    }

    /// Starts `cmd` (a `runtime exec` of the check) with its output going
    /// to the output file.
    pub fn spawn(&mut self, mut cmd: Command) -> std::io::Result<()> {
        self.next = None;
        let out = File::create(&self.out_path)?;
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd.spawn()?;
        let startup = self.in_startup();
        let timeout_ms = match &self.cfg.startup {
            Some(s) if startup => s.timeout_ms,
            _ => self.cfg.timeout_ms,
        };
        let timeout = Duration::from_millis(timeout_ms.max(1));
        self.check = Some(Check {
            pid: child.id() as i32,
            startup,
            start: String::from_utf8_lossy(&now_timestamp()).into_owned(),
            deadline: Instant::now() + timeout,
            timed_out: false,
        });
        // Reaped by the loop's waitpid(-1).
        drop(child);
        Ok(())
    }

    /// Kills a check that ran past its timeout.
    pub fn enforce_timeout(&mut self, now: Instant) {
        if let Some(c) = &mut self.check {
            if !c.timed_out && now >= c.deadline {
                c.timed_out = true;
                // SAFETY: plain kill(2) of our unreaped child.
                unsafe { libc::kill(c.pid, libc::SIGKILL) };
            }
        }
    }

    /// The check process ended with `code`: record it and schedule the next.
    /// `stopping`: the container has stopped or is stopping, so a failure
    /// is recorded as `stopped`.
    pub fn finished(
        &mut self,
        code: i32,
        process_running: bool,
        stopping: bool,
    ) -> Option<Outcome> {
        let check = self.check.take()?;
        let mut output = Vec::new();
        let limit = match self.cfg.max_log_size {
            0 => u64::MAX,
            n => u64::from(n),
        };
        if let Ok(f) = File::open(&self.out_path) {
            let _ = f.take(limit).read_to_end(&mut output);
        }
        let _ = fs::remove_file(&self.out_path);
        let (exit_code, output) = if check.timed_out {
            (TIMED_OUT, "Healthcheck command timed out".to_owned())
        } else {
            (code, String::from_utf8_lossy(&output).into_owned())
        };
        let entry = HealthLogEntry {
            start: check.start,
            end: String::from_utf8_lossy(&now_timestamp()).into_owned(),
            exit_code,
            output: output.clone(),
        };
        let start_period = Duration::from_millis(self.cfg.start_period_ms);
        // Failures of the startup check never count against the regular one.
        let in_start = check.startup || self.run_started.elapsed() < start_period;
        let stopped = stopping && exit_code != 0;
        let turned_unhealthy = if stopped {
            self.state.record_stopped(&self.cfg, entry);
            false
        } else {
            self.state.record(&self.cfg, entry, in_start)
        };
        let startup_failed = check.startup && self.startup_result(exit_code == 0);
        self.write();
        if process_running {
            self.next = self.interval().map(|i| Instant::now() + i);
        }
        Some(Outcome {
            status: self.state.status.clone(),
            exit_code,
            output,
            turned_unhealthy,
            startup_failed,
            startup: check.startup,
            stopped,
        })
    }

    /// Counts a startup check (Podman's rules): enough successes in a row
    /// pass it and the regular check takes over; `retries` failures in a
    /// row (when not 0) restart the container. Returns true for the latter.
    fn startup_result(&mut self, success: bool) -> bool {
        let Some(s) = &self.cfg.startup else {
            return false;
        };
        if self.startup.passed {
            return false;
        }
        if success {
            self.startup.successes += 1;
            self.startup.failures = 0;
            if s.successes == 0 || self.startup.successes >= s.successes {
                self.startup = Startup {
                    passed: true,
                    ..Startup::default()
                };
            }
            return false;
        }
        self.startup.successes = 0;
        self.startup.failures += 1;
        s.retries != 0 && self.startup.failures >= s.retries
    }

    fn write(&self) {
        let Some(path) = self.state_path() else {
            return;
        };
        match serde_json::to_vec(&self.state) {
            Ok(data) => {
                if let Err(e) = atomic_write(path, &data) {
                    diag::warn(&format!("write {}: {e}", path.display()));
                }
            }
            Err(e) => diag::warn(&format!("encode health state: {e}")),
        }
    }
}

/// Where a check's output goes while it runs.
fn output_path(cfg: &MonitorConfig) -> PathBuf {
    let mut out = cfg.pid_file.clone().into_os_string();
    out.push(".health-output");
    out.into()
}

impl Supervisor {
    /// `update --health-*`: replaces the check (`None` removes it; a check
    /// running then is reaped as any stray child).
    pub(super) fn set_healthcheck(&mut self, cfg: Option<HealthConfig>) {
        let running = self.phase == Phase::Running;
        match (cfg, &mut self.health) {
            (None, _) => {
                self.health = None;
                self.controls.health_result(&Reply::Error {
                    message: "container has no defined healthcheck".to_owned(),
                });
            }
            (Some(cfg), Some(h)) => h.replace(cfg, running),
            (Some(cfg), None) => {
                let mut h = Health::new(
                    cfg,
                    self.cfg.health_state_file.clone(),
                    output_path(&self.cfg),
                );
                if running {
                    h.run_started();
                }
                self.health = Some(h);
            }
        }
    }

    /// Kills a check past its timeout, starts one that is due.
    pub(super) fn health_tick(&mut self, now: Instant) {
        let Some(h) = &mut self.health else {
            return;
        };
        h.enforce_timeout(now);
        if h.due(now) {
            if self.stop_requested {
                // Podman runs no check of a stopping container (and
                // records none): the status stays what it was.
                h.next = h.interval().map(|i| now + i);
            } else {
                self.start_health_check();
            }
        }
    }

    /// `runtime exec` of the check command.
    pub(super) fn start_health_check(&mut self) {
        let Some(h) = &mut self.health else {
            return;
        };
        if h.held() {
            // Podman: not run, nothing logged; `healthcheck run` reads
            // `unhealthy`.
            h.next = h.interval().map(|i| Instant::now() + i);
            let reply = Reply::Health {
                status: rpod_proto::health::UNHEALTHY.to_owned(),
                exit_code: 1,
                output: String::new(),
            };
            self.controls.health_result(&reply);
            return;
        }
        let cmd = runtime::exec_command(&self.cfg, &h.check_argv());
        if let Err(e) = h.spawn(cmd) {
            diag::warn(&format!("health check: {e}"));
            self.health_done(-1);
        }
    }

    /// The check process ended with `code` (-1 when it could not run):
    /// record, report to `healthcheck run` clients and events, and act on
    /// a turn to unhealthy.
    pub(super) fn health_done(&mut self, code: i32) {
        let running = self.phase == Phase::Running;
        // Podman: a check that fails while its container is stopped or
        // stopping reads `stopped` (the process may have exited before
        // its exit is reaped here).
        let stopping = !running || self.stop_requested || self.process_gone();
        let Some(h) = &mut self.health else {
            return;
        };
        let on_failure = h.cfg.on_failure;
        let Some(outcome) = h.finished(code, running, stopping) else {
            return;
        };
        emit(&self.cfg, "health_status", None, &outcome.status);
        if let Some(n) = &mut self.healthy_notify {
            n.on_status(&outcome.status);
        }
        // `healthcheck run` reports the run itself, as Podman: a failed
        // regular check is `unhealthy` even while the status is `starting`;
        // only a failed startup check reads `starting`.
        let result = match (outcome.exit_code, outcome.startup) {
            (0, _) => rpod_proto::health::HEALTHY,
            _ if outcome.stopped => rpod_proto::health::STOPPED,
            (_, true) => rpod_proto::health::STARTING,
            _ => rpod_proto::health::UNHEALTHY,
        };
        let reply = Reply::Health {
            status: result.to_owned(),
            exit_code: outcome.exit_code,
            output: outcome.output,
        };
        let acted = if outcome.startup_failed && running {
            diag::warn("the startup health check failed: restarting the container");
            self.on_unhealthy(HealthOnFailure::Restart)
        } else if outcome.turned_unhealthy && running {
            self.on_unhealthy(on_failure)
        } else {
            false
        };
        if acted {
            self.health_reply_held = Some(reply);
        } else {
            self.controls.health_result(&reply);
        }
    }

    /// Sends the `healthcheck run` answer held by [`Self::health_done`].
    pub(super) fn release_health_reply(&mut self) {
        if let Some(reply) = self.health_reply_held.take() {
            self.controls.health_result(&reply);
        }
    }

    /// The container's stop signal now, SIGKILL after its stop timeout.
    fn stop_gracefully(&mut self) {
        let sig = self.cfg.stop_signal.unwrap_or(libc::SIGTERM);
        let secs = self.cfg.stop_timeout_secs.unwrap_or(10);
        let _ = self.signal_then_kill_after(sig, secs);
    }

    /// `--health-on-failure`: what the monitor does when the container
    /// turns unhealthy. Returns whether it takes the container down.
    fn on_unhealthy(&mut self, action: HealthOnFailure) -> bool {
        match action {
            HealthOnFailure::Kill => {
                self.restarts.disabled = true;
                let _ = self.signal_process(libc::SIGKILL);
            }
            HealthOnFailure::Stop => {
                self.restarts.disabled = true;
                if let Some(path) = &self.cfg.stopping_file {
                    // Only a report for the engine: losing it is harmless.
                    let _ = File::create(path);
                }
                self.stop_gracefully();
            }
            HealthOnFailure::Restart => {
                // Podman stops the container as `stop` does (its stop
                // signal, SIGKILL after its stop timeout); the restart
                // follows the exit.
                self.restarts.forced = true;
                self.stop_gracefully();
            }
            HealthOnFailure::None | HealthOnFailure::Unknown => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_proto::health::{HEALTHY, STARTING, STOPPED, UNHEALTHY};

    struct Dir(PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn health(name: &str, retries: u32, interval_ms: u64, start_period_ms: u64) -> (Dir, Health) {
        let dir = std::env::temp_dir().join(format!("podmon-health-{name}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let cfg = HealthConfig {
            test: vec!["CMD".into(), "true".into()],
            interval_ms,
            timeout_ms: 1000,
            start_period_ms,
            retries,
            on_failure: HealthOnFailure::None,
            startup: None,
            max_log_count: 5,
            max_log_size: 500,
            log_file: None,
            held_in_start_period: false,
        };
        let h = Health::new(cfg, Some(dir.join("health.json")), dir.join("out"));
        (Dir(dir), h)
    }

    /// Stands in for `spawn` (the pid is never signalled here).
    fn fake_check(h: &mut Health, output: &str) {
        h.next = None;
        fs::write(&h.out_path, output).unwrap();
        let startup = h.in_startup();
        h.check = Some(Check {
            pid: i32::MAX,
            startup,
            start: "start".into(),
            deadline: Instant::now() + Duration::from_secs(60),
            timed_out: false,
        });
    }

    fn run_check(h: &mut Health, code: i32) -> Outcome {
        fake_check(h, "out");
        h.finished(code, true, false).unwrap()
    }

    #[test]
    fn turns_unhealthy_after_the_retries_once_and_healthy_on_success() {
        let (dir, mut h) = health("retries", 2, 0, 0);
        h.run_started();
        let o = run_check(&mut h, 1);
        assert_eq!((o.status.as_str(), o.turned_unhealthy), (STARTING, false));
        let o = run_check(&mut h, 1);
        assert_eq!((o.status.as_str(), o.turned_unhealthy), (UNHEALTHY, true));
        assert_eq!(o.output, "out");
        let o = run_check(&mut h, 1);
        assert_eq!((o.status.as_str(), o.turned_unhealthy), (UNHEALTHY, false));
        let o = run_check(&mut h, 0);
        assert_eq!((o.status.as_str(), o.turned_unhealthy), (HEALTHY, false));
        let st: HealthState =
            serde_json::from_slice(&fs::read(dir.0.join("health.json")).unwrap()).unwrap();
        assert_eq!(st.status, HEALTHY);
        assert_eq!(st.failing_streak, 0);
        assert_eq!(st.log.len(), 4);
        assert!(!h.out_path.exists(), "the output file is consumed");
    }

    #[test]
    fn a_check_failing_as_its_container_stops_reads_stopped_and_does_not_count() {
        let (dir, mut h) = health("stopping", 1, 0, 0);
        h.run_started();
        let o = run_check(&mut h, 1);
        assert_eq!((o.status.as_str(), o.stopped), (UNHEALTHY, false));
        fake_check(&mut h, "");
        let o = h.finished(137, true, true).unwrap();
        assert_eq!((o.status.as_str(), o.stopped), (STOPPED, true));
        assert!(!o.turned_unhealthy);
        let st: HealthState =
            serde_json::from_slice(&fs::read(dir.0.join("health.json")).unwrap()).unwrap();
        assert_eq!((st.status.as_str(), st.failing_streak), (STOPPED, 1));
        assert_eq!(st.log.last().map(|e| e.exit_code), Some(137));
        // A check that passes while stopping is a pass.
        fake_check(&mut h, "");
        let o = h.finished(0, true, true).unwrap();
        assert_eq!((o.status.as_str(), o.stopped), (HEALTHY, false));
    }

    #[test]
    fn failures_in_the_start_period_do_not_count() {
        let (_dir, mut h) = health("start", 1, 0, 60_000);
        h.run_started();
        let o = run_check(&mut h, 1);
        assert_eq!((o.status.as_str(), o.turned_unhealthy), (STARTING, false));
        assert_eq!(run_check(&mut h, 0).status, HEALTHY);
    }

    #[test]
    fn kube_checks_are_held_during_the_start_period() {
        let (_dir, mut h) = health("held", 1, 0, 60_000);
        h.run_started();
        assert!(!h.held(), "only kube play's containers");
        h.cfg.held_in_start_period = true;
        assert!(h.held());
        h.cfg.start_period_ms = 0;
        assert!(!h.held(), "after the start period");
    }

    #[test]
    fn a_timed_out_check_fails_with_125() {
        let (_dir, mut h) = health("timeout", 1, 0, 0);
        h.run_started();
        fake_check(&mut h, "partial");
        if let Some(c) = &mut h.check {
            c.timed_out = true;
        }
        assert_eq!(h.deadline(), None, "a killed check has no deadline");
        let o = h.finished(137, true, false).unwrap();
        assert_eq!(o.exit_code, TIMED_OUT);
        assert_eq!(o.output, "Healthcheck command timed out");
        assert!(o.turned_unhealthy);
        assert!(h.finished(0, true, false).is_none(), "no check is running");
    }

    #[test]
    fn schedules_checks_only_while_the_process_runs() {
        let (_dir, mut h) = health("schedule", 1, 1000, 0);
        let now = Instant::now();
        assert_eq!(h.deadline(), None, "nothing before the first run");
        h.run_started();
        let next = h.deadline().unwrap();
        assert!(next > now);
        assert!(!h.due(now));
        assert!(h.due(next));
        fake_check(&mut h, "");
        assert!(!h.due(next), "one check at a time");
        assert_eq!(h.running_check(), Some(i32::MAX));
        h.finished(0, false, false);
        assert_eq!(h.deadline(), None, "no next check once the process is gone");
        h.run_started();
        h.run_ended();
        assert_eq!(h.deadline(), None);
    }

    fn with_startup(h: &mut Health, retries: u32, successes: u32) {
        h.cfg.startup = Some(rpod_proto::health::StartupConfig {
            test: vec!["CMD-SHELL".into(), "startup".into()],
            interval_ms: 500,
            timeout_ms: 1000,
            retries,
            successes,
        });
    }

    #[test]
    fn the_startup_check_runs_first_and_hands_over_after_its_successes() {
        let (_dir, mut h) = health("startup-pass", 1, 60_000, 0);
        with_startup(&mut h, 0, 2);
        h.run_started();
        assert_eq!(h.check_argv(), vec!["/bin/sh", "-c", "startup"]);
        assert!(h.deadline().unwrap() < Instant::now() + Duration::from_secs(1));
        let o = run_check(&mut h, 1);
        assert_eq!(o.status, STARTING, "startup failures do not count");
        assert!(!o.startup_failed, "retries 0: never restarts");
        assert_eq!(run_check(&mut h, 0).status, HEALTHY);
        assert_eq!(
            h.check_argv(),
            vec!["/bin/sh", "-c", "startup"],
            "one of two"
        );
        run_check(&mut h, 0);
        assert_eq!(h.check_argv(), vec!["true"], "the regular check now");
        assert!(h.deadline().unwrap() > Instant::now() + Duration::from_secs(30));
        h.run_started();
        assert_eq!(
            h.check_argv(),
            vec!["/bin/sh", "-c", "startup"],
            "again at each start"
        );
    }

    #[test]
    fn startup_failures_in_a_row_restart_the_container() {
        let (_dir, mut h) = health("startup-fail", 1, 1000, 0);
        with_startup(&mut h, 2, 0);
        h.run_started();
        assert!(!run_check(&mut h, 1).startup_failed);
        assert!(run_check(&mut h, 1).startup_failed);
    }

    #[test]
    fn log_count_size_and_destination_follow_the_configuration() {
        let (dir, mut h) = health("log", 1, 0, 0);
        h.cfg.max_log_count = 2;
        h.cfg.max_log_size = 3;
        h.cfg.log_file = Some(dir.0.join("elsewhere.log"));
        h.run_started();
        for _ in 0..3 {
            assert_eq!(run_check(&mut h, 0).output, "out");
        }
        fake_check(&mut h, "abcdef");
        assert_eq!(h.finished(0, true, false).unwrap().output, "abc");
        let st: HealthState =
            serde_json::from_slice(&fs::read(dir.0.join("elsewhere.log")).unwrap()).unwrap();
        assert_eq!(st.log.len(), 2);
        assert!(!dir.0.join("health.json").exists());
    }

    #[test]
    fn interval_zero_runs_no_scheduled_checks() {
        let (_dir, mut h) = health("manual", 1, 0, 0);
        h.run_started();
        assert_eq!(h.deadline(), None);
        run_check(&mut h, 0);
        assert_eq!(h.deadline(), None);
    }
}
