//! One engine instance: configuration, database, image store, and the
//! container actors started in this process.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::EngineConfig;
use crate::container::{actor, ContainerError, ContainerHandle};
use crate::state::{ContainerRecord, Db};
use crate::storage::Store;

/// What every actor of this engine shares.
pub struct EngineCtx {
    pub config: EngineConfig,
    pub db: Db,
    pub store: Store,
    /// `rpod` binary the monitors run for `container cleanup`.
    pub cleanup_exe: PathBuf,
    /// This engine's container actors: one per container.
    pub(crate) actors: actor::Registry,
}

/// Picks the OCI runtime (`requested`, else the configured one, else per
/// host) with its state directory in the run root.
pub fn select_runtime(
    config: &EngineConfig,
    requested: Option<&str>,
) -> Result<crate::runtime::OciRuntime, crate::runtime::RuntimeError> {
    let mut rt = crate::runtime::OciRuntime::select(requested.or(config.runtime.as_deref()), None)?;
    rt.root = Some(config.runtime_state_dir(&rt.name));
    rt.flags = config.runtime_flags_for(&rt.name);
    rt.flags
        .extend(crate::rootless::spec::runtime_flags(&rt.name));
    Ok(rt)
}

/// Cheap to clone: clones share the context and the actor registries.
#[derive(Clone)]
pub struct Engine {
    ctx: Arc<EngineCtx>,
    /// The pod actors, one per pod (see [`crate::pod::registry`]); the
    /// container actors live in the context ([`EngineCtx::actors`]).
    pub(crate) pods: Arc<crate::pod::PodActors>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error("creating {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Engine {
    /// Opens the state and storage under the configured root. `cleanup_exe`
    /// is the rpod binary monitors call back after an exit.
    pub fn open(config: EngineConfig, cleanup_exe: PathBuf) -> Result<Engine, OpenError> {
        for dir in [&config.root, &config.runroot] {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::Dir {
                path: dir.clone(),
                source,
            })?;
        }
        let db = Db::open(&config.static_dir())?;
        let store = Store::open_with_driver(&config.root, config.storage_driver)?
            .with_limits(config.unpack_limits)
            .with_mount_program(config.mount_program.clone());
        Ok(Engine {
            ctx: Arc::new(EngineCtx {
                config,
                db,
                store,
                cleanup_exe,
                actors: actor::Registry::default(),
            }),
            pods: Arc::default(),
        })
    }

    /// A reference that does not keep the engine alive (held by its
    /// actors, which the engine's registries hold).
    pub(crate) fn downgrade(&self) -> WeakEngine {
        WeakEngine {
            ctx: Arc::downgrade(&self.ctx),
            pods: Arc::downgrade(&self.pods),
        }
    }

    pub fn ctx(&self) -> &Arc<EngineCtx> {
        &self.ctx
    }

    pub fn config(&self) -> &EngineConfig {
        &self.ctx.config
    }

    pub fn store(&self) -> &Store {
        &self.ctx.store
    }

    /// The actor of the container `name_or_id`, started on first use.
    /// A leading '/' (Docker's spelling of names) is dropped, as Podman
    /// does; names never contain '/'.
    pub fn container(&self, name_or_id: &str) -> Result<ContainerHandle, ContainerError> {
        let key = name_or_id.strip_prefix('/').unwrap_or(name_or_id);
        let record = self
            .ctx
            .db
            .find_container(key)?
            .ok_or_else(|| ContainerError::NotFound(name_or_id.to_owned()))?;
        let above = crate::pod::orchestration(self.downgrade());
        Ok(actor::spawn(
            self.ctx.clone(),
            record.id,
            record.name,
            above,
        ))
    }

    /// Every container, reconciled with its monitor and exit file.
    pub fn containers(&self) -> Result<Vec<ContainerRecord>, ContainerError> {
        let records = self.ctx.db.list_containers()?;
        let mut out = Vec::with_capacity(records.len());
        for rec in records {
            out.push(crate::container::reconcile::refresh(&self.ctx, rec)?);
        }
        Ok(out)
    }
}

/// An [`Engine`] that may have been dropped.
#[derive(Clone)]
pub(crate) struct WeakEngine {
    ctx: std::sync::Weak<EngineCtx>,
    pods: std::sync::Weak<crate::pod::PodActors>,
}

impl WeakEngine {
    pub(crate) fn upgrade(&self) -> Option<Engine> {
        Some(Engine {
            ctx: self.ctx.upgrade()?,
            pods: self.pods.upgrade()?,
        })
    }
}

impl Engine {
    /// Creates a container from a local image (Podman's `create`): a row in
    /// state `created`; storage and runtime come at `start`. The image must
    /// be present (the CLI pulls missing images first).
    pub async fn create_container(
        &self,
        options: crate::container::ContainerOptions,
        name: Option<String>,
    ) -> Result<ContainerHandle, ContainerError> {
        use crate::container::names;

        // `--rootfs`: no image, the command comes from the command line.
        let image = match options.rootfs {
            Some(_) => None,
            None => Some(
                self.ctx
                    .store
                    .lookup_image_named(&options.image)?
                    .ok_or_else(|| ContainerError::ImageNotFound(options.image.clone()))?,
            ),
        };
        let image_config = match &image {
            Some((image, _)) => self.ctx.store.image_config(image)?,
            None => Vec::new(),
        };
        let command = crate::spec::resolve_command(&options, &image_config)?;
        let runtime = select_runtime(&self.ctx.config, options.runtime.as_deref())?;
        let explicit_name = name.is_some();
        let mut name = match name {
            Some(n) if !names::is_valid_name(&n) => return Err(ContainerError::InvalidName(n)),
            Some(n) => n,
            None => names::random_name(),
        };
        let mut record = ContainerRecord::new_created(
            names::new_id(),
            name.clone(),
            options,
            command,
            runtime.path.display().to_string(),
            crate::container::reconcile::now_nanos(),
        );
        if let Some((image, image_name)) = image {
            record.image_id = image.id;
            record.image_name = image_name;
        }
        // A generated name may collide with an existing one: pick another.
        let mut attempts = 0;
        loop {
            match self.ctx.db.insert_container(&record) {
                Ok(()) => break,
                Err(crate::state::StateError::NameInUse { .. })
                    if !explicit_name && attempts < 32 =>
                {
                    attempts += 1;
                    name = names::random_name();
                    if attempts > 8 {
                        name = format!("{name}_{}", &record.id[..6]);
                    }
                    record.name = name.clone();
                }
                Err(e) => return Err(e.into()),
            }
        }
        crate::fault::point("create.after-insert");
        let inspect_data = self
            .ctx
            .config
            .containers_conf
            .engine
            .events_container_create_inspect_data
            == Some(true);
        crate::events::container_event_with(&self.ctx.config, &record, "create", |e| {
            if inspect_data {
                // The networks are part of the data: record them now (the
                // front door's own registration then finds them, or reports
                // what is wrong with them).
                if let Err(err) = crate::container::network::register(&self.ctx, &record) {
                    tracing::debug!("networks before the create event: {err}");
                }
                let data = crate::container::inspect::inspect_container(&self.ctx, &record);
                match serde_json::to_string(&data) {
                    Ok(json) => e.container_inspect_data = json,
                    Err(err) => tracing::warn!("inspect data of the create event: {err}"),
                }
            }
        });
        self.container(&record.id)
    }
}

#[cfg(test)]
mod tests;
