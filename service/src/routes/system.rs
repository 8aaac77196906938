//! `_ping`, `version`, `info`, `system/df`.

use axum::extract::State;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::docker;
use crate::error::ApiResult;
use crate::Engine;

/// `GET|HEAD /_ping`: `OK` (the version headers come with every response).
pub async fn ping(method: Method) -> Response {
    let body = if method == Method::HEAD { "" } else { "OK" };
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::HeaderName::from_static("builder-version"), ""),
        ],
        body,
    )
        .into_response()
}

/// `GET /version`.
pub async fn version(State(engine): State<Engine>) -> ApiResult<Json<serde_json::Value>> {
    let v = engine.system_version().await?;
    let info = engine.system_info().await?;
    Ok(Json(docker::system::version(&v.client, &info.host.kernel)))
}

/// `GET /info`.
pub async fn info(State(engine): State<Engine>) -> ApiResult<Json<serde_json::Value>> {
    let info = engine.system_info().await?;
    Ok(Json(docker::system::info(&info)))
}

/// `GET /system/df`: Docker's disk usage.
pub async fn df(State(engine): State<Engine>) -> ApiResult<Json<serde_json::Value>> {
    let report = engine.system_df().await?;
    Ok(Json(docker::system::disk_usage(&report)))
}
