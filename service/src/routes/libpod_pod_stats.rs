//! libpod's `GET /libpod/pods/{name}/top` (`ps_args`, `stream`, `delay`:
//! `{"Titles", "Processes"}` objects) and `GET /libpod/pods/stats`
//! (`namesOrIDs` repeated, `all`, `stream`, `delay`: arrays of Podman's
//! `PodStatsReport`), one JSON value a line when streamed.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rpod_api::front_door::pods::PodTopOptions;
use rpod_api::stats::PodStatsOptions;
use serde_json::Value;

use super::more::top_json;
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

/// `delay` (seconds between samples, default 5; below 1: Podman's 400).
fn delay(p: &Params) -> ApiResult<Duration> {
    match p.int("delay")? {
        None => Ok(Duration::from_secs(5)),
        Some(n) if n >= 1 => Ok(Duration::from_secs(n.unsigned_abs())),
        Some(n) => Err(ApiError::bad_request(format!(
            "\"delay\" parameter of value {n} < 1"
        ))),
    }
}

fn line(v: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec(v).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The first sample, then (with `stream`) one every `every` from `next`
/// until it fails or the client leaves.
fn answer<F, Fut>(first: Value, stream: bool, every: Duration, next: F) -> Response
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ApiResult<Value>> + Send,
{
    let json = [(header::CONTENT_TYPE, "application/json")];
    if !stream {
        return (json, line(&first)).into_response();
    }
    let body = futures_util::stream::unfold((Some(first), next), move |(first, next)| async move {
        let value = match first {
            Some(v) => v,
            None => {
                tokio::time::sleep(every).await;
                next().await.ok()?
            }
        };
        Some((Ok::<_, std::io::Error>(line(&value)), (None, next)))
    });
    (json, Body::from_stream(body)).into_response()
}

async fn top_sample(engine: &Engine, name: &str, ps_args: &[String]) -> ApiResult<Value> {
    let options = PodTopOptions {
        name_or_id: name.to_owned(),
        latest: false,
        descriptors: ps_args.to_vec(),
    };
    Ok(top_json(&engine.pod_top(options).await?.value))
}

/// `GET /libpod/pods/{name}/top`.
pub async fn top(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let ps_args: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "ps_args")
        .flat_map(|(_, v)| v.split([' ', ',']).filter(|s| !s.is_empty()))
        .map(str::to_owned)
        .collect();
    let p = Params(q.into_iter().filter(|(k, _)| k != "ps_args").collect());
    let stream = p.bool("stream", false)?;
    let every = delay(&p)?;
    let first = top_sample(&engine, &name, &ps_args).await?;
    Ok(answer(first, stream, every, move || {
        let (engine, name, ps_args) = (engine.clone(), name.clone(), ps_args.clone());
        async move { top_sample(&engine, &name, &ps_args).await }
    }))
}

async fn stats_sample(engine: &Engine, options: &PodStatsOptions) -> ApiResult<Value> {
    let reports = engine.pod_stats(options.clone()).await?;
    serde_json::to_value(reports).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding the pod stats: {e}"),
        )
    })
}

/// `GET /libpod/pods/stats`.
pub async fn stats(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let names: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "namesOrIDs")
        .map(|(_, v)| v.clone())
        .collect();
    let p = Params(q.into_iter().filter(|(k, _)| k != "namesOrIDs").collect());
    let options = PodStatsOptions {
        names,
        all: p.bool("all", false)?,
        latest: false,
    };
    let stream = p.bool("stream", false)?;
    let every = delay(&p)?;
    let first = stats_sample(&engine, &options).await?;
    Ok(answer(first, stream, every, move || {
        let (engine, options) = (engine.clone(), options.clone());
        async move { stats_sample(&engine, &options).await }
    }))
}
