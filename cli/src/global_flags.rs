//! Podman's global flags beyond the store paths: what rpod implements
//! (`--storage-driver`, `--storage-opt ''`, `--events-backend file|none`,
//! `--cgroup-manager cgroupfs`, `--tmpdir`, `--out`, `--noout`, `--debug`)
//! and what it recognises and refuses until its issue lands (remote
//! connections, alternative monitors, hooks...).

use std::path::PathBuf;

use clap::Args;

use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Clone, Args)]
pub struct GlobalFlags {
    /// Select which storage driver is used to manage storage of images and containers (overlay, vfs)
    #[arg(long, global = true, value_name = "DRIVER")]
    pub storage_driver: Option<String>,
    /// Used to pass an option to the storage driver
    #[arg(long, global = true, value_name = "OPTION")]
    pub storage_opt: Vec<String>,
    /// Events backend to use (file, none)
    #[arg(long, global = true, value_name = "BACKEND")]
    pub events_backend: Option<String>,
    /// Cgroup manager to use (cgroupfs; systemd: every container start is refused)
    #[arg(long, global = true, value_name = "MANAGER")]
    pub cgroup_manager: Option<String>,
    /// Path to the tmp directory for libpod state content (rpod: where the events file lives)
    #[arg(long, global = true, value_name = "PATH")]
    pub tmpdir: Option<PathBuf>,
    /// Path to default mounts file
    #[arg(long, global = true, value_name = "PATH", hide = true)]
    pub default_mounts_file: Option<PathBuf>,
    /// Path of the configuration directory for networks
    #[arg(long, global = true, value_name = "DIRECTORY")]
    pub network_config_dir: Option<PathBuf>,
    /// Send output (stdout) from rpod to a file
    #[arg(long, global = true, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Do not output to stdout
    #[arg(long, global = true)]
    pub noout: bool,
    /// Docker compatibility, force setting of log-level
    #[arg(short = 'D', long, global = true)]
    pub debug: bool,
    /// URL to access Podman service (CONTAINER_HOST)
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Connection to use for remote Podman service (CONTAINER_CONNECTION)
    #[arg(short = 'c', long, value_name = "NAME")]
    pub connection: Option<String>,
    /// Access remote Podman service
    #[arg(short = 'r', long)]
    pub remote: bool,
    /// Docker's spelling of --connection ("default": the usual choice)
    #[arg(long, value_name = "NAME", hide = true)]
    pub context: Option<String>,
    /// Docker's spelling of --url
    #[arg(short = 'H', long, value_name = "URL", hide = true)]
    pub host: Option<String>,
    /// path to SSH identity file (for remote connections)
    #[arg(long, value_name = "PATH")]
    pub identity: Option<PathBuf>,
    /// Path to a PEM file with the CA bundle to verify the server's certificate against (tcp:// connections)
    #[arg(long, value_name = "PATH")]
    pub tls_ca: Option<PathBuf>,
    /// Path to a PEM file with the TLS client certificate to present to the server
    #[arg(long, value_name = "PATH")]
    pub tls_cert: Option<PathBuf>,
    /// Path to a PEM file with the private key matching --tls-cert
    #[arg(long, value_name = "PATH")]
    pub tls_key: Option<PathBuf>,
    /// define the ssh mode (for remote connections)
    #[arg(long, value_name = "MODE")]
    pub ssh: Option<String>,
    /// Path of the conmon binary
    #[arg(long, global = true, value_name = "PATH")]
    pub conmon: Option<String>,
    /// Add global flags for the container runtime
    #[arg(long, global = true, value_name = "FLAG")]
    pub runtime_flag: Vec<String>,
    /// Set the OCI hooks directory path (may be set multiple times)
    #[arg(long, global = true, value_name = "PATH")]
    pub hooks_dir: Vec<String>,
    /// Load the containers.conf(5) module
    #[arg(long, global = true, value_name = "MODULE")]
    pub module: Vec<String>,
    /// Database backend to use (sqlite)
    #[arg(long, global = true, value_name = "BACKEND")]
    pub db_backend: Option<String>,
    /// Path to the volume directory in which volume data is stored
    #[arg(long, global = true, value_name = "PATH")]
    pub volumepath: Option<PathBuf>,
    /// Enable transient container storage
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub transient_store: Option<bool>,
    /// Path to the image store, different from container storage
    #[arg(long, global = true, value_name = "PATH")]
    pub imagestore: Option<PathBuf>,
    /// Set the CDI spec directory path
    #[arg(long, global = true, value_name = "PATH")]
    pub cdi_spec_dir: Vec<String>,
    /// Output logging information to syslog as well as the console
    #[arg(long, global = true)]
    pub syslog: bool,
    /// Path to the command for configuring the network
    #[arg(long, global = true, value_name = "PATH")]
    pub network_cmd_path: Option<String>,
    /// Options for the pull operation of images (containers-storage options)
    #[arg(long, global = true, value_name = "OPTION")]
    pub pull_option: Vec<String>,
}

impl GlobalFlags {
    /// Whether commands go to a remote service: `rpod-remote`, `--remote`,
    /// `--url`, `--connection`, `CONTAINER_HOST` or `CONTAINER_CONNECTION`.
    pub fn remote_mode(&self) -> bool {
        let invoked_as_remote = std::env::args_os()
            .next()
            .map(std::path::PathBuf::from)
            .and_then(|p| p.file_name().map(|n| n == "rpod-remote"))
            .unwrap_or(false);
        let env_named = ["CONTAINER_HOST", "CONTAINER_CONNECTION"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        invoked_as_remote
            || self.remote
            || self.url.is_some()
            || self.tls_ca.is_some()
            || self.tls_cert.is_some()
            || self.tls_key.is_some()
            || self.connection.is_some()
            || self.context.is_some()
            || self.host.is_some()
            || env_named
    }

    /// Refuses what rpod does not implement, naming the flag (exit 125).
    pub fn check(&self) -> CliResult<()> {
        match self.ssh.as_deref() {
            None | Some("native") => {}
            Some("golang") => {
                return Err(not_yet(
                    "--ssh golang",
                    "rpod connects through the system's ssh: --ssh native",
                ))
            }
            Some(other) => {
                return Err(CliError::usage(format!(
                    "invalid ssh mode {other:?}: use golang or native"
                )))
            }
        }
        if self.context.is_some() && self.connection.is_some() {
            return Err(CliError::usage(
                "use of --connection and --context at the same time is not allowed",
            ));
        }
        if let Some(opt) = self.storage_opt.iter().find(|o| !o.is_empty()) {
            return Err(CliError::usage(format!(
                "--storage-opt {opt:?} is not supported yet: rpod's drivers take no options"
            )));
        }
        match self.cgroup_manager.as_deref() {
            None | Some("cgroupfs") | Some("systemd") => {}
            Some(other) => {
                return Err(CliError::usage(format!(
                    "invalid cgroup manager {other:?}: must be cgroupfs or systemd"
                )))
            }
        }
        match self.db_backend.as_deref() {
            None | Some("sqlite") => {}
            Some("boltdb") => {
                return Err(CliError::usage(
                    "the BoltDB backend is deprecated, no new BoltDB databases can be created",
                ))
            }
            Some(other) => {
                return Err(CliError::usage(format!(
                    "unsupported database backend: {other:?}"
                )))
            }
        }
        let refused: [(&str, bool, &str); 7] = [
            (
                "--network-cmd-path",
                self.network_cmd_path.is_some(),
                "networks (issue 12)",
            ),
            (
                "--conmon",
                self.conmon.is_some(),
                "rpod's monitor is pod-monitor",
            ),
            (
                "--module",
                !self.module.is_empty(),
                "containers.conf modules",
            ),
            (
                "--transient-store",
                self.transient_store == Some(true),
                "transient stores",
            ),
            (
                "--imagestore",
                self.imagestore.is_some(),
                "separate image stores",
            ),
            (
                "--cdi-spec-dir",
                !self.cdi_spec_dir.is_empty(),
                "CDI devices",
            ),
            (
                "--pull-option",
                !self.pull_option.is_empty(),
                "pull options",
            ),
        ];
        if let Some((flag, _, what)) = refused.iter().find(|(_, given, _)| *given) {
            return Err(not_yet(flag, what));
        }
        if self.syslog {
            return Err(not_yet("--syslog", "logging to syslog"));
        }
        Ok(())
    }

    /// `--out FILE` / `--noout`: stdout of the whole process goes to the
    /// file (created or truncated) or to /dev/null, as Podman redirects it.
    pub fn redirect_stdout(&self) -> CliResult<()> {
        let target = match (&self.out, self.noout) {
            (_, true) => PathBuf::from("/dev/null"),
            (Some(p), false) => p.clone(),
            (None, false) => return Ok(()),
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&target)
            .map_err(|e| CliError::usage(format!("opening {}: {e}", target.display())))?;
        nix::unistd::dup2_stdout(&file)
            .map_err(|e| CliError::usage(format!("redirecting stdout: {e}")))?;
        Ok(())
    }
}

fn not_yet(flag: &str, what: &str) -> CliError {
    CliError::usage(format!("{flag} is not supported yet ({what})"))
}
