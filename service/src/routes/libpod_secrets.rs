//! libpod's secret endpoints: create (the data is the body), json (list),
//! inspect, exists, remove.

use std::collections::{BTreeMap, HashMap};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::secret::{SecretCreateOptions, SecretRmOptions};
use serde_json::json;

use crate::docker::query::Params;
use crate::error::{read_body, ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// A `map[string]string` query parameter sent as JSON.
fn json_map(p: &Params, key: &str) -> ApiResult<BTreeMap<String, String>> {
    match p.get(key) {
        None | Some("") => Ok(BTreeMap::new()),
        Some(v) => serde_json::from_str(v).map_err(|e| {
            ApiError::bad_request(format!("failed to parse parameters for {key}: {e}"))
        }),
    }
}

/// `POST /libpod/secrets/create` (`name`, `driver`, `driveropts`,
/// `labels`, `replace`, `ignore`): `{"ID"}`.
pub async fn create(State(engine): State<Engine>, Query(q): Q, body: Body) -> ApiResult<Response> {
    let p = Params(q);
    let name = p
        .get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("a secret name is required: invalid argument"))?
        .to_owned();
    let options = SecretCreateOptions {
        driver: p.get("driver").unwrap_or_default().to_owned(),
        driver_opts: json_map(&p, "driveropts")?,
        labels: json_map(&p, "labels")?,
        replace: p.bool("replace", false)?,
        ignore: p.bool("ignore", false)?,
    };
    let data = read_body(body).await?.to_vec();
    let id = engine.secret_create(&name, data, options).await?;
    Ok(Json(json!({"ID": id})).into_response())
}

/// `GET /libpod/secrets/json` (`filters`).
pub async fn list(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    Ok(Json(engine.secret_list(&filters).await?).into_response())
}

fn no_such_secret(name: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("{name}: no such secret"))
}

/// `GET /libpod/secrets/{name}/json` (`showsecret`).
pub async fn inspect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let show = Params(q).bool("showsecret", false)?;
    let (mut found, mut errors) = engine
        .secret_inspect(std::slice::from_ref(&name), show)
        .await?;
    match (found.pop(), errors.pop()) {
        (Some(s), _) => Ok(Json(s).into_response()),
        (None, Some(e)) => Err(e.into()),
        (None, None) => Err(no_such_secret(&name)),
    }
}

/// `GET /libpod/secrets/{name}/exists`: 204 or 404.
pub async fn exists(State(engine): State<Engine>, Path(name): Path<String>) -> ApiResult<Response> {
    if engine.secret_exists(&name).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(no_such_secret(&name))
    }
}

/// `DELETE /libpod/secrets/{name}` (`all`): 204.
pub async fn remove(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let options = SecretRmOptions {
        all: Params(q).bool("all", false)?,
        ignore: false,
    };
    let names = if options.all { Vec::new() } else { vec![name] };
    let reports = engine.secret_remove(&names, options).await?;
    if let Some(e) = reports.into_iter().find_map(|r| r.err) {
        return Err(e.into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
