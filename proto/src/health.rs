//! Health checks: the configuration the monitor schedules and the state
//! it keeps (Podman's healthcheck log shape, so `inspect` shows it as is).

use serde::{Deserialize, Serialize};

/// What happens when a container turns unhealthy (`--health-on-failure`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthOnFailure {
    #[default]
    None,
    Kill,
    Restart,
    Stop,
    #[serde(other)]
    Unknown,
}

impl HealthOnFailure {
    pub fn parse(s: &str) -> Option<HealthOnFailure> {
        Some(match s {
            "none" => HealthOnFailure::None,
            "kill" => HealthOnFailure::Kill,
            "restart" => HealthOnFailure::Restart,
            "stop" => HealthOnFailure::Stop,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HealthOnFailure::None | HealthOnFailure::Unknown => "none",
            HealthOnFailure::Kill => "kill",
            HealthOnFailure::Restart => "restart",
            HealthOnFailure::Stop => "stop",
        }
    }
}

/// `--health-*` options. Durations in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthConfig {
    /// Podman's Test: `["CMD-SHELL", cmd]` or `["CMD", arg...]`.
    pub test: Vec<String>,
    /// 0 disables the schedule (only `healthcheck run`).
    pub interval_ms: u64,
    pub timeout_ms: u64,
    #[serde(default)]
    pub start_period_ms: u64,
    pub retries: u32,
    #[serde(default)]
    pub on_failure: HealthOnFailure,
    /// `--health-startup-*`: run after each start until it passes.
    #[serde(default)]
    pub startup: Option<StartupConfig>,
    /// Entries kept in the log (0: all).
    #[serde(default = "default_max_log_count")]
    pub max_log_count: u32,
    /// Bytes of output kept per entry (0: all).
    #[serde(default = "default_max_log_size")]
    pub max_log_size: u32,
    /// Where the state and log are written (`--health-log-destination`);
    /// `None`: the monitor configuration's `health_state_file`.
    #[serde(default)]
    pub log_file: Option<std::path::PathBuf>,
    /// `kube play`'s rule (Podman's kube health check annotation): the
    /// regular check does not run during the start period, neither
    /// scheduled nor on demand (which reports `unhealthy`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held_in_start_period: bool,
}

fn default_max_log_count() -> u32 {
    MAX_LOG_ENTRIES as u32
}

fn default_max_log_size() -> u32 {
    DEFAULT_MAX_LOG_SIZE
}

/// The startup check (Podman's `StartupHealthCheck`). Durations in
/// milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartupConfig {
    pub test: Vec<String>,
    pub interval_ms: u64,
    pub timeout_ms: u64,
    /// Failures in a row that restart the container (0: never).
    pub retries: u32,
    /// Successes in a row that pass it (0: one).
    pub successes: u32,
}

/// Podman's `["CMD-SHELL", cmd]` / `["CMD", arg...]` as a command line.
pub fn test_argv(test: &[String]) -> Vec<String> {
    match test.split_first() {
        Some((kind, rest)) if kind == "CMD-SHELL" => {
            vec!["/bin/sh".into(), "-c".into(), rest.join(" ")]
        }
        Some((kind, rest)) if kind == "CMD" => rest.to_vec(),
        _ => test.to_vec(),
    }
}

impl HealthConfig {
    /// The command line run in the container.
    pub fn argv(&self) -> Vec<String> {
        test_argv(&self.test)
    }
}

pub const HEALTHY: &str = "healthy";
pub const UNHEALTHY: &str = "unhealthy";
pub const STARTING: &str = "starting";
/// A check failed because its container stopped (or was stopping).
pub const STOPPED: &str = "stopped";

/// Entries kept in the log by default (Podman keeps 5).
pub const MAX_LOG_ENTRIES: usize = 5;
/// Output kept per entry by default (Podman's 500 characters).
pub const DEFAULT_MAX_LOG_SIZE: u32 = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthLogEntry {
    #[serde(rename = "Start")]
    pub start: String,
    #[serde(rename = "End")]
    pub end: String,
    #[serde(rename = "ExitCode")]
    pub exit_code: i32,
    #[serde(rename = "Output")]
    pub output: String,
}

/// The health state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthState {
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "FailingStreak")]
    pub failing_streak: u32,
    #[serde(rename = "Log", default)]
    pub log: Vec<HealthLogEntry>,
}

impl Default for HealthState {
    fn default() -> Self {
        HealthState {
            status: STARTING.to_owned(),
            failing_streak: 0,
            log: Vec::new(),
        }
    }
}

impl HealthState {
    /// Records one check. A failure inside the start period does not count.
    /// Returns true when the status turned unhealthy with this check.
    pub fn record(
        &mut self,
        cfg: &HealthConfig,
        entry: HealthLogEntry,
        in_start_period: bool,
    ) -> bool {
        let was = self.status.clone();
        if entry.exit_code == 0 {
            self.status = HEALTHY.to_owned();
            self.failing_streak = 0;
        } else if !in_start_period {
            self.failing_streak += 1;
            if self.failing_streak >= cfg.retries.max(1) {
                self.status = UNHEALTHY.to_owned();
            }
        }
        self.push_log(cfg, entry);
        self.status == UNHEALTHY && was != UNHEALTHY
    }

    /// Records a check that failed because its container stopped or is
    /// stopping (Podman's rule): the status reads `stopped` and the
    /// failure does not count in the failing streak.
    pub fn record_stopped(&mut self, cfg: &HealthConfig, entry: HealthLogEntry) {
        self.status = STOPPED.to_owned();
        self.push_log(cfg, entry);
    }

    fn push_log(&mut self, cfg: &HealthConfig, entry: HealthLogEntry) {
        self.log.push(entry);
        let max = cfg.max_log_count as usize;
        if max != 0 && self.log.len() > max {
            let extra = self.log.len() - max;
            self.log.drain(..extra);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: i32) -> HealthLogEntry {
        HealthLogEntry {
            start: "s".into(),
            end: "e".into(),
            exit_code: code,
            output: String::new(),
        }
    }

    #[test]
    fn retries_and_start_period() {
        let cfg = HealthConfig {
            test: vec!["CMD-SHELL".into(), "false".into()],
            interval_ms: 1000,
            timeout_ms: 1000,
            start_period_ms: 0,
            retries: 2,
            on_failure: HealthOnFailure::None,
            startup: None,
            max_log_count: 5,
            max_log_size: 500,
            log_file: None,
            held_in_start_period: false,
        };
        assert_eq!(cfg.argv(), vec!["/bin/sh", "-c", "false"]);
        let mut s = HealthState::default();
        assert!(!s.record(&cfg, entry(1), true));
        assert_eq!(s.status, STARTING);
        assert_eq!(s.failing_streak, 0);
        assert!(!s.record(&cfg, entry(1), false));
        assert!(s.record(&cfg, entry(1), false));
        assert_eq!(s.status, UNHEALTHY);
        assert!(!s.record(&cfg, entry(1), false));
        s.record(&cfg, entry(0), false);
        assert_eq!(s.status, HEALTHY);
        assert_eq!(s.failing_streak, 0);
        for _ in 0..10 {
            s.record(&cfg, entry(0), false);
        }
        assert_eq!(s.log.len(), MAX_LOG_ENTRIES);
    }
}
