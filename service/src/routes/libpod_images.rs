//! libpod's image endpoints: pull (libpod's JSON stream), list, and by name
//! (`NAME/json`, `NAME/exists`, `NAME/history`, `NAME/get` of
//! [`super::image_archive`]; `NAME/push`, `NAME/untag` and `NAME/tag` are
//! [`super::image_push`]'s), remove
//! (`/images/remove`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::front_door::images::{
    ImageListOptions, ImagePullOptions, ImageRemoveOptions, ImageSort, ProgressSink, PullProgress,
    RegistryOptions,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// `GET /libpod/images/json` (`all`, `filters`, and rpod's `sort`).
pub async fn list(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let p = Params(q);
    let sort = match p.get("sort").unwrap_or_default() {
        "" => ImageSort::default(),
        s => serde_json::from_value(json!(s))
            .map_err(|_| ApiError::bad_request(format!("invalid sort {s:?}")))?,
    };
    let options = ImageListOptions {
        all: p.bool("all", false)?,
        filter: p.filter_list()?,
        sort,
    };
    Ok(Json(engine.image_list(options).await?).into_response())
}

struct LineSink(mpsc::UnboundedSender<Value>);

impl ProgressSink for LineSink {
    fn event(&self, event: PullProgress) {
        if let PullProgress::Line(l) = event {
            let _ = self.0.send(json!({"stream": format!("{l}\n")}));
        }
    }
}

/// `POST /libpod/images/pull?reference=R` (`quiet`, `tlsVerify`, `Arch`,
/// `OS`, `X-Registry-Auth` credentials): `{"stream": LINE}` objects, then
/// `{"images": [ID], "id": ID}` or `{"error": MESSAGE}`.
pub async fn pull(
    State(engine): State<Engine>,
    headers: axum::http::HeaderMap,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    let reference = p
        .get("reference")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::bad_request("reference parameter cannot be empty"))?
        .to_owned();
    if p.get("policy")
        .is_some_and(|v| !v.is_empty() && v != "always")
    {
        return Err(ApiError::not_implemented(
            "pull policies other than always are not supported by rpod's service yet",
        ));
    }
    let tls_verify = match p.get("tlsVerify") {
        None | Some("") => None,
        Some(_) => Some(p.bool("tlsVerify", true)?),
    };
    let options = ImagePullOptions {
        registry: RegistryOptions {
            tls_verify,
            ..super::registry_auth::registry_auth(&headers, &reference)?
        },
        arch: p.get("Arch").filter(|a| !a.is_empty()).map(str::to_owned),
        os: p.get("OS").filter(|o| !o.is_empty()).map(str::to_owned),
        quiet: p.bool("quiet", false)?,
        ..Default::default()
    };
    let (tx, rx) = mpsc::unbounded_channel::<Value>();
    let sink: Arc<dyn ProgressSink> = Arc::new(LineSink(tx.clone()));
    tokio::spawn(async move {
        let last = match engine.image_pull(&reference, options, Some(sink)).await {
            Ok(r) => {
                let id = r.images.first().cloned().unwrap_or_default();
                json!({"images": r.images, "id": id})
            }
            Err(e) => json!({"error": e.message}),
        };
        let _ = tx.send(last);
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let v = rx.recv().await?;
        let mut s = v.to_string();
        s.push('\n');
        Some((Ok::<_, std::io::Error>(Bytes::from(s)), rx))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `GET /libpod/images/{name}/json`, `/exists` and `/get`.
pub async fn get_by_name(
    State(engine): State<Engine>,
    method: Method,
    Path(rest): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    if let Some(name) = rest.strip_suffix("/get") {
        return super::image_archive::libpod_get_one(engine, name, &q).await;
    }
    // Podman serves Docker's history shape on the libpod path too.
    if let Some(name) = rest.strip_suffix("/history") {
        return super::more::image_history(&engine, name).await;
    }
    if let Some(name) = rest.strip_suffix("/json") {
        return Ok(Json(engine.image_inspect(name).await?).into_response());
    }
    if let Some(name) = rest.strip_suffix("/exists") {
        return if engine.image_exists(name).await? {
            Ok(StatusCode::NO_CONTENT.into_response())
        } else {
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("{name}: image not known"),
            ))
        };
    }
    Err(no_endpoint(&method, &rest))
}

/// `DELETE /libpod/images/remove?images=A&images=B` (`all`, `force`,
/// `ignore`, and rpod's `rpod_unused_only` for its remote client's
/// `run --rmi`: nothing goes while a container uses the image): the
/// untagged and deleted lists and the errors (rpod's report: errors as
/// `{kind, message}`).
pub async fn remove(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let names: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "images")
        .map(|(_, v)| v.clone())
        .collect();
    let p = Params(q.into_iter().filter(|(k, _)| k != "images").collect());
    let options = ImageRemoveOptions {
        all: p.bool("all", false)?,
        force: p.bool("force", false)?,
        ignore: p.bool("ignore", false)?,
        unused_only: p.bool("rpod_unused_only", false)?,
    };
    Ok(Json(engine.image_remove(names, options).await?).into_response())
}

fn no_endpoint(method: &Method, rest: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("{method} /libpod/images/{rest}: no such endpoint"),
    )
}
