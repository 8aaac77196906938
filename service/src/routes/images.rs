//! Docker's image endpoints: list, pull (`/images/create`), inspect,
//! delete, tag. Image names hold slashes, so `/images/{*rest}` is split
//! here: `NAME/json`, `NAME/history`, `NAME/tag`, `NAME`, and `NAME/get`
//! ([`super::image_archive`]) and `NAME/push` ([`super::image_push`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::front_door::images::{
    ImageListOptions, ImagePullOptions, ImagePullReport, ImageRemoveOptions, ProgressSink,
    PullProgress,
};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::docker::image as shape;
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// `GET /images/json` (`all`, `filters`).
pub async fn list(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let p = Params(q);
    let filter = p.filter_list()?;
    let options = ImageListOptions {
        all: p.bool("all", false)?,
        filter,
        ..Default::default()
    };
    let images = engine.image_list(options).await?;
    let out: Vec<Value> = images.iter().map(shape::list_entry).collect();
    Ok(Json(out).into_response())
}

/// What the pull task sends the response stream.
enum PullEvent {
    Progress(Value),
    Done(rpod_api::Result<ImagePullReport>),
}

struct ChannelSink(mpsc::UnboundedSender<PullEvent>);

impl ProgressSink for ChannelSink {
    fn event(&self, event: PullProgress) {
        let _ = self
            .0
            .send(PullEvent::Progress(shape::progress_message(&event)));
    }
}

/// One JSON message line of the stream.
fn line(v: &Value) -> Bytes {
    let mut s = v.to_string();
    s.push('\n');
    Bytes::from(s)
}

/// `POST /images/create?fromImage=NAME&tag=TAG`: pulls, streaming Docker's
/// JSON progress messages. A pull that fails before any progress answers
/// with its own status (404 for an unknown image); later failures end the
/// stream with an error message.
pub async fn pull(
    State(engine): State<Engine>,
    headers: HeaderMap,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    if p.get("fromSrc").is_some_and(|s| !s.is_empty()) {
        return Err(ApiError::not_implemented(
            "importing an image (fromSrc) is not supported by rpod yet",
        ));
    }
    if p.get("platform").is_some_and(|s| !s.is_empty()) {
        return Err(ApiError::not_implemented(
            "the platform parameter of image pull is not supported by rpod yet",
        ));
    }
    let image = p
        .get("fromImage")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| ApiError::bad_request("fromImage is required"))?;
    let reference = match p.get("tag").filter(|t| !t.is_empty()) {
        Some(t) if t.starts_with("sha256:") => format!("{image}@{t}"),
        Some(t) if !image.contains('@') => format!("{image}:{t}"),
        _ => image.to_owned(),
    };
    let options = ImagePullOptions {
        registry: super::registry_auth::registry_auth(&headers, &reference)?,
        blob_progress: true,
        ..Default::default()
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink: Arc<dyn ProgressSink> = Arc::new(ChannelSink(tx.clone()));
    let task_ref = reference.clone();
    tokio::spawn(async move {
        let result = engine.image_pull(&task_ref, options, Some(sink)).await;
        let _ = tx.send(PullEvent::Done(result));
    });
    let first = rx.recv().await;
    if let Some(PullEvent::Done(Err(e))) = first {
        return Err(e.into());
    }
    let done_message = move |r: &ImagePullReport| {
        let id = r.images.first().map(String::as_str).unwrap_or_default();
        line(&serde_json::json!({
            "status": format!("Status: Downloaded newer image for {reference}"),
            "id": id,
        }))
    };
    let stream =
        futures_util::stream::unfold((first, rx, false), move |(pending, mut rx, finished)| {
            let done_message = done_message.clone();
            async move {
                if finished {
                    return None;
                }
                let event = match pending {
                    Some(e) => Some(e),
                    None => rx.recv().await,
                };
                let (bytes, finished) = match event? {
                    PullEvent::Progress(v) => (line(&v), false),
                    PullEvent::Done(Ok(r)) => (done_message(&r), true),
                    PullEvent::Done(Err(e)) => (line(&shape::stream_error(&e.message)), true),
                };
                Some((Ok::<_, std::io::Error>(bytes), (None, rx, finished)))
            }
        });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `GET /images/{name}/json`, `/history`, `/get`.
pub async fn get_by_name(
    State(engine): State<Engine>,
    method: Method,
    Path(rest): Path<String>,
) -> ApiResult<Response> {
    if let Some(name) = rest.strip_suffix("/get") {
        return super::image_archive::docker_get_one(engine, name).await;
    }
    if let Some(name) = rest.strip_suffix("/json") {
        let data = engine.image_inspect(name).await?;
        return Ok(Json(shape::inspect(&data)).into_response());
    }
    if let Some(name) = rest.strip_suffix("/history") {
        return super::more::image_history(&engine, name).await;
    }
    Err(unsupported(&method, &rest))
}

/// `POST /images/{name}/tag?repo=R&tag=T`: 201; `/push`: see
/// [`super::image_push`].
pub async fn post_by_name(
    State(engine): State<Engine>,
    method: Method,
    headers: HeaderMap,
    Path(rest): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    if let Some(name) = rest.strip_suffix("/push") {
        return super::image_push::docker_push(engine, name, &headers, &p).await;
    }
    let Some(name) = rest.strip_suffix("/tag") else {
        return Err(unsupported(&method, &rest));
    };
    let repo = p
        .get("repo")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::bad_request("repo is required"))?;
    let target = match p.get("tag").filter(|t| !t.is_empty()) {
        Some(t) => format!("{repo}:{t}"),
        None => repo.to_owned(),
    };
    engine.image_tag(name, vec![target]).await?;
    Ok(StatusCode::CREATED.into_response())
}

/// `DELETE /images/{name}?force=1`: Docker's untagged/deleted list.
pub async fn remove(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    if p.bool("noprune", false)? {
        return Err(ApiError::not_implemented(
            "noprune is not supported by rpod (it keeps no untagged parents)",
        ));
    }
    let options = ImageRemoveOptions {
        force: p.bool("force", false)?,
        ..Default::default()
    };
    let report = engine.image_remove(vec![name], options).await?;
    if let Some(e) = report.errors.first() {
        return Err(e.clone().into());
    }
    Ok(Json(shape::remove_report(&report)).into_response())
}

fn unsupported(method: &Method, rest: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("{method} /images/{rest}: no such endpoint"),
    )
}
