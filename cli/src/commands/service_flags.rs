//! `create`/`run` flags for containers run as services: `--restart`, the
//! `--health-*` family, `--sdnotify`, `--cidfile` and `--replace` (Podman's
//! names and defaults).

use clap::Args;
use rpod_api::container_run::{
    CreateSpec, HealthCheck, HealthLogSpec, HealthOnFailure, RestartPolicy, RestartPolicyName,
    SdNotifyMode, StartupHealthCheck,
};

use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct ServiceFlags {
    /// Restart policy to apply when a container exits ("always"|"no"|"never"|"on-failure"|"unless-stopped")
    #[arg(long)]
    pub restart: Option<String>,
    /// Set a healthcheck command for the container ('none' disables the existing healthcheck)
    #[arg(long)]
    pub health_cmd: Option<String>,
    /// Set an interval for the healthcheck. (a value of disable results in no automatic timer setup)
    #[arg(long, default_value = "30s")]
    pub health_interval: String,
    /// The number of retries allowed before a healthcheck is considered to be unhealthy
    #[arg(long, default_value_t = 3)]
    pub health_retries: u32,
    /// The initialization time needed for a container to bootstrap
    #[arg(long, default_value = "0s")]
    pub health_start_period: String,
    /// The maximum time allowed to complete the healthcheck before an interval is considered failed
    #[arg(long, default_value = "30s")]
    pub health_timeout: String,
    /// Action to take once the container turns unhealthy
    #[arg(long, default_value = "none")]
    pub health_on_failure: String,
    /// Disable healthchecks on container
    #[arg(long)]
    pub no_healthcheck: bool,
    /// Set a startup healthcheck command for the container
    #[arg(long)]
    pub health_startup_cmd: Option<String>,
    /// Set an interval for the startup healthcheck
    #[arg(long, default_value = "30s")]
    pub health_startup_interval: String,
    /// Set the maximum number of retries before the startup healthcheck will restart the container
    #[arg(long, default_value_t = 0)]
    pub health_startup_retries: u32,
    /// Set the number of consecutive successes before the startup healthcheck is marked as successful and the normal healthcheck begins (0 indicates any success will start the regular healthcheck)
    #[arg(long, default_value_t = 0)]
    pub health_startup_success: u32,
    /// Set the maximum amount of time that the startup healthcheck may take before it is considered failed
    #[arg(long, default_value = "30s")]
    pub health_startup_timeout: String,
    /// Set the destination of the HealthCheck log. Directory path, local or events_logger (local use container state file)
    #[arg(long, default_value = "local")]
    pub health_log_destination: String,
    /// Set maximum number of attempts in the HealthCheck log file. ('0' value means an infinite number of attempts in the log file)
    #[arg(long, default_value_t = rpod_api::container_run::DEFAULT_HEALTH_MAX_LOG_COUNT)]
    pub health_max_log_count: u32,
    /// Set maximum length in characters of stored HealthCheck log. ('0' value means an infinite log length)
    #[arg(long, default_value_t = rpod_api::container_run::DEFAULT_HEALTH_MAX_LOG_SIZE)]
    pub health_max_log_size: u32,
    /// Control sd-notify behavior ("conmon"|"container"|"healthy"|"ignore")
    #[arg(long)]
    pub sdnotify: Option<String>,
    /// Write the container ID to the file
    #[arg(long)]
    pub cidfile: Option<String>,
    /// If a container with the same name exists, replace it
    #[arg(long)]
    pub replace: bool,
}

impl ServiceFlags {
    /// Validates the flags into `spec`.
    pub fn apply(&self, spec: &mut CreateSpec) -> CliResult<()> {
        spec.replace = self.replace;
        spec.cidfile = self.cidfile.clone();
        spec.sdnotify = match self.sdnotify.as_deref() {
            None | Some("ignore") => SdNotifyMode::Ignore,
            Some("conmon") => SdNotifyMode::Conmon,
            Some("container") => SdNotifyMode::Container,
            Some("healthy") => SdNotifyMode::Healthy,
            Some(other) => {
                return Err(CliError::usage(format!(
                "invalid --sdnotify value {other:?}: must be conmon, container, healthy or ignore"
            )))
            }
        };
        let opts = &mut spec.options;
        if let Some(r) = &self.restart {
            let policy = RestartPolicy::parse(r).map_err(CliError::usage)?;
            if opts.remove && policy.name != RestartPolicyName::No {
                return Err(CliError::usage(
                    "the --rm option conflicts with --restart, when the restartPolicy is not \"\" and not \"no\"",
                ));
            }
            opts.restart = Some(policy);
        }
        let on_failure = health_on_failure(&self.health_on_failure)?;
        opts.health_log = HealthLogSpec {
            destination: self.health_log_destination.clone(),
            max_count: self.health_max_log_count,
            max_size: self.health_max_log_size,
        };
        opts.startup_healthcheck = self.startup_check()?;
        let Some(cmd) = self.health_cmd.as_deref().filter(|c| *c != "none") else {
            // Podman's check: the action needs a check to act on (`none`
            // and `--no-healthcheck` set Test [NONE], which counts as one).
            if on_failure != HealthOnFailure::None
                && self.health_cmd.is_none()
                && !self.no_healthcheck
            {
                return Err(CliError::usage(format!(
                    "cannot set on-failure action to {} without a health check",
                    self.health_on_failure
                )));
            }
            opts.no_healthcheck = self.no_healthcheck || self.health_cmd.is_some();
            return Ok(());
        };
        if self.no_healthcheck {
            return Err(CliError::usage(
                "cannot specify both --no-healthcheck and --health-cmd",
            ));
        }
        let test = health_test(cmd)?;
        let interval_ms = health_interval_ms(&self.health_interval)?;
        let timeout_ms = duration_ms("health-timeout", &self.health_timeout)?;
        if timeout_ms < 1000 {
            return Err(CliError::usage(
                "healthcheck-timeout must be at least 1 second",
            ));
        }
        opts.healthcheck = Some(HealthCheck {
            test,
            interval_ms,
            timeout_ms,
            start_period_ms: duration_ms("health-start-period", &self.health_start_period)?,
            retries: self.health_retries,
            on_failure,
        });
        Ok(())
    }
}

impl ServiceFlags {
    /// `--health-startup-*` (Podman: the other startup flags mean nothing
    /// without `--health-startup-cmd`).
    fn startup_check(&self) -> CliResult<Option<StartupHealthCheck>> {
        let Some(cmd) = self.health_startup_cmd.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        if self.no_healthcheck {
            return Err(CliError::usage(
                "cannot specify both --no-healthcheck and --health-startup-cmd",
            ));
        }
        let test = health_test(cmd)?;
        if test.first().is_some_and(|t| t == "NONE") {
            return Ok(None);
        }
        let timeout_ms = duration_ms("health-startup-timeout", &self.health_startup_timeout)?;
        if timeout_ms < 1000 {
            return Err(CliError::usage(
                "healthcheck-timeout must be at least 1 second",
            ));
        }
        Ok(Some(StartupHealthCheck {
            test,
            interval_ms: health_interval_ms(&self.health_startup_interval)?,
            timeout_ms,
            retries: self.health_startup_retries,
            successes: self.health_startup_success,
        }))
    }
}

/// `--health-cmd`: a JSON array runs as it is (`CMD`), anything else in a
/// shell (`CMD-SHELL`); `none` is Podman's `["NONE"]`.
pub(crate) fn health_test(cmd: &str) -> CliResult<Vec<String>> {
    if cmd == "none" {
        return Ok(vec!["NONE".to_owned()]);
    }
    Ok(if cmd.trim_start().starts_with('[') {
        let argv: Vec<String> = serde_json::from_str(cmd)
            .map_err(|e| CliError::usage(format!("invalid --health-cmd JSON: {e}")))?;
        std::iter::once("CMD".to_owned()).chain(argv).collect()
    } else {
        vec!["CMD-SHELL".to_owned(), cmd.to_owned()]
    })
}

/// `--health-interval`: `disable` is 0 (no schedule).
pub(crate) fn health_interval_ms(s: &str) -> CliResult<u64> {
    if s == "disable" {
        Ok(0)
    } else {
        duration_ms("health-interval", s)
    }
}

/// `--health-on-failure`, Podman's error.
pub(crate) fn health_on_failure(s: &str) -> CliResult<HealthOnFailure> {
    HealthOnFailure::parse(s).ok_or_else(|| {
        CliError::usage(format!(
            "invalid on-failure action \"{s}\" for health check: supported actions are none,kill,restart,stop"
        ))
    })
}

pub(crate) fn duration_ms(flag: &str, s: &str) -> CliResult<u64> {
    parse_go_duration(s)
        .map(|d| d.as_millis() as u64)
        .ok_or_else(|| CliError::usage(format!("invalid --{flag} {s:?}: time: invalid duration")))
}

pub use rpod_api::input_time::parse_go_duration;
