//! `inspect` output in Podman's shape (libpod's InspectContainerData):
//! the same keys in the same order, so `--format '{{.State.Pid}}'` and
//! scripts reading the JSON work unchanged.

use std::collections::BTreeMap;

use rpod_api::inspect::{
    DriverData, HealthCheckLog, HealthCheckResults, HealthConfig, InspectContainerConfig,
    InspectContainerData, InspectContainerHostConfig, InspectContainerState, InspectLogConfig,
    InspectRestartPolicy, StartupHealthCheck,
};
use rpod_api::{GoDuration, GoTime};

use super::ns_modes::{self, NsKind};
use super::paths::ContainerPaths;
use super::SIGTERM;
use crate::engine::EngineCtx;
use crate::state::{ContainerRecord, ContainerState};

/// A signal's name as Podman shows it (`SIGTERM`), or its number when unknown.
fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|_| sig.to_string())
}

fn time(nanos: Option<i64>) -> GoTime {
    nanos.map(GoTime::from_unix_nanos).unwrap_or_default()
}

/// `Config.Env`: the configured environment (defaults, the image's, the
/// user's), the env secrets' values masked.
fn config_env(ctx: &EngineCtx, rec: &ContainerRecord) -> Vec<String> {
    // The image as the start reads it; a missing one (or `--rootfs`)
    // contributes nothing.
    let image_config = match &rec.options.rootfs {
        Some(_) => Vec::new(),
        None => ctx
            .store
            .lookup_image(&rec.image_id)
            .ok()
            .flatten()
            .and_then(|image| ctx.store.image_config(&image).ok())
            .unwrap_or_default(),
    };
    let env = crate::spec::configured_env(&image_config, &rec.options);
    secret_env_masked(env, &rec.options)
}

/// The environment as Podman shows it: an environment secret appears as
/// `SECRETNAME=*******`, never its data.
fn secret_env_masked(mut env: Vec<String>, o: &super::ContainerOptions) -> Vec<String> {
    for s in o
        .secrets
        .iter()
        .filter(|s| s.kind == rpod_api::secret::SecretKind::Env)
    {
        env.retain(|e| e.split('=').next() != Some(s.variable()));
        env.push(format!("{}=*******", s.name));
    }
    env
}

/// `Config.Secrets`: the mounted secrets' names, IDs, owners and modes.
fn mounted_secrets(
    o: &super::ContainerOptions,
) -> Option<Vec<Option<rpod_api::inspect::InspectSecret>>> {
    let list: Vec<_> = o
        .secrets
        .iter()
        .filter(|s| s.kind == rpod_api::secret::SecretKind::Mount)
        .map(|s| {
            Some(rpod_api::inspect::InspectSecret {
                name: s.name.clone(),
                id: s.id.clone(),
                uid: s.uid,
                gid: s.gid,
                mode: s.mode,
            })
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

fn strings(v: &[String]) -> Option<Vec<String>> {
    Some(v.to_vec())
}

/// `HostConfig.CgroupParent`: the parent of the container's cgroup, empty
/// for the default (`/rpod`), as Podman leaves its default out.
fn cgroup_parent(rec: &ContainerRecord) -> String {
    let path = super::placement::cgroups_path(rec);
    let parent = path
        .strip_suffix(&rec.id)
        .unwrap_or(&path)
        .trim_end_matches('/');
    if parent == "/rpod" {
        String::new()
    } else {
        parent.to_owned()
    }
}

/// `HostConfig.IpcMode`/`PidMode`/`UTSMode`/`CgroupMode` of `rec`: its
/// modes, `container:<infra id>` for what a pod member joins of its pod.
fn namespace_names(ctx: &EngineCtx, rec: &ContainerRecord) -> impl Fn(NsKind) -> String {
    let infra = rec
        .options
        .pod
        .as_ref()
        .filter(|m| !m.infra && !m.shared.is_empty())
        .and_then(|_| super::placement::infra_of(ctx, rec).ok().flatten())
        .map(|r| r.id);
    let cgroup2 = crate::runtime::cgroup_mode() == crate::runtime::CgroupMode::Unified;
    let rec = rec.clone();
    move |kind| {
        let holder = infra
            .as_deref()
            .filter(|_| super::placement::joins_pod(&rec, kind));
        ns_modes::inspect_name(kind, rec.options.namespaces.get(kind), holder, cgroup2)
    }
}

/// Podman's InspectContainerData for `rec`; fields rpod has no data for keep Podman's zero
/// values.
pub fn inspect_container(ctx: &EngineCtx, rec: &ContainerRecord) -> InspectContainerData {
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    let o = &rec.options;
    let mounted = rec.state.has_monitor();
    let storage = ctx.store.container_storage_paths(&rec.id);
    let (path, args) = match rec.command.split_first() {
        Some((p, a)) => (p.clone(), a.to_vec()),
        None => (String::new(), Vec::new()),
    };
    let hostname = crate::spec::hostname_for(&rec.id, o);
    let binds = super::inspect_mounts::binds(o);
    let mounts = super::inspect_mounts::mounts(ctx, o);
    let labels: BTreeMap<String, String> = o.labels.iter().cloned().collect();
    let network_mode = o.network.name();
    let ns_name = namespace_names(ctx, rec);
    let restart = super::restart::state(&ctx.config, rec).unwrap_or_default();
    let restarting = rec.state.has_monitor() && restart.restarting;
    let restart_policy = o.restart.map_or_else(
        || InspectRestartPolicy {
            name: "no".into(),
            maximum_retry_count: 0,
        },
        |r| InspectRestartPolicy {
            name: r.policy.as_str().into(),
            maximum_retry_count: u64::from(r.max_retries),
        },
    );
    let health = super::health::state(&ctx.config, rec).map(|h| HealthCheckResults {
        status: h.status,
        failing_streak: i64::from(h.failing_streak),
        log: Some(
            h.log
                .into_iter()
                .map(|l| HealthCheckLog {
                    start: l.start,
                    end: l.end,
                    exit_code: i64::from(l.exit_code),
                    output: l.output,
                })
                .collect(),
        ),
    });
    let ms = GoDuration::from_millis;
    let healthcheck = o.healthcheck.as_ref().map(|h| HealthConfig {
        test: Some(h.test.clone()),
        start_period: ms(h.start_period_ms),
        interval: ms(h.interval_ms),
        timeout: ms(h.timeout_ms),
        retries: i64::from(h.retries),
        ..HealthConfig::default()
    });
    // Podman gives a startup check a (unused) start period of 1s.
    let startup_health_check = o.startup_healthcheck.as_ref().map(|h| StartupHealthCheck {
        schema2_health_config: HealthConfig {
            test: Some(h.test.clone()),
            start_period: ms(1000),
            interval: ms(h.interval_ms),
            timeout: ms(h.timeout_ms),
            retries: i64::from(h.retries),
            ..HealthConfig::default()
        },
        successes: i64::from(h.successes),
    });
    let healthcheck = healthcheck.or_else(|| {
        o.healthcheck_disabled.then(|| HealthConfig {
            test: Some(vec!["NONE".to_owned()]),
            ..HealthConfig::default()
        })
    });
    let log_size = rpod_api::units::human_size(o.log_max_size.unwrap_or(0), 4);
    let driver = ctx.store.graph_driver_name().to_owned();
    let graph_data: BTreeMap<String, String> = [
        ("MergedDir", &storage.merged),
        ("UpperDir", &storage.upper),
        ("WorkDir", &storage.work),
    ]
    .into_iter()
    .map(|(k, p)| (k.to_owned(), p.display().to_string()))
    .collect();
    let path_str = |p: &std::path::Path| p.display().to_string();
    let pod = o.pod.as_ref();
    let caps = crate::spec::capability_sets(
        &o.security,
        crate::spec::is_root_user(o.user.as_deref().unwrap_or_default()),
    );
    let (cap_add, cap_drop) = crate::spec::inspect_cap_add_drop(&o.security, &caps.bounding);
    let r = &o.resources;
    let (cpu_period, cpu_quota) = match r.nano_cpus {
        Some(n) => rpod_api::container_run::ResourceSpec::cpus_period_quota(n),
        None => (r.cpu_period.unwrap_or(0), r.cpu_quota.unwrap_or(0)),
    };
    InspectContainerData {
        effective_caps: Some(caps.effective),
        bounding_caps: Some(caps.bounding),
        id: rec.id.clone(),
        created: GoTime::from_unix_nanos(rec.created_at),
        path,
        args: Some(args),
        state: Some(InspectContainerState {
            oci_version: "1.2.0".into(),
            status: rec.state.as_str().into(),
            running: rec.state == ContainerState::Running,
            paused: rec.state == ContainerState::Paused,
            restarting,
            oom_killed: rec.oom_killed,
            stopped_by_user: paths.stopped_by_user.exists(),
            dead: false,
            pid: i64::from(rec.pid),
            conmon_pid: if mounted {
                i64::from(rec.monitor_pid)
            } else {
                0
            },
            exit_code: rec.exit_code.unwrap_or(0),
            error: rec.error.clone(),
            started_at: time(rec.started_at),
            finished_at: time(rec.finished_at),
            health,
            cgroup_path: super::placement::cgroups_path(rec),
            ..InspectContainerState::default()
        }),
        image: rec.image_id.clone(),
        image_digest: ctx
            .store
            .lookup_image(&rec.image_id)
            .ok()
            .flatten()
            .map(|i| i.digest)
            .unwrap_or_default(),
        image_name: rec.image_name.clone(),
        rootfs: rec
            .options
            .rootfs
            .as_ref()
            .map(|r| path_str(&r.path))
            .unwrap_or_default(),
        pod: pod.map(|m| m.pod_id.clone()).unwrap_or_default(),
        resolv_conf_path: path_str(&paths.data_dir.join("resolv.conf")),
        hostname_path: path_str(&paths.data_dir.join("hostname")),
        hosts_path: path_str(&paths.data_dir.join("hosts")),
        static_dir: path_str(&paths.data_dir),
        oci_config_path: path_str(&paths.config_json),
        // The runtime as the user named it (`--runtime /full/path` stays a
        // path), else the name of the one found.
        oci_runtime: o.runtime.clone().unwrap_or_else(|| {
            std::path::Path::new(&rec.runtime)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }),
        conmon_pid_file: path_str(&paths.monitor.monitor_pid_file),
        pid_file: path_str(&paths.monitor.pid_file),
        name: rec.name.clone(),
        restart_count: i32::try_from(restart.count).unwrap_or(i32::MAX),
        driver: driver.clone(),
        exec_ids: Some(Vec::new()),
        graph_driver: Some(DriverData {
            name: driver,
            data: Some(graph_data),
        }),
        mounts: Some(mounts),
        dependencies: strings(&o.requires),
        network_settings: Some(super::net_report::network_settings(ctx, rec, &paths)),
        is_infra: pod.is_some_and(|m| m.infra),
        is_service: rec.options.service.is_some(),
        // Podman's zero value for containers that are no service.
        kube_exit_code_propagation: rec
            .options
            .service
            .map_or("invalid", |p| p.as_str())
            .to_owned(),
        config: Some(InspectContainerConfig {
            hostname,
            user: o.user.clone().unwrap_or_default(),
            umask: format!("{:04o}", o.umask.unwrap_or(0o022)),
            tty: o.tty,
            open_stdin: o.interactive,
            env: Some(config_env(ctx, rec)),
            secrets: mounted_secrets(o),
            cmd: (!o.command.is_empty()).then(|| o.command.clone()),
            image: rec.image_name.clone(),
            working_dir: o.workdir.clone().unwrap_or_else(|| "/".into()),
            entrypoint: o.entrypoint.clone(),
            labels: Some(labels),
            annotations: Some(o.annotations.iter().cloned().collect()),
            stop_signal: signal_name(o.stop_signal.unwrap_or(SIGTERM)),
            healthcheck,
            healthcheck_on_failure_action: o
                .healthcheck
                .as_ref()
                .map_or("none", |h| h.on_failure.as_str())
                .into(),
            startup_health_check,
            health_log_destination: o.health_log.destination.clone(),
            health_max_log_count: u64::from(o.health_log.max_count),
            health_max_log_size: u64::from(o.health_log.max_size),
            stop_timeout: o.stop_timeout.unwrap_or(super::DEFAULT_STOP_TIMEOUT),
            ..InspectContainerConfig::default()
        }),
        host_config: Some(InspectContainerHostConfig {
            binds: Some(binds),
            tmpfs: super::inspect_mounts::tmpfs(o),
            group_add: (!o.group_add.is_empty()).then(|| o.group_add.clone()),
            cgroup_manager: "cgroupfs".into(),
            cgroup_mode: ns_name(NsKind::Cgroup),
            ipc_mode: ns_name(NsKind::Ipc),
            cgroup_parent: cgroup_parent(rec),
            cgroups: "default".into(),
            userns_mode: o.namespaces.user.inspect_name(),
            id_mappings: o.namespaces.user.own_maps().map(|m| {
                let strings = |v: &[crate::idmap::IdMap]| {
                    Some(v.iter().map(|m| m.to_inspect()).collect::<Vec<_>>())
                };
                rpod_api::inspect::InspectIDMappings {
                    uid_map: strings(&m.uid),
                    gid_map: strings(&m.gid),
                }
            }),
            cgroup_conf: (!o.cgroup.conf.is_empty())
                .then(|| o.cgroup.conf.iter().cloned().collect()),
            pid_mode: ns_name(NsKind::Pid),
            uts_mode: ns_name(NsKind::Uts),
            log_config: Some(InspectLogConfig {
                r#type: o.log_driver_name().into(),
                config: None,
                path: if let Some(p) = o.log_path.as_ref().filter(|_| o.logs_to_file()) {
                    path_str(p)
                } else if o.logs_to_file() {
                    path_str(&paths.log)
                } else {
                    String::new()
                },
                tag: String::new(),
                size: log_size,
            }),
            network_mode,
            port_bindings: Some(super::net_report::port_bindings(rec)),
            publish_all_ports: o.net.publish_all,
            dns: Some(o.net.dns_servers.iter().map(|d| d.to_string()).collect()),
            dns_search: strings(&o.net.dns_search),
            dns_options: strings(&o.net.dns_options),
            extra_hosts: strings(&o.net.add_hosts),
            restart_policy: Some(restart_policy),
            auto_remove: o.remove,
            auto_remove_image: o.remove_image,
            readonly_rootfs: o.read_only,
            runtime: "oci".into(),
            cap_add: Some(cap_add),
            cap_drop: Some(cap_drop),
            privileged: o.security.privileged,
            security_opt: Some(crate::spec::inspect_security_opts(&o.security)),
            memory: r.memory.unwrap_or(0),
            memory_swap: r.memory_swap.unwrap_or(0),
            memory_reservation: r.memory_reservation.unwrap_or(0),
            memory_swappiness: r.memory_swappiness.map_or(-1, |s| s as i64),
            oom_kill_disable: r.oom_kill_disable,
            oom_score_adj: i64::from(r.oom_score_adj.unwrap_or(0)),
            nano_cpus: r.nano_cpus.unwrap_or(0),
            cpu_shares: r.cpu_shares.unwrap_or(0),
            cpu_period,
            cpu_quota,
            // As Podman, from the runtime spec: only what the host applies.
            cpu_realtime_period: r
                .cpu_rt_period
                .filter(|_| crate::spec::realtime::supported())
                .unwrap_or(0),
            cpu_realtime_runtime: r
                .cpu_rt_runtime
                .filter(|_| crate::spec::realtime::supported())
                .unwrap_or(0),
            cpuset_cpus: r.cpuset_cpus.clone().unwrap_or_default(),
            cpuset_mems: r.cpuset_mems.clone().unwrap_or_default(),
            pids_limit: r.pids_limit.unwrap_or(0),
            // Podman's default /dev/shm: 64 MiB.
            shm_size: r.shm_size.unwrap_or(64 << 20),
            blkio_weight: r.blkio_weight.unwrap_or(0),
            blkio_weight_device: Some(
                r.blkio_weight_device
                    .iter()
                    .map(|d| rpod_api::inspect::InspectBlkioWeightDevice {
                        path: d.path.clone(),
                        weight: u16::try_from(d.value).unwrap_or(u16::MAX),
                    })
                    .collect(),
            ),
            blkio_device_read_bps: Some(throttle(&r.device_read_bps)),
            blkio_device_write_bps: Some(throttle(&r.device_write_bps)),
            blkio_device_read_iops: Some(throttle(&r.device_read_iops)),
            blkio_device_write_iops: Some(throttle(&r.device_write_iops)),
            init: o.security.init,
            ulimits: Some(
                r.ulimits
                    .iter()
                    .map(|u| rpod_api::inspect::InspectUlimit {
                        name: format!("RLIMIT_{}", u.name.to_ascii_uppercase()),
                        soft: u.soft,
                        hard: u.hard,
                    })
                    .collect(),
            ),
            devices: Some(
                o.security
                    .devices
                    .iter()
                    .map(|d| rpod_api::inspect::InspectDevice {
                        path_on_host: d.host.clone(),
                        path_in_container: d.container.clone(),
                        cgroup_permissions: d.permissions.clone(),
                    })
                    .collect(),
            ),
            ..InspectContainerHostConfig::default()
        }),
        ..InspectContainerData::default()
    }
}

/// A throttle list as inspect shows it.
fn throttle(
    devs: &[rpod_api::container_run::BlkioDevice],
) -> Vec<rpod_api::inspect::InspectBlkioThrottleDevice> {
    devs.iter()
        .map(|d| rpod_api::inspect::InspectBlkioThrottleDevice {
            path: d.path.clone(),
            rate: d.value,
        })
        .collect()
}
