//! Smaller Docker endpoints that map one front-door call each: container
//! rename, top and prune, image history.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::container::TopOptions;
use rpod_api::prune::ContainerPruneOptions;
use serde_json::{json, Value};

use crate::docker::image_id;
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// `POST /containers/{id}/rename?name=NEW`: 204.
pub async fn rename(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    let name = p
        .get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    engine.container_rename(&id, name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /containers/{id}/top?ps_args=...`: `{"Titles": [...], "Processes": [[...]]}`.
pub async fn top(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    let options = TopOptions {
        name_or_id: id,
        latest: false,
        descriptors: p
            .get("ps_args")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    };
    let report = engine.container_top(options).await?;
    Ok(Json(top_json(&report.value)).into_response())
}

/// The header line and process lines of `top` (cells separated by tabs).
pub(super) fn top_json(lines: &[String]) -> Value {
    let split = |l: &String| {
        l.split('\t')
            .map(str::trim)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let titles = lines.first().map(split).unwrap_or_default();
    let processes: Vec<Vec<String>> = lines.iter().skip(1).map(split).collect();
    json!({"Titles": titles, "Processes": processes})
}

/// `POST /containers/prune?filters=...`.
pub async fn prune(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    let reports = engine
        .container_prune(ContainerPruneOptions { filters })
        .await?;
    if let Some(e) = reports.iter().find_map(|r| r.err.clone()) {
        return Err(e.into());
    }
    let deleted: Vec<&str> = reports.iter().map(|r| r.id.as_str()).collect();
    let space: u64 = reports.iter().map(|r| r.size).sum();
    Ok(Json(json!({"ContainersDeleted": deleted, "SpaceReclaimed": space})).into_response())
}

/// `GET /images/{name}/history`.
pub async fn image_history(engine: &Engine, name: &str) -> ApiResult<Response> {
    let layers = engine.image_history(name).await?;
    let out: Vec<Value> = layers
        .iter()
        .map(|l| {
            json!({
                "Id": if l.id == "<missing>" { l.id.clone() } else { image_id(&l.id) },
                "Created": l.created.unix(),
                "CreatedBy": l.created_by,
                "Tags": if l.tags.is_empty() { Value::Null } else { json!(l.tags) },
                "Size": l.size,
                "Comment": l.comment,
            })
        })
        .collect();
    Ok(Json(out).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_lines_as_titles_and_processes() {
        let lines = vec![
            "USER\tPID\tCOMMAND".to_string(),
            "root\t1\tsleep 10".to_string(),
        ];
        let v = top_json(&lines);
        assert_eq!(v["Titles"], json!(["USER", "PID", "COMMAND"]));
        assert_eq!(v["Processes"], json!([["root", "1", "sleep 10"]]));
    }
}
