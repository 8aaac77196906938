//! libpod's container endpoints whose shapes differ from Docker's:
//! create (a `SpecGenerator`), inspect (Podman's inspect data), remove
//! (a list of reports), wait (the exit code as a bare number).

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::container::{KillOptions, RmOptions, StopOptions};
use serde_json::json;

use super::containers::{deferred_json, first, inspect_one, kill_signal, no_content, wait_result};
use crate::docker::query::Params;
use crate::error::{read_body, ApiError, ApiResult};
use crate::libpod::specgen;
use crate::{AppState, Engine};

type Q = Query<HashMap<String, String>>;

/// `POST /libpod/containers/create`: 201 `{"Id", "Warnings"}`.
pub async fn create(State(engine): State<Engine>, body: Body) -> ApiResult<Response> {
    let spec = specgen::create_spec(&read_body(body).await?)?;
    let report = engine.container_create(spec, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"Id": report.id, "Warnings": report.warnings})),
    )
        .into_response())
}

/// `GET /libpod/containers/{id}/json` (`size`).
pub async fn inspect(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let size = Params(q).bool("size", false)?;
    Ok(Json(inspect_one(&engine, &id, size).await?).into_response())
}

/// `DELETE /libpod/containers/{id}` (`force`, `depend`, `v`, `timeout`,
/// `ignore`): 200 with `[{"Id", "RawInput"}]`, the removal's error as the
/// request's.
pub async fn remove(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    let options = RmOptions {
        names: vec![id.clone()],
        force: p.bool("force", false)?,
        depend: p.bool("depend", false)?,
        volumes: p.bool("v", false)?,
        ignore: p.bool("ignore", false)?,
        timeout: p.int("timeout")?.and_then(|t| u64::try_from(t).ok()),
        ..Default::default()
    };
    let mut out = Vec::new();
    for r in engine.container_rm(options).await? {
        if let Some(e) = r.err {
            return Err(e.into());
        }
        out.push(json!({"Id": r.id, "RawInput": r.raw_input}));
    }
    Ok(Json(out).into_response())
}

/// `POST /libpod/containers/{id}/stop` (`timeout`): 204; the engine's
/// error (404 for a missing container) as Podman words it.
pub async fn stop(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    let options = StopOptions {
        names: vec![id.clone()],
        timeout: p
            .int("timeout")?
            .or(p.int("t")?)
            .and_then(|t| u64::try_from(t).ok()),
        ..Default::default()
    };
    first(engine.container_stop(options).await?, &id)?;
    Ok(no_content())
}

/// `POST /libpod/containers/{id}/kill` (`signal`, default SIGKILL): 204.
pub async fn kill(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let options = KillOptions {
        names: vec![id.clone()],
        signal: kill_signal(&Params(q))?,
        ..Default::default()
    };
    first(engine.container_kill(options).await?, &id)?;
    Ok(no_content())
}

/// `POST /libpod/containers/{id}/wait` (`condition`: stopped, exited or
/// removed): the exit code. The status line goes out at once, the code
/// when the container has exited.
pub async fn wait(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let mut removed = false;
    for (k, v) in &q {
        if k != "condition" {
            continue;
        }
        match v.as_str() {
            "stopped" | "exited" => {}
            "removed" => removed = true,
            other => {
                return Err(ApiError::not_implemented(format!(
                    "wait condition {other:?} is not supported by rpod's service yet"
                )))
            }
        }
    }
    let engine = app.engine.clone();
    let full_id = match inspect_one(&engine, &id, false).await {
        Ok(d) => d.id,
        // Podman's wait names a missing container as its other commands do.
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Err(ApiError {
                kind: Some(rpod_api::ErrorKind::NoSuchContainer),
                ..ApiError::no_such_container(&id)
            })
        }
        Err(e) => return Err(e),
    };
    let exit_watch = app.attaches.exit_watch(&full_id);
    Ok(deferred_json(async move {
        match wait_result(&engine, &full_id, exit_watch, false, removed).await {
            Ok(code) => code.to_string(),
            Err(e) => {
                tracing::warn!("wait for {full_id}: {}", e.message);
                "-1".to_owned()
            }
        }
    }))
}

/// `GET /libpod/containers/{id}/healthcheck`: runs the health check once;
/// `{"Status"}` (409 when the container has none or is not running, as the
/// engine says).
pub async fn healthcheck(
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(engine.container_healthcheck_run(&id).await?).into_response())
}
