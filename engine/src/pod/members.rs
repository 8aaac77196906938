//! What a pod member needs from its pod: the infra container's namespaces
//! to join at start, its dependencies started first, and the pod's exit
//! policy applied after it exits.

use std::path::PathBuf;
use std::sync::Arc;

use oci_spec::runtime::LinuxNamespaceType;

use super::{PodError, PodHandle, PodRecord};
use crate::container::ContainerError;
use crate::engine::EngineCtx;
use crate::state::{ContainerRecord, ContainerState};

/// Namespace names of `--share` and their OCI types.
const NAMESPACES: &[(&str, LinuxNamespaceType)] = &[
    ("cgroup", LinuxNamespaceType::Cgroup),
    ("ipc", LinuxNamespaceType::Ipc),
    ("net", LinuxNamespaceType::Network),
    ("pid", LinuxNamespaceType::Pid),
    ("uts", LinuxNamespaceType::Uts),
];

/// The namespaces a member joins: `/proc/<infra pid>/ns/<ns>` for each
/// namespace its pod shares. Empty for containers outside pods and for
/// infra containers. The infra container must be running.
pub fn joined_namespaces(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
) -> Result<Vec<(LinuxNamespaceType, PathBuf)>, ContainerError> {
    let Some(m) = rec.options.pod.as_ref().filter(|m| !m.infra) else {
        return Ok(Vec::new());
    };
    let pod = ctx.db.pod_by_id(&m.pod_id)?.ok_or_else(|| {
        ContainerError::StateImproper(format!(
            "the pod {} of container {} is gone",
            m.pod_id, rec.id
        ))
    })?;
    let Some(infra_id) = pod.infra_id.as_deref().filter(|_| pod.options.infra) else {
        return Ok(Vec::new());
    };
    let infra = crate::container::lifecycle::load(ctx, infra_id)?;
    if !matches!(infra.state, ContainerState::Running) || infra.pid <= 0 {
        return Err(ContainerError::StateImproper(format!(
            "the infra container {} of pod {} is {}, not running: start the pod first",
            infra.short_id(),
            pod.name,
            infra.state.as_str()
        )));
    }
    Ok(NAMESPACES
        .iter()
        .filter(|(name, _)| pod.options.shares(name))
        .map(|(name, typ)| {
            (
                *typ,
                PathBuf::from(format!("/proc/{}/ns/{name}", infra.pid)),
            )
        })
        .collect())
}

/// Before container `id` starts: its pod's infra and the containers it
/// `--requires` (transitively) are started, in order, under the pod's
/// lock. Nothing to do for containers without pod or dependencies.
pub(crate) async fn start_dependencies(
    ctx: &Arc<EngineCtx>,
    id: &str,
) -> Result<(), ContainerError> {
    let Some(rec) = ctx.db.container_by_id(id)? else {
        return Ok(());
    };
    match rec.options.pod.as_ref().filter(|m| !m.infra) {
        Some(m) => {
            let Some(pod) = ctx.db.pod_by_id(&m.pod_id)? else {
                return Ok(());
            };
            PodHandle::spawn(ctx.clone(), &pod)
                .start_dependencies_of(id)
                .await
                .map_err(into_container_error)
        }
        None if !rec.options.requires.is_empty() => {
            super::actor::start_requirements(ctx, &rec, None).await
        }
        None => Ok(()),
    }
}

fn into_container_error(e: PodError) -> ContainerError {
    match e {
        PodError::Container(e) => e,
        PodError::State(e) => e.into(),
        PodError::Lock(e) => e.into(),
        PodError::Storage(e) => e.into(),
        other => ContainerError::Dependency(Box::new(other)),
    }
}

/// The pod of container `id`, read before it may be removed (`--rm`).
pub(crate) fn pod_of(ctx: &EngineCtx, id: &str) -> Option<String> {
    let rec = ctx.db.container_by_id(id).ok()??;
    rec.options.pod.filter(|m| !m.infra).map(|m| m.pod_id)
}

/// After a member exited and was cleaned up: with `--exit-policy stop`,
/// stops the pod once no regular member runs any more. Failures are only
/// logged: the member's own cleanup has succeeded.
pub(crate) async fn member_exited(ctx: &Arc<EngineCtx>, pod_id: Option<String>) {
    let Some(pod_id) = pod_id else { return };
    let pod: PodRecord = match ctx.db.pod_by_id(&pod_id) {
        Ok(Some(p)) => p,
        _ => return,
    };
    if pod.options.exit_policy != super::ExitPolicy::Stop {
        return;
    }
    if let Err(e) = PodHandle::spawn(ctx.clone(), &pod)
        .apply_exit_policy()
        .await
    {
        tracing::warn!(pod = %pod.id, "applying the exit policy: {e}");
    }
}

/// Whether a member is a regular one (neither infra nor init container).
pub fn is_regular(rec: &ContainerRecord) -> bool {
    rec.options
        .pod
        .as_ref()
        .is_none_or(|m| !m.infra && m.init_ctr.is_none())
}
