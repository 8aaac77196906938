//! The steps a pod takes around its members' own operations, given to
//! every container handle as its [`Orchestration`] (the container module
//! never calls into pods): before a member starts, its pod's infra
//! container and the containers it requires are started, under the pod's
//! lock, by the pod's actor; after a member exited, the pod's exit policy
//! is applied.

use std::sync::Arc;

use async_trait::async_trait;

use super::{ExitPolicy, PodError};
use crate::container::{ContainerError, Orchestration};
use crate::engine::WeakEngine;
use crate::state::ContainerRecord;

/// The pods' orchestration of the containers of `engine`.
pub(crate) fn orchestration(engine: WeakEngine) -> Arc<dyn Orchestration> {
    Arc::new(Pods { engine })
}

struct Pods {
    engine: WeakEngine,
}

#[async_trait]
impl Orchestration for Pods {
    async fn before_start(&self, rec: &ContainerRecord) -> Result<(), ContainerError> {
        if let Some(m) = &rec.options.pod {
            let engine = self.engine.upgrade().ok_or(ContainerError::ActorGone)?;
            if let Some(pod) = engine.ctx().db.pod_by_id(&m.pod_id)? {
                // The pod's limits hold before any member runs in its cgroup.
                super::cgroup::apply_limits(&pod.id, &pod.options.resources)
                    .map_err(|e| ContainerError::Dependency(Box::new(e)))?;
            }
        }
        let member = rec.options.pod.as_ref().filter(|m| !m.infra);
        if member.is_none() && rec.options.requires.is_empty() {
            return Ok(());
        }
        let engine = self.engine.upgrade().ok_or(ContainerError::ActorGone)?;
        let Some(m) = member else {
            return super::actor::start_requirements(&engine, rec, None).await;
        };
        let Some(pod) = engine.ctx().db.pod_by_id(&m.pod_id)? else {
            return Ok(());
        };
        engine
            .pod_actor(&pod)
            .start_dependencies_of(&rec.id)
            .await
            .map_err(into_container_error)
    }

    async fn after_exit(&self, rec: &ContainerRecord) {
        let Some(m) = rec.options.pod.as_ref().filter(|m| !m.infra) else {
            return;
        };
        let Some(engine) = self.engine.upgrade() else {
            return;
        };
        let pod = match engine.ctx().db.pod_by_id(&m.pod_id) {
            Ok(Some(p)) => p,
            _ => return,
        };
        if pod.options.exit_policy != ExitPolicy::Stop {
            return;
        }
        if let Err(e) = engine.pod_actor(&pod).apply_exit_policy().await {
            tracing::warn!(pod = %pod.id, "applying the exit policy: {e}");
        }
    }
}

/// A pod's failure as the failure of the member's start: container, state,
/// lock and storage errors as themselves, the pod's own as its source.
fn into_container_error(e: PodError) -> ContainerError {
    match e {
        PodError::Container(e) => e,
        PodError::State(e) => e.into(),
        PodError::Lock(e) => e.into(),
        PodError::Storage(e) => e.into(),
        other => ContainerError::Dependency(Box::new(other)),
    }
}

/// Whether a member is a regular one (neither infra nor init container).
pub fn is_regular(rec: &ContainerRecord) -> bool {
    rec.options
        .pod
        .as_ref()
        .is_none_or(|m| !m.infra && m.init_ctr.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_errors_keep_their_type_through_a_member_start() {
        let e = into_container_error(PodError::Container(ContainerError::NotFound("x".into())));
        assert!(matches!(e, ContainerError::NotFound(_)));
        let e = into_container_error(PodError::StateImproper("pod p is being removed".into()));
        let ContainerError::Dependency(source) = &e else {
            panic!("{e:?}")
        };
        assert!(source.downcast_ref::<PodError>().is_some());
        let api: rpod_api::Error = e.into();
        assert_eq!(api.kind, rpod_api::ErrorKind::InvalidState);
        assert_eq!(
            api.message,
            "pod p is being removed: container state improper"
        );
    }
}
