//! The libpod endpoints served so far: the front door's reports as
//! Podman's JSON.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::container::{ContainerExistsOptions, ContainerListOptions};
use rpod_api::front_door::pods::PodPsOptions;
use rpod_api::info::RemoteSocket;

use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::{AppState, Engine};

/// `GET /libpod/info`.
pub async fn info(State(app): State<AppState>) -> ApiResult<Response> {
    let mut info = app.engine.system_info().await?;
    // As Podman's service: its clients are remote, and the socket they
    // reach is the one it listens on.
    info.host.service_is_remote = true;
    if let Some(uri) = &app.listen_uri {
        info.host.remote_socket = Some(RemoteSocket {
            path: uri.to_string(),
            exists: true,
        });
    }
    Ok(Json(info).into_response())
}

/// `GET /libpod/containers/json` (`all`, `limit`, `filters`, `size`, `pod`,
/// `namespace`).
pub async fn containers(
    State(engine): State<Engine>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let p = Params(q);
    let options = ContainerListOptions {
        all: p.bool("all", false)?,
        filters: p.filters()?,
        last: p.int("limit")?.unwrap_or(-1),
        size: p.bool("size", false)?,
        pod: p.bool("pod", false)?,
        namespace: p.bool("namespace", false)?,
        latest: false,
    };
    Ok(Json(engine.container_list(options).await?).into_response())
}

/// `GET /libpod/containers/{id}/exists`: 204 or 404.
pub async fn container_exists(
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    if engine
        .container_exists(&id, ContainerExistsOptions::default())
        .await?
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::no_such_container(&id))
    }
}

/// `GET /libpod/pods/json` (`filters`).
pub async fn pods(
    State(engine): State<Engine>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    let options = PodPsOptions {
        filters,
        ..Default::default()
    };
    Ok(Json(engine.pod_ps(options).await?).into_response())
}

/// `GET /libpod/system/df`: Podman's `entities.SystemDfReport`.
pub async fn system_df(State(engine): State<Engine>) -> ApiResult<Response> {
    Ok(Json(engine.system_df().await?).into_response())
}
