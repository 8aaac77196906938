//! Health checks: the status the monitor records, and `healthcheck run`
//! (asks the monitor to run the check now, so it stays the only writer of
//! the health state).

use std::path::{Path, PathBuf};

use rpod_proto::health::HealthState;

use super::paths::ContainerPaths;
use super::ContainerError;
use crate::config::EngineConfig;
use crate::monitor::MonitorClient;
use crate::state::ContainerRecord;

const LOCAL: &str = "local";
const EVENTS_LOGGER: &str = "events_logger";
/// Podman's default `--health-timeout`.
pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// Where the monitor writes the health state and log: the container's
/// data directory, or `DIR/ID-healthcheck.log` for a
/// `--health-log-destination` directory (as Podman).
pub fn log_path(config: &EngineConfig, rec: &ContainerRecord) -> PathBuf {
    match rec.options.health_log.destination.as_str() {
        "" | LOCAL | EVENTS_LOGGER => ContainerPaths::new(config, &rec.id).health_state,
        dir => Path::new(dir).join(format!("{}-healthcheck.log", rec.id)),
    }
}

/// `--health-log-destination`: `local`, `events_logger` or an existing
/// directory (made absolute), with Podman's errors.
pub fn valid_destination(dest: &str) -> Result<String, ContainerError> {
    if dest == LOCAL || dest == EVENTS_LOGGER {
        return Ok(dest.to_owned());
    }
    let invalid = |m: String| ContainerError::InvalidArgument(m);
    let meta = std::fs::metadata(dest).map_err(|e| {
        invalid(format!(
            "HealthCheck Log '{dest}' destination error: stat {dest}: {}",
            crate::error_chain::io_reason(&e)
        ))
    })?;
    if !meta.is_dir() {
        return Err(invalid(format!(
            "HealthCheck Log '{dest}' destination must be directory"
        )));
    }
    std::path::absolute(dest)
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|e| invalid(format!("HealthCheck Log '{dest}': {e}")))
}

/// Podman's annotation on `kube play`'s containers: their regular check
/// waits for the start period.
pub const KUBE_HEALTH_CHECK_ANNOTATION: &str = "io.podman.annotations.kube.health.check";

/// What the container's monitor runs: the regular check, the startup
/// check and the log settings (`None` when the container has neither check).
pub fn monitor_config(
    config: &EngineConfig,
    rec: &ContainerRecord,
) -> Option<rpod_proto::health::HealthConfig> {
    let o = &rec.options;
    let startup = o
        .startup_healthcheck
        .as_ref()
        .map(|s| rpod_proto::health::StartupConfig {
            test: s.test.clone(),
            interval_ms: s.interval_ms,
            timeout_ms: s.timeout_ms,
            retries: s.retries,
            successes: s.successes,
        });
    let mut cfg: rpod_proto::health::HealthConfig = match (&o.healthcheck, &startup) {
        (Some(h), _) => h.clone().into(),
        (None, Some(_)) => rpod_proto::health::HealthConfig {
            test: Vec::new(),
            interval_ms: 0,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            start_period_ms: 0,
            retries: 0,
            on_failure: rpod_proto::health::HealthOnFailure::None,
            startup: None,
            max_log_count: 0,
            max_log_size: 0,
            log_file: None,
            held_in_start_period: false,
        },
        (None, None) => return None,
    };
    cfg.startup = startup;
    cfg.max_log_count = o.health_log.max_count;
    cfg.max_log_size = o.health_log.max_size;
    cfg.log_file = Some(log_path(config, rec));
    cfg.held_in_start_period = o
        .annotations
        .iter()
        .any(|(k, v)| k == KUBE_HEALTH_CHECK_ANNOTATION && v == "true");
    Some(cfg)
}

/// The health state of `rec` if it has a health check (`starting` until
/// the first check has run).
pub fn state(config: &EngineConfig, rec: &ContainerRecord) -> Option<HealthState> {
    rec.options.healthcheck.as_ref()?;
    let data = std::fs::read(log_path(config, rec)).ok();
    Some(
        data.and_then(|d| serde_json::from_slice(&d).ok())
            .unwrap_or_default(),
    )
}

/// The outcome of one check run on demand.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub status: String,
    pub exit_code: i32,
}

/// Runs the container's health check now through its monitor.
pub fn run_check(
    config: &EngineConfig,
    rec: &ContainerRecord,
) -> Result<CheckResult, ContainerError> {
    if rec.options.healthcheck.is_none() {
        return Err(ContainerError::StateImproper(format!(
            "container {} has no defined healthcheck",
            rec.id
        )));
    }
    if rec.state != crate::state::ContainerState::Running {
        return Err(ContainerError::StateImproper(format!(
            "container {} is not running",
            rec.id
        )));
    }
    let paths = ContainerPaths::new(config, &rec.id);
    let mut client = MonitorClient::connect(&paths.monitor.control_socket)?;
    // As Podman's `healthcheck run`, only the status is reported.
    let (status, exit_code, _output) = client.run_healthcheck()?;
    Ok(CheckResult { status, exit_code })
}
