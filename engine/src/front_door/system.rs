//! [`rpod_api::front_door::System`] for the local engine.

mod auto_update;
mod check;
mod df;
mod events;
mod generate;
mod generate_pod;
mod host_security;
mod info;
mod prune;
mod reset;
mod times;

use async_trait::async_trait;
use rpod_api::auto_update::{AutoUpdateOptions, AutoUpdateOutcome};
use rpod_api::check::{SystemCheckOptions, SystemCheckReport};
use rpod_api::events::{EventStream, EventsOptions};
use rpod_api::front_door::{System, SystemCheck};
use rpod_api::generate::{GenerateSystemdOptions, GenerateSystemdReport};
use rpod_api::info::Info;
use rpod_api::prune::{ContainerPruneOptions, PruneReport, SystemPruneOptions, SystemPruneReport};
use rpod_api::system::SystemDfReport;
use rpod_api::version::SystemVersionReport;
use rpod_api::{Error, ErrorKind, Result};

pub(crate) use auto_update::check_auto_update_image;
pub use check::StoreChecker;

use super::LocalEngine;

#[async_trait]
impl System for LocalEngine {
    async fn system_info(&self) -> Result<Info> {
        info::info(self.engine()).await
    }

    async fn system_version(&self) -> Result<SystemVersionReport> {
        Ok(info::version_report())
    }

    async fn system_events(&self, options: EventsOptions) -> Result<Box<dyn EventStream>> {
        events::open(self.engine().config(), options)
    }

    async fn system_df(&self) -> Result<SystemDfReport> {
        df::df_report(self.engine())
    }

    async fn system_prune(&self, options: SystemPruneOptions) -> Result<SystemPruneReport> {
        prune::system_prune(self.engine(), &options).await
    }

    async fn system_reset(&self) -> Result<()> {
        reset::system_reset(self.engine()).await
    }

    async fn system_migrate(&self, new_runtime: Option<String>) -> Result<()> {
        if new_runtime.is_some() {
            return Err(Error::new(
                ErrorKind::NotImplemented,
                "--new-runtime is not supported yet (see docs/compatibility.md)",
            ));
        }
        // Opening the engine migrated the database schema (under its lock).
        // Rootless: the next command builds the user namespace again, with
        // the subordinate ids configured now.
        if crate::rootless::is_rootless() {
            crate::rootless::stop_pause_process()
                .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
        }
        Ok(())
    }

    async fn container_prune(&self, options: ContainerPruneOptions) -> Result<Vec<PruneReport>> {
        let filters = prune::PruneFilters::parse(&options.filters)?;
        prune::prune_containers(self.engine(), &filters).await
    }

    async fn generate_systemd(
        &self,
        name_or_id: &str,
        options: GenerateSystemdOptions,
    ) -> Result<GenerateSystemdReport> {
        generate::generate_systemd(self.engine(), name_or_id, &options).await
    }

    async fn auto_update(&self, options: AutoUpdateOptions) -> Result<AutoUpdateOutcome> {
        auto_update::auto_update(self.engine(), &options).await
    }
}

#[async_trait]
impl SystemCheck for LocalEngine {
    async fn system_check(&self, options: SystemCheckOptions) -> Result<SystemCheckReport> {
        let engine = self.engine();
        check::check(
            engine.config().clone(),
            engine.ctx().cleanup_exe.clone(),
            &options,
        )
        .await
    }
}
