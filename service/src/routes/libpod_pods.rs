//! libpod's pod endpoints: create, remove, exists.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::front_door::pods::PodRmOptions;
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
