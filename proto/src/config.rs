//! The monitor's configuration, written by the engine as JSON next to the
//! bundle and named on the monitor's command line (`--config PATH`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum MonitorMode {
    /// `runtime create` the container of `bundle`; the engine runs `start`.
    Create,
    /// `runtime exec --detach --process <process>` into a running container.
    Exec { exec_id: String, process: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorConfig {
    /// Container id (full).
    pub id: String,
    pub mode: MonitorMode,
    /// OCI runtime binary (runc or crun).
    pub runtime: PathBuf,
    /// The runtime's state directory (`--root`), if not its default.
    #[serde(default)]
    pub runtime_root: Option<PathBuf>,
    /// Extra global runtime flags placed before the subcommand.
    #[serde(default)]
    pub runtime_flags: Vec<String>,
    pub bundle: PathBuf,
    /// Allocate a PTY (received on a console socket).
    #[serde(default)]
    pub terminal: bool,
    /// Keep the container's stdin open for attach clients.
    #[serde(default)]
    pub stdin: bool,
    /// k8s-file log; `None` logs nothing (exec sessions).
    #[serde(default)]
    pub log_path: Option<PathBuf>,
    /// `--log-driver journald`: output goes to the journal with these
    /// fields (see [`crate::journal::log_fields`]) instead of a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journald: Option<crate::journal::JournalLogConfig>,
    /// Rotate when the log would exceed this many bytes.
    #[serde(default)]
    pub log_max_size: Option<u64>,
    /// Files kept including the live one; 1 means truncate in place.
    #[serde(default = "one")]
    pub log_max_files: u32,
    /// Control socket (SOCK_STREAM, proto frames).
    pub socket_path: PathBuf,
    /// Attach socket (SOCK_SEQPACKET, see `attach`).
    pub attach_path: PathBuf,
    /// Where the runtime writes the process id.
    pub pid_file: PathBuf,
    /// Where the monitor writes its own pid.
    pub monitor_pid_file: PathBuf,
    /// Exit record, written atomically (temp, fsync, rename).
    pub exit_file: PathBuf,
    /// Cgroup path of the container (as in the OCI spec), used to detect
    /// OOM kills.
    #[serde(default)]
    pub cgroup_path: Option<String>,
    /// Run after the exit record is written (e.g. `rpod container cleanup`).
    #[serde(default)]
    pub cleanup_command: Vec<String>,
    /// Delete the runtime's state (`runtime delete`) after exit. Set for
    /// containers; exec sessions leave the container alone.
    #[serde(default)]
    pub delete_on_exit: bool,
    /// Restart policy enforced after the process exits (containers only).
    #[serde(default)]
    pub restart: Option<crate::restart::RestartConfig>,
    /// Where the restart state is written (atomically) on each restart.
    #[serde(default)]
    pub restart_state_file: Option<PathBuf>,
    /// Health check scheduled while the process runs.
    #[serde(default)]
    pub healthcheck: Option<crate::health::HealthConfig>,
    /// Where the health state is written (atomically) after each check.
    #[serde(default)]
    pub health_state_file: Option<PathBuf>,
    /// Events file and the container's name and image for its events.
    #[serde(default)]
    pub events: Option<crate::events::EventsConfig>,
    /// Seconds the monitor waits after SIGTERM before SIGKILL when a
    /// health check asks it to stop the container.
    #[serde(default)]
    pub stop_timeout_secs: Option<u64>,
    /// `--timeout`: seconds the process may run before the monitor kills
    /// it with SIGKILL and records exit code -1 (conmon's `--timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Signal sent to stop the container (default SIGTERM).
    #[serde(default)]
    pub stop_signal: Option<i32>,
    /// `--sdnotify=container`: the notify socket the monitor binds for the
    /// container and the service manager's socket it relays `READY=1` to.
    #[serde(default)]
    pub notify: Option<NotifyConfig>,
    /// `--sdnotify=healthy`: the service manager's `$NOTIFY_SOCKET` the
    /// monitor sends `READY=1` to when the health check first passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_notify: Option<String>,
    /// Created when the monitor itself starts stopping the container (a
    /// health check's `stop` action), so the engine reports `stopping`.
    #[serde(default)]
    pub stopping_file: Option<PathBuf>,
    /// How many descriptors from [`HELD_FDS_START`] up the monitor
    /// inherits to hold: sockets bound on the container's published host
    /// ports, kept open (close-on-exec) until the container's final exit,
    /// as conmon holds them, so no other program takes those ports.
    #[serde(default)]
    pub held_fds: u32,
    /// How many descriptors after the held ones the monitor passes into the
    /// container on the runtime's first create, as fds 3, 4, ...
    /// (`run --preserve-fds`); restarts by the monitor pass none.
    #[serde(default)]
    pub preserve_fds: u32,
    /// The container's first run may keep the runtime in the foreground
    /// (`runtime run` without `--detach`) when a client holds the cleanup
    /// to remove the container itself (`run --rm` attached): the runtime
    /// then deletes its own state at the exit, sparing a `runtime delete`.
    /// The engine sets it only where nothing needs the state after the
    /// exit: no terminal, no memory limit (the runtime removes the cgroup
    /// that counts OOM kills before the monitor could read it), no pod, no
    /// restart policy, no `--sdnotify=container`.
    #[serde(default)]
    pub foreground_run: bool,
}

/// The first descriptor of [`MonitorConfig::held_fds`] (after the sync
/// socket, fd 3).
pub const HELD_FDS_START: i32 = 4;

/// Name of the file, beside [`MonitorConfig::exit_file`], that is present
/// while the monitor runs the runtime's `delete` of a finished run itself
/// (a client that removes the container holds the cleanup): the engine's
/// removal waits for it to go instead of deleting the state twice.
pub const RUNTIME_DELETING_FILE: &str = "runtime-deleting";

/// Relaying the container's sd_notify readiness (`--sdnotify=container`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyConfig {
    /// Where the monitor binds its SOCK_DGRAM socket (host path, inside a
    /// directory bind-mounted into the container).
    pub socket_path: PathBuf,
    /// The service manager's `$NOTIFY_SOCKET` (a path, or `@name` for an
    /// abstract socket).
    pub outer_socket: String,
}

fn one() -> u32 {
    1
}
