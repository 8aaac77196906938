//! [`rpod_api::front_door::ContainerRun`] for the local engine: `create`
//! ([`create`]), `run`, `start --attach`, `attach` and `exec`, attached
//! through the monitor ([`session`]).

mod create;
mod namespaces;
pub(crate) mod network;
pub(crate) mod options;
mod proxy_env;
mod rootfs;
mod sdnotify;
pub(crate) mod session;
pub(crate) mod userns;
mod volumes;

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use rpod_api::container_run::{
    AttachOptions, AttachSession, CreateReport, CreateSpec, ExecOptions, RunSpec, SessionInfo,
    StartAttachOptions,
};
use rpod_api::front_door::container_run::RunStarted;
use rpod_api::front_door::images::ProgressSink;
use rpod_api::front_door::ContainerRun;
use rpod_api::{Error, ErrorKind, Result};

use super::LocalEngine;
use crate::container::{ContainerError, ContainerHandle, ContainerPaths};
use crate::engine::Engine;
use crate::state::ContainerState;
use session::{discard, CleanupBy, MonitorSession};

use crate::front_door::error::run_start_failure;

#[async_trait]
impl ContainerRun for LocalEngine {
    async fn container_create(
        &self,
        spec: CreateSpec,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<CreateReport> {
        let (handle, warnings) = create::create(self.engine(), spec, progress).await?;
        Ok(CreateReport {
            id: handle.id,
            warnings,
        })
    }

    async fn container_run(
        &self,
        spec: RunSpec,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<RunStarted> {
        let engine = self.engine();
        let remove = spec.create.options.remove;
        let (tty, stdin) = (spec.create.options.tty, spec.create.options.interactive);
        let (handle, warnings) = create::create(engine, spec.create, progress).await?;
        if spec.detach {
            if let Err(e) = handle.start().await {
                if remove {
                    discard(&handle).await;
                }
                return Err(run_start_failure(e.into()));
            }
            sdnotify::notify_ready(engine, &handle).await?;
            return Ok(RunStarted::Detached(CreateReport {
                id: handle.id,
                warnings,
            }));
        }
        let info = SessionInfo {
            id: handle.id.clone(),
            tty,
            stdin,
        };
        match start_attached(
            engine,
            &handle,
            info,
            spec.terminal_size,
            CleanupBy::removing(remove),
        )
        .await
        {
            Ok(mut session) => {
                if remove {
                    session.remove_on_exit(handle);
                }
                Ok(RunStarted::Attached(Box::new(session), warnings))
            }
            Err(e) => {
                if remove {
                    discard(&handle).await;
                }
                Err(run_start_failure(e))
            }
        }
    }

    async fn container_start_attached(
        &self,
        name_or_id: &str,
        options: StartAttachOptions,
    ) -> Result<Box<dyn AttachSession>> {
        let engine = self.engine();
        let handle = engine.container(name_or_id)?;
        let rec = handle.get().await?;
        let info = SessionInfo {
            id: rec.id.clone(),
            tty: rec.options.tty,
            stdin: options.interactive && rec.options.interactive,
        };
        match start_attached(
            engine,
            &handle,
            info,
            options.terminal_size,
            CleanupBy::removing(rec.options.remove),
        )
        .await
        {
            Ok(mut session) => {
                if rec.options.remove {
                    session.remove_on_exit(handle);
                }
                Ok(Box::new(session))
            }
            Err(e) => {
                if rec.options.remove {
                    discard(&handle).await;
                }
                Err(e)
            }
        }
    }

    async fn container_start(&self, name_or_id: &str, skip_running: bool) -> Result<bool> {
        let handle = self.engine().container(name_or_id)?;
        if skip_running && handle.get().await?.state == ContainerState::Running {
            return Ok(false);
        }
        handle.start().await?;
        sdnotify::notify_ready(self.engine(), &handle).await?;
        Ok(true)
    }

    async fn container_attach(
        &self,
        name_or_id: &str,
        options: AttachOptions,
    ) -> Result<Box<dyn AttachSession>> {
        let engine = self.engine();
        let name = target(engine, name_or_id, options.latest)?;
        let handle = engine.container(&name)?;
        let rec = handle.get().await?;
        if rec.state != ContainerState::Running {
            return Err(Error::new(
                ErrorKind::InvalidState,
                "you can only attach to running containers: container state improper",
            ));
        }
        let paths = ContainerPaths::new(engine.config(), &rec.id);
        let info = SessionInfo {
            id: rec.id.clone(),
            tty: rec.options.tty,
            stdin: rec.options.interactive && !options.no_stdin,
        };
        Ok(Box::new(MonitorSession::connect(
            info,
            &paths.monitor.attach_socket,
            &paths.monitor.control_socket,
            options.terminal_size,
            CleanupBy::Monitor,
        )?))
    }

    async fn container_exec(
        &self,
        name_or_id: &str,
        options: ExecOptions,
    ) -> Result<Box<dyn AttachSession>> {
        let engine = self.engine();
        let handle = engine.container(&target(engine, name_or_id, options.latest)?)?;
        let size = options.terminal_size;
        let info = SessionInfo {
            id: handle.id.clone(),
            tty: options.tty,
            stdin: options.interactive,
        };
        let mut exec = handle.exec(exec_options(options)).await?;
        let mut session = MonitorSession::connect(
            info,
            &exec.attach_socket,
            &exec.control_socket,
            None,
            CleanupBy::Monitor,
        )?;
        exec.start()?;
        // The exec's terminal exists only now.
        session.resize(size);
        session.keep_exec(exec);
        Ok(Box::new(session))
    }

    async fn container_exec_detached(
        &self,
        name_or_id: &str,
        options: ExecOptions,
    ) -> Result<String> {
        let engine = self.engine();
        let handle = engine.container(&target(engine, name_or_id, options.latest)?)?;
        Ok(handle.exec(exec_options(options)).await?.start_detached()?)
    }
}

/// Attaches to the container's monitor before its process runs, and starts
/// it. Without a terminal the monitor creates and starts the process in one
/// runtime invocation, the attach made before it does; with one, the
/// container is initialized first so the terminal exists to be sized
/// before the process starts.
async fn start_attached(
    engine: &Engine,
    handle: &ContainerHandle,
    info: SessionInfo,
    size: Option<(u16, u16)>,
    cleanup: CleanupBy,
) -> Result<MonitorSession> {
    if !info.tty {
        let paths = ContainerPaths::new(engine.config(), &handle.id);
        let slot: Arc<Mutex<Option<Result<MonitorSession>>>> = Arc::default();
        let filled = slot.clone();
        let attach = Box::new(move || {
            let session = MonitorSession::connect(
                info,
                &paths.monitor.attach_socket,
                &paths.monitor.control_socket,
                None,
                cleanup,
            );
            let failed = session.as_ref().err().map(ToString::to_string);
            *filled.lock().unwrap_or_else(PoisonError::into_inner) = Some(session);
            match failed {
                None => Ok(()),
                Some(message) => Err(ContainerError::Dependency(message.into())),
            }
        });
        let started = handle.start_with(attach).await;
        let session = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        return match (started, session) {
            (Ok(()), Some(session)) => session,
            (Err(_), Some(Err(e))) => Err(e),
            (Err(e), _) => Err(e.into()),
            // Running already: the attach never ran; init says why not.
            (Ok(()), None) => {
                handle.init().await?;
                Err(Error::new(
                    ErrorKind::InvalidState,
                    "container state improper",
                ))
            }
        };
    }
    handle.init().await?;
    let paths = ContainerPaths::new(engine.config(), &handle.id);
    let session = MonitorSession::connect(
        info,
        &paths.monitor.attach_socket,
        &paths.monitor.control_socket,
        size,
        cleanup,
    )?;
    handle.start().await?;
    Ok(session)
}

/// The container a request names, or the latest one (`--latest`).
fn target(engine: &Engine, name_or_id: &str, latest: bool) -> Result<String> {
    if !latest {
        return Ok(name_or_id.to_owned());
    }
    engine
        .containers()?
        .into_iter()
        .max_by_key(|c| c.created_at)
        .map(|c| c.id)
        .ok_or_else(|| Error::new(ErrorKind::NoSuchContainer, "no such container"))
}

fn exec_options(o: ExecOptions) -> crate::container::ExecOptions {
    crate::container::ExecOptions {
        command: o.command,
        env: o.env,
        workdir: o.workdir,
        user: o.user,
        tty: o.tty,
        interactive: o.interactive,
        preserve_fds: o.preserve_fds,
    }
}
