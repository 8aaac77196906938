//! `update`: new limits, restart policy, health check, environment and
//! ulimits for an existing container. The stored options change (so the
//! change survives a restart and shows in inspect); a live container gets
//! its new cgroup limits from `runtime update` and its monitor the new
//! restart policy and health check. Everything is checked before anything
//! changes.

use rpod_api::container_run::{
    HealthLogSpec, HealthUpdate, ResourceSpec, StartupHealthCheck, Ulimit,
};

use super::lifecycle::runtime_for;
use super::options::{ContainerOptions, HealthConfig, HealthOnFailure, RestartConfig};
use super::{ContainerError, ContainerPaths};
use crate::engine::EngineCtx;
use crate::monitor::{MonitorClient, MonitorError};
use crate::state::{ContainerRecord, ContainerState};

/// Podman's defaults for a check whose other settings are not given.
const DEFAULT_INTERVAL_MS: u64 = 30_000;
use super::health::DEFAULT_TIMEOUT_MS;
const DEFAULT_RETRIES: u32 = 3;

/// What changes; `None` and empty fields leave the container's setting.
#[derive(Debug, Clone, Default)]
pub struct ContainerUpdate {
    /// The resource flags given (their `ulimits` are not used).
    pub resources: ResourceSpec,
    /// `--ulimit`: the new list (empty: the host's limits).
    pub ulimits: Option<Vec<Ulimit>>,
    pub restart: Option<RestartConfig>,
    pub health: HealthUpdate,
    pub env: Vec<String>,
    pub unset_env: Vec<String>,
}

/// A request the container must refuse (Podman's words).
fn invalid(msg: impl Into<String>) -> ContainerError {
    ContainerError::InvalidArgument(msg.into())
}

/// `cur` with the resource flags of `u` over it. A new `--cpus` replaces
/// the period and quota; a new period or quota replaces `--cpus` (its
/// period and quota kept as explicit values).
fn merge_resources(cur: &mut ResourceSpec, u: &ResourceSpec) {
    fn over<T: Clone>(cur: &mut Option<T>, new: &Option<T>) {
        if new.is_some() {
            cur.clone_from(new);
        }
    }
    if u.nano_cpus.is_some() {
        cur.cpu_period = None;
        cur.cpu_quota = None;
    } else if u.cpu_period.is_some() || u.cpu_quota.is_some() {
        if let Some(n) = cur.nano_cpus.take() {
            let (period, quota) = ResourceSpec::cpus_period_quota(n);
            cur.cpu_period = Some(period);
            cur.cpu_quota = Some(quota);
        }
    }
    over(&mut cur.memory, &u.memory);
    over(&mut cur.memory_swap, &u.memory_swap);
    over(&mut cur.memory_reservation, &u.memory_reservation);
    over(&mut cur.memory_swappiness, &u.memory_swappiness);
    over(&mut cur.nano_cpus, &u.nano_cpus);
    over(&mut cur.cpu_shares, &u.cpu_shares);
    over(&mut cur.cpu_period, &u.cpu_period);
    over(&mut cur.cpu_quota, &u.cpu_quota);
    over(&mut cur.cpu_rt_period, &u.cpu_rt_period);
    over(&mut cur.cpu_rt_runtime, &u.cpu_rt_runtime);
    over(&mut cur.cpuset_cpus, &u.cpuset_cpus);
    over(&mut cur.cpuset_mems, &u.cpuset_mems);
    over(&mut cur.pids_limit, &u.pids_limit);
    over(&mut cur.blkio_weight, &u.blkio_weight);
    // A device named again gets its new value; the others keep theirs.
    for (cur, new) in [
        (&mut cur.blkio_weight_device, &u.blkio_weight_device),
        (&mut cur.device_read_bps, &u.device_read_bps),
        (&mut cur.device_write_bps, &u.device_write_bps),
        (&mut cur.device_read_iops, &u.device_read_iops),
        (&mut cur.device_write_iops, &u.device_write_iops),
    ] {
        for d in new {
            cur.retain(|c| c.path != d.path);
            cur.push(d.clone());
        }
    }
}

/// The health check after `u` (Podman's `GetNewHealthCheckConfig`):
/// `Ok(None)` when it does not change, else the new check (`None`: no
/// check) and whether it is disabled for good.
fn merge_health(
    opts: &ContainerOptions,
    u: &HealthUpdate,
) -> Result<Option<(Option<HealthConfig>, bool)>, ContainerError> {
    let cur = opts.healthcheck.as_ref();
    if cur.is_none() && u.test.is_none() && u.changes_timing() {
        // Podman's message, for the regular check as for the startup one.
        return Err(invalid("startup healthcheck command is not set"));
    }
    let changed = u.test.is_some() || u.changes_timing();
    if u.disable && changed {
        return Err(invalid(
            "cannot specify both --no-healthcheck and other HealthCheck flags",
        ));
    }
    if u.disable {
        return Ok(Some((None, true)));
    }
    if !changed {
        // `--health-on-failure` alone changes the action of the check.
        return Ok(match (u.on_failure, cur) {
            (Some(action), Some(h)) => Some((
                Some(HealthConfig {
                    on_failure: on_failure(action),
                    ..h.clone()
                }),
                false,
            )),
            _ => None,
        });
    }
    let test = u
        .test
        .clone()
        .or_else(|| cur.map(|h| h.test.clone()))
        .unwrap_or_default();
    if test.first().is_some_and(|t| t == "NONE") {
        return Ok(Some((None, true)));
    }
    let timeout_ms = u
        .timeout_ms
        .or(cur.map(|h| h.timeout_ms))
        .unwrap_or(DEFAULT_TIMEOUT_MS);
    if timeout_ms < 1000 {
        return Err(invalid("healthcheck-timeout must be at least 1 second"));
    }
    let h = HealthConfig {
        test,
        interval_ms: u
            .interval_ms
            .or(cur.map(|h| h.interval_ms))
            .unwrap_or(DEFAULT_INTERVAL_MS),
        timeout_ms,
        start_period_ms: u
            .start_period_ms
            .or(cur.map(|h| h.start_period_ms))
            .unwrap_or(0),
        retries: u
            .retries
            .or(cur.map(|h| h.retries))
            .unwrap_or(DEFAULT_RETRIES),
        on_failure: u
            .on_failure
            .map(on_failure)
            .or(cur.map(|h| h.on_failure))
            .unwrap_or_default(),
    };
    Ok(Some((Some(h), false)))
}

/// The startup check after `u` (the startup half of Podman's
/// `GetNewHealthCheckConfig`): `Ok(None)` when it does not change, else the
/// new check (`None`: no startup check).
fn merge_startup(
    opts: &ContainerOptions,
    u: &HealthUpdate,
) -> Result<Option<Option<StartupHealthCheck>>, ContainerError> {
    let cur = opts.startup_healthcheck.as_ref();
    if cur.is_none() && u.startup_test.is_none() && u.changes_startup_timing() {
        return Err(invalid("startup healthcheck command is not set"));
    }
    let changed = u.startup_test.is_some() || u.changes_startup_timing();
    if u.disable && changed {
        return Err(invalid(
            "cannot specify both --no-healthcheck and other HealthCheck flags",
        ));
    }
    if u.disable {
        return Ok(Some(None));
    }
    if !changed {
        return Ok(None);
    }
    let test = u
        .startup_test
        .clone()
        .or_else(|| cur.map(|h| h.test.clone()))
        .unwrap_or_default();
    if test.first().is_some_and(|t| t == "NONE") {
        return Ok(Some(None));
    }
    let timeout_ms = u
        .startup_timeout_ms
        .or(cur.map(|h| h.timeout_ms))
        .unwrap_or(DEFAULT_TIMEOUT_MS);
    if timeout_ms < 1000 {
        return Err(invalid("healthcheck-timeout must be at least 1 second"));
    }
    Ok(Some(Some(StartupHealthCheck {
        test,
        interval_ms: u
            .startup_interval_ms
            .or(cur.map(|h| h.interval_ms))
            .unwrap_or(DEFAULT_INTERVAL_MS),
        timeout_ms,
        retries: u.startup_retries.or(cur.map(|h| h.retries)).unwrap_or(0),
        successes: u
            .startup_successes
            .or(cur.map(|h| h.successes))
            .unwrap_or(0),
    })))
}

/// `--health-log-destination`, `--health-max-log-*` over the current ones.
fn merge_health_log(
    cur: &HealthLogSpec,
    u: &HealthUpdate,
) -> Result<HealthLogSpec, ContainerError> {
    Ok(HealthLogSpec {
        destination: match &u.log_destination {
            Some(d) => super::health::valid_destination(d)?,
            None => cur.destination.clone(),
        },
        max_count: u.max_log_count.unwrap_or(cur.max_count),
        max_size: u.max_log_size.unwrap_or(cur.max_size),
    })
}

fn on_failure(a: rpod_api::container_run::HealthOnFailure) -> HealthOnFailure {
    use rpod_api::container_run::HealthOnFailure as A;
    match a {
        A::None => HealthOnFailure::None,
        A::Kill => HealthOnFailure::Kill,
        A::Restart => HealthOnFailure::Restart,
        A::Stop => HealthOnFailure::Stop,
    }
}

/// The key of a `KEY=VALUE` entry.
fn env_key(e: &str) -> &str {
    e.split_once('=').map_or(e, |(k, _)| k)
}

/// `opts` with the environment changes of `u`: `--env` replaces a
/// variable of the same name, `--unsetenv` removes it (the image's too).
fn merge_env(opts: &mut ContainerOptions, u: &ContainerUpdate) {
    for e in &u.env {
        let key = env_key(e).to_owned();
        opts.env.retain(|x| env_key(x) != key);
        opts.unset_env.retain(|x| *x != key);
        opts.env.push(e.clone());
    }
    for key in &u.unset_env {
        opts.env.retain(|x| env_key(x) != key);
        if !opts.unset_env.contains(key) {
            opts.unset_env.push(key.clone());
        }
    }
}

/// What the update does: the new options and what a live container's
/// runtime and monitor must hear of.
struct Plan {
    options: ContainerOptions,
    resources_changed: bool,
    restart_changed: bool,
    health_changed: bool,
}

fn plan(opts: &ContainerOptions, u: &ContainerUpdate) -> Result<Plan, ContainerError> {
    let mut new = opts.clone();
    merge_resources(&mut new.resources, &u.resources);
    if let Some(list) = &u.ulimits {
        for ul in list {
            crate::spec::check_ulimit(ul)?;
        }
        new.resources.ulimits.clone_from(list);
    }
    if let Some(r) = u.restart {
        if opts.remove && r.policy != super::options::RestartPolicy::No {
            return Err(invalid(
                "the --rm option conflicts with --restart, when the restartPolicy is not \"\" and not \"no\"",
            ));
        }
        new.restart = Some(r);
    }
    let health = merge_health(opts, &u.health)?;
    if let Some((check, disabled)) = health.clone() {
        new.healthcheck = check;
        new.healthcheck_disabled = disabled;
    }
    let startup = merge_startup(opts, &u.health)?;
    if let Some(check) = startup.clone() {
        new.startup_healthcheck = check;
    }
    new.health_log = merge_health_log(&opts.health_log, &u.health)?;
    merge_env(&mut new, u);
    crate::spec::check_blkio(&new.resources)?;
    Ok(Plan {
        resources_changed: crate::spec::linux_resources(&new.resources)?
            != crate::spec::linux_resources(&opts.resources)?,
        restart_changed: new.restart != opts.restart,
        health_changed: health.is_some() || startup.is_some() || new.health_log != opts.health_log,
        options: new,
    })
}

/// Applies `u` to the container of `rec` (held under its lock).
pub(crate) async fn update(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
    u: ContainerUpdate,
) -> Result<(), ContainerError> {
    if rec.state == ContainerState::Removing {
        return Err(ContainerError::StateImproper(format!(
            "container {} is being removed, cannot update",
            rec.id
        )));
    }
    let plan = plan(&rec.options, &u)?;
    let live = matches!(
        rec.state,
        ContainerState::Initialized | ContainerState::Running | ContainerState::Paused
    );
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    if live && plan.resources_changed {
        crate::spec::realtime::grant_parents(&super::placement::cgroups_path(rec), &u.resources)?;
        let file = paths.run_dir.join("update-resources.json");
        let json = serde_json::to_vec(&crate::spec::linux_resources(&plan.options.resources)?)
            .map_err(|e| ContainerError::RuntimeFailed(format!("encoding resources: {e}")))?;
        std::fs::write(&file, json).map_err(super::error::io_err(&file))?;
        let res = runtime_for(ctx, rec)?.update(&rec.id, &file).await;
        let _ = std::fs::remove_file(&file);
        res.map_err(|e| ContainerError::RuntimeFailed(e.to_string()))?;
        crate::spec::write_throttles(
            &super::placement::cgroups_path(rec),
            &plan.options.resources,
        )?;
    }
    rec.options = plan.options;
    ctx.db.update_container_options(rec)?;
    if live && (plan.restart_changed || plan.health_changed) {
        let health = super::health::monitor_config(&ctx.config, rec);
        tell_monitor(
            &paths,
            rec,
            plan.restart_changed,
            plan.health_changed.then_some(health),
        );
    }
    crate::events::container_event(&ctx.config, rec, "update");
    Ok(())
}

/// Gives the running monitor the new restart policy and health check. A
/// monitor that cannot take them (an older release) keeps the old ones
/// until the next start, which reads the stored options: a warning says so.
fn tell_monitor(
    paths: &ContainerPaths,
    rec: &ContainerRecord,
    restart: bool,
    health: Option<Option<rpod_proto::health::HealthConfig>>,
) {
    let res = (|| -> Result<(), MonitorError> {
        let mut client = MonitorClient::connect(&paths.monitor.control_socket)?;
        if restart {
            client.set_restart(rec.options.restart.map(Into::into))?;
        }
        if let Some(health) = health {
            client.set_healthcheck(health)?;
        }
        Ok(())
    })();
    if let Err(e) = res {
        tracing::warn!(
            "container {}: the running monitor keeps its restart policy and health check until the next start: {e}",
            rec.id
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(test: &str) -> HealthConfig {
        HealthConfig {
            test: vec!["CMD-SHELL".into(), test.into()],
            interval_ms: 30_000,
            timeout_ms: 30_000,
            start_period_ms: 0,
            retries: 3,
            on_failure: HealthOnFailure::None,
        }
    }

    #[test]
    fn resources_not_given_are_kept() {
        let mut cur = ResourceSpec {
            pids_limit: Some(1024),
            nano_cpus: Some(500_000_000),
            ..Default::default()
        };
        merge_resources(
            &mut cur,
            &ResourceSpec {
                memory: Some(100 << 20),
                cpu_quota: Some(20_000),
                ..Default::default()
            },
        );
        assert_eq!(cur.pids_limit, Some(1024));
        assert_eq!(cur.memory, Some(100 << 20));
        assert_eq!(
            (cur.nano_cpus, cur.cpu_period, cur.cpu_quota),
            (None, Some(100_000), Some(20_000))
        );
    }

    #[test]
    fn health_rules_follow_podman() {
        let none = ContainerOptions::default();
        let timing = HealthUpdate {
            interval_ms: Some(10_000),
            ..Default::default()
        };
        assert_eq!(
            merge_health(&none, &timing).unwrap_err().to_string(),
            "startup healthcheck command is not set"
        );
        let with = ContainerOptions {
            healthcheck: Some(check("true")),
            ..Default::default()
        };
        let (h, off) = merge_health(&with, &timing).unwrap().unwrap();
        let h = h.unwrap();
        assert_eq!((h.interval_ms, h.retries, off), (10_000, 3, false));
        assert_eq!(h.test, check("true").test);
        let disable = HealthUpdate {
            disable: true,
            ..Default::default()
        };
        assert_eq!(merge_health(&with, &disable).unwrap(), Some((None, true)));
        let both = HealthUpdate {
            disable: true,
            retries: Some(2),
            ..Default::default()
        };
        assert!(merge_health(&with, &both).is_err());
        assert_eq!(merge_health(&with, &HealthUpdate::default()).unwrap(), None);
    }

    #[test]
    fn env_changes_replace_and_remove() {
        let mut o = ContainerOptions {
            env: vec!["A=1".into(), "B=2".into()],
            ..Default::default()
        };
        merge_env(
            &mut o,
            &ContainerUpdate {
                env: vec!["A=3".into()],
                unset_env: vec!["B".into(), "PATH".into()],
                ..Default::default()
            },
        );
        assert_eq!(o.env, vec!["A=3".to_owned()]);
        assert_eq!(o.unset_env, vec!["B".to_owned(), "PATH".to_owned()]);
    }
}
