//! `update`: what may change in an existing container (Podman 5.8's
//! `ContainerUpdateOptions`), already parsed. Every field left `None` (or
//! empty) keeps the container's current setting.

use serde::{Deserialize, Serialize};

use super::{HealthOnFailure, ResourceSpec, RestartPolicy, Ulimit};

/// `update --health-*`: the changes to the container's health check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthUpdate {
    /// `--health-cmd`: Podman's Test (`["CMD-SHELL", cmd]`, `["CMD", ...]`,
    /// or `["NONE"]` for `none`).
    pub test: Option<Vec<String>>,
    /// `--health-interval` (0: `disable`).
    pub interval_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub start_period_ms: Option<u64>,
    pub retries: Option<u32>,
    /// `--health-on-failure`.
    pub on_failure: Option<HealthOnFailure>,
    /// `--no-healthcheck`.
    pub disable: bool,
    /// `--health-startup-cmd` (Test as `test`).
    pub startup_test: Option<Vec<String>>,
    pub startup_interval_ms: Option<u64>,
    pub startup_timeout_ms: Option<u64>,
    pub startup_retries: Option<u32>,
    pub startup_successes: Option<u32>,
    /// `--health-log-destination`.
    pub log_destination: Option<String>,
    /// `--health-max-log-count`.
    pub max_log_count: Option<u32>,
    /// `--health-max-log-size`.
    pub max_log_size: Option<u32>,
}

impl HealthUpdate {
    /// Whether a flag other than `--health-cmd` and `--no-healthcheck`
    /// changes the check.
    pub fn changes_timing(&self) -> bool {
        self.interval_ms.is_some()
            || self.timeout_ms.is_some()
            || self.start_period_ms.is_some()
            || self.retries.is_some()
    }

    /// Whether a startup-check flag other than `--health-startup-cmd`
    /// was given.
    pub fn changes_startup_timing(&self) -> bool {
        self.startup_interval_ms.is_some()
            || self.startup_timeout_ms.is_some()
            || self.startup_retries.is_some()
            || self.startup_successes.is_some()
    }

    /// Whether any health flag was given.
    pub fn is_empty(&self) -> bool {
        *self == HealthUpdate::default()
    }
}

/// `update [options] CONTAINER`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOptions {
    pub name_or_id: String,
    /// The resource flags given (`None` fields are left alone; `ulimits`
    /// is not used, see `ulimits` below).
    pub resources: ResourceSpec,
    /// `--restart`.
    pub restart: Option<RestartPolicy>,
    pub health: HealthUpdate,
    /// `--env KEY=VALUE` (over the container's own).
    pub env: Vec<String>,
    /// `--unsetenv KEY`.
    pub unset_env: Vec<String>,
    /// `--ulimit`: the new list, replacing the container's (`Some(vec![])`
    /// for `--ulimit host`: the host's limits).
    pub ulimits: Option<Vec<Ulimit>>,
}
