//! Image build over the API: Docker's `POST /build` and libpod's
//! `POST /libpod/build`. The body is the build context as a tar archive
//! (plain or compressed), spooled to a private file the engine unpacks;
//! the query's parameters are read by [`super::build_query`].
//!
//! The answer streams as Podman's handler sends it: `{"stream": ...}`
//! objects with the build's output as it comes; on the Docker path, after
//! a success (not `q`), `{"aux": {"ID": "sha256:..."}}`, `Successfully
//! built <12 hex>` and `Successfully tagged NAME` per `t`; a failure is
//! `{"error", "errorDetail": {"message"}}` after the 200 was sent.

use crate::body_io::async_stream;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use rpod_api::front_door::build::{BuildContext, BuildOutcome, BuildSink};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::build_auth::registry_config;
use super::libpod_load::spool;
use crate::docker::image::stream_error;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

/// Which API's build.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Flavor {
    Docker,
    Libpod,
}

/// What the build task sends the response.
enum Event {
    /// A line of Buildah's standard output.
    Out(String),
    /// A line of its standard error (warnings, pull progress).
    Err(String),
    Done(rpod_api::Result<BuildOutcome>),
}

/// Cuts the build's output into lines, each an [`Event`].
struct LineSink {
    tx: mpsc::UnboundedSender<Event>,
    out: Mutex<Vec<u8>>,
    err: Mutex<Vec<u8>>,
}

impl LineSink {
    fn push(&self, buf: &Mutex<Vec<u8>>, bytes: &[u8], make: fn(String) -> Event) {
        let mut b = buf.lock().unwrap_or_else(|p| p.into_inner());
        b.extend_from_slice(bytes);
        while let Some(nl) = b.iter().position(|c| *c == b'\n') {
            let line: Vec<u8> = b.drain(..=nl).collect();
            let _ = self
                .tx
                .send(make(String::from_utf8_lossy(&line).into_owned()));
        }
    }

    /// What is left without a newline.
    fn flush(&self) {
        for (buf, make) in [
            (&self.out, Event::Out as fn(String) -> Event),
            (&self.err, Event::Err),
        ] {
            let mut b = buf.lock().unwrap_or_else(|p| p.into_inner());
            if !b.is_empty() {
                let rest = String::from_utf8_lossy(&b).into_owned();
                b.clear();
                let _ = self.tx.send(make(rest));
            }
        }
    }
}

impl BuildSink for LineSink {
    fn stdout(&self, bytes: &[u8]) {
        self.push(&self.out, bytes, Event::Out);
    }

    fn stderr(&self, bytes: &[u8]) {
        self.push(&self.err, bytes, Event::Err);
    }
}

/// `POST /build`.
pub async fn docker(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    build(engine, q, headers, body, Flavor::Docker).await
}

/// `POST /libpod/build`.
pub async fn libpod(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    build(engine, q, headers, body, Flavor::Libpod).await
}

async fn build(
    engine: Engine,
    q: Vec<(String, String)>,
    headers: HeaderMap,
    body: Body,
    flavor: Flavor,
) -> ApiResult<Response> {
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/"))
    {
        return Err(ApiError::not_implemented(
            "a multipart build context (additional build contexts) is not supported by rpod's service yet",
        ));
    }
    let mut options = super::build_query::options(&q, flavor)?;
    let auth = registry_config(&headers)?;
    if let Some(a) = &auth {
        a.apply(&mut options.registry);
    }
    let quiet = options.quiet;
    let tags = options.tags.clone();
    let spooled = spool(body).await?;
    let file = std::fs::File::open(&spooled.0).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("reading the build context: {e}"),
        )
    })?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink = Arc::new(LineSink {
        tx: tx.clone(),
        out: Mutex::default(),
        err: Mutex::default(),
    });
    tokio::spawn(async move {
        let result = engine
            .image_build(BuildContext::Tarball(Box::new(file)), options, sink.clone())
            .await;
        sink.flush();
        // The context file and the credentials go once the build is over.
        drop(spooled);
        drop(auth);
        let _ = tx.send(Event::Done(result));
    });
    // An error before the build ran (a bad context, a bad name) is the
    // request's status; once output came, the 200 is sent.
    let first = rx.recv().await;
    if let Some(Event::Done(Err(e))) = first {
        return Err(e.into());
    }
    let stream = async_stream(move |out| async move {
        let mut held: Vec<String> = Vec::new();
        let mut next = first;
        while let Some(event) = next {
            let values = match event {
                Event::Out(line) => vec![json!({ "stream": line })],
                // Podman keeps warnings back under `q` and sends them only
                // when the build fails.
                Event::Err(line) if quiet => {
                    held.push(line);
                    Vec::new()
                }
                Event::Err(line) => vec![json!({ "stream": line })],
                Event::Done(result) => {
                    let values = finish(result, flavor, quiet, &tags, &mut held);
                    send_all(&out, values).await;
                    return;
                }
            };
            if !send_all(&out, values).await {
                return;
            }
            next = rx.recv().await;
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The stream's last objects.
fn finish(
    result: rpod_api::Result<BuildOutcome>,
    flavor: Flavor,
    quiet: bool,
    tags: &[String],
    held: &mut Vec<String>,
) -> Vec<Value> {
    let failed = |message: &str, held: &mut Vec<String>| {
        let mut v: Vec<Value> = held.drain(..).map(|l| json!({ "stream": l })).collect();
        v.push(stream_error(message));
        v
    };
    match result {
        Err(e) => failed(&e.message, held),
        Ok(BuildOutcome::Failed { message, .. }) => failed(&message, held),
        Ok(BuildOutcome::Built { image_id }) => {
            if flavor == Flavor::Libpod || quiet {
                return Vec::new();
            }
            let mut v = vec![
                json!({"aux": {"ID": format!("sha256:{image_id}")}}),
                json!({"stream": format!("Successfully built {}\n", &image_id[..image_id.len().min(12)])}),
            ];
            v.extend(
                tags.iter()
                    .map(|t| json!({ "stream": format!("Successfully tagged {t}\n") })),
            );
            v
        }
    }
}

/// Sends each value as a JSON line; false once the client left.
async fn send_all(out: &mpsc::Sender<Bytes>, values: Vec<Value>) -> bool {
    for v in values {
        let mut line = Vec::new();
        if serde_json::to_writer(&mut line, &v).is_err() {
            continue;
        }
        let _ = line.write_all(b"\n");
        if out.send(Bytes::from(line)).await.is_err() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_success_ends_as_podman() {
        let v = finish(
            Ok(BuildOutcome::Built {
                image_id: "0123456789abcdef".into(),
            }),
            Flavor::Docker,
            false,
            &["a:1".into()],
            &mut Vec::new(),
        );
        assert_eq!(v[0]["aux"]["ID"], "sha256:0123456789abcdef");
        assert_eq!(v[1]["stream"], "Successfully built 0123456789ab\n");
        assert_eq!(v[2]["stream"], "Successfully tagged a:1\n");
        let v = finish(
            Ok(BuildOutcome::Built {
                image_id: "0123456789abcdef".into(),
            }),
            Flavor::Libpod,
            false,
            &[],
            &mut Vec::new(),
        );
        assert!(v.is_empty());
    }

    #[test]
    fn failure_sends_held_warnings_then_the_error() {
        let mut held = vec!["warn\n".to_string()];
        let v = finish(
            Ok(BuildOutcome::Failed {
                message: "boom".into(),
                exit_code: 1,
            }),
            Flavor::Docker,
            true,
            &[],
            &mut held,
        );
        assert_eq!(v[0]["stream"], "warn\n");
        assert_eq!(v[1]["error"], "boom");
        assert_eq!(v[1]["errorDetail"]["message"], "boom");
    }
}
