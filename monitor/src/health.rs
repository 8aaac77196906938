//! Health checks scheduled by the monitor: `runtime exec` of the check
//! command every interval while the process runs, a timeout, the state
//! file (Podman's healthcheck log shape) and the resulting status.

use std::fs::{self, File};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rpod_proto::health::{HealthConfig, HealthLogEntry, HealthState, MAX_OUTPUT};

use crate::diag;
use crate::fdio::atomic_write;
use crate::logfile::now_timestamp;

/// Exit code recorded for a check that ran past its timeout.
const TIMED_OUT: i32 = 125;

struct Check {
    pid: i32,
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
}

pub struct Health {
    pub cfg: HealthConfig,
    state_file: Option<PathBuf>,
    out_path: PathBuf,
    state: HealthState,
    run_started: Instant,
    next: Option<Instant>,
    check: Option<Check>,
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
        }
    }

    fn interval(&self) -> Option<Duration> {
        (self.cfg.interval_ms > 0).then(|| Duration::from_millis(self.cfg.interval_ms))
    }

    /// A run of the process began: status `starting`, first check after
    /// one interval.
    pub fn run_started(&mut self) {
        self.run_started = Instant::now();
        self.state = HealthState::default();
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
        let timeout = Duration::from_millis(self.cfg.timeout_ms.max(1));
        self.check = Some(Check {
            pid: child.id() as i32,
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
    pub fn finished(&mut self, code: i32, process_running: bool) -> Option<Outcome> {
        let check = self.check.take()?;
        let mut output = Vec::new();
        if let Ok(f) = File::open(&self.out_path) {
            let _ = f.take(MAX_OUTPUT as u64).read_to_end(&mut output);
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
        let in_start = self.run_started.elapsed() < start_period;
        let turned_unhealthy = self.state.record(&self.cfg, entry, in_start);
        self.write();
        if process_running {
            self.next = self.interval().map(|i| Instant::now() + i);
        }
        Some(Outcome {
            status: self.state.status.clone(),
            exit_code,
            output,
            turned_unhealthy,
        })
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
            Err(e) => diag::warn(&format!("encode health state: {e}")),
        }
    }
}
