//! `POST /containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1` over
//! an upgraded connection (`Upgrade: tcp`, answered 101): the process's
//! output in Docker's multiplexed frames (raw for a TTY), the client's
//! bytes as its stdin. A running container is attached at once; a created
//! or exited one when it is started (see [`crate::attach`]).

use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use rpod_api::container_run::{AttachEnd, AttachOptions, AttachOutput, AttachSession};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::containers::inspect_one;
use super::logs::frame;
use crate::attach::SessionResult;
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Which streams the client wants.
#[derive(Clone, Copy)]
pub(super) struct Streams {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

/// Where the session comes from.
enum Source {
    Now(Box<dyn AttachSession>),
    AtStart(tokio::sync::oneshot::Receiver<SessionResult>),
}

/// The attach parameters rpod does not serve, on either attach path
/// (upgraded connection or WebSocket): 501 for each.
pub(super) fn refuse_unsupported(p: &Params) -> ApiResult<()> {
    if p.bool("logs", false)? {
        return Err(ApiError::not_implemented(
            "attach with logs=true is not supported by rpod yet",
        ));
    }
    if !p.bool("stream", false)? {
        return Err(ApiError::not_implemented(
            "attach without stream=true is not supported by rpod yet",
        ));
    }
    if p.get("detachKeys").is_some_and(|k| !k.is_empty()) {
        return Err(ApiError::not_implemented(
            "attach with detachKeys is not supported by rpod yet",
        ));
    }
    Ok(())
}

pub async fn attach(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    mut req: Request,
) -> ApiResult<Response> {
    let p = Params(q);
    refuse_unsupported(&p)?;
    require_upgrade(&req)?;
    let asked = Streams {
        stdin: p.bool("stdin", false)?,
        stdout: p.bool("stdout", false)?,
        stderr: p.bool("stderr", false)?,
        tty: false,
    };
    let prepared = prepare(&app, &id, asked).await?;
    let tty = prepared.streams.tty;
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let io = match on_upgrade.await {
            Ok(u) => Some(TokioIo::new(u)),
            Err(e) => {
                tracing::warn!(
                    "attach of {}: upgrading the connection: {e}",
                    prepared.full_id
                );
                None
            }
        };
        serve(app, prepared, io).await;
    });
    Ok(switching(tty))
}

/// An attach ready to be served: where its session comes from and the
/// streams the client gets.
pub(super) struct Prepared {
    source: Source,
    exit_tx: Option<tokio::sync::watch::Sender<Option<i32>>>,
    full_id: String,
    /// The streams asked for (stdin only for a container with open stdin),
    /// `tty` the container's.
    pub streams: Streams,
}

/// Looks the container up and takes its session: at once for a running
/// one, at its start for another (404 for a missing container).
pub(super) async fn prepare(app: &AppState, id: &str, asked: Streams) -> ApiResult<Prepared> {
    let data = inspect_one(&app.engine, id, false).await?;
    let config = data.config.clone().unwrap_or_default();
    let streams = Streams {
        stdin: asked.stdin && config.open_stdin,
        stdout: asked.stdout,
        stderr: asked.stderr,
        tty: config.tty,
    };
    let running = data.state.as_ref().is_some_and(|s| s.running || s.paused);
    let full_id = data.id.clone();
    let (source, exit_tx) = if running {
        let options = AttachOptions {
            no_stdin: !streams.stdin,
            ..Default::default()
        };
        let session = app.engine.container_attach(&full_id, options).await?;
        (Source::Now(session), None)
    } else {
        let reg = app.attaches.register(&full_id, streams.stdin);
        (Source::AtStart(reg.session), Some(reg.exit))
    };
    Ok(Prepared {
        source,
        exit_tx,
        full_id,
        streams,
    })
}

/// Serves a prepared attach on `io` (`None`: the connection could not be
/// taken over; the output is drained) with `streams`.
pub(super) async fn serve<IO>(app: AppState, prepared: Prepared, io: Option<IO>)
where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let Prepared {
        source,
        exit_tx,
        full_id,
        streams,
    } = prepared;
    let session = match source {
        Source::Now(s) => Some(s),
        Source::AtStart(rx) => match rx.await {
            Ok(Ok(s)) => Some(s),
            Ok(Err(e)) => {
                tracing::debug!("attach of {full_id}: the start failed: {e}");
                None
            }
            Err(_) => None,
        },
    };
    let report = move |code: Option<i32>| {
        if let Some(tx) = exit_tx {
            let _ = tx.send(code);
        }
    };
    match (session, io) {
        (Some(session), Some(io)) => {
            let key = format!("ctr:{full_id}");
            app.controls.register(key.clone(), session.control());
            pump(session, io, streams, report).await;
            app.controls.remove(&key);
        }
        (Some(session), None) => report(drain(session).await),
        _ => report(None),
    }
    app.attaches.remove(&full_id);
}

/// Whether the request asks for Docker's upgraded connection; 400 if not.
pub(super) fn require_upgrade(req: &Request) -> ApiResult<()> {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if upgrade == "tcp" {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "attach needs an upgraded connection (Connection: Upgrade, Upgrade: tcp)",
        ))
    }
}

/// The 101 answer that hands the connection over to the stream.
pub(super) fn switching(tty: bool) -> Response {
    let content_type = if tty {
        "application/vnd.docker.raw-stream"
    } else {
        "application/vnd.docker.multiplexed-stream"
    };
    let mut resp = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// The process's output read on a blocking thread (the session's reads
/// block), handed over on a channel; the session back when it ended.
fn read_output(
    mut session: Box<dyn AttachSession>,
) -> (
    mpsc::Receiver<AttachOutput>,
    tokio::task::JoinHandle<Box<dyn AttachSession>>,
) {
    let (tx, rx) = mpsc::channel(64);
    let reader = tokio::task::spawn_blocking(move || {
        loop {
            match session.next_output() {
                Ok(Some(out)) => {
                    // A client gone: keep reading so the process is never
                    // blocked on a full pipe; the output is dropped.
                    let _ = tx.blocking_send(out);
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!("attach: reading the process's output: {e}");
                    break;
                }
            }
        }
        session
    });
    (rx, reader)
}

/// How the attached process ended (`None`: detached or unknown).
async fn finish(session: Box<dyn AttachSession>) -> Option<i32> {
    match session.finish().await {
        Ok(AttachEnd::Exited(code)) => Some(code),
        Ok(AttachEnd::Detached) => None,
        Err(e) => {
            tracing::warn!("attach: {e}");
            None
        }
    }
}

/// Without a connection: the output is read and dropped until the end.
pub(super) async fn drain(session: Box<dyn AttachSession>) -> Option<i32> {
    let (mut rx, reader) = read_output(session);
    while rx.recv().await.is_some() {}
    finish(reader.await.ok()?).await
}

/// Copies the output to the client and the client's bytes to stdin until
/// the process's output ends; `report` gets the exit code before the
/// connection is closed (a client asks for it once it sees the end).
pub(super) async fn pump(
    mut session: Box<dyn AttachSession>,
    io: impl AsyncRead + AsyncWrite + Send + 'static,
    streams: Streams,
    report: impl FnOnce(Option<i32>),
) {
    let (mut rd, mut wr) = tokio::io::split(io);
    if let Some(mut input) = streams.stdin.then(|| session.take_input()).flatten() {
        tokio::spawn(async move {
            let mut buf = vec![0u8; 32 * 1024];
            loop {
                let n = rd.read(&mut buf).await.unwrap_or(0);
                let data = buf[..n].to_vec();
                let sent = tokio::task::spawn_blocking(move || {
                    let r = if data.is_empty() {
                        input.close()
                    } else {
                        input.send(&data)
                    };
                    (input, r)
                })
                .await;
                match sent {
                    Ok((back, Ok(()))) if n > 0 => input = back,
                    _ => break,
                }
            }
        });
    }
    let (mut rx, reader) = read_output(session);
    let mut client_gone = false;
    while let Some(out) = rx.recv().await {
        let bytes = match out {
            AttachOutput::Stdout(d) if streams.stdout => {
                if streams.tty {
                    d
                } else {
                    frame(1, &d)
                }
            }
            AttachOutput::Stderr(d) if streams.stderr => {
                if streams.tty {
                    d
                } else {
                    frame(2, &d)
                }
            }
            _ => continue,
        };
        if !client_gone && wr.write_all(&bytes).await.is_err() {
            client_gone = true;
        }
    }
    let code = match reader.await {
        Ok(session) => finish(session).await,
        Err(_) => None,
    };
    report(code);
    let _ = wr.flush().await;
    let _ = wr.shutdown().await;
}
