//! create, run, start, attach, exec: the container's process over an
//! upgraded connection ([`crate::session`]).

use std::sync::Arc;

use hyper::Method;
use rpod_api::container_run::session::TerminalSize;
use rpod_api::container_run::{
    AttachSession, CreateReport, CreateSpec, ExecOptions, PodTarget, PullPolicy, RunSpec,
    SessionInfo,
};
use rpod_api::error::run_start_failure;
use rpod_api::front_door::container_run::RunStarted;
use rpod_api::front_door::images::{ImagePullOptions, ProgressSink};
use rpod_api::{Error, ErrorKind, Result};
use serde::Deserialize;
use serde_json::json;

use super::seg;
use super::spec::spec_generator;
use crate::session::{Process, RemoteSession};
use crate::transport::body;
use crate::RemoteEngine;

#[derive(Deserialize)]
struct IdReport {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Warnings", default)]
    warnings: Vec<String>,
}

/// Whether an attach also starts the container, and for which command:
/// `run` reports a failed start as Podman's `define.ExitCode` (126/127),
/// `start` as any other error (125).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Starting {
    No,
    Start,
    Run,
}

impl RemoteEngine {
    /// The image as the pull policy says, then the container.
    pub(crate) async fn create(
        &self,
        spec: &CreateSpec,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<CreateReport> {
        // `--pod new:NAME`: `--hostname` goes to the new pod (its members
        // see it through the shared UTS namespace), as the local create.
        let mut pod_hostname = None;
        let moved;
        let spec = if matches!(spec.pod, PodTarget::New(_)) {
            let mut s = spec.clone();
            pod_hostname = s.options.hostname.take().filter(|h| !h.is_empty());
            moved = s;
            &moved
        } else {
            spec
        };
        let pod = match &spec.pod {
            PodTarget::Existing(p) | PodTarget::New(p) => Some(p.as_str()),
            _ => None,
        };
        let generator = spec_generator(spec, pod, self.is_rpod_service().await)?;
        let image = &spec.options.image;
        let pull = match spec.pull {
            // A root filesystem directory on the service's host: no image.
            _ if spec.options.rootfs => false,
            PullPolicy::Never => false,
            PullPolicy::Missing => !self.image_exists_remote(image).await?,
            _ => true,
        };
        if pull {
            let options = ImagePullOptions {
                quiet: spec.quiet,
                registry: rpod_api::front_door::images::RegistryOptions {
                    tls_verify: spec.tls_verify,
                    ..spec.pull_registry.clone()
                },
                ..Default::default()
            };
            self.pull(image, &options, if spec.quiet { None } else { progress })
                .await?;
        }
        if spec.replace {
            if let Some(name) = &spec.name {
                let path = format!("/containers/{}?force=true", seg(name));
                if let Err(e) = self.transport.call(Method::DELETE, &path, None).await {
                    if e.kind != ErrorKind::NoSuchContainer {
                        return Err(e);
                    }
                }
            }
        }
        // `--pod new:NAME`: the pod first, removed again if the container
        // cannot be created.
        let new_pod = match &spec.pod {
            PodTarget::New(name) => {
                let pod = rpod_api::front_door::pods::PodSpec {
                    name: Some(name.clone()),
                    hostname: pod_hostname.clone(),
                    ..Default::default()
                };
                Some(self.pod_create_remote(&pod).await?.id)
            }
            _ => None,
        };
        let created = self
            .transport
            .json::<IdReport>(Method::POST, "/containers/create", body(&generator)?)
            .await;
        let r = match (created, new_pod) {
            (Ok(r), _) => r,
            (Err(e), Some(pod_id)) => {
                let options = rpod_api::front_door::pods::PodRmOptions {
                    force: true,
                    ..Default::default()
                };
                if let Err(rm) = self.pod_remove(&[pod_id], &options).await {
                    tracing::warn!("removing the pod made for the container: {rm}");
                }
                return Err(e);
            }
            (Err(e), None) => return Err(e),
        };
        if let Some(path) = &spec.cidfile {
            std::fs::write(path, &r.id)
                .map_err(|e| Error::other(format!("writing the container id to {path}: {e}")))?;
        }
        Ok(CreateReport {
            id: r.id,
            warnings: r.warnings,
        })
    }

    pub(crate) async fn run(
        &self,
        spec: &RunSpec,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<RunStarted> {
        let report = self.create(&spec.create, progress).await?;
        let remove = spec.create.options.remove;
        if spec.detach {
            if let Err(e) = self.start(&report.id).await {
                self.remove_after_failed_start(&report.id, remove).await;
                return Err(run_start_failure(e));
            }
            return Ok(RunStarted::Detached(report));
        }
        let info = SessionInfo {
            id: report.id.clone(),
            tty: spec.create.options.tty,
            stdin: spec.create.options.interactive,
        };
        let session = self
            .attach_then_start(
                info,
                Process::Container { remove },
                Starting::Run,
                spec.terminal_size,
            )
            .await;
        match session {
            Ok(s) => Ok(RunStarted::Attached(s, report.warnings)),
            Err(e) => {
                self.remove_after_failed_start(&report.id, remove).await;
                Err(e)
            }
        }
    }

    async fn remove_after_failed_start(&self, id: &str, remove: bool) {
        if remove {
            let path = format!("/containers/{}?force=true", seg(id));
            if let Err(e) = self.transport.call(Method::DELETE, &path, None).await {
                tracing::debug!("removing {id}: {e}");
            }
        }
    }

    /// `start`: true when started, false when it already ran (304).
    pub(crate) async fn start(&self, name: &str) -> Result<bool> {
        let path = format!("/containers/{}/start", seg(name));
        let (status, _) = self.transport.call(Method::POST, &path, None).await?;
        Ok(status != 304)
    }

    /// Attaches (the service holds the attach until the start when the
    /// container does not run yet), then starts when asked.
    pub(crate) async fn attach_then_start(
        &self,
        info: SessionInfo,
        process: Process,
        starting: Starting,
        size: Option<TerminalSize>,
    ) -> Result<Box<dyn AttachSession>> {
        let path = format!(
            "/containers/{}/attach?stream=true&stdout=true&stderr=true&stdin={}",
            seg(&info.id),
            info.stdin
        );
        let upgraded = self.transport.upgrade(Method::POST, &path, None).await?;
        let wait_path = format!("/containers/{}/wait?condition=stopped", seg(&info.id));
        let wait = self
            .transport
            .send(Method::POST, &wait_path, None, false)
            .await?;
        let session = RemoteSession::new(
            info.clone(),
            process,
            self.transport.clone(),
            upgraded,
            Some(wait),
        );
        match starting {
            Starting::No => {}
            Starting::Start => {
                self.start(&info.id).await?;
            }
            Starting::Run => {
                self.start(&info.id).await.map_err(run_start_failure)?;
            }
        }
        if let Some(size) = size.filter(|_| info.tty) {
            let (transport, path) = session.resize_request(size);
            transport.call(Method::POST, &path, None).await?;
        }
        Ok(Box::new(session))
    }

    /// The session of an existing container (`attach`, `start --attach`).
    pub(crate) async fn attach_existing(
        &self,
        name: &str,
        stdin: bool,
        start: bool,
        size: Option<TerminalSize>,
    ) -> Result<Box<dyn AttachSession>> {
        let d = self.inspect_one(name, false).await?;
        let config = d.config.clone().unwrap_or_default();
        if !start && !d.state.as_ref().is_some_and(|s| s.running || s.paused) {
            return Err(Error::new(
                ErrorKind::InvalidState,
                "you can only attach to running containers",
            ));
        }
        let info = SessionInfo {
            id: d.id.clone(),
            tty: config.tty,
            stdin: stdin && config.open_stdin,
        };
        let starting = if start { Starting::Start } else { Starting::No };
        self.attach_then_start(info, Process::Container { remove: false }, starting, size)
            .await
    }

    async fn exec_create(&self, name: &str, o: &ExecOptions) -> Result<String> {
        if o.latest {
            return Err(crate::error::unsupported("--latest"));
        }
        let b = json!({
            "AttachStdin": o.interactive,
            "AttachStdout": true,
            "AttachStderr": true,
            "Tty": o.tty,
            "Cmd": o.command,
            "Env": o.env,
            "WorkingDir": o.workdir.clone().unwrap_or_default(),
            "User": o.user.clone().unwrap_or_default(),
        });
        let r: IdReport = self
            .transport
            .json(
                Method::POST,
                &format!("/containers/{}/exec", seg(name)),
                body(&b)?,
            )
            .await?;
        Ok(r.id)
    }

    pub(crate) async fn exec(&self, name: &str, o: &ExecOptions) -> Result<Box<dyn AttachSession>> {
        let exec_id = self.exec_create(name, o).await?;
        let mut b = json!({"Detach": false, "Tty": o.tty});
        if let Some((rows, cols)) = o.terminal_size {
            b["h"] = json!(rows);
            b["w"] = json!(cols);
        }
        let path = format!("/exec/{}/start", seg(&exec_id));
        let upgraded = self
            .transport
            .upgrade(Method::POST, &path, body(&b)?)
            .await?;
        let info = SessionInfo {
            id: name.to_owned(),
            tty: o.tty,
            stdin: o.interactive,
        };
        Ok(Box::new(RemoteSession::new(
            info,
            Process::Exec(exec_id),
            self.transport.clone(),
            upgraded,
            None,
        )))
    }

    pub(crate) async fn exec_detached(&self, name: &str, o: &ExecOptions) -> Result<String> {
        let exec_id = self.exec_create(name, o).await?;
        let path = format!("/exec/{}/start", seg(&exec_id));
        self.transport
            .call(Method::POST, &path, body(&json!({"Detach": true}))?)
            .await?;
        Ok(exec_id)
    }
}
