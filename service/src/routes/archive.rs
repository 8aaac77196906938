//! `HEAD|GET|PUT /containers/{id}/archive?path=...` (Docker's and libpod's):
//! a container path's stat in the `X-Docker-Container-Path-Stat` header
//! (base64 of its JSON), the path as a tar stream, or a tar stream
//! unpacked into a directory of the container.

use std::collections::HashMap;
use std::io::{self, Read};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::StreamExt;
use rpod_api::front_door::container_copy::{
    CopyDestination, CopyOptions, CopyRequest, CopySource, PathStat,
};
use serde_json::json;
use tokio::sync::mpsc;

use crate::body_io::streamed_body;
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

const STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// Which API asked: Podman's clients decode the header as URL-safe
/// base64 and chown by default; Docker's as standard base64 and not.
#[derive(Clone, Copy)]
enum Api {
    Docker,
    Libpod,
}

fn required_path(p: &Params) -> ApiResult<String> {
    match p.get("path") {
        Some(path) if !path.is_empty() => Ok(path.to_owned()),
        _ => Err(ApiError::bad_request("missing `path` parameter")),
    }
}

/// The stat header's value: `stat` as JSON (Podman's `define.FileInfo`).
fn stat_header(stat: &PathStat, api: Api) -> ApiResult<HeaderValue> {
    let (secs, nanos) = stat.mtime;
    let mtime = chrono::DateTime::from_timestamp(secs, nanos)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default();
    let body = json!({
        "name": stat.name,
        "size": stat.size,
        "mode": stat.go_mode(),
        "mtime": mtime,
        "isDir": stat.is_dir,
        "linkTarget": stat.link_target,
    })
    .to_string();
    let encoded = match api {
        Api::Docker => base64::engine::general_purpose::STANDARD.encode(body),
        Api::Libpod => base64::engine::general_purpose::URL_SAFE.encode(body),
    };
    HeaderValue::from_str(&encoded).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding the path's stat: {e}"),
        )
    })
}

fn no_such_path(path: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("{path:?} could not be found: No such file or directory"),
    )
}

/// The stat of `path` in `id`, as the response header; 404 when missing.
async fn stat(engine: &Engine, id: &str, path: &str, api: Api) -> ApiResult<HeaderValue> {
    match engine.container_stat(id, path).await? {
        Some(s) => stat_header(&s, api),
        None => Err(no_such_path(path)),
    }
}

async fn head(
    engine: Engine,
    id: String,
    q: HashMap<String, String>,
    api: Api,
) -> ApiResult<Response> {
    let path = required_path(&Params(q))?;
    let value = stat(&engine, &id, &path, api).await?;
    Ok(([(STAT_HEADER, value)], StatusCode::OK).into_response())
}

async fn get(
    engine: Engine,
    id: String,
    q: HashMap<String, String>,
    api: Api,
) -> ApiResult<Response> {
    let path = required_path(&Params(q))?;
    let value = stat(&engine, &id, &path, api).await?;
    let (writer, body) = streamed_body();
    tokio::spawn(async move {
        let request = CopyRequest {
            source: CopySource::Container {
                container: id.clone(),
                path,
            },
            destination: CopyDestination::Stream(writer),
            options: CopyOptions::default(),
        };
        // The status is sent: a failure now can only end the stream early.
        if let Err(e) = engine.container_copy(request).await {
            tracing::warn!(container = %id, "archive of a container path: {}", e.message);
        }
    });
    Ok((
        [
            (
                header::CONTENT_TYPE.as_str(),
                HeaderValue::from_static("application/x-tar"),
            ),
            (STAT_HEADER, value),
        ],
        body,
    )
        .into_response())
}

async fn put(
    engine: Engine,
    id: String,
    q: HashMap<String, String>,
    api: Api,
    body: Body,
) -> ApiResult<Response> {
    let p = Params(q);
    let path = required_path(&p)?;
    if p.get("rename")
        .is_some_and(|r| !matches!(r, "" | "{}" | "null"))
    {
        return Err(ApiError::not_implemented(
            "the rename parameter of PUT archive is not supported yet",
        ));
    }
    let options = CopyOptions {
        chown: p.bool("copyUIDGID", matches!(api, Api::Libpod))?,
        overwrite: !p.bool("noOverwriteDirNonDir", false)?,
    };
    match engine.container_stat(&id, &path).await? {
        None => return Err(no_such_path(&path)),
        Some(s) if !s.is_dir => {
            return Err(ApiError::bad_request(format!(
                "extraction point is not a directory: {path:?}"
            )))
        }
        Some(_) => {}
    }
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(16);
    let feeder = tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(io::Error::other);
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                break;
            }
        }
    });
    let request = CopyRequest {
        source: CopySource::Stream(Box::new(ChannelReader {
            rx,
            current: Bytes::new(),
        })),
        destination: CopyDestination::Container {
            container: id,
            path,
        },
        options,
    };
    let res = engine.container_copy(request).await;
    feeder.abort();
    res?;
    Ok(StatusCode::OK.into_response())
}

/// The request body, read by the engine on its blocking thread.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

macro_rules! handlers {
    ($api:expr, $head:ident, $get:ident, $put:ident) => {
        pub async fn $head(
            State(engine): State<Engine>,
            Path(id): Path<String>,
            Query(q): Q,
        ) -> ApiResult<Response> {
            head(engine, id, q, $api).await
        }

        pub async fn $get(
            State(engine): State<Engine>,
            Path(id): Path<String>,
            Query(q): Q,
        ) -> ApiResult<Response> {
            get(engine, id, q, $api).await
        }

        pub async fn $put(
            State(engine): State<Engine>,
            Path(id): Path<String>,
            Query(q): Q,
            body: Body,
        ) -> ApiResult<Response> {
            put(engine, id, q, $api, body).await
        }
    };
}

handlers!(Api::Docker, docker_head, docker_get, docker_put);
handlers!(Api::Libpod, libpod_head, libpod_get, libpod_put);
