//! The engine as a whole: info, version, events, system df/check/reset/prune,
//! generate systemd.

use async_trait::async_trait;

use crate::auto_update::{AutoUpdateOptions, AutoUpdateOutcome};
use crate::check::{SystemCheckOptions, SystemCheckReport};
use crate::events::{EventStream, EventsOptions};
use crate::generate::{GenerateSystemdOptions, GenerateSystemdReport};
use crate::info::Info;
use crate::prune::{ContainerPruneOptions, PruneReport, SystemPruneOptions, SystemPruneReport};
use crate::system::SystemDfReport;
use crate::version::SystemVersionReport;
use crate::{Error, ErrorKind, Result};

/// Podman's `Info`, `Version`, `Events`, `System*` operations, and
/// `generate systemd`.
///
/// `container_prune` lives here rather than in
/// [`Containers`](super::Containers): it is the container part of
/// `system prune` and shares its filters and its walk over the store.
#[async_trait]
pub trait System: SystemCheck + Send + Sync {
    /// `info`: the host, the store and the engine's version.
    async fn system_info(&self) -> Result<Info>;

    /// `version`: the engine's version (`Server` only for remote engines).
    async fn system_version(&self) -> Result<SystemVersionReport>;

    /// `events`: a read of the events the options select. Invalid filters
    /// and timestamps, and an engine that keeps no events (the `none`
    /// backend), fail here, before the first event.
    async fn system_events(&self, options: EventsOptions) -> Result<Box<dyn EventStream>>;

    /// `system df`: the disk usage of images, containers and volumes.
    async fn system_df(&self) -> Result<SystemDfReport>;

    /// `system prune`: pods none of whose containers runs, stopped
    /// containers, and dangling (with `all`: unused) images.
    async fn system_prune(&self, options: SystemPruneOptions) -> Result<SystemPruneReport>;

    /// `system reset`: every container, image, and the events; the root and
    /// run root are emptied.
    async fn system_reset(&self) -> Result<()>;

    /// `system migrate`: opening the engine migrated the database schema;
    /// `new_runtime` (not supported yet) would change every container's
    /// runtime.
    async fn system_migrate(&self, new_runtime: Option<String>) -> Result<()>;

    /// `container prune`: removes every container that is not running (a
    /// pod's infra container goes with its pod, never alone); the reports
    /// carry the bytes their writable layers held.
    async fn container_prune(&self, options: ContainerPruneOptions) -> Result<Vec<PruneReport>>;

    /// `generate systemd`: the units that run the container (or the pod
    /// and its members) `name_or_id` as services.
    async fn generate_systemd(
        &self,
        name_or_id: &str,
        options: GenerateSystemdOptions,
    ) -> Result<GenerateSystemdReport>;

    /// `auto-update`: checks (and unless a dry run, applies) the updates of
    /// containers labelled `io.containers.autoupdate`, restarting their
    /// systemd units. Local engines only, as Podman's (ABI mode).
    async fn auto_update(&self, options: AutoUpdateOptions) -> Result<AutoUpdateOutcome> {
        let _ = options;
        Err(Error::new(
            ErrorKind::NotImplemented,
            "auto-update is not supported in remote mode",
        ))
    }
}

/// `system check`, on its own because it must work when the engine cannot
/// open (a damaged database is one of the things it finds and repairs): the
/// local engine offers it without opening its state.
#[async_trait]
pub trait SystemCheck: Send + Sync {
    /// `system check`: reports (and with `repair` fixes) inconsistencies.
    async fn system_check(&self, options: SystemCheckOptions) -> Result<SystemCheckReport>;
}
