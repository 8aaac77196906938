//! Health checks: the status the monitor records, and `healthcheck run`
//! (asks the monitor to run the check now, so it stays the only writer of
//! the health state).

use rpod_proto::health::HealthState;

use super::paths::ContainerPaths;
use super::ContainerError;
use crate::config::EngineConfig;
use crate::monitor::MonitorClient;
use crate::state::ContainerRecord;

/// The health state of `rec` if it has a health check (`starting` until
/// the first check has run).
pub fn state(config: &EngineConfig, rec: &ContainerRecord) -> Option<HealthState> {
    rec.options.healthcheck.as_ref()?;
    let paths = ContainerPaths::new(config, &rec.id);
    let data = std::fs::read(&paths.health_state).ok();
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
