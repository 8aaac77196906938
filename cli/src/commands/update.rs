//! `update [options] CONTAINER` (and `container update`): Podman 5.8's
//! flags, parsed with the same rules and errors as at create; prints the
//! container's full id.

use clap::Args;
use rpod_api::container_run::{HealthUpdate, RestartPolicy, UpdateOptions};

use super::common::{open_front_door, Globals};
use super::container_create::{check_env_name, expand_env};
use super::limit_flags::{parse_ulimits, LimitFlags, ResourceFlags};
use super::service_flags::{duration_ms, health_interval_ms, health_on_failure, health_test};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    res: ResourceFlags,
    /// Limit the CPU CFS (Completely Fair Scheduler) period
    #[arg(long)]
    cpu_period: Option<u64>,
    /// Limit the CPU CFS (Completely Fair Scheduler) quota
    #[arg(long, allow_negative_numbers = true)]
    cpu_quota: Option<i64>,
    /// Limit the CPU real-time period in microseconds
    #[arg(long)]
    cpu_rt_period: Option<u64>,
    /// Limit the CPU real-time runtime in microseconds
    #[arg(long, allow_negative_numbers = true)]
    cpu_rt_runtime: Option<i64>,
    /// Memory soft limit (format: <number>[<unit>])
    #[arg(long)]
    memory_reservation: Option<String>,
    /// Tune container memory swappiness (0 to 100, or -1 for system default)
    #[arg(long, allow_negative_numbers = true)]
    memory_swappiness: Option<i64>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long, allow_negative_numbers = true)]
    pids_limit: Option<i64>,
    /// Limit read rate (IO per second) from a device (e.g. --device-read-iops=/dev/sda:1000)
    #[arg(long)]
    device_read_iops: Vec<String>,
    /// Limit write rate (IO per second) to a device (e.g. --device-write-iops=/dev/sda:1000)
    #[arg(long)]
    device_write_iops: Vec<String>,
    /// Set environment variables in container
    #[arg(short = 'e', long)]
    env: Vec<String>,
    /// Unset environment default variables in container
    #[arg(long)]
    unsetenv: Vec<String>,
    /// Ulimit options
    #[arg(long, value_delimiter = ',')]
    ulimit: Vec<String>,
    /// Restart policy to apply when a container exits ("always"|"no"|"never"|"on-failure"|"unless-stopped")
    #[arg(long)]
    restart: Option<String>,
    /// Set a healthcheck command for the container ('none' disables the existing healthcheck)
    #[arg(long)]
    health_cmd: Option<String>,
    /// Set an interval for the healthcheck. (a value of disable results in no automatic timer setup) Changing this setting resets timer.
    #[arg(long)]
    health_interval: Option<String>,
    /// The number of retries allowed before a healthcheck is considered to be unhealthy
    #[arg(long)]
    health_retries: Option<u32>,
    /// The initialization time needed for a container to bootstrap
    #[arg(long)]
    health_start_period: Option<String>,
    /// The maximum time allowed to complete the healthcheck before an interval is considered failed
    #[arg(long)]
    health_timeout: Option<String>,
    /// Action to take once the container turns unhealthy
    #[arg(long)]
    health_on_failure: Option<String>,
    /// Disable healthchecks on container
    #[arg(long)]
    no_healthcheck: bool,
    /// Set the destination of the HealthCheck log
    #[arg(long)]
    health_log_destination: Option<String>,
    /// Set maximum number of attempts in the HealthCheck log file
    #[arg(long)]
    health_max_log_count: Option<u32>,
    /// Set maximum length in characters of stored HealthCheck log
    #[arg(long)]
    health_max_log_size: Option<u32>,
    /// Set a startup healthcheck command for the container
    #[arg(long)]
    health_startup_cmd: Option<String>,
    /// Set an interval for the startup healthcheck
    #[arg(long)]
    health_startup_interval: Option<String>,
    /// Set the maximum number of retries before the startup healthcheck will restart the container
    #[arg(long)]
    health_startup_retries: Option<u32>,
    /// Set the number of consecutive successes before the startup healthcheck is marked as successful
    #[arg(long)]
    health_startup_success: Option<u32>,
    /// Set the maximum amount of time that the startup healthcheck may take before it is considered failed
    #[arg(long)]
    health_startup_timeout: Option<String>,
    /// CONTAINER
    container: String,
}

impl UpdateArgs {
    /// The `--health-*` changes.
    fn health(&self) -> CliResult<HealthUpdate> {
        Ok(HealthUpdate {
            test: self.health_cmd.as_deref().map(health_test).transpose()?,
            interval_ms: self
                .health_interval
                .as_deref()
                .map(health_interval_ms)
                .transpose()?,
            timeout_ms: self
                .health_timeout
                .as_deref()
                .map(|t| duration_ms("health-timeout", t))
                .transpose()?,
            start_period_ms: self
                .health_start_period
                .as_deref()
                .map(|t| duration_ms("health-start-period", t))
                .transpose()?,
            retries: self.health_retries,
            on_failure: self
                .health_on_failure
                .as_deref()
                .map(health_on_failure)
                .transpose()?,
            disable: self.no_healthcheck,
            startup_test: self
                .health_startup_cmd
                .as_deref()
                .map(health_test)
                .transpose()?,
            startup_interval_ms: self
                .health_startup_interval
                .as_deref()
                .map(health_interval_ms)
                .transpose()?,
            startup_timeout_ms: self
                .health_startup_timeout
                .as_deref()
                .map(|t| duration_ms("health-startup-timeout", t))
                .transpose()?,
            startup_retries: self.health_startup_retries,
            startup_successes: self.health_startup_success,
            log_destination: self.health_log_destination.clone(),
            max_log_count: self.health_max_log_count,
            max_log_size: self.health_max_log_size,
        })
    }

    fn options(&self) -> CliResult<UpdateOptions> {
        let limits = LimitFlags {
            common: self.res.clone(),
            memory_reservation: self.memory_reservation.clone(),
            memory_swappiness: self.memory_swappiness,
            cpu_period: self.cpu_period,
            cpu_quota: self.cpu_quota,
            cpu_rt_period: self.cpu_rt_period,
            cpu_rt_runtime: self.cpu_rt_runtime,
            pids_limit: self.pids_limit,
            device_read_iops: self.device_read_iops.clone(),
            device_write_iops: self.device_write_iops.clone(),
            ..LimitFlags::default()
        };
        let ulimits = if self.ulimit.is_empty() {
            None
        } else {
            Some(parse_ulimits(&self.ulimit)?.unwrap_or_default())
        };
        let restart = self
            .restart
            .as_deref()
            .map(RestartPolicy::parse)
            .transpose()
            .map_err(CliError::usage)?;
        Ok(UpdateOptions {
            name_or_id: self.container.trim_start_matches('/').to_owned(),
            resources: limits.resources()?,
            restart,
            health: self.health()?,
            env: self
                .env
                .iter()
                .map(|e| check_env_name(e).map(|()| expand_env(e)))
                .collect::<CliResult<Vec<_>>>()?
                .concat(),
            unset_env: self.unsetenv.clone(),
            ulimits,
        })
    }
}

pub async fn run(g: &Globals, a: UpdateArgs) -> CliResult {
    let options = a.options()?;
    let engine = open_front_door(g)?;
    let id = engine.container_update(options).await?;
    println!("{id}");
    Ok(0)
}
