//! `System` over the libpod API.

use rpod_api::check::{SystemCheckOptions, SystemCheckReport};
use rpod_api::events::{EventStream, EventsOptions};
use rpod_api::generate::{GenerateSystemdOptions, GenerateSystemdReport};
use rpod_api::info::Info;
use rpod_api::prune::{ContainerPruneOptions, PruneReport, SystemPruneOptions, SystemPruneReport};
use rpod_api::system::SystemDfReport;
use rpod_api::version::SystemVersionReport;
use rpod_api::Result;

use async_trait::async_trait;
use rpod_api::front_door::{System, SystemCheck};

use crate::error::unsupported;
use crate::ops::seg;
use crate::query::with_query;
use crate::RemoteEngine;

#[async_trait]
impl System for RemoteEngine {
    async fn system_info(&self) -> Result<Info> {
        self.info().await
    }

    async fn system_version(&self) -> Result<SystemVersionReport> {
        self.version().await
    }

    async fn system_events(&self, options: EventsOptions) -> Result<Box<dyn EventStream>> {
        self.events(options).await
    }

    async fn system_df(&self) -> Result<SystemDfReport> {
        self.transport.get("/system/df").await
    }

    async fn system_prune(&self, options: SystemPruneOptions) -> Result<SystemPruneReport> {
        let q = [
            ("all", options.all.to_string()),
            ("volumes", options.volume.to_string()),
            ("filters", crate::ops::filter_list_json(&options.filters)),
        ];
        self.transport
            .json(hyper::Method::POST, &with_query("/system/prune", &q), None)
            .await
    }

    async fn system_reset(&self) -> Result<()> {
        Err(unsupported("system reset"))
    }

    async fn system_migrate(&self, _new_runtime: Option<String>) -> Result<()> {
        Err(unsupported("system migrate"))
    }

    async fn container_prune(&self, _options: ContainerPruneOptions) -> Result<Vec<PruneReport>> {
        Err(unsupported("container prune"))
    }

    async fn generate_systemd(
        &self,
        name_or_id: &str,
        o: GenerateSystemdOptions,
    ) -> Result<GenerateSystemdReport> {
        let mut q = vec![
            ("useName", o.use_name.to_string()),
            ("new", o.new.to_string()),
            ("noHeader", o.no_header.to_string()),
            ("restartPolicy", o.restart_policy),
            ("containerPrefix", o.container_prefix),
            ("podPrefix", o.pod_prefix),
            ("separator", o.separator),
        ];
        if let Some(t) = o.stop_timeout {
            q.push(("stopTimeout", t.to_string()));
        }
        let path = with_query(&format!("/generate/{}/systemd", seg(name_or_id)), &q);
        Ok(GenerateSystemdReport {
            units: self.transport.get(&path).await?,
        })
    }
}

#[async_trait]
impl SystemCheck for RemoteEngine {
    async fn system_check(&self, _options: SystemCheckOptions) -> Result<SystemCheckReport> {
        Err(unsupported("system check"))
    }
}
