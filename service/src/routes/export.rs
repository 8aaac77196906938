//! `GET /containers/{id}/export` (and under `/libpod/`): the container's
//! filesystem as a tar stream; `GET /containers/{id}/changes` (and under
//! `/libpod/`): what changed in it, `[{"Path", "Kind"}]` (Kind 0 changed,
//! 1 added, 2 deleted).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::container::{ContainerExistsOptions, DiffOptions, DiffType};
use rpod_api::front_door::containers::ExportOutput;
use serde_json::json;

use crate::body_io::streamed_body;
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

/// `GET /containers/{id}/export`.
pub async fn export(State(engine): State<Engine>, Path(id): Path<String>) -> ApiResult<Response> {
    // A missing container is a 404 before the stream starts.
    if !engine
        .container_exists(&id, ContainerExistsOptions::default())
        .await?
    {
        return Err(ApiError::no_such_container(&id));
    }
    let (writer, body) = streamed_body();
    tokio::spawn(async move {
        if let Err(e) = engine
            .container_export(&id, ExportOutput::Stream(writer))
            .await
        {
            tracing::warn!(container = %id, "export: {}", e.message);
        }
    });
    Ok(([(header::CONTENT_TYPE, "application/x-tar")], body).into_response())
}

/// `GET /containers/{id}/changes` (libpod: `diffType` all, container or
/// image).
pub async fn changes(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let p = Params(q);
    let r#type = match p.get("diffType").unwrap_or("all") {
        "" | "all" => DiffType::All,
        "container" => DiffType::Container,
        "image" => DiffType::Image,
        other => {
            return Err(ApiError::bad_request(format!(
                "invalid diffType value {other:?}"
            )))
        }
    };
    if p.get("parent").is_some_and(|v| !v.is_empty()) {
        return Err(ApiError::not_implemented(
            "changes: parent is not supported yet",
        ));
    }
    let report = engine
        .container_diff(
            &id,
            DiffOptions {
                latest: false,
                r#type,
            },
        )
        .await?;
    let changes: Vec<_> = report
        .changes
        .iter()
        .map(|c| {
            let kind = match c.kind {
                'A' => 1,
                'D' => 2,
                _ => 0,
            };
            json!({"Path": c.path, "Kind": kind})
        })
        .collect();
    Ok(Json(changes).into_response())
}
