//! `exec`: a new process in a running container, under its own monitor.

use std::path::PathBuf;

use rpod_proto::{MonitorConfig, MonitorMode};

use super::error::io_err;
use super::lifecycle::runtime_for;
use super::names::new_id;
use super::paths::{ContainerPaths, ExecPaths};
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::monitor::{self, PendingMonitor};
use crate::spec;
use crate::state::{ContainerRecord, ContainerState};

/// What `exec` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    pub command: Vec<String>,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    /// `--preserve-fds`: descriptors 3..3+n pass into the process.
    pub preserve_fds: u32,
}

/// A prepared exec session whose monitor waits at its start gate.
pub struct ExecSession {
    pub exec_id: String,
    pub attach_socket: PathBuf,
    pub control_socket: PathBuf,
    paths: ExecPaths,
    pending: Option<PendingMonitor>,
    /// A detached session's files stay for its monitor.
    detached: bool,
    /// The runtime's name, for its errors.
    runtime: String,
}

pub(crate) fn create(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    options: ExecOptions,
) -> Result<ExecSession, ContainerError> {
    if rec.state != ContainerState::Running {
        return Err(ContainerError::StateImproper(
            "can only create exec sessions on running containers".into(),
        ));
    }
    let cpaths = ContainerPaths::new(&ctx.config, &rec.id);
    let exec_id = new_id();
    let paths = cpaths.exec(&ctx.config, &exec_id);
    std::fs::create_dir_all(&paths.dir).map_err(io_err(&paths.dir))?;
    let container_spec = spec::load_spec(&cpaths.config_json)?;
    let process = spec::process_spec_for_exec(
        &container_spec,
        &options.command,
        &options.env,
        options.workdir.as_deref(),
        options.user.as_deref(),
        &rec.options.group_add,
        options.tty,
    )?;
    let json = serde_json::to_vec(&process).map_err(|e| ContainerError::Io {
        path: paths.process_json.clone(),
        source: e.into(),
    })?;
    std::fs::write(&paths.process_json, json).map_err(io_err(&paths.process_json))?;
    let runtime = runtime_for(ctx, rec)?;
    let config = paths.monitor.monitor_config(
        &rec.id,
        MonitorMode::Exec {
            exec_id: exec_id.clone(),
            process: paths.process_json.clone(),
        },
        &runtime,
        cpaths.run_dir.clone(),
        options.tty,
        options.interactive,
    );
    let preserved = crate::inherited_fds::preserved(options.preserve_fds)
        .map_err(ContainerError::InvalidArgument)?;
    let config = MonitorConfig {
        preserve_fds: options.preserve_fds,
        ..config
    };
    let pending = paths.monitor.spawn_holding(&config, &preserved)?;
    crate::events::container_event(&ctx.config, rec, "exec");
    Ok(ExecSession {
        exec_id,
        attach_socket: paths.monitor.attach_socket.clone(),
        control_socket: paths.monitor.control_socket.clone(),
        paths,
        pending: Some(pending),
        detached: false,
        runtime: super::error::runtime_name(&rec.runtime).to_owned(),
    })
}

impl ExecSession {
    /// Opens the start gate: the runtime runs the process. Returns its pid.
    pub fn start(&mut self) -> Result<i32, ContainerError> {
        let pending = self
            .pending
            .take()
            .ok_or_else(|| ContainerError::StateImproper("exec session already started".into()))?;
        pending.go().map_err(|e| match e {
            monitor::MonitorError::Runtime(msg) => {
                ContainerError::RuntimeFailed(super::error::oci_runtime_error(&self.runtime, &msg))
            }
            other => other.into(),
        })
    }

    /// Starts the process and leaves it to its monitor (`exec -d`).
    pub fn start_detached(mut self) -> Result<String, ContainerError> {
        self.start()?;
        self.detached = true;
        Ok(self.exec_id.clone())
    }
}

impl Drop for ExecSession {
    fn drop(&mut self) {
        // Dropping an unstarted session closes the start gate's socket,
        // which makes its monitor exit. The files are this session's own.
        drop(self.pending.take());
        if !self.detached {
            let _ = std::fs::remove_dir_all(&self.paths.dir);
        }
    }
}
