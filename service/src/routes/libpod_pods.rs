//! libpod's pod endpoints: create, remove, exists, inspect, prune, and
//! the actions (start, stop, restart, kill, pause, unpause).

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::front_door::pods::{
    PodKillOptions, PodReport, PodRmOptions, PodSelect, PodStopOptions,
};
use serde_json::json;

use crate::docker::query::Params;
use crate::error::{read_body, ApiError, ApiResult};
use crate::libpod::specgen;
use crate::Engine;

/// `POST /libpod/pods/create`: 201 `{"Id"}`.
pub async fn create(State(engine): State<Engine>, body: Body) -> ApiResult<Response> {
    let spec = specgen::pod_spec(&read_body(body).await?)?;
    let report = engine.pod_create(spec).await?;
    Ok((StatusCode::CREATED, Json(json!({"Id": report.id}))).into_response())
}

/// `DELETE /libpod/pods/{name}` (`force`, `timeout`): `{"Id", "RemovedCtrs"}`.
pub async fn remove(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let p = Params(q);
    let options = PodRmOptions {
        force: p.bool("force", false)?,
        timeout: p.int("timeout")?.and_then(|t| u64::try_from(t).ok()),
        ..Default::default()
    };
    let report = engine
        .pod_rm(std::slice::from_ref(&name), options)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| no_such_pod(&name))?;
    if let Some(e) = report.err {
        return Err(e.into());
    }
    Ok(Json(json!({"Id": report.id, "RemovedCtrs": {}})).into_response())
}

/// `GET /libpod/pods/{name}/exists`: 204 or 404.
pub async fn exists(State(engine): State<Engine>, Path(name): Path<String>) -> ApiResult<Response> {
    if engine.pod_exists(&name).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(no_such_pod(&name))
    }
}

fn no_such_pod(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no pod with name or ID {name} found: no such pod"),
    )
}

/// The answer to an action on one pod: `{"Errs": [], "Id"}`, or the
/// error (a missing pod is a 404).
fn action_answer(name: &str, reports: Vec<PodReport>) -> ApiResult<Response> {
    let report = reports
        .into_iter()
        .next()
        .ok_or_else(|| no_such_pod(name))?;
    if let Some(e) = report.err {
        return Err(e.into());
    }
    Ok(Json(json!({"Errs": [], "Id": report.id})).into_response())
}

type Q = Query<HashMap<String, String>>;

fn one(name: &str) -> [String; 1] {
    [name.to_owned()]
}

/// `POST /libpod/pods/{name}/start`.
pub async fn start(State(engine): State<Engine>, Path(name): Path<String>) -> ApiResult<Response> {
    let r = engine.pod_start(&one(&name), PodSelect::default()).await?;
    action_answer(&name, r)
}

fn stop_options(q: HashMap<String, String>) -> ApiResult<PodStopOptions> {
    Ok(PodStopOptions {
        timeout: Params(q).int("t")?.and_then(|t| u64::try_from(t).ok()),
        ..Default::default()
    })
}

/// `POST /libpod/pods/{name}/stop` (`t`).
pub async fn stop(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let r = engine.pod_stop(&one(&name), stop_options(q)?).await?;
    action_answer(&name, r)
}

/// `POST /libpod/pods/{name}/restart` (`t`).
pub async fn restart(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let r = engine.pod_restart(&one(&name), stop_options(q)?).await?;
    action_answer(&name, r)
}

/// `POST /libpod/pods/{name}/kill` (`signal`, a name or number).
pub async fn kill(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let signal = match Params(q).get("signal") {
        None | Some("") => libc::SIGKILL,
        Some(s) => crate::docker::signal::parse_signal(s)?,
    };
    let options = PodKillOptions {
        signal,
        ..Default::default()
    };
    let r = engine.pod_kill(&one(&name), options).await?;
    action_answer(&name, r)
}

/// `POST /libpod/pods/{name}/pause`.
pub async fn pause(State(engine): State<Engine>, Path(name): Path<String>) -> ApiResult<Response> {
    let r = engine.pod_pause(&one(&name), PodSelect::default()).await?;
    action_answer(&name, r)
}

/// `POST /libpod/pods/{name}/unpause`.
pub async fn unpause(
    State(engine): State<Engine>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let r = engine
        .pod_unpause(&one(&name), PodSelect::default())
        .await?;
    action_answer(&name, r)
}

/// `GET /libpod/pods/{name}/json`.
pub async fn inspect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let (mut found, mut errors) = engine
        .pod_inspect(&one(&name), PodSelect::default())
        .await?;
    match (found.pop(), errors.pop()) {
        (Some(p), _) => Ok(Json(p).into_response()),
        (None, Some(e)) => Err(e.into()),
        (None, None) => Err(no_such_pod(&name)),
    }
}

/// `POST /libpod/pods/prune`: `[{"Err", "Id"}]`.
pub async fn prune(State(engine): State<Engine>) -> ApiResult<Response> {
    let reports = engine.pod_prune().await?;
    let out: Vec<_> = reports
        .into_iter()
        .map(|r| json!({"Id": r.id, "Err": r.err.map(|e| e.message)}))
        .collect();
    Ok(Json(out).into_response())
}
