//! The engine's pod actors: one per pod, started on first use and kept
//! for the engine's lifetime (like its container actors), so every
//! operation on a pod within this engine goes through the same mailbox.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{PodError, PodHandle, PodRecord};
use crate::engine::Engine;

/// Pod actors by pod id.
#[derive(Default)]
pub(crate) struct PodActors {
    actors: Mutex<HashMap<String, PodHandle>>,
}

impl PodActors {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, PodHandle>> {
        self.actors.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Engine {
    /// The actor of the pod `name_or_id`, started on first use.
    pub fn pod(&self, name_or_id: &str) -> Result<PodHandle, PodError> {
        let rec = self
            .ctx()
            .db
            .find_pod(name_or_id)?
            .ok_or_else(|| PodError::NotFound(name_or_id.to_owned()))?;
        Ok(self.pod_actor(&rec))
    }

    /// The pod whose infra container is `ctr` (removing that container
    /// forcibly or with its dependents removes the pod, as Podman).
    pub fn pod_of_infra(&self, ctr: &crate::state::ContainerRecord) -> Option<PodHandle> {
        let m = ctr.options.pod.as_ref().filter(|m| m.infra)?;
        self.pod(&m.pod_id).ok()
    }

    /// The actor of pod `rec`, started on first use.
    pub(crate) fn pod_actor(&self, rec: &PodRecord) -> PodHandle {
        let mut actors = self.pods.lock();
        let handle = actors
            .entry(rec.id.clone())
            .or_insert_with(|| PodHandle::spawn(self.downgrade(), rec));
        handle.clone()
    }

    /// Drops the actor of a removed pod (the registry keeps no ids of pods
    /// that are gone).
    pub(crate) fn forget_pod(&self, id: &str) {
        self.pods.lock().remove(id);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::EngineConfig;
    use crate::engine::Engine;
    use crate::pod::{NewPod, PodOptions};

    #[tokio::test]
    async fn one_actor_per_pod() {
        let dir = tempfile::tempdir().unwrap();
        let config = EngineConfig::load_with_storage(
            Some(dir.path().join("root")),
            Some(dir.path().join("run")),
            Some(dir.path().join("rpod.conf")),
            Default::default(),
        )
        .unwrap();
        let engine = Engine::open(config, "/bin/true".into()).unwrap();
        let pod = engine
            .create_pod(NewPod {
                name: Some("p".into()),
                options: PodOptions::default(),
            })
            .await
            .unwrap();
        let a = engine.pod("p").unwrap();
        let b = engine.pod(&pod.id).unwrap();
        assert!(a.same_actor(&b), "one actor for the pod's name and its id");
        assert!(engine.clone().pod("p").unwrap().same_actor(&a));
        a.remove(false, None).await.unwrap();
        assert!(
            engine.pods.lock().is_empty(),
            "a removed pod's actor is dropped"
        );
        assert!(engine.pod("p").is_err());
    }
}
