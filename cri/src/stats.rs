//! `ContainerStats` and `ListContainerStats`: the front door's container
//! stats (cgroup CPU time and memory usage) in CRI's shape.

use k8s_cri::v1 as cri;
use rpod_api::stats::ContainerStatsOptions;
use tonic::Status;

use crate::container;
use crate::serve::Shared;
use crate::status::from_api;

const RUNNING: i32 = cri::ContainerState::ContainerRunning as i32;

/// CRI's stats of one container from rpod's.
fn convert(
    c: &cri::Container,
    s: &rpod_api::stats::ContainerStats,
    now: i64,
) -> cri::ContainerStats {
    let value = |v: u64| Some(cri::UInt64Value { value: v });
    cri::ContainerStats {
        attributes: Some(cri::ContainerAttributes {
            id: c.id.clone(),
            metadata: c.metadata.clone(),
            labels: c.labels.clone(),
            annotations: c.annotations.clone(),
        }),
        cpu: Some(cri::CpuUsage {
            timestamp: now,
            usage_core_nano_seconds: value(s.cpu_nano),
            usage_nano_cores: None,
        }),
        memory: Some(cri::MemoryUsage {
            timestamp: now,
            usage_bytes: value(s.mem_usage),
            available_bytes: (s.mem_limit > s.mem_usage).then(|| cri::UInt64Value {
                value: s.mem_limit - s.mem_usage,
            }),
            ..Default::default()
        }),
        writable_layer: None,
        swap: None,
    }
}

/// Stats of the running CRI containers among `containers`.
async fn collect(
    s: &Shared,
    containers: Vec<cri::Container>,
) -> Result<Vec<cri::ContainerStats>, Status> {
    let running: Vec<cri::Container> = containers
        .into_iter()
        .filter(|c| c.state == RUNNING)
        .collect();
    if running.is_empty() {
        return Ok(Vec::new());
    }
    let options = ContainerStatsOptions {
        names: running.iter().map(|c| c.id.clone()).collect(),
        ..ContainerStatsOptions::default()
    };
    let stats = s.engine.container_stats(options).await.map_err(from_api)?;
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    Ok(running
        .iter()
        .filter_map(|c| {
            stats
                .iter()
                .find(|st| st.container_id == c.id)
                .map(|st| convert(c, st, now))
        })
        .collect())
}

pub async fn container_stats(
    s: &Shared,
    req: cri::ContainerStatsRequest,
) -> Result<cri::ContainerStatsResponse, Status> {
    let id = container::resolve(s, &req.container_id).await?;
    let filter = cri::ContainerFilter {
        id: id.clone(),
        ..Default::default()
    };
    let listed = container::list(
        s,
        cri::ListContainersRequest {
            filter: Some(filter),
        },
    )
    .await?;
    let stats = collect(s, listed.containers).await?.into_iter().next();
    match stats {
        Some(stats) => Ok(cri::ContainerStatsResponse { stats: Some(stats) }),
        None => Err(Status::failed_precondition(format!(
            "container {id} is not running: it has no stats"
        ))),
    }
}

pub async fn list_container_stats(
    s: &Shared,
    req: cri::ListContainerStatsRequest,
) -> Result<cri::ListContainerStatsResponse, Status> {
    let filter = req.filter.map(|f| cri::ContainerFilter {
        id: f.id,
        pod_sandbox_id: f.pod_sandbox_id,
        label_selector: f.label_selector,
        state: None,
    });
    let listed = container::list(s, cri::ListContainersRequest { filter }).await?;
    Ok(cri::ListContainerStatsResponse {
        stats: collect(s, listed.containers).await?,
    })
}
