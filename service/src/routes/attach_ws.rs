//! `GET /containers/{id}/attach/ws`: Docker's WebSocket attach. The
//! container's output goes out as it comes, never multiplexed (stdout and
//! stderr in the same messages, as Docker's daemon), in binary frames for
//! API 1.28 and later and text frames before (invalid UTF-8 replaced); the
//! client's messages, text or binary, are the container's stdin, and its
//! close closes stdin. `stdin`, `stdout` and `stderr` choose the streams
//! from API 1.42 on; before, all three are attached, as Docker. The
//! session is the one the upgraded attach pumps ([`super::attach`]).

use std::collections::HashMap;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::attach::{prepare, serve, Streams};
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::version::RequestedVersion;
use crate::AppState;

/// The bytes a pumped session's stream is read in (one message each).
const CHUNK: usize = 32 * 1024;

pub async fn attach_ws(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    version: Option<Extension<RequestedVersion>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let p = Params(q);
    super::attach::refuse_unsupported(&p)?;
    let ws =
        ws.map_err(|e| ApiError::bad_request(format!("attach/ws needs a WebSocket upgrade: {e}")))?;
    let version = version.and_then(|Extension(v)| v.0);
    let choose = version.is_none_or(|v| v >= (1, 42));
    let binary = version.is_none_or(|v| v >= (1, 28));
    let asked = Streams {
        stdin: !choose || p.bool("stdin", false)?,
        stdout: !choose || p.bool("stdout", false)?,
        stderr: !choose || p.bool("stderr", false)?,
        tty: false,
    };
    let mut prepared = prepare(&app, &id, asked).await?;
    // Raw bytes: Docker never multiplexes the WebSocket stream.
    prepared.streams.tty = true;
    let stdin = prepared.streams.stdin;
    Ok(ws.on_upgrade(move |socket| async move {
        let (ours, theirs) = tokio::io::duplex(CHUNK * 2);
        tokio::spawn(serve(app, prepared, Some(ours)));
        bridge(socket, theirs, binary, stdin).await;
    }))
}

/// Copies the session's bytes into WebSocket messages and the client's
/// messages into the session (when it takes stdin) until the output ends;
/// then closes the WebSocket.
async fn bridge(mut socket: WebSocket, io: DuplexStream, binary: bool, stdin: bool) {
    let (mut rd, mut wr) = tokio::io::split(io);
    let mut buf = vec![0u8; CHUNK];
    let mut client_open = true;
    loop {
        tokio::select! {
            n = rd.read(&mut buf) => {
                let n = n.unwrap_or(0);
                if n == 0 {
                    break;
                }
                let data = &buf[..n];
                let msg = if binary {
                    Message::Binary(axum::body::Bytes::copy_from_slice(data))
                } else {
                    Message::Text(String::from_utf8_lossy(data).into_owned().into())
                };
                // A client gone: keep reading so the session is never
                // blocked; the output is dropped.
                if client_open && socket.send(msg).await.is_err() {
                    client_open = false;
                }
            }
            msg = socket.recv(), if client_open => {
                let data = match msg {
                    Some(Ok(Message::Text(t))) => axum::body::Bytes::from(t),
                    Some(Ok(Message::Binary(b))) => b,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => {
                        client_open = false;
                        let _ = wr.shutdown().await;
                        continue;
                    }
                };
                if stdin && wr.write_all(&data).await.is_err() {
                    tracing::debug!("attach/ws: the container's stdin is closed");
                }
            }
        }
    }
    if client_open {
        let _ = socket.send(Message::Close(None)).await;
    }
}
