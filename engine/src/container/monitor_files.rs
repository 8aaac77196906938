//! The files every pod-monitor has (a container's or an exec session's),
//! and the parts of its configuration and start-up that follow from them.

use std::path::{Path, PathBuf};

use rpod_proto::{MonitorConfig, MonitorMode};

use crate::monitor::{self, MonitorError, PendingMonitor};
use crate::runtime::OciRuntime;

#[derive(Debug, Clone)]
pub struct MonitorFiles {
    /// The monitor's configuration (`monitor.json`).
    pub monitor_config: PathBuf,
    /// Where the runtime writes the process id.
    pub pid_file: PathBuf,
    pub monitor_pid_file: PathBuf,
    pub exit_file: PathBuf,
    /// Present while the monitor stops the container on its own.
    pub stopping_file: PathBuf,
    /// Present while the monitor deletes the runtime's state itself.
    pub runtime_deleting: PathBuf,
    pub control_socket: PathBuf,
    pub attach_socket: PathBuf,
}

impl MonitorFiles {
    /// Files in `dir`; sockets in `sockets` (kept short: a Unix socket path
    /// must fit in 108 bytes), named `<short>.<control_ext>|<attach_ext>`.
    pub(crate) fn new(
        dir: &Path,
        sockets: &Path,
        short: &str,
        control_ext: &str,
        attach_ext: &str,
    ) -> Self {
        MonitorFiles {
            monitor_config: dir.join("monitor.json"),
            pid_file: dir.join("pidfile"),
            monitor_pid_file: dir.join("monitor.pid"),
            exit_file: dir.join("exit.json"),
            stopping_file: dir.join("stopping"),
            runtime_deleting: dir.join(rpod_proto::RUNTIME_DELETING_FILE),
            control_socket: sockets.join(format!("{short}.{control_ext}")),
            attach_socket: sockets.join(format!("{short}.{attach_ext}")),
        }
    }

    /// A monitor configuration for these files: the runtime, the process
    /// to run and its stdio; every optional feature (log, restart policy,
    /// health check, events, notify, cleanup) off.
    pub(crate) fn monitor_config(
        &self,
        id: &str,
        mode: MonitorMode,
        runtime: &OciRuntime,
        bundle: PathBuf,
        terminal: bool,
        stdin: bool,
    ) -> MonitorConfig {
        MonitorConfig {
            id: id.to_owned(),
            mode,
            runtime: runtime.path.clone(),
            runtime_root: runtime.root.clone(),
            runtime_flags: runtime.flags.clone(),
            bundle,
            terminal,
            stdin,
            log_path: None,
            journald: None,
            log_max_size: None,
            log_max_files: 1,
            socket_path: self.control_socket.clone(),
            attach_path: self.attach_socket.clone(),
            pid_file: self.pid_file.clone(),
            monitor_pid_file: self.monitor_pid_file.clone(),
            exit_file: self.exit_file.clone(),
            cgroup_path: None,
            cleanup_command: Vec::new(),
            delete_on_exit: false,
            restart: None,
            restart_state_file: None,
            healthcheck: None,
            health_state_file: None,
            events: None,
            stop_timeout_secs: None,
            timeout_secs: None,
            stop_signal: None,
            notify: None,
            healthy_notify: None,
            stopping_file: Some(self.stopping_file.clone()),
            held_fds: 0,
            preserve_fds: 0,
            foreground_run: false,
        }
    }

    /// Writes `config` to this monitor's configuration file and starts the
    /// monitor, which then waits at its start gate, handing it `held`: the
    /// published host ports to keep open (`config.held_fds` of them), then
    /// the descriptors it passes into the container (`config.preserve_fds`).
    pub(crate) fn spawn_holding(
        &self,
        config: &MonitorConfig,
        held: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<PendingMonitor, MonitorError> {
        self.start_holding(config, held)?.ready()
    }

    /// [`Self::spawn_holding`] without waiting for the monitor to be ready.
    pub(crate) fn start_holding(
        &self,
        config: &MonitorConfig,
        held: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<monitor::StartingMonitor, MonitorError> {
        let bin = monitor::find_monitor_binary().ok_or(MonitorError::BinaryNotFound)?;
        monitor::start(&bin, config, &self.monitor_config, held)
    }

    /// Removes what a finished monitor leaves: its sockets, pid files and
    /// exit record.
    pub(crate) fn remove(&self) {
        for f in [
            &self.control_socket,
            &self.attach_socket,
            &self.pid_file,
            &self.monitor_pid_file,
            &self.exit_file,
            &self.stopping_file,
            &self.runtime_deleting,
        ] {
            let _ = std::fs::remove_file(f);
        }
    }
}
