//! A front-door [`ContainerSpec`] as the options stored with the container:
//! containers.conf's defaults applied, host files the options need looked up.

use rpod_api::container_run as api;
use rpod_api::Error;

use crate::config::containers_conf::ContainersTable;
use crate::container::{BindMount, ContainerOptions, InitCtrMode, TmpfsMount, VolumeMount};

/// The options to store for `spec`, with `defaults` (containers.conf's
/// `[containers]`) where the user gave nothing.
pub(crate) fn container_options(
    spec: api::ContainerSpec,
    defaults: &ContainersTable,
) -> Result<ContainerOptions, Error> {
    let log_driver = match spec.log_driver {
        Some(d) => Some(d),
        None => default_log_driver(defaults).map(str::to_owned),
    };
    let mut mounts: Vec<BindMount> = spec.mounts.into_iter().map(bind_mount).collect();
    if let Some(tz) = spec.timezone.as_deref().or(defaults.tz.as_deref()) {
        mounts.push(timezone_mount(tz)?);
    }
    let mut resources = spec.resources;
    if resources.oom_score_adj.is_none() {
        resources.oom_score_adj = defaults.oom_score_adj;
    }
    if !resources.ulimit_host {
        resources.ulimits = with_default_ulimits(&defaults.default_ulimits, resources.ulimits)?;
    }
    let rootfs = spec
        .rootfs
        .then(|| super::rootfs::parse(&spec.image))
        .transpose()?;
    let options = ContainerOptions {
        rootfs,
        image: spec.image,
        command: spec.command,
        entrypoint: spec.entrypoint,
        env: spec.env,
        timeout: spec.timeout.filter(|&t| t > 0),
        unset_env: spec.unset_env,
        unset_env_all: spec.unset_env_all,
        workdir: spec.workdir,
        user: spec.user,
        umask: match spec.umask {
            Some(u) => Some(u),
            None => default_umask(defaults)?,
        },
        group_add: spec.group_add,
        hostname: spec.hostname,
        no_hostname: spec.no_hostname,
        tty: spec.tty,
        interactive: spec.interactive,
        mounts,
        // Anonymous volumes (empty names) are named when they are created.
        volumes: spec
            .volumes
            .into_iter()
            .map(|v| VolumeMount {
                name: v.name,
                destination: v.destination,
                options: v.options,
            })
            .collect(),
        tmpfs: spec
            .tmpfs
            .into_iter()
            .map(|t| TmpfsMount {
                destination: t.destination,
                options: t.options,
            })
            .collect(),
        read_only: spec.read_only.or(defaults.read_only).unwrap_or(false),
        read_only_no_tmpfs: spec.read_only_tmpfs == Some(false),
        // containers.conf's `log_size_max` (negative: unlimited) when not given.
        log_max_size: spec.log_max_size.or(defaults
            .log_size_max
            .and_then(|n| u64::try_from(n).ok())
            .filter(|&n| n > 0)),
        runtime: spec.runtime,
        remove: spec.remove,
        remove_image: spec.remove_image,
        preserve_fds: spec.preserve_fds,
        labels: spec.labels,
        annotations: spec.annotations,
        stop_signal: spec.stop_signal,
        stop_timeout: spec.stop_timeout,
        restart: spec.restart.map(restart_config),
        healthcheck: spec.healthcheck.map(health_config),
        healthcheck_disabled: spec.no_healthcheck,
        startup_healthcheck: spec.startup_healthcheck,
        health_log: rpod_api::container_run::HealthLogSpec {
            destination: crate::container::health::valid_destination(&spec.health_log.destination)
                .map_err(|e| {
                    Error::new(rpod_api::error::ErrorKind::InvalidArgument, e.to_string())
                })?,
            ..spec.health_log
        },
        log_max_files: spec.log_max_files,
        log_path: spec.log_path.map(std::path::PathBuf::from),
        log_driver,
        security: security(spec.security, defaults)?,
        resources,
        image_mounts: spec.image_mounts,
        fs_mounts: spec.fs_mounts,
        ..Default::default()
    };
    Ok(options)
}

/// What the security and resource options need from the host, checked
/// once the network mode is known (`--sysctl net.*` against `host`), so bad
/// input fails at create with nothing made.
pub(crate) fn validate_host_options(options: &ContainerOptions) -> Result<(), Error> {
    crate::spec::validate_host_options(options)
        .map_err(|e| Error::new(rpod_api::error::ErrorKind::InvalidArgument, e.to_string()))
}

/// The security options with their capability names checked, on top of
/// containers.conf's `default_capabilities`.
pub(crate) fn security(
    mut sec: api::SecuritySpec,
    defaults: &ContainersTable,
) -> Result<api::SecuritySpec, Error> {
    let invalid = |m: String| Error::new(rpod_api::error::ErrorKind::InvalidArgument, m);
    sec.cap_add = api::normalize_capabilities(&sec.cap_add).map_err(invalid)?;
    sec.cap_drop = api::normalize_capabilities(&sec.cap_drop).map_err(invalid)?;
    sec.default_capabilities = defaults
        .default_capabilities
        .as_deref()
        .map(api::normalize_capabilities)
        .transpose()
        .map_err(|e| invalid(format!("containers.conf default_capabilities: {e}")))?;
    Ok(sec)
}

fn bind_mount(m: api::BindMount) -> BindMount {
    BindMount {
        source: m.source,
        destination: m.destination,
        readonly: m.readonly,
        options: m.options,
    }
}

pub(crate) fn init_ctr_mode(m: api::InitCtrMode) -> InitCtrMode {
    match m {
        api::InitCtrMode::Once => InitCtrMode::Once,
        api::InitCtrMode::Always => InitCtrMode::Always,
    }
}

pub(crate) fn restart_config(r: api::RestartPolicy) -> crate::container::RestartConfig {
    use crate::container::RestartPolicy as P;
    crate::container::RestartConfig {
        policy: match r.name {
            api::RestartPolicyName::No => P::No,
            api::RestartPolicyName::OnFailure => P::OnFailure,
            api::RestartPolicyName::Always => P::Always,
            api::RestartPolicyName::UnlessStopped => P::UnlessStopped,
        },
        max_retries: r.max_retries,
    }
}

fn health_config(h: api::HealthCheck) -> crate::container::HealthConfig {
    use crate::container::HealthOnFailure as F;
    crate::container::HealthConfig {
        test: h.test,
        interval_ms: h.interval_ms,
        timeout_ms: h.timeout_ms,
        start_period_ms: h.start_period_ms,
        retries: h.retries,
        on_failure: match h.on_failure {
            api::HealthOnFailure::None => F::None,
            api::HealthOnFailure::Kill => F::Kill,
            api::HealthOnFailure::Restart => F::Restart,
            api::HealthOnFailure::Stop => F::Stop,
        },
    }
}

/// containers.conf's `log_driver`, when rpod has it (`passthrough` is a
/// default rpod cannot honour yet: the k8s-file log stays).
fn default_log_driver(defaults: &ContainersTable) -> Option<&str> {
    match defaults.log_driver.as_deref() {
        Some(d @ ("k8s-file" | "json-file" | "journald" | "none")) => Some(d),
        Some(other) => {
            tracing::debug!(
                "containers.conf: log_driver {other} is not supported yet, using k8s-file"
            );
            None
        }
        None => None,
    }
}

/// `--tz`: the zone's file (or the host's /etc/localtime for `local`)
/// bind-mounted read-only on /etc/localtime, as Podman provides it.
fn timezone_mount(tz: &str) -> Result<BindMount, Error> {
    let source = if tz == "local" {
        std::fs::canonicalize("/etc/localtime").map_err(|e| {
            Error::invalid(format!(
                "finding local timezone for container: {}",
                io_reason(&e)
            ))
        })?
    } else {
        if tz.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(Error::invalid(format!("invalid timezone {tz:?}")));
        }
        let zoneinfo = std::path::Path::new("/usr/share/zoneinfo").join(tz);
        if !zoneinfo.is_file() {
            return Err(Error::invalid(format!(
                "running container create option: finding timezone: unknown time zone {tz}"
            )));
        }
        zoneinfo
    };
    Ok(BindMount {
        source: source.display().to_string(),
        destination: "/etc/localtime".into(),
        readonly: true,
        options: Vec::new(),
    })
}

/// containers.conf's `env`: below the image's variables and the user's
/// (Podman's order), so an entry whose name the image sets is dropped and
/// the rest go before the user's entries.
pub(crate) fn prepend_default_env(
    options: &mut ContainerOptions,
    defaults: &[String],
    image_env: &[String],
) {
    let name = |e: &str| e.split('=').next().unwrap_or(e).to_owned();
    let image_names: Vec<String> = image_env.iter().map(|e| name(e)).collect();
    let unset = |e: &str| options.unset_env_all || options.unset_env.contains(&name(e));
    let mut env: Vec<String> = defaults
        .iter()
        .filter(|e| e.contains('=') && !image_names.contains(&name(e)) && !unset(e))
        .cloned()
        .collect();
    env.append(&mut options.env);
    options.env = env;
}

pub(crate) use crate::error_chain::io_reason;

/// containers.conf's `umask` (octal, at most `7777`), the default of
/// `--umask`.
fn default_umask(defaults: &ContainersTable) -> Result<Option<u32>, Error> {
    let Some(text) = defaults.umask.as_deref() else {
        return Ok(None);
    };
    u32::from_str_radix(text, 8)
        .ok()
        .filter(|&u| u <= 0o7777)
        .map(Some)
        .ok_or_else(|| {
            Error::invalid(format!(
                "invalid umask {text:?} in containers.conf: invalid argument"
            ))
        })
}

/// containers.conf's `default_ulimits` under the user's `--ulimit`s (a
/// type the user names is the user's).
fn with_default_ulimits(
    defaults: &[String],
    user: Vec<api::Ulimit>,
) -> Result<Vec<api::Ulimit>, Error> {
    let mut out = Vec::new();
    for d in defaults {
        let u: api::Ulimit = d
            .parse()
            .map_err(|e: String| Error::invalid(format!("containers.conf default_ulimits: {e}")))?;
        if !user.iter().any(|x| x.name == u.name) {
            out.push(u);
        }
    }
    out.extend(user);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umask_from_containers_conf_is_octal() {
        let conf = |u: &str| ContainersTable {
            umask: Some(u.into()),
            ..Default::default()
        };
        assert_eq!(default_umask(&conf("0472")).unwrap(), Some(0o472));
        assert!(default_umask(&conf("0999")).is_err());
        assert!(default_umask(&conf("17777")).is_err());
        assert_eq!(default_umask(&ContainersTable::default()).unwrap(), None);
    }

    #[test]
    fn defaults_apply_under_the_spec() {
        let defaults = ContainersTable {
            read_only: Some(true),
            log_driver: Some("passthrough".into()),
            ..Default::default()
        };
        let spec = api::ContainerSpec {
            image: "alpine".into(),
            restart: Some(api::RestartPolicy::parse("on-failure:2").unwrap()),
            ..Default::default()
        };
        let o = container_options(spec.clone(), &defaults).unwrap();
        assert!(o.read_only);
        assert_eq!(o.log_driver, None);
        let r = o.restart.unwrap();
        assert_eq!(r.policy.as_str(), "on-failure");
        assert_eq!(r.max_retries, 2);
        let o = container_options(
            api::ContainerSpec {
                read_only: Some(false),
                log_driver: Some("none".into()),
                ..spec
            },
            &defaults,
        )
        .unwrap();
        assert!(!o.read_only);
        assert!(!o.logs_output());
    }

    #[test]
    fn default_capabilities_are_stored_normalized() {
        let defaults = ContainersTable {
            default_capabilities: Some(vec!["chown".into(), "CAP_KILL".into()]),
            ..Default::default()
        };
        let spec = api::ContainerSpec {
            security: api::SecuritySpec {
                default_capabilities: Some(vec!["CAP_SYS_ADMIN".into()]),
                ..Default::default()
            },
            ..Default::default()
        };
        let o = container_options(spec.clone(), &defaults).unwrap();
        assert_eq!(
            o.security.default_capabilities,
            Some(vec!["CAP_CHOWN".into(), "CAP_KILL".into()])
        );
        let o = container_options(spec.clone(), &ContainersTable::default()).unwrap();
        assert_eq!(
            o.security.default_capabilities, None,
            "the request's is never kept"
        );
        let bad = ContainersTable {
            default_capabilities: Some(vec!["NOPE".into()]),
            ..Default::default()
        };
        let e = container_options(spec, &bad).unwrap_err();
        assert!(e.message.contains("default_capabilities"), "{}", e.message);
    }

    #[test]
    fn bad_timezones() {
        let spec = api::ContainerSpec {
            timezone: Some("Nowhere/Atlantis".into()),
            ..Default::default()
        };
        let e = container_options(spec, &ContainersTable::default()).unwrap_err();
        assert_eq!(
            e.message,
            "running container create option: finding timezone: unknown time zone Nowhere/Atlantis"
        );
        assert_eq!(
            timezone_mount("../x").unwrap_err().message,
            "invalid timezone \"../x\""
        );
    }

    #[test]
    fn default_env_goes_below() {
        let mut o = ContainerOptions {
            env: vec!["B=user".into()],
            ..Default::default()
        };
        prepend_default_env(
            &mut o,
            &["A=conf".into(), "PATH=/x".into(), "NOVALUE".into()],
            &["PATH=/bin".into()],
        );
        assert_eq!(o.env, vec!["A=conf", "B=user"]);
    }
}
