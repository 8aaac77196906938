//! `GET /containers/{id}/stats` (Docker's `StatsJSON`, as Podman's compat
//! handler fills it) and `GET /libpod/containers/stats` (Podman's
//! `{"Error", "Stats": [define.ContainerStats]}` reports): one sample, or
//! one a second while streaming.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rpod_api::stats::{ContainerStats, ContainerStatsOptions};
use serde_json::{json, Value};

use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

/// Podman's compat stream period.
const DOCKER_PERIOD: Duration = Duration::from_secs(1);

/// Host CPU time, nanoseconds, from /proc/stat (user to softirq), as
/// Podman's `cgroups.SystemCPUUsage`.
fn system_cpu_usage() -> u64 {
    const NANOS_PER_TICK: u64 = 1_000_000_000 / 100;
    let Ok(text) = std::fs::read_to_string("/proc/stat") else {
        return 0;
    };
    text.lines()
        .find(|l| l.starts_with("cpu "))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(7)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum::<u64>()
                * NANOS_PER_TICK
        })
        .unwrap_or(0)
}

fn rfc3339_nanos(nanos: u64) -> String {
    if nanos == 0 {
        return "0001-01-01T00:00:00Z".into();
    }
    chrono::DateTime::from_timestamp_nanos(i64::try_from(nanos).unwrap_or(i64::MAX))
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn cpu_json(s: Option<&ContainerStats>, system: u64) -> Value {
    let Some(s) = s else {
        return json!({
            "cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
            "system_cpu_usage": 0,
            "online_cpus": 0,
            "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
        });
    };
    let online = if s.per_cpu.is_empty() {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        s.per_cpu.len()
    };
    json!({
        "cpu_usage": {
            "total_usage": s.cpu_nano,
            "percpu_usage": s.per_cpu,
            "usage_in_kernelmode": s.cpu_system_nano,
            "usage_in_usermode": s.cpu_nano.saturating_sub(s.cpu_system_nano),
        },
        "system_cpu_usage": system,
        "online_cpus": online,
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
    })
}

/// Docker's `StatsJSON` of sample `s` after `pre` (with the host CPU time
/// at each).
fn docker_json(s: &ContainerStats, pre: Option<&(ContainerStats, u64)>, system: u64) -> Value {
    let networks: serde_json::Map<String, Value> = s
        .network
        .iter()
        .map(|(name, n)| {
            (
                name.clone(),
                json!({
                    "rx_bytes": n.rx_bytes, "rx_packets": n.rx_packets,
                    "rx_errors": n.rx_errors, "rx_dropped": n.rx_dropped,
                    "tx_bytes": n.tx_bytes, "tx_packets": n.tx_packets,
                    "tx_errors": n.tx_errors, "tx_dropped": n.tx_dropped,
                    "endpoint_id": "", "instance_id": "",
                }),
            )
        })
        .collect();
    json!({
        "read": rfc3339_nanos(s.system_nano),
        "preread": rfc3339_nanos(pre.map_or(0, |(p, _)| p.system_nano)),
        "pids_stats": {"current": s.pids},
        "blkio_stats": {"io_service_bytes_recursive": [
            {"major": 0, "minor": 0, "op": "read", "value": s.block_input},
            {"major": 0, "minor": 0, "op": "write", "value": s.block_output},
        ]},
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu_json(Some(s), system),
        "precpu_stats": cpu_json(pre.map(|(p, _)| p), pre.map_or(0, |(_, sys)| *sys)),
        "memory_stats": {"usage": s.mem_usage, "stats": {}, "limit": s.mem_limit},
        // Docker's clients cut the leading `/` Docker's names have.
        "name": format!("/{}", s.name),
        "id": s.container_id,
        "networks": networks,
    })
}

async fn sample(
    engine: &Engine,
    names: Vec<String>,
    previous: Vec<ContainerStats>,
) -> rpod_api::Result<Vec<ContainerStats>> {
    engine
        .container_stats(ContainerStatsOptions {
            all: false,
            latest: false,
            names,
            previous,
        })
        .await
}

fn line(v: &Value) -> Bytes {
    let mut out = v.to_string().into_bytes();
    out.push(b'\n');
    Bytes::from(out)
}

/// `GET /containers/{id}/stats` (`stream`, default true; `one-shot`).
pub async fn docker(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let p = Params(q);
    let stream = p.bool("stream", true)?;
    if stream && p.bool("one-shot", false)? {
        return Err(ApiError::bad_request(
            "one-shot can only be used with stream=false: invalid argument",
        ));
    }
    let first = sample(&engine, vec![id.clone()], Vec::new()).await?;
    let first_system = system_cpu_usage();
    if !stream {
        let s = first.first().cloned().unwrap_or_default();
        return Ok((
            [(header::CONTENT_TYPE, "application/json")],
            line(&docker_json(&s, None, first_system)),
        )
            .into_response());
    }
    let start = first.into_iter().next().map(|s| (s, first_system));
    let body = futures_util::stream::unfold(
        (engine, id, start, true),
        |(engine, id, pre, first)| async move {
            if !first {
                tokio::time::sleep(DOCKER_PERIOD).await;
            }
            let previous = pre.iter().map(|(p, _)| p.clone()).collect();
            let s = sample(&engine, vec![id.clone()], previous)
                .await
                .ok()?
                .into_iter()
                .next()?;
            let system = system_cpu_usage();
            let out = line(&docker_json(&s, pre.as_ref(), system));
            Some((
                Ok::<_, std::io::Error>(out),
                (engine, id, Some((s, system)), false),
            ))
        },
    );
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response())
}

/// `GET /libpod/containers/stats` (`containers` repeated, none: the
/// running ones; `stream`, default true; `interval` seconds, default 5).
pub async fn libpod(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let names: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "containers")
        .map(|(_, v)| v.clone())
        .collect();
    let p = Params(q.into_iter().filter(|(k, _)| k != "containers").collect());
    let stream = p.bool("stream", true)?;
    let interval = match p.int("interval")? {
        None => 5,
        Some(n) if n > 0 => n.unsigned_abs(),
        Some(n) => {
            return Err(ApiError::bad_request(format!(
                "interval {n} is not a positive number of seconds"
            )))
        }
    };
    let first = sample(&engine, names.clone(), Vec::new()).await?;
    let report = |stats: &[ContainerStats]| line(&json!({"Error": null, "Stats": stats}));
    if !stream {
        return Ok(([(header::CONTENT_TYPE, "application/json")], report(&first)).into_response());
    }
    let body = futures_util::stream::unfold(
        (engine, names, first, true),
        move |(engine, names, previous, first)| async move {
            if first {
                let out = report(&previous);
                return Some((
                    Ok::<_, std::io::Error>(out),
                    (engine, names, previous, false),
                ));
            }
            tokio::time::sleep(Duration::from_secs(interval)).await;
            let next = sample(&engine, names.clone(), previous).await.ok()?;
            let out = report(&next);
            Some((Ok(out), (engine, names, next, false)))
        },
    );
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response())
}
