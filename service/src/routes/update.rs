//! `POST /containers/{id}/update` (Docker's body, `{"Warnings": []}`) and
//! `POST /libpod/containers/{id}/update` (libpod's body and the
//! `restartPolicy`/`restartRetries` parameters, 201 with the full id), both
//! through the front door's `update`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::docker::query::Params;
use crate::error::{read_body, ApiError, ApiResult};
use crate::{docker, libpod, Engine};

/// `POST /containers/{id}/update`.
pub async fn docker(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let options = docker::update::update_options(&id, &read_body(body).await?)?;
    engine.container_update(options).await?;
    Ok(Json(json!({"Warnings": []})).into_response())
}

/// `POST /libpod/containers/{id}/update`.
pub async fn libpod(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Body,
) -> ApiResult<Response> {
    let p = Params(q);
    let retries = match p.int("restartRetries")? {
        None => None,
        Some(n) => Some(u32::try_from(n).map_err(|_| {
            ApiError::bad_request(format!("restartRetries {n} is not a valid count"))
        })?),
    };
    let options = libpod::update::update_options(
        &id,
        &read_body(body).await?,
        p.get("restartPolicy"),
        retries,
    )?;
    let full_id = engine.container_update(options).await?;
    Ok((StatusCode::CREATED, Json(full_id)).into_response())
}
