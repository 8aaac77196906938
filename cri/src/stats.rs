//! `ContainerStats` and `ListContainerStats`: the front door's container
//! stats (cgroup CPU time and memory usage) in CRI's shape.

use k8s_cri::v1 as cri;
use rpod_api::stats::ContainerStatsOptions;
use tonic::Status;

use crate::serve::Shared;
use crate::status::from_api;
use crate::{container, sandbox};

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

/// rpod's stats of the containers `ids` (running ones).
async fn engine_stats(
    s: &Shared,
    ids: Vec<String>,
) -> Result<Vec<rpod_api::stats::ContainerStats>, Status> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let options = ContainerStatsOptions {
        names: ids,
        ..ContainerStatsOptions::default()
    };
    s.engine.container_stats(options).await.map_err(from_api)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
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
    let stats = engine_stats(s, running.iter().map(|c| c.id.clone()).collect()).await?;
    Ok(sampled(&running, &stats, now()))
}

/// CRI's stats of `containers` from one sample of rpod's.
fn sampled(
    containers: &[cri::Container],
    stats: &[rpod_api::stats::ContainerStats],
    now: i64,
) -> Vec<cri::ContainerStats> {
    containers
        .iter()
        .filter_map(|c| {
            stats
                .iter()
                .find(|st| st.container_id == c.id)
                .map(|st| convert(c, st, now))
        })
        .collect()
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

/// The sandbox's network usage: its infra container's interfaces (the
/// pod's network namespace), `eth0` the default one, as the kubelet names
/// it; a host-network sandbox's are the node's (`None`: no interface but
/// loopback).
fn network(infra: &rpod_api::stats::ContainerStats, now: i64) -> Option<cri::NetworkUsage> {
    let value = |v: u64| Some(cri::UInt64Value { value: v });
    let interfaces: Vec<cri::NetworkInterfaceUsage> = infra
        .network
        .iter()
        .map(|(name, n)| cri::NetworkInterfaceUsage {
            name: name.clone(),
            rx_bytes: value(n.rx_bytes),
            rx_errors: value(n.rx_errors),
            tx_bytes: value(n.tx_bytes),
            tx_errors: value(n.tx_errors),
        })
        .collect();
    let default_interface = interfaces
        .iter()
        .find(|i| i.name == "eth0")
        .or_else(|| interfaces.first())
        .cloned()?;
    Some(cri::NetworkUsage {
        timestamp: now,
        default_interface: Some(default_interface),
        interfaces,
    })
}

/// A ready sandbox's stats: its CRI containers' and the pod's totals (the
/// infra container included).
async fn sandbox_stats(s: &Shared, id: &str) -> Result<cri::PodSandboxStats, Status> {
    let (pod, m) = sandbox::find(s, id).await?;
    let filter = cri::ContainerFilter {
        pod_sandbox_id: pod.id.clone(),
        ..Default::default()
    };
    let listed = container::list(
        s,
        cri::ListContainersRequest {
            filter: Some(filter),
        },
    )
    .await?;
    // One sample for the containers and the totals, so the totals cover
    // the containers' figures.
    let running: Vec<cri::Container> = listed
        .containers
        .into_iter()
        .filter(|c| c.state == RUNNING)
        .collect();
    let mut ids: Vec<String> = running.iter().map(|c| c.id.clone()).collect();
    if !pod.infra_container_id.is_empty() {
        ids.push(pod.infra_container_id.clone());
    }
    let all = engine_stats(s, ids).await?;
    let now = now();
    let containers = sampled(&running, &all, now);
    let value = |v: u64| Some(cri::UInt64Value { value: v });
    let (labels, _) = crate::meta::split::<crate::meta::SandboxMeta>(
        pod.labels.as_ref(),
        crate::meta::SANDBOX_KEY,
    );
    Ok(cri::PodSandboxStats {
        attributes: Some(cri::PodSandboxAttributes {
            id: pod.id.clone(),
            metadata: Some(sandbox::metadata(&m)),
            labels,
            annotations: m.annotations.clone().into_iter().collect(),
        }),
        linux: Some(cri::LinuxPodSandboxStats {
            cpu: Some(cri::CpuUsage {
                timestamp: now,
                usage_core_nano_seconds: value(all.iter().map(|c| c.cpu_nano).sum()),
                usage_nano_cores: None,
            }),
            memory: Some(cri::MemoryUsage {
                timestamp: now,
                usage_bytes: value(all.iter().map(|c| c.mem_usage).sum()),
                ..Default::default()
            }),
            network: all
                .iter()
                .find(|c| c.container_id == pod.infra_container_id)
                .and_then(|infra| network(infra, now)),
            process: Some(cri::ProcessUsage {
                timestamp: now,
                process_count: value(all.iter().map(|c| c.pids).sum()),
            }),
            containers,
        }),
        windows: None,
    })
}

pub async fn pod_sandbox_stats(
    s: &Shared,
    req: cri::PodSandboxStatsRequest,
) -> Result<cri::PodSandboxStatsResponse, Status> {
    Ok(cri::PodSandboxStatsResponse {
        stats: Some(sandbox_stats(s, &req.pod_sandbox_id).await?),
    })
}

pub async fn list_pod_sandbox_stats(
    s: &Shared,
    req: cri::ListPodSandboxStatsRequest,
) -> Result<cri::ListPodSandboxStatsResponse, Status> {
    let f = req.filter.unwrap_or_default();
    let filter = cri::PodSandboxFilter {
        id: f.id,
        label_selector: f.label_selector,
        state: Some(cri::PodSandboxStateValue {
            state: cri::PodSandboxState::SandboxReady as i32,
        }),
    };
    let ready = sandbox::list(
        s,
        cri::ListPodSandboxRequest {
            filter: Some(filter),
        },
    )
    .await?;
    let mut stats = Vec::new();
    for sb in ready.items {
        stats.push(sandbox_stats(s, &sb.id).await?);
    }
    Ok(cri::ListPodSandboxStatsResponse { stats })
}
