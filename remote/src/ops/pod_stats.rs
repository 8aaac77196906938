//! `pod top` and `pod stats` over `GET /libpod/pods/{name}/top` and
//! `GET /libpod/pods/stats` (one sample a call; the CLI asks again to
//! stream).

use rpod_api::container::StringSliceReport;
use rpod_api::front_door::pods::PodTopOptions;
use rpod_api::stats::{PodStatsOptions, PodStatsReport};
use rpod_api::Result;

use super::pods::pod_error;
use super::seg;
use crate::error::unsupported;
use crate::query::with_query;
use crate::RemoteEngine;

impl RemoteEngine {
    pub(crate) async fn pod_top_remote(&self, o: &PodTopOptions) -> Result<StringSliceReport> {
        if o.latest {
            return Err(unsupported("pod top --latest"));
        }
        #[derive(serde::Deserialize)]
        struct Top {
            #[serde(rename = "Titles", default)]
            titles: Vec<String>,
            #[serde(rename = "Processes", default)]
            processes: Option<Vec<Vec<String>>>,
        }
        let mut q = vec![("stream", "false".to_owned())];
        if !o.descriptors.is_empty() {
            q.push(("ps_args", o.descriptors.join(",")));
        }
        let path = with_query(&format!("/pods/{}/top", seg(&o.name_or_id)), &q);
        let top: Top = self.transport.get(&path).await.map_err(pod_error)?;
        let mut value = vec![top.titles.join("\t")];
        value.extend(
            top.processes
                .unwrap_or_default()
                .iter()
                .map(|p| p.join("\t")),
        );
        Ok(StringSliceReport { value })
    }

    pub(crate) async fn pod_stats_remote(
        &self,
        o: &PodStatsOptions,
    ) -> Result<Vec<PodStatsReport>> {
        if o.latest {
            return Err(unsupported("pod stats --latest"));
        }
        let mut q: Vec<(&str, String)> =
            o.names.iter().map(|n| ("namesOrIDs", n.clone())).collect();
        q.push(("all", o.all.to_string()));
        q.push(("stream", "false".to_owned()));
        let reports: Option<Vec<PodStatsReport>> = self
            .transport
            .get(&with_query("/pods/stats", &q))
            .await
            .map_err(pod_error)?;
        Ok(reports.unwrap_or_default())
    }
}
