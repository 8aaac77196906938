//! `stats` over `GET /libpod/containers/stats` (one sample per call; the
//! CPU percentage over the time since the previous sample is worked out
//! here, from the samples' counters, as the local engine does).

use rpod_api::container::ContainerListOptions;
use rpod_api::stats::{ContainerStats, ContainerStatsOptions};
use rpod_api::{Error, Result};

use crate::error::unsupported;
use crate::query::with_query;
use crate::RemoteEngine;

#[derive(serde::Deserialize)]
struct StatsReport {
    #[serde(rename = "Error", default)]
    error: Option<serde_json::Value>,
    #[serde(rename = "Stats", default)]
    stats: Option<Vec<ContainerStats>>,
}

/// CPU percent between `before` and `now` (Podman's `calculateCPUPercent`).
fn cpu_since(now: &ContainerStats, before: &ContainerStats) -> f64 {
    let cpu = now.cpu_nano.saturating_sub(before.cpu_nano) as f64;
    let wall = now.system_nano.saturating_sub(before.system_nano) as f64;
    if wall > 0.0 && cpu > 0.0 {
        cpu / wall * 100.0
    } else {
        0.0
    }
}

impl RemoteEngine {
    pub(crate) async fn stats(&self, o: ContainerStatsOptions) -> Result<Vec<ContainerStats>> {
        if o.latest {
            return Err(unsupported("stats --latest"));
        }
        let names = if o.all {
            let all = ContainerListOptions {
                all: true,
                last: -1,
                ..ContainerListOptions::default()
            };
            self.list(&all).await?.into_iter().map(|c| c.id).collect()
        } else {
            o.names
        };
        let mut q = vec![("stream", "false".to_owned())];
        q.extend(names.into_iter().map(|n| ("containers", n)));
        let report: StatsReport = self
            .transport
            .get(&with_query("/containers/stats", &q))
            .await?;
        if let Some(e) = report.error.filter(|e| !e.is_null()) {
            let message = e.as_str().map_or_else(|| e.to_string(), str::to_owned);
            return Err(Error::other(message));
        }
        let mut stats = report.stats.unwrap_or_default();
        for s in &mut stats {
            // A restarted container's counters start again.
            if let Some(p) = o
                .previous
                .iter()
                .find(|p| p.container_id == s.container_id && p.duration <= s.cpu_nano)
            {
                s.cpu = cpu_since(s, p);
            }
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_over_the_interval() {
        let before = ContainerStats {
            cpu_nano: 1_000,
            system_nano: 10_000,
            ..ContainerStats::default()
        };
        let now = ContainerStats {
            cpu_nano: 1_500,
            system_nano: 11_000,
            ..ContainerStats::default()
        };
        assert!((cpu_since(&now, &before) - 50.0).abs() < 1e-9);
        assert!(cpu_since(&before, &before).abs() < 1e-9);
    }
}
