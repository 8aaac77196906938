//! Push over the API: Docker's `POST /images/{name}/push?tag=T` (Docker's
//! JSON progress stream) and libpod's `POST /libpod/images/{name}/push`
//! (`{"stream"}` lines, then `{"manifestdigest"}` or `{"error"}`); and
//! libpod's `POST /libpod/images/{name}/untag`, on the same path.

use crate::body_io::async_stream;
use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::front_door::images::{
    ImagePushOptions, ImagePushReport, ProgressSink, PullProgress, PushCompression,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::registry_auth::registry_auth;
use crate::docker::image as shape;
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// What the push task sends the response stream.
enum PushEvent {
    Progress(PullProgress),
    Done(rpod_api::Result<ImagePushReport>),
}

struct ChannelSink(mpsc::UnboundedSender<PushEvent>);

impl ProgressSink for ChannelSink {
    fn event(&self, event: PullProgress) {
        let _ = self.0.send(PushEvent::Progress(event));
    }
}

/// Starts the push on its own task; its events arrive on the receiver.
fn spawn_push(
    engine: Engine,
    source: String,
    destination: Option<String>,
    options: ImagePushOptions,
) -> mpsc::UnboundedReceiver<PushEvent> {
    let (tx, rx) = mpsc::unbounded_channel();
    let sink: Arc<dyn ProgressSink> = Arc::new(ChannelSink(tx.clone()));
    tokio::spawn(async move {
        let result = engine
            .image_push(&source, destination.as_deref(), options, Some(sink))
            .await;
        let _ = tx.send(PushEvent::Done(result));
    });
    rx
}

/// One JSON object and its newline.
fn line(v: &Value) -> Bytes {
    let mut s = v.to_string();
    s.push('\n');
    Bytes::from(s)
}

/// Serves `rx` as a JSON stream: each event through `render` until it
/// says the stream ends.
fn json_stream(
    mut rx: mpsc::UnboundedReceiver<PushEvent>,
    first: Vec<Value>,
    render: impl Fn(PushEvent) -> (Vec<Value>, bool) + Send + Sync + 'static,
) -> Response {
    let stream = async_stream(move |tx| async move {
        for v in first {
            if tx.send(line(&v)).await.is_err() {
                return;
            }
        }
        while let Some(event) = rx.recv().await {
            let (values, finished) = render(event);
            for v in values {
                if tx.send(line(&v)).await.is_err() {
                    return;
                }
            }
            if finished {
                return;
            }
        }
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// `POST /images/{name}/push?tag=T` (`X-Registry-Auth`, `tlsVerify`,
/// `destination`): Docker's stream, "The push refers to repository
/// [NAME]", the progress, then "TAG: digest: DIGEST" and the `aux`
/// object. An image that is not stored is a 404 before the stream.
pub async fn docker_push(
    engine: Engine,
    name: &str,
    headers: &HeaderMap,
    p: &Params,
) -> ApiResult<Response> {
    if p.bool("all", false)? {
        return Err(ApiError::not_implemented(
            "pushing every tag (all) is not supported by rpod's service yet",
        ));
    }
    if p.get("format").is_some_and(|f| !f.is_empty()) {
        return Err(ApiError::not_implemented(
            "the manifest format of a push is not supported by rpod's service yet",
        ));
    }
    let tag = p.get("tag").filter(|t| !t.is_empty());
    let image = match tag {
        Some(t) => format!("{name}:{t}"),
        None => name.to_owned(),
    };
    if !engine.image_exists(&image).await? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("An image does not exist locally with the tag: {image}"),
        ));
    }
    let destination = p
        .get("destination")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let mut registry = registry_auth(headers, destination.as_deref().unwrap_or(&image))?;
    if p.get("tlsVerify").is_some_and(|v| !v.is_empty()) {
        registry.tls_verify = Some(p.bool("tlsVerify", true)?);
    }
    let options = ImagePushOptions {
        registry,
        ..Default::default()
    };
    let rx = spawn_push(engine, image.clone(), destination, options);
    let tag = tag.unwrap_or("latest").to_owned();
    let first = vec![json!({"status": format!("The push refers to repository [{image}]")})];
    Ok(json_stream(rx, first, move |event| match event {
        PushEvent::Progress(p) => (
            vec![crate::docker::image::transfer_message(
                &p,
                &crate::docker::image::PUSH_WORDS,
            )],
            false,
        ),
        // The status and the `aux` object apart, as Docker's daemon sends
        // them: Docker's CLI prints no message that has an `aux`.
        PushEvent::Done(Ok(r)) => (
            vec![
                json!({"status": format!("{tag}: digest: {}", r.manifest_digest), "progressDetail": {}}),
                json!({"progressDetail": {}, "aux": {"Tag": tag, "Digest": r.manifest_digest}}),
            ],
            true,
        ),
        PushEvent::Done(Err(e)) => (vec![shape::stream_error(&e.message)], true),
    }))
}

/// The push options of libpod's query.
fn libpod_options(headers: &HeaderMap, p: &Params, reference: &str) -> ApiResult<ImagePushOptions> {
    if p.bool("all", false)? {
        return Err(ApiError::not_implemented(
            "pushing every image of a manifest list (all) is not supported by rpod's service yet",
        ));
    }
    for key in ["format", "retry", "retryDelay"] {
        if p.get(key).is_some_and(|v| !v.is_empty()) {
            return Err(ApiError::not_implemented(format!(
                "the push parameter {key} is not supported by rpod's service yet"
            )));
        }
    }
    let mut registry = registry_auth(headers, reference)?;
    if p.get("tlsVerify").is_some_and(|v| !v.is_empty()) {
        registry.tls_verify = Some(p.bool("tlsVerify", true)?);
    }
    let level = p
        .int("compressionLevel")?
        .map(|l| {
            i32::try_from(l)
                .map_err(|_| ApiError::bad_request(format!("invalid compressionLevel {l}")))
        })
        .transpose()?;
    let format = p
        .get("compressionFormat")
        .filter(|f| !f.is_empty())
        .map(str::to_owned);
    let force = match p.get("forceCompressionFormat") {
        None | Some("") => None,
        Some(_) => Some(p.bool("forceCompressionFormat", false)?),
    };
    Ok(ImagePushOptions {
        registry,
        quiet: p.bool("quiet", true)?,
        remove_signatures: p.bool("removeSignatures", false)?,
        compression: PushCompression {
            format,
            level,
            force,
        },
    })
}

/// `POST /libpod/images/{name}/push` (`destination quiet tlsVerify
/// compressionFormat compressionLevel forceCompressionFormat
/// removeSignatures`, `X-Registry-Auth`). Quiet (the default): 200 and
/// `""` or 400 with the error; else `{"stream": LINE}` objects, then
/// `{"manifestdigest": D}` or `{"error": E}`.
pub async fn libpod_push(
    engine: Engine,
    name: &str,
    headers: &HeaderMap,
    p: &Params,
) -> ApiResult<Response> {
    let destination = p
        .get("destination")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let options = libpod_options(headers, p, destination.as_deref().unwrap_or(name))?;
    if options.quiet {
        let shown = destination.clone().unwrap_or_else(|| name.to_owned());
        return match engine
            .image_push(name, destination.as_deref(), options, None)
            .await
        {
            Ok(_) => Ok(Json(json!("")).into_response()),
            Err(e) if e.kind == rpod_api::ErrorKind::NoSuchImage => Err(e.into()),
            Err(e) => Err(ApiError {
                kind: Some(e.kind),
                ..ApiError::bad_request(format!("pushing image {shown:?}: {}", e.message))
            }),
        };
    }
    if !engine.image_exists(name).await? {
        return Err(ApiError {
            kind: Some(rpod_api::ErrorKind::NoSuchImage),
            ..ApiError::new(StatusCode::NOT_FOUND, format!("{name}: image not known"))
        });
    }
    let rx = spawn_push(engine, name.to_owned(), destination, options);
    Ok(json_stream(rx, Vec::new(), |event| match event {
        PushEvent::Progress(PullProgress::Line(l)) => {
            (vec![json!({"stream": format!("{l}\n")})], false)
        }
        PushEvent::Progress(_) => (Vec::new(), false),
        PushEvent::Done(Ok(r)) => (vec![json!({"manifestdigest": r.manifest_digest})], true),
        PushEvent::Done(Err(e)) => (vec![json!({"error": e.message})], true),
    }))
}

/// `POST /libpod/images/{name}/untag?repo=R&tag=T`: 201; without `repo`
/// every name goes (Podman's parameter rules).
async fn libpod_untag(engine: Engine, name: &str, p: &Params) -> ApiResult<Response> {
    let repo = p.get("repo").unwrap_or_default();
    let tag = p.get("tag").unwrap_or_default();
    let tags = match (repo.is_empty(), tag.is_empty()) {
        (true, false) => {
            return Err(ApiError::bad_request(
                "repo parameter is required to tag an image",
            ))
        }
        (true, true) => Vec::new(),
        (false, true) => vec![format!("{repo}:latest")],
        (false, false) => vec![format!("{repo}:{tag}")],
    };
    engine.image_untag(name, tags).await?;
    Ok((StatusCode::CREATED, Json(json!(""))).into_response())
}

/// `POST /libpod/images/{*rest}`: `NAME/push` and `NAME/untag` here, the
/// rest (`NAME/tag`) as Docker's.
pub async fn libpod_post_by_name(
    State(engine): State<Engine>,
    method: Method,
    headers: HeaderMap,
    Path(rest): Path<String>,
    query: Q,
) -> ApiResult<Response> {
    if let Some(name) = rest.strip_suffix("/push") {
        return libpod_push(engine, name, &headers, &Params(query.0)).await;
    }
    if let Some(name) = rest.strip_suffix("/untag") {
        return libpod_untag(engine, name, &Params(query.0)).await;
    }
    super::images::post_by_name(State(engine), method, headers, Path(rest), query).await
}
