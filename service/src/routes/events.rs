//! `GET /events` and `GET /libpod/events`: the engine's events as a stream
//! of JSON objects, one a line (Podman's `entities.Event`, Docker's words
//! on the Docker path), flushed as they happen.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rpod_api::events::{EventStream, EventsOptions};

use crate::docker::query::Params;
use crate::error::ApiResult;
use crate::Engine;

type Q = Query<HashMap<String, String>>;

async fn events(engine: Engine, q: HashMap<String, String>, docker: bool) -> ApiResult<Response> {
    let p = Params(q);
    let text = |k: &str| p.get(k).filter(|v| !v.is_empty()).map(str::to_owned);
    let options = EventsOptions {
        filters: p.filter_list()?,
        since: text("since"),
        until: text("until"),
        stream: p.bool("stream", true)?,
    };
    let stream = engine.system_events(options).await?;
    let body =
        futures_util::stream::unfold(stream, move |mut s: Box<dyn EventStream>| async move {
            loop {
                match s.next_event().await? {
                    Ok(e) => {
                        let mut line = e.to_api_json(docker).to_string().into_bytes();
                        line.push(b'\n');
                        return Some((Ok::<_, std::io::Error>(Bytes::from(line)), s));
                    }
                    // Podman logs an event it cannot read and goes on.
                    Err(e) => tracing::warn!("reading an event: {}", e.message),
                }
            }
        });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response())
}

/// `GET /events` (Docker's).
pub async fn docker(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    events(engine, q, true).await
}

/// `GET /libpod/events`.
pub async fn libpod(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    events(engine, q, false).await
}
