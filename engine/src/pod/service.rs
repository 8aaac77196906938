//! Service containers (`kube play --service-container`): a container
//! running the infra image's `catatonit -P`, without a network, whose
//! lifetime is that of the pods that name it. It is started with the first
//! of its pods, stopped once all of them stopped (SIGINT, or SIGKILL as the
//! exit-code propagation asks, so its exit code tells systemd whether the
//! workload failed), refused to `rm` while one of them exists, and removed
//! with the last one. Which pods a service container has is read from the
//! pods' own options (`service_container`), never stored twice.

use serde::{Deserialize, Serialize};

use super::records::PodRecord;
use super::PodError;
use crate::container::{ContainerError, ContainerHandle, ContainerOptions, NetworkMode};
use crate::engine::{Engine, EngineCtx};
use crate::state::ContainerState;

/// `--service-exit-code-propagation`: how the workload's exit codes become
/// the service container's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitCodePropagation {
    /// The service container exits cleanly whatever its pods did.
    #[default]
    None,
    /// It is killed if any workload container exited non-zero.
    Any,
    /// It is killed if every workload container exited non-zero.
    All,
}

impl ExitCodePropagation {
    /// Podman's values; empty is `none`.
    pub fn parse(s: &str) -> Result<Self, PodError> {
        match s {
            "" | "none" => Ok(ExitCodePropagation::None),
            "any" => Ok(ExitCodePropagation::Any),
            "all" => Ok(ExitCodePropagation::All),
            other => Err(PodError::InvalidArg(format!(
                "unsupported exit-code propagation {other:?}"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExitCodePropagation::None => "none",
            ExitCodePropagation::Any => "any",
            ExitCodePropagation::All => "all",
        }
    }

    /// The signal that ends the service container, given how many
    /// workload containers there were and how many of them failed.
    pub fn signal(self, containers: usize, failed: usize) -> i32 {
        let kill = match self {
            ExitCodePropagation::None => false,
            ExitCodePropagation::Any => failed > 0,
            ExitCodePropagation::All => containers > 0 && failed == containers,
        };
        if kill {
            libc::SIGKILL
        } else {
            // catatonit exits cleanly on SIGINT.
            libc::SIGINT
        }
    }
}

/// Stop timeout of a service container, as Podman's (containers.conf's
/// engine default).
const STOP_TIMEOUT: u64 = 10;

impl Engine {
    /// Creates a service container named `name` (an existing container of
    /// that name is removed first with `replace`).
    pub async fn create_service_container(
        &self,
        name: &str,
        propagation: ExitCodePropagation,
        replace: bool,
    ) -> Result<String, PodError> {
        if replace {
            match self.container(name) {
                Ok(h) => match h.remove(true, Some(0)).await {
                    Ok(()) | Err(ContainerError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                },
                Err(ContainerError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let root = super::infra_rootfs::infra_root(&self.ctx().config.runroot)?;
        let options = ContainerOptions {
            rootfs: Some(root.rootfs),
            mounts: vec![root.catatonit],
            entrypoint: Some(root.entrypoint),
            network: NetworkMode::None,
            read_only: true,
            stop_timeout: Some(STOP_TIMEOUT),
            service: Some(propagation),
            ..Default::default()
        };
        let h = self
            .create_container(options, Some(name.to_owned()))
            .await?;
        Ok(h.id)
    }
}

/// The pods whose service container is `ctr_id`.
pub fn pods_of(ctx: &EngineCtx, ctr_id: &str) -> Result<Vec<PodRecord>, PodError> {
    Ok(ctx
        .db
        .list_pods()?
        .into_iter()
        .filter(|p| p.options.service_container.as_deref() == Some(ctr_id))
        .collect())
}

/// Why service container `ctr_id` cannot be removed alone: the pods that
/// still name it (Podman's message).
pub fn removal_refused(ctx: &EngineCtx, ctr_id: &str) -> Result<Option<String>, PodError> {
    let pods = pods_of(ctx, ctr_id)?;
    if pods.is_empty() {
        return Ok(None);
    }
    let ids: Vec<&str> = pods.iter().map(|p| p.id.as_str()).collect();
    Ok(Some(format!(
        "container {ctr_id} is the service container of pod(s) {} and cannot be removed without removing the pod(s)",
        ids.join(",")
    )))
}

fn live(s: ContainerState) -> bool {
    matches!(
        s,
        ContainerState::Running | ContainerState::Paused | ContainerState::Stopping
    )
}

/// The pod's service container, if it has one that still exists.
fn service_of(engine: &Engine, pod: &PodRecord) -> Result<Option<ContainerHandle>, PodError> {
    let Some(id) = &pod.options.service_container else {
        return Ok(None);
    };
    match engine.container(id) {
        Ok(h) => Ok(Some(h)),
        Err(ContainerError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Starts the pod's service container unless it runs.
pub(crate) async fn maybe_start(engine: &Engine, pod: &PodRecord) -> Result<(), PodError> {
    let Some(h) = service_of(engine, pod)? else {
        return Ok(());
    };
    let rec = h.get().await?;
    if live(rec.state) {
        return Ok(());
    }
    Ok(h.start_alone().await?)
}

/// Stops the pod's service container once none of its pods has a live
/// container, with the signal its exit-code propagation asks for.
pub(crate) async fn maybe_stop(engine: &Engine, pod: &PodRecord) -> Result<(), PodError> {
    let Some(h) = service_of(engine, pod)? else {
        return Ok(());
    };
    let id = &h.id;
    let svc = h.get().await?;
    if !live(svc.state) {
        return Ok(());
    }
    let (mut containers, mut failed) = (0, 0);
    for p in pods_of(engine.ctx(), id)? {
        for rec in engine.pod_members(&p.id)? {
            if live(rec.state) {
                tracing::debug!(pod = %p.id, "service {id}: pod still runs");
                return Ok(());
            }
            if rec.options.pod.as_ref().is_some_and(|m| m.infra) {
                continue;
            }
            containers += 1;
            if rec.exit_code.is_some_and(|c| c != 0) {
                failed += 1;
            }
        }
    }
    let propagation = svc.options.service.unwrap_or_default();
    let signal = propagation.signal(containers, failed);
    tracing::debug!("stopping service container {id} with signal {signal}");
    match h.kill(signal).await {
        Ok(()) | Err(ContainerError::NotFound(_)) | Err(ContainerError::StateImproper(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Removes the pod's service container once no pod names it (called after
/// the pod's row is gone).
pub(crate) async fn maybe_remove(engine: &Engine, pod: &PodRecord) -> Result<(), PodError> {
    let Some(h) = service_of(engine, pod)? else {
        return Ok(());
    };
    if !pods_of(engine.ctx(), &h.id)?.is_empty() {
        return Ok(());
    }
    match h.remove(true, Some(0)).await {
        Ok(()) | Err(ContainerError::NotFound(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagation_values_and_signals() {
        assert_eq!(
            ExitCodePropagation::parse("").ok(),
            Some(ExitCodePropagation::None)
        );
        assert_eq!(
            ExitCodePropagation::parse("any").ok(),
            Some(ExitCodePropagation::Any)
        );
        let e = ExitCodePropagation::parse("some")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("unsupported exit-code propagation \"some\"")
        );
        assert_eq!(ExitCodePropagation::None.signal(2, 2), libc::SIGINT);
        assert_eq!(ExitCodePropagation::Any.signal(2, 1), libc::SIGKILL);
        assert_eq!(ExitCodePropagation::Any.signal(2, 0), libc::SIGINT);
        assert_eq!(ExitCodePropagation::All.signal(2, 1), libc::SIGINT);
        assert_eq!(ExitCodePropagation::All.signal(2, 2), libc::SIGKILL);
        assert_eq!(ExitCodePropagation::All.signal(0, 0), libc::SIGINT);
    }
}
