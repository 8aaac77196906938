//! libpod's volume endpoints: create, json (list), inspect, exists, prune
//! — the front door's reports as Podman's JSON (remove is Docker's handler).

use std::collections::{BTreeMap, HashMap};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::volume::{VolumeCreateOptions, VolumeListOptions, VolumePruneOptions};
use serde::Deserialize;

use super::volumes::inspect_one;
use crate::docker::query::Params;
use crate::error::{json_body, ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// Podman's `entities.VolumeCreateOptions` as clients send it.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct CreateBody {
    name: String,
    driver: String,
    label: BTreeMap<String, String>,
    #[serde(alias = "Labels")]
    labels: BTreeMap<String, String>,
    options: BTreeMap<String, String>,
    ignore_if_exists: bool,
}

fn no_such_volume(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no volume with name \"{name}\" found: no such volume"),
    )
}

/// `POST /libpod/volumes/create`: 201 with the volume.
pub async fn create(State(engine): State<Engine>, body: Body) -> ApiResult<Response> {
    let b: CreateBody = json_body(body).await?;
    let mut label = b.labels;
    label.extend(b.label);
    let options = VolumeCreateOptions {
        name: Some(b.name).filter(|n| !n.is_empty()),
        driver: Some(b.driver)
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "local".into()),
        label,
        options: b.options,
        ignore_if_exists: b.ignore_if_exists,
    };
    let name = engine.volume_create(options).await?;
    let v = inspect_one(&engine, &name).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `GET /libpod/volumes/json` (`filters`).
pub async fn list(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    let vols = engine.volume_list(VolumeListOptions { filters }).await?;
    Ok(Json(vols).into_response())
}

/// `GET /libpod/volumes/{name}/json`.
pub async fn inspect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(inspect_one(&engine, &name).await?).into_response())
}

/// `GET /libpod/volumes/{name}/exists`: 204 or 404.
pub async fn exists(State(engine): State<Engine>, Path(name): Path<String>) -> ApiResult<Response> {
    if engine.volume_exists(&name).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(no_such_volume(&name))
    }
}

/// `POST /libpod/volumes/prune` (`filters`): the prune reports.
pub async fn prune(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    let reports = engine.volume_prune(VolumePruneOptions { filters }).await?;
    Ok(Json(reports).into_response())
}
