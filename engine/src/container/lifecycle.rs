//! The transitions of one container. Each function runs inside that
//! container's actor while it holds the container's lock file, so within
//! and across processes one transition happens at a time. Every step that
//! can be cut off leaves a state the next transition knows how to finish.

use std::path::Path;

use rpod_proto::{MonitorConfig, MonitorMode};

use super::error::io_err;
use super::paths::ContainerPaths;
use super::reconcile::{exit_info, now_nanos, refresh};
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::monitor::{self, MonitorClient, PendingMonitor};
use crate::runtime::{OciRuntime, RuntimeError};
use crate::spec;
use crate::state::{ContainerRecord, ContainerState};

pub const DEFAULT_STOP_TIMEOUT: u64 = 10;
pub const SIGTERM: i32 = 15;
pub const SIGKILL: i32 = 9;
/// Seconds after a stop's own deadline at which the monitor escalates, in
/// case the stopping process died before it could.
const STOP_BACKSTOP_SECS: u64 = 5;

pub(crate) fn runtime_for(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
) -> Result<OciRuntime, ContainerError> {
    Ok(crate::engine::select_runtime(
        &ctx.config,
        Some(&rec.runtime),
    )?)
}

/// Reloads the row and reconciles it.
pub(crate) fn load(ctx: &EngineCtx, id: &str) -> Result<ContainerRecord, ContainerError> {
    let rec = ctx
        .db
        .container_by_id(id)?
        .ok_or_else(|| ContainerError::NotFound(id.to_owned()))?;
    refresh(ctx, rec)
}

/// Runs once a new monitor listens and before the runtime runs the
/// container's process (an attach that must see the first byte of output).
pub(crate) type BeforeGo = Box<dyn FnOnce() -> Result<(), ContainerError> + Send>;

/// What opens a new monitor's start gate.
enum Launch {
    /// `runtime create`: the container is initialized, not started.
    Create,
    /// `runtime run --detach`: created and started in one runtime
    /// invocation (one Go start-up less than create + start).
    Run(Option<BeforeGo>),
}

/// Creates the container's process through a new monitor, without starting
/// it (Podman's "initialized").
pub(crate) async fn init(ctx: &EngineCtx, rec: &mut ContainerRecord) -> Result<(), ContainerError> {
    if rec.state == ContainerState::Initialized {
        return Ok(());
    }
    launch(ctx, rec, Launch::Create).await
}

/// Starts the container: an initialized one with `runtime start`, any
/// other through a new monitor that creates and starts it in one runtime
/// invocation. `before_go` runs before the process does.
pub(crate) async fn start(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
    before_go: Option<BeforeGo>,
) -> Result<(), ContainerError> {
    if rec.state == ContainerState::Initialized {
        if let Some(hook) = before_go {
            hook()?;
        }
        return start_initialized(ctx, rec).await;
    }
    launch(ctx, rec, Launch::Run(before_go)).await
}

async fn launch(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
    how: Launch,
) -> Result<(), ContainerError> {
    match rec.state {
        ContainerState::Created | ContainerState::Exited => {}
        ContainerState::Removing => {
            return Err(ContainerError::StateImproper(format!(
                "container {} is being removed",
                rec.id
            )))
        }
        _ => {
            return Err(ContainerError::StateImproper(format!(
                "container {} is {}, cannot initialize",
                rec.id,
                rec.state.as_str()
            )))
        }
    }
    if let Some(why) = ctx.config.cgroup_manager.start_refusal() {
        return Err(ContainerError::RuntimeFailed(why));
    }
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    // Leftovers of a previous run of this container.
    super::recovery::kill_stale_monitor(&paths);
    release_resources(ctx, rec, &paths).await?;
    super::restart::reset(&paths);
    let _ = std::fs::remove_file(&paths.stopped_by_user);
    let pending = match prepare_and_spawn(ctx, rec, &paths) {
        Ok(p) => p,
        Err(e) => {
            undo_prepare(ctx, rec, &paths);
            // A monitor started early has exited by now (see
            // `StartingMonitor`): its pid file goes too.
            remove_run_files(&paths);
            return Err(e);
        }
    };
    let monitor_pid = pending.monitor_pid;
    if let Some(file) = &rec.options.conmon_pidfile {
        // As conmon: the monitor's pid, kept after the container exits.
        if let Err(e) = std::fs::write(file, monitor_pid.to_string()) {
            tracing::warn!(container = %rec.id, "writing conmon pid file {file}: {e}");
        }
    }
    crate::fault::point("start.after-spawn");
    let opened = match how {
        Launch::Create => pending.go().map(|pid| (pid, false)),
        Launch::Run(before_go) => {
            if let Some(hook) = before_go {
                if let Err(e) = hook() {
                    // Closing the start gate ends the monitor before Go.
                    drop(pending);
                    undo_prepare(ctx, rec, &paths);
                    remove_run_files(&paths);
                    return Err(e);
                }
            }
            pending.run().map(|pid| (pid, true))
        }
    };
    match opened {
        Ok((pid, started)) => {
            crate::fault::point("start.after-create");
            rec.pid = pid;
            rec.monitor_pid = monitor_pid;
            rec.error.clear();
            if started {
                return mark_started(ctx, rec);
            }
            rec.state = ContainerState::Initialized;
            ctx.db.update_container(rec)?;
            Ok(())
        }
        Err(e) => {
            undo_prepare(ctx, rec, &paths);
            remove_run_files(&paths);
            let err = match e {
                monitor::MonitorError::Runtime(msg) => ContainerError::RuntimeFailed(
                    super::error::oci_runtime_error(super::error::runtime_name(&rec.runtime), &msg),
                ),
                other => ContainerError::Monitor(other),
            };
            rec.error = err.to_string();
            if rec.state == ContainerState::Exited {
                rec.exit_code = Some(err.exit_code());
            }
            ctx.db.update_container(rec)?;
            Err(err)
        }
    }
}

/// Releases what [`prepare_and_spawn`] set up when the start goes no further.
fn undo_prepare(ctx: &EngineCtx, rec: &ContainerRecord, paths: &ContainerPaths) {
    super::network::teardown(ctx, rec, paths);
    super::pod_pins::release(rec, paths);
    super::userns::release(paths);
    super::volumes::release(ctx, paths);
    let _ = ctx.store.unmount_rootfs(&rec.id);
    let _ = super::shm::release(ctx, &rec.id);
}

/// Mounts the root filesystem, writes the bundle and starts a monitor that
/// waits at its start gate.
fn prepare_and_spawn(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
) -> Result<PendingMonitor, ContainerError> {
    for dir in [&paths.data_dir, &paths.run_dir, &ctx.config.socket_dir()] {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    if let Some(target) = rec
        .options
        .log_path
        .as_ref()
        .filter(|_| rec.options.logs_to_file())
    {
        super::log_link::link(&paths.log, target)?;
    }
    let runtime = runtime_for(ctx, rec)?;
    let notify = super::sdnotify::notify_config(&rec.options, paths)?;
    let preserved = crate::inherited_fds::preserved(rec.options.preserve_fds)
        .map_err(ContainerError::InvalidArgument)?;
    // A monitor that will hold none of the network's descriptors starts
    // now and gets ready (exec, double fork, sockets) while the rest is
    // prepared; one that holds them starts once the network made them.
    let starting = if holds_nothing(rec) {
        let config = monitor_config(ctx, rec, paths, &runtime, notify.clone(), 0);
        Some(paths.monitor.start_holding(&config, &preserved)?)
    } else {
        None
    };
    let (image_config, rootfs, own_maps) = match &rec.options.rootfs {
        Some(dir) => {
            let (rootfs, own_maps) = super::userns::mount_dir_root(ctx, rec, paths, dir)?;
            (Vec::new(), rootfs, own_maps)
        }
        None => {
            let image = ctx
                .store
                .lookup_image(&rec.image_id)?
                .ok_or_else(|| ContainerError::ImageNotFound(rec.image_name.clone()))?;
            let image_config = ctx.store.image_config(&image)?;
            let (rootfs, own_maps) = super::userns::mount_root(ctx, rec, paths, &image)?;
            if let Some(user) = &rec.options.keep_id_entry {
                crate::rootless::passwd::add_entries(&rootfs, user, rec.options.workdir.as_deref())
                    .map_err(io_err(&rootfs.join("etc/passwd")))?;
            }
            (image_config, rootfs, own_maps)
        }
    };
    crate::fault::point("start.after-mount");
    spec::link_mtab(&rootfs, super::userns::host_ids(rec, 0, 0))?;
    let hostname = spec::hostname_for(&rec.id, &rec.options);
    let mut net = super::network::setup(ctx, rec, paths, &image_config)?;
    let net_opts = &rec.options.net;
    let conf_base = ctx
        .config
        .containers_conf
        .containers
        .base_hosts_file
        .as_deref();
    let image_hosts = || std::fs::read_to_string(rootfs.join("etc/hosts")).unwrap_or_default();
    net.etc.base_hosts = match (net_opts.hosts_file.as_deref(), conf_base) {
        (Some(file), _) | (None, Some(file)) if !net_opts.no_hosts && !file.is_empty() => {
            Some(match file {
                "none" => String::new(),
                "image" => image_hosts(),
                _ => std::fs::read_to_string(file).map_err(io_err(Path::new(file)))?,
            })
        }
        _ if net_opts.no_hosts => Some(image_hosts()),
        _ => None,
    };
    net.etc.no_hosts = net_opts.no_hosts;
    let mut etc_files =
        spec::write_etc_files_with(&paths.data_dir, &hostname, &rec.options.network, &net.etc)?;
    super::network::share_owner_files(ctx, rec, &mut etc_files)?;
    if let Some(maps) = &own_maps {
        super::userns::chown_etc_files(maps, &etc_files)?;
    }
    let mut volume_binds =
        crate::volume::container_binds(&ctx.config.volume_path(), &rec.options.volumes);
    let user_destinations: Vec<&str> = rec
        .options
        .mounts
        .iter()
        .map(|m| m.destination.as_str())
        .chain(volume_binds.iter().map(|m| m.destination.as_str()))
        .chain(rec.options.tmpfs.iter().map(|t| t.destination.as_str()))
        .collect();
    let defaults = super::default_mounts::binds(
        ctx.config.default_mounts_file.as_deref(),
        &user_destinations,
    );
    volume_binds.extend(defaults);
    spec::realtime::grant_parents(&super::placement::cgroups_path(rec), &rec.options.resources)?;
    let mut generated = spec::generate(&spec::SpecInput {
        id: &rec.id,
        options: &rec.options,
        image_config: &image_config,
        rootfs: &rootfs,
        etc_files: &etc_files,
        cgroups_path: Some(super::placement::cgroups_path(rec)),
        volume_binds: &volume_binds,
    })?;
    let mut joins = super::placement::joined_namespaces(ctx, rec)?;
    if let Some(ns) = net.netns {
        joins.push((oci_spec::runtime::LinuxNamespaceType::Network, ns));
    }
    spec::join_namespaces(&mut generated, &joins)?;
    // A pod's infra container: the namespaces it shares, pinned first so
    // members can join them before its process exists.
    let names = super::pinned_ns::UtsNames {
        hostname: generated
            .hostname()
            .clone()
            .unwrap_or_else(|| hostname.clone()),
        domainname: generated.domainname().clone(),
    };
    let own = super::pod_pins::pin_infra(ctx, rec, paths, &names)?;
    spec::join_own_namespaces(&mut generated, &own)?;
    spec::apply_user_namespace(
        &mut generated,
        &super::placement::user_namespace(ctx, rec, paths)?,
    )?;
    super::shm::apply(ctx, rec, &mut generated)?;
    if rec.options.read_only && rec.options.read_only_no_tmpfs {
        spec::read_only_dev(&mut generated);
    }
    if let Some(dir) = notify.as_ref().and_then(|n| n.socket_path.parent()) {
        spec::add_notify_socket(&mut generated, dir)?;
    }
    super::volumes::mount(ctx, rec, &rootfs, &generated, paths)?;
    crate::secret::container::apply(ctx, &rec.options.secrets, &paths.run_dir, &mut generated)?;
    if let Some(maps) = &own_maps {
        super::userns::shift_secrets(maps, &paths.run_dir)?;
    }
    super::extra_mounts::apply(ctx, rec, paths, &mut generated)?;
    super::overlay_volumes::apply(paths, &mut generated, rec.started_at.is_none())?;
    let user_mounts = !rec.options.mounts.is_empty() || !rec.options.volumes.is_empty();
    crate::hooks::apply::apply(
        &crate::hooks::dirs(&ctx.config),
        &mut generated,
        user_mounts,
        &paths.run_dir,
    )?;
    crate::rootless::spec::adjust(&mut generated);
    spec::write_spec(&generated, &paths.run_dir)?;
    match starting {
        Some(starting) if net.held_ports.is_empty() => return Ok(starting.ready()?),
        // The network handed over descriptors after all: a monitor that
        // holds them takes the early one's place.
        Some(starting) => drop(starting),
        None => {}
    }
    let held_fds = u32::try_from(net.held_ports.len()).unwrap_or(u32::MAX);
    let config = monitor_config(ctx, rec, paths, &runtime, notify, held_fds);
    // The monitor keeps its copies of the port sockets; ours close here.
    let handed: Vec<_> = net
        .held_ports
        .iter()
        .map(std::os::fd::AsFd::as_fd)
        .chain(preserved)
        .collect();
    Ok(paths.monitor.spawn_holding(&config, &handed)?)
}

/// Whether the container's monitor will hold no descriptors of its network
/// (no published ports, `-p`/`-P`; no user-mode network helper, whose exit
/// pipe the monitor keeps): it can then start before the network is set up.
fn holds_nothing(rec: &ContainerRecord) -> bool {
    rec.options.net.ports.is_empty()
        && !rec.options.net.publish_all
        && !super::usermode_net::is_usermode(&rec.options.network)
}

/// Whether the monitor may keep the runtime in the foreground for the
/// container's first run (see [`MonitorConfig::foreground_run`]): a `--rm`
/// container without a terminal, whose exit nothing reads from the
/// runtime's state or its cgroup afterwards. The runtime removes the
/// cgroup before it exits, so a container that its own memory limit (or a
/// pod's, or a parent cgroup's) could OOM-kill keeps the detached run,
/// whose cgroup outlives the exit long enough for the monitor to read the
/// kill counter.
fn may_run_in_foreground(rec: &ContainerRecord, notify: bool) -> bool {
    let o = &rec.options;
    o.remove
        && !o.tty
        && !notify
        && o.resources.memory.is_none_or(|m| m <= 0)
        && o.pod.is_none()
        && o.cgroup.parent.is_none()
        && o.restart
            .as_ref()
            .is_none_or(|r| r.policy == super::options::RestartPolicy::No)
}

/// The configuration of the container's monitor, which holds `held_fds`
/// published port sockets.
fn monitor_config(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    runtime: &OciRuntime,
    notify: Option<rpod_proto::NotifyConfig>,
    held_fds: u32,
) -> MonitorConfig {
    let foreground_run = may_run_in_foreground(rec, notify.is_some());
    MonitorConfig {
        log_path: rec.options.logs_to_file().then(|| paths.log.clone()),
        journald: rec
            .options
            .logs_to_journal()
            .then(|| rpod_proto::journal::JournalLogConfig {
                name: rec.name.clone(),
                tag: None,
            }),
        log_max_size: rec.options.log_max_size.or(ctx.config.log_size_max),
        log_max_files: rec.options.log_max_files.unwrap_or(1),
        cgroup_path: crate::rootless::spec::monitor_cgroup(super::placement::cgroups_path(rec)),
        cleanup_command: cleanup_command(ctx, &rec.id),
        // The runtime's state is deleted by `container cleanup` under the
        // container's lock, never by the monitor: a short-lived process can
        // exit while `runtime start` is still finishing (it removes its
        // exec.fifo), and a delete then would make that start fail.
        delete_on_exit: false,
        restart: rec.options.restart.map(Into::into),
        restart_state_file: Some(paths.restart_state.clone()),
        healthcheck: super::health::monitor_config(&ctx.config, rec),
        health_state_file: Some(paths.health_state.clone()),
        events: crate::events::monitor_events_config(&ctx.config, rec),
        stop_timeout_secs: Some(rec.options.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT)),
        stop_signal: rec.options.stop_signal,
        timeout_secs: rec.options.timeout,
        notify,
        healthy_notify: super::sdnotify::healthy_notify(&rec.options),
        held_fds,
        preserve_fds: rec.options.preserve_fds,
        foreground_run,
        ..paths.monitor.monitor_config(
            &rec.id,
            MonitorMode::Create,
            runtime,
            paths.run_dir.clone(),
            rec.options.tty,
            rec.options.interactive,
        )
    }
}

pub(crate) fn cleanup_command(ctx: &EngineCtx, id: &str) -> Vec<String> {
    let c = &ctx.config;
    let mut argv = vec![
        ctx.cleanup_exe.display().to_string(),
        "--root".into(),
        c.root.display().to_string(),
        "--runroot".into(),
        c.runroot.display().to_string(),
        "--events-backend".into(),
        c.events_logger.name().into(),
        // rpod.conf names the network backend and definitions the
        // cleanup tears down with.
        "--config".into(),
        c.config_path.display().to_string(),
        // `--network-config-dir` wins over rpod.conf's directory.
        "--network-config-dir".into(),
        c.network.config_dir.display().to_string(),
    ];
    if let Some(tmp) = &c.tmp_dir {
        argv.extend(["--tmpdir".into(), tmp.display().to_string()]);
    }
    if let Some(volumes) = &c.volume_path {
        argv.extend(["--volumepath".into(), volumes.display().to_string()]);
    }
    for f in &c.runtime_flags {
        argv.extend(["--runtime-flag".into(), f.clone()]);
    }
    // The hook directories this container started with (the runtime runs
    // its poststop hooks from the bundle; the cleanup keeps the same view).
    for d in c.containers_conf.engine.hooks_dir.iter().flatten() {
        argv.extend(["--hooks-dir".into(), d.clone()]);
    }
    argv.extend(["container".into(), "cleanup".into(), id.to_owned()]);
    argv
}

/// Starts an initialized container (`runtime start`).
pub(crate) async fn start_initialized(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
) -> Result<(), ContainerError> {
    let runtime = runtime_for(ctx, rec)?;
    crate::fault::point("start.before-runtime-start");
    if let Err(e) = runtime.start(&rec.id).await {
        // A process that exits at once can be deleted by its monitor while
        // `runtime start` still tidies up (runc: "remove .../exec.fifo: no
        // such file"): the exit record proves it ran.
        // A restart policy's next run deletes the state without an exit
        // record, so runc's own word counts too: it removes the fifo only
        // after the process was released to run.
        let paths = ContainerPaths::new(&ctx.config, &rec.id);
        if start_released_the_process(&e.to_string())
            || matches!(
                monitor::read_exit_file(&paths.monitor.exit_file),
                Ok(Some(_))
            )
        {
            tracing::debug!(container = %rec.id, error = %e, "runtime start raced a quick exit");
            return mark_started(ctx, rec);
        }
        // The created process never ran: kill it so its monitor records
        // the exit and cleans up.
        let _ = runtime.delete(&rec.id, true).await;
        rec.error = e.to_string();
        ctx.db.update_container(rec)?;
        return Err(e.into());
    }
    crate::fault::point("start.after-runtime-start");
    mark_started(ctx, rec)
}

fn mark_started(ctx: &EngineCtx, rec: &mut ContainerRecord) -> Result<(), ContainerError> {
    rec.state = ContainerState::Running;
    rec.started_at = Some(now_nanos());
    rec.finished_at = None;
    rec.exit_code = None;
    rec.exit_signal = None;
    rec.oom_killed = false;
    ctx.db.update_container(rec)?;
    crate::events::container_event(&ctx.config, rec, "start");
    Ok(())
}

/// A stop timeout this long never expires: Podman's value for a negative
/// `--time` (the largest 32-bit count of seconds).
const WAIT_FOREVER_SECS: u64 = u32::MAX as u64;

/// Stops a live container: the signal, then SIGKILL after the timeout, both
/// sent by its monitor. Waits for the exit and records it.
pub(crate) async fn stop(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
    timeout: Option<u64>,
) -> Result<(), ContainerError> {
    if !rec.state.has_monitor() {
        if rec.state == ContainerState::Exited {
            // An exit nobody cleaned up after (its monitor died): release
            // the mount and runtime state now.
            let paths = ContainerPaths::new(&ctx.config, &rec.id);
            release_resources(ctx, rec, &paths).await?;
        }
        return Ok(());
    }
    let timeout = timeout
        .or(rec.options.stop_timeout)
        .unwrap_or(DEFAULT_STOP_TIMEOUT);
    let signal = rec.options.stop_signal.unwrap_or(SIGTERM);
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    let runtime = runtime_for(ctx, rec)?;
    if rec.state == ContainerState::Paused {
        // Frozen processes cannot handle a signal: kill, then thaw so the
        // kill is delivered.
        let _ = runtime.kill(&rec.id, SIGKILL, true).await;
        let _ = runtime.resume(&rec.id).await;
    }
    rec.state = ContainerState::Stopping;
    ctx.db.update_container(rec)?;
    mark_stopped_by_user(&paths);
    crate::fault::point("stop.after-mark");
    let exit = match MonitorClient::connect(&paths.monitor.control_socket) {
        Ok(mut client) => {
            // The process may end (and its monitor with it) before the
            // monitor reads our next request: then its exit file answers.
            // This stop escalates to SIGKILL itself at the deadline, with
            // Podman's warning; the monitor's own deadline, a little later,
            // only matters if this process dies meanwhile.
            let backstop = if timeout == 0 {
                0
            } else {
                timeout.saturating_add(STOP_BACKSTOP_SECS)
            };
            let socket = &paths.monitor.control_socket;
            let answered = client.stop(signal, backstop).and_then(|()| {
                crate::fault::point("stop.after-signal");
                if timeout == 0 || timeout >= WAIT_FOREVER_SECS {
                    return client.wait_exit();
                }
                client.wait_exit_or_else(std::time::Duration::from_secs(timeout), || {
                    tracing::warn!(
                        "StopSignal {} failed to stop container {} in {timeout} seconds, resorting to SIGKILL",
                        signal_name(signal),
                        rec.name
                    );
                    let killed = MonitorClient::connect(socket).and_then(|mut c| c.kill(SIGKILL));
                    if let Err(e) = killed {
                        tracing::debug!(container = %rec.id, error = %e, "SIGKILL after the stop timeout");
                    }
                })
            });
            match answered {
                Ok(exit) => Some(exit),
                Err(e) => {
                    tracing::debug!(container = %rec.id, error = %e, "monitor gone, reading its exit file");
                    wait_for_exit_file(&paths.monitor.exit_file).await
                }
            }
        }
        Err(e) => {
            tracing::debug!(container = %rec.id, error = %e, "monitor unreachable, killing through the runtime");
            let _ = runtime.kill(&rec.id, SIGKILL, true).await;
            None
        }
    };
    if let Some(exit) = exit {
        ctx.db.record_exit(&rec.id, &exit_info(&exit))?;
    }
    crate::fault::point("stop.after-exit");
    *rec = load(ctx, &rec.id)?;
    release_resources(ctx, rec, &paths).await?;
    crate::events::container_event(&ctx.config, rec, "stop");
    Ok(())
}

/// Records that the user stopped or killed the container (Podman's
/// `StoppedByUser`). Only a report: failing to write it loses nothing else.
fn mark_stopped_by_user(paths: &ContainerPaths) {
    if let Err(e) = std::fs::File::create(&paths.stopped_by_user) {
        tracing::debug!("recording stopped-by-user: {e}");
    }
}

/// A signal's name as Podman prints it (`SIGTERM`), `(N)` for one
/// without a name (real-time signals).
pub(crate) fn signal_name(signal: i32) -> String {
    match nix::sys::signal::Signal::try_from(signal) {
        Ok(s) => s.as_str().to_owned(),
        Err(_) => format!("({signal})"),
    }
}

/// Sends one signal to the container's process through its monitor.
pub(crate) fn kill(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    signal: i32,
) -> Result<(), ContainerError> {
    if !matches!(
        rec.state,
        ContainerState::Running | ContainerState::Paused | ContainerState::Stopping
    ) {
        return Err(ContainerError::StateImproper(format!(
            "can only kill running containers. {} is in state {}",
            rec.id,
            rec.state.as_str()
        )));
    }
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    let mut client = MonitorClient::connect(&paths.monitor.control_socket)?;
    // A container killed by the user stays down (Podman: stopped by user).
    match client.disable_restart() {
        Ok(()) | Err(monitor::MonitorError::Unsupported(_)) => {}
        Err(e) => return Err(e.into()),
    }
    client.kill(signal)?;
    mark_stopped_by_user(&paths);
    crate::events::container_event_with(&ctx.config, rec, "kill", |e| {
        e.attributes.insert("signal".into(), signal.to_string());
    });
    Ok(())
}

pub(crate) async fn pause(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
) -> Result<(), ContainerError> {
    if rec.state != ContainerState::Running {
        return Err(ContainerError::StateImproper(format!(
            "\"{}\" is not running, can't pause",
            rec.id
        )));
    }
    runtime_for(ctx, rec)?.pause(&rec.id).await?;
    rec.state = ContainerState::Paused;
    ctx.db.update_container(rec)?;
    Ok(())
}

pub(crate) async fn unpause(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
) -> Result<(), ContainerError> {
    if rec.state != ContainerState::Paused {
        return Err(ContainerError::StateImproper(format!(
            "\"{}\" is not paused, can't unpause",
            rec.id
        )));
    }
    runtime_for(ctx, rec)?.resume(&rec.id).await?;
    rec.state = ContainerState::Running;
    ctx.db.update_container(rec)?;
    Ok(())
}

/// Refuses a removal without force while other containers `--requires`
/// this one (Podman's wording).
pub(crate) fn refuse_if_required(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
) -> Result<(), ContainerError> {
    let dependents = ctx.db.dependents_of(&rec.id)?;
    if dependents.is_empty() {
        return Ok(());
    }
    Err(ContainerError::HasDependents {
        id: rec.id.clone(),
        dependents: dependents.join(","),
    })
}

/// Removes the container. Live containers need `force` (then stopped with
/// `timeout`). The row is marked `removing` first, so a removal cut off
/// half-way is finished by the next `rm`.
pub(crate) async fn remove(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
    force: bool,
    timeout: Option<u64>,
) -> Result<(), ContainerError> {
    if rec.state.has_monitor() {
        if !force {
            return Err(ContainerError::StateImproper(format!(
                "cannot remove container {} as it is {} - running or paused containers cannot be removed without force",
                rec.id,
                rec.state.as_str()
            )));
        }
        stop(ctx, rec, timeout).await?;
    }
    rec.state = ContainerState::Removing;
    ctx.db.update_container(rec)?;
    crate::fault::point("rm.after-mark");
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    super::recovery::kill_stale_monitor(&paths);
    release_resources_and(ctx, rec, &paths, || {
        crate::fault::point("rm.after-release");
        ctx.store.remove_container_storage(&rec.id)?;
        Ok(())
    })
    .await?;
    crate::fault::point("rm.after-storage");
    remove_dir(&paths.run_dir)?;
    // A new container's snapshot may still be being written into it.
    ctx.db.settle_snapshots();
    remove_dir(&paths.data_dir)?;
    // The lock file goes before the row: a removal cut off after this
    // still has its row, and the next `rm` takes (and removes) a new one.
    crate::lock::remove_lock_file(&ctx.config.lock_dir(), &rec.id);
    crate::fault::point("rm.before-delete-row");
    ctx.db.delete_container(&rec.id)?;
    crate::events::container_event(&ctx.config, rec, "remove");
    Ok(())
}

/// After an exit: record it, release the mount and the runtime's state.
/// Run by the monitor through `rpod container cleanup`; idempotent.
/// Returns whether the container asked to be removed (`--rm`) and was.
pub(crate) async fn cleanup(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
) -> Result<bool, ContainerError> {
    if rec.state.has_monitor() {
        // Still live (a restart raced us, or the monitor is alive): nothing to do.
        return Ok(false);
    }
    if rec.state == ContainerState::Removing
        || rec.options.remove && rec.state == ContainerState::Exited
    {
        remove(ctx, rec, false, None).await?;
        // `--rm` takes the container's anonymous volumes with it.
        if rec.options.remove {
            super::volumes::remove_anonymous(ctx, rec);
        }
        return Ok(true);
    }
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    release_resources(ctx, rec, &paths).await?;
    crate::events::container_event(&ctx.config, rec, "cleanup");
    Ok(false)
}

/// Unmounts the root filesystem, deletes the runtime's state and removes
/// the monitor's files. Only for containers without a live monitor.
async fn release_resources(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
) -> Result<(), ContainerError> {
    release_resources_and(ctx, rec, paths, || Ok(())).await
}

/// [`release_resources`], doing `meanwhile` (work that needs neither the
/// runtime's state nor the run directory) after the unmounts.
///
/// The runtime's `delete` is a process of its own (for runc mostly a Go
/// start-up): the network, volumes and mounts are released while it runs,
/// instead of after it. The monitor of a `run --rm` in the foreground
/// starts that delete itself at the exit (its marker file says so): then
/// this waits for it instead of running another. A container with
/// poststop hooks keeps its root filesystem (and `meanwhile` waits) until
/// the delete, which runs them, is done, as in Podman, which deletes
/// before it unmounts.
async fn release_resources_and(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    meanwhile: impl FnOnce() -> Result<(), ContainerError>,
) -> Result<(), ContainerError> {
    let runtime = runtime_for(ctx, rec)?;
    // Both runc and crun keep a container's state in `<root>/<id>`: without
    // it there is nothing to delete, and no runtime process to spawn.
    let has_state = || {
        runtime
            .root
            .as_ref()
            .is_none_or(|root| root.join(&rec.id).exists())
    };
    let monitor_deletes = paths.monitor.runtime_deleting.exists()
        && monitor::monitor_alive(&paths.monitor.monitor_pid_file);
    let deleting = if !monitor_deletes && has_state() {
        Some(runtime.start_delete(&rec.id, true)?)
    } else {
        None
    };
    let hooks_need_root =
        (monitor_deletes || deleting.is_some()) && spec::has_poststop_hooks(&paths.run_dir);
    super::network::teardown(ctx, rec, paths);
    super::pod_pins::release(rec, paths);
    super::userns::release(paths);
    super::volumes::release(ctx, paths);
    let mut after_delete = None;
    if hooks_need_root {
        after_delete = Some(meanwhile);
    } else {
        release_root(ctx, rec)?;
        meanwhile()?;
    }
    let deleted = match deleting {
        Some(deleting) => deleting.await,
        None if monitor_deletes => {
            wait_for_monitor_delete(
                &paths.monitor.runtime_deleting,
                &paths.monitor.monitor_pid_file,
            )
            .await;
            // A delete that failed (or a monitor that died in it) left
            // the state.
            if has_state() {
                runtime.delete(&rec.id, true).await
            } else {
                Ok(())
            }
        }
        None => Ok(()),
    };
    match deleted {
        Ok(()) | Err(RuntimeError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    if let Some(meanwhile) = after_delete {
        release_root(ctx, rec)?;
        meanwhile()?;
    }
    remove_run_files(paths);
    Ok(())
}

/// How long the monitor's own `delete` may take before the removal stops
/// waiting for it (and deletes the state itself if it is still there).
const MONITOR_DELETE_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Waits until the monitor's `delete` is done (its marker is gone) or the
/// monitor is (it died in it). The marker's removal wakes the wait through
/// inotify; the monitor's life is looked at again every 50 ms (every
/// millisecond where inotify is not to be had).
async fn wait_for_monitor_delete(marker: &Path, monitor_pid_file: &Path) {
    use futures_util::StreamExt;
    use inotify::{Inotify, WatchMask};
    // Watched before it is looked at: a removal in between still wakes.
    let mut removed = Inotify::init().ok().and_then(|i| {
        i.watches().add(marker, WatchMask::DELETE_SELF).ok()?;
        i.into_event_stream(vec![0u8; 256]).ok()
    });
    let deadline = std::time::Instant::now() + MONITOR_DELETE_GRACE;
    while marker.exists()
        && monitor::monitor_alive(monitor_pid_file)
        && std::time::Instant::now() < deadline
    {
        match removed.as_mut() {
            Some(events) => {
                let _ =
                    tokio::time::timeout(std::time::Duration::from_millis(50), events.next()).await;
            }
            None => tokio::time::sleep(std::time::Duration::from_millis(1)).await,
        }
    }
    // Closing an inotify instance waits for an RCU grace period
    // (milliseconds): done off the removal's path.
    if let Some(events) = removed {
        tokio::task::spawn_blocking(move || drop(events));
    }
}

/// Unmounts the container's root filesystem and its /dev/shm.
fn release_root(ctx: &EngineCtx, rec: &ContainerRecord) -> Result<(), ContainerError> {
    ctx.store.unmount_rootfs(&rec.id)?;
    super::shm::release(ctx, &rec.id)
}

/// How long a finishing monitor may take to write its exit file.
const EXIT_FILE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The exit record of a monitor that stopped answering, once it is written
/// (before the monitor runs its cleanup, so holding the container lock here
/// cannot block it). `None` if it never comes.
async fn wait_for_exit_file(path: &Path) -> Option<rpod_proto::ExitRecord> {
    let deadline = std::time::Instant::now() + EXIT_FILE_GRACE;
    loop {
        if let Ok(Some(exit)) = monitor::read_exit_file(path) {
            return Some(exit);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

fn remove_run_files(paths: &ContainerPaths) {
    paths.monitor.remove();
    super::sdnotify::remove_notify_dir(paths);
}

fn remove_dir(dir: &Path) -> Result<(), ContainerError> {
    crate::storage::remove_tree_if_exists(dir).map_err(|e| ContainerError::Remove {
        path: dir.to_owned(),
        source: e,
    })
}

/// Whether a failed `runtime start` had already let the process run: runc
/// removes `exec.fifo` only after the container's init read it, so a failed
/// removal means the process was released (and may be gone already).
fn start_released_the_process(error: &str) -> bool {
    error.contains("remove ") && error.contains("exec.fifo")
}

#[cfg(test)]
mod start_race_tests {
    use super::start_released_the_process;

    #[test]
    fn only_a_failed_fifo_removal_means_the_process_ran() {
        assert!(start_released_the_process(
            "OCI runtime error: runc start: remove /run/runc/x/exec.fifo: no such file or directory"
        ));
        assert!(!start_released_the_process(
            "OCI runtime error: runc start: open /run/runc/x/exec.fifo: no such file or directory"
        ));
        assert!(!start_released_the_process("container x does not exist"));
    }
}

#[cfg(test)]
mod monitor_delete_tests {
    use std::time::{Duration, Instant};

    use super::wait_for_monitor_delete;

    #[tokio::test]
    async fn the_markers_removal_or_the_monitors_death_ends_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join(rpod_proto::RUNTIME_DELETING_FILE);
        let pid_file = dir.path().join("monitor.pid");
        // A live process that passes for a monitor.
        let mut monitor = std::process::Command::new("bash")
            .args(["-c", "exec -a pod-monitor sleep 60"])
            .spawn()
            .unwrap();
        std::fs::write(&pid_file, monitor.id().to_string()).unwrap();
        let alive = Instant::now() + Duration::from_secs(10);
        while !crate::monitor::monitor_alive(&pid_file) {
            assert!(Instant::now() < alive, "the stand-in never looked alive");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::fs::write(&marker, b"").unwrap();
        let m = marker.clone();
        let remover = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            std::fs::remove_file(m).unwrap();
        });
        let start = Instant::now();
        wait_for_monitor_delete(&marker, &pid_file).await;
        remover.join().unwrap();
        assert!(!marker.exists());
        assert!(start.elapsed() >= Duration::from_millis(100));
        assert!(start.elapsed() < Duration::from_secs(20), "not woken");
        // The monitor dies with its marker left: the wait ends too.
        std::fs::write(&marker, b"").unwrap();
        monitor.kill().unwrap();
        monitor.wait().unwrap();
        let start = Instant::now();
        wait_for_monitor_delete(&marker, &pid_file).await;
        assert!(marker.exists());
        assert!(start.elapsed() < Duration::from_secs(20), "not woken");
    }
}

#[cfg(test)]
mod foreground_tests {
    use super::may_run_in_foreground;
    use crate::container::options::{
        ContainerOptions, PodMembership, RestartConfig, RestartPolicy,
    };
    use crate::state::ContainerRecord;

    fn rec(change: impl FnOnce(&mut ContainerOptions)) -> ContainerRecord {
        let mut o = ContainerOptions {
            remove: true,
            ..Default::default()
        };
        change(&mut o);
        ContainerRecord::new_created("cid".into(), "n".into(), o, Vec::new(), "runc".into(), 0)
    }

    /// Only a `--rm` container whose exit nothing reads from the runtime's
    /// state or its cgroup afterwards keeps the runtime in the foreground.
    #[test]
    fn only_what_needs_nothing_after_the_exit_runs_in_the_foreground() {
        assert!(may_run_in_foreground(&rec(|_| {}), false));
        assert!(!may_run_in_foreground(&rec(|_| {}), true), "sdnotify");
        assert!(!may_run_in_foreground(&rec(|o| o.remove = false), false));
        assert!(!may_run_in_foreground(&rec(|o| o.tty = true), false));
        assert!(!may_run_in_foreground(
            &rec(|o| o.resources.memory = Some(32 << 20)),
            false
        ));
        assert!(!may_run_in_foreground(
            &rec(|o| o.pod = Some(PodMembership::default())),
            false
        ));
        assert!(!may_run_in_foreground(
            &rec(|o| o.cgroup.parent = Some("/custom".into())),
            false
        ));
        assert!(!may_run_in_foreground(
            &rec(|o| {
                o.restart = Some(RestartConfig {
                    policy: RestartPolicy::Always,
                    max_retries: 0,
                })
            }),
            false
        ));
        assert!(may_run_in_foreground(
            &rec(|o| {
                o.restart = Some(RestartConfig {
                    policy: RestartPolicy::No,
                    max_retries: 0,
                })
            }),
            false
        ));
    }
}
