//! Docker's volume endpoints: list, create, inspect, remove, prune.

use std::collections::{BTreeMap, HashMap};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::volume::{
    VolumeConfigResponse, VolumeCreateOptions, VolumeListOptions, VolumePruneOptions,
    VolumeRmOptions,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::docker::query::Params;
use crate::error::{read_body, ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// Docker's `volume.Volume`.
fn volume_json(v: &VolumeConfigResponse) -> Value {
    json!({
        "Name": v.name,
        "Driver": v.driver,
        "Mountpoint": v.mountpoint,
        "CreatedAt": v.created_at.rfc3339(),
        "Labels": v.labels,
        "Scope": v.scope,
        "Options": v.options,
        "UsageData": null,
    })
}

/// `GET /volumes`: `{"Volumes": [...], "Warnings": []}`.
pub async fn list(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    let vols = engine.volume_list(VolumeListOptions { filters }).await?;
    let out: Vec<Value> = vols.iter().map(volume_json).collect();
    Ok(Json(json!({"Volumes": out, "Warnings": []})).into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct CreateBody {
    name: Option<String>,
    driver: Option<String>,
    driver_opts: Option<BTreeMap<String, String>>,
    labels: Option<BTreeMap<String, String>>,
}

pub(super) async fn inspect_one(engine: &Engine, name: &str) -> ApiResult<VolumeConfigResponse> {
    let (mut found, mut errors) = engine.volume_inspect(&[name.to_owned()], false).await?;
    match (found.pop(), errors.pop()) {
        (Some(v), _) => Ok(v),
        (None, Some(e)) => Err(e.into()),
        (None, None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no volume with name \"{name}\" found: no such volume"),
        )),
    }
}

/// `POST /volumes/create`: 201 with the volume.
pub async fn create(State(engine): State<Engine>, body: Body) -> ApiResult<Response> {
    let bytes = read_body(body).await?;
    let b: CreateBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        CreateBody::default()
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("decode(): {e}")))?
    };
    let options = VolumeCreateOptions {
        name: b.name.filter(|n| !n.is_empty()),
        driver: b
            .driver
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "local".into()),
        label: b.labels.unwrap_or_default(),
        options: b.driver_opts.unwrap_or_default(),
        ignore_if_exists: false,
    };
    let name = engine.volume_create(options).await?;
    let v = inspect_one(&engine, &name).await?;
    Ok((StatusCode::CREATED, Json(volume_json(&v))).into_response())
}

/// `GET /volumes/{name}`.
pub async fn inspect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let v = inspect_one(&engine, &name).await?;
    Ok(Json(volume_json(&v)).into_response())
}

/// `DELETE /volumes/{name}` (`force`, and libpod's `timeout`): 204; 409
/// while a container uses it. Also libpod's `DELETE /libpod/volumes/{name}`.
pub async fn remove(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    let options = VolumeRmOptions {
        force: p.bool("force", false)?,
        timeout: p.int("timeout")?,
        ..Default::default()
    };
    let reports = engine.volume_remove(&[name], options).await?;
    if let Some(e) = reports.into_iter().find_map(|r| r.err) {
        return Err(e.into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /volumes/prune`: `{"VolumesDeleted": [...], "SpaceReclaimed": N}`.
pub async fn prune(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    let reports = engine.volume_prune(VolumePruneOptions { filters }).await?;
    if let Some(e) = reports.iter().find_map(|r| r.err.clone()) {
        return Err(e.into());
    }
    let deleted: Vec<&str> = reports.iter().map(|r| r.id.as_str()).collect();
    let space: u64 = reports.iter().map(|r| r.size).sum();
    Ok(Json(json!({"VolumesDeleted": deleted, "SpaceReclaimed": space})).into_response())
}
