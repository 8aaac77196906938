//! Docker's exec endpoints: create, start (streamed over the upgraded
//! connection like attach, or detached), inspect.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hyper_util::rt::TokioIo;
use rpod_api::container_run::ExecOptions;
use rpod_api::ErrorKind;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::attach::{drain, pump, require_upgrade, switching, Streams};
use super::containers::inspect_one;
use super::logs::frame;
use crate::error::{read_body, ApiError, ApiResult};
use crate::exec::{ExecConfig, ExecError, ExecState};
use crate::AppState;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct CreateBody {
    attach_stdin: bool,
    attach_stdout: bool,
    attach_stderr: bool,
    tty: bool,
    cmd: Option<Vec<String>>,
    env: Option<Vec<String>>,
    working_dir: Option<String>,
    user: Option<String>,
    privileged: bool,
    detach_keys: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct StartBody {
    detach: bool,
    /// libpod's terminal height and width for a TTY.
    #[serde(rename = "h")]
    height: Option<u16>,
    #[serde(rename = "w")]
    width: Option<u16>,
}

fn exec_error(e: ExecError) -> ApiError {
    let status = match e {
        ExecError::NotFound(_) => StatusCode::NOT_FOUND,
        ExecError::AlreadyStarted(_) => StatusCode::CONFLICT,
    };
    ApiError::new(status, e.to_string())
}

fn decode<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("decode(): {e}")))
}

/// `POST /containers/{id}/exec`: 201 with the session's id; 409 when the
/// container does not run.
pub async fn create(
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let b: CreateBody = decode(&read_body(body).await?)?;
    if b.privileged {
        return Err(ApiError::not_implemented(
            "exec with Privileged is not supported by rpod yet",
        ));
    }
    if b.detach_keys.as_deref().is_some_and(|k| !k.is_empty()) {
        return Err(ApiError::not_implemented(
            "exec with DetachKeys is not supported by rpod yet",
        ));
    }
    let cmd = b
        .cmd
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("No exec command specified"))?;
    let data = inspect_one(&app.engine, &id, false).await?;
    if !data.state.as_ref().is_some_and(|s| s.running) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("container {} is not running", data.id),
        ));
    }
    let config = ExecConfig {
        container_id: data.id,
        cmd,
        env: b.env.unwrap_or_default(),
        workdir: b.working_dir.filter(|w| !w.is_empty()),
        user: b.user.filter(|u| !u.is_empty()),
        tty: b.tty,
        stdin: b.attach_stdin,
        stdout: b.attach_stdout,
        stderr: b.attach_stderr,
    };
    let exec_id = app.execs.create(config);
    Ok((StatusCode::CREATED, Json(json!({"Id": exec_id}))).into_response())
}

/// `POST /exec/{id}/start`: runs the process; streamed over the upgraded
/// connection, or with `Detach` in the background (200).
///
/// Docker's clients read the first output from the raw socket after they
/// parsed the 101 (docker-py loses bytes that came with the headers): for
/// them, as Docker and Podman do, the process starts once the connection
/// is handed over, and a failure to start is written to the stream with
/// exit code 126 (127 for a missing command). libpod clients (rpod's
/// remote client) get the process started first and a failure as the
/// answer's status, with its error kind.
pub async fn start(
    State(app): State<AppState>,
    Path(exec_id): Path<String>,
    mut req: Request,
) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body).await?;
    let b: StartBody = decode(&bytes)?;
    req = Request::from_parts(parts, axum::body::Body::empty());
    app.execs.get(&exec_id).map_err(exec_error)?;
    if !b.detach {
        require_upgrade(&req)?;
    }
    let libpod = req.uri().path().starts_with("/libpod/");
    let config = app.execs.start(&exec_id).map_err(exec_error)?;
    let options = ExecOptions {
        latest: false,
        command: config.cmd.clone(),
        env: config.env.clone(),
        workdir: config.workdir.clone(),
        user: config.user.clone(),
        tty: config.tty,
        interactive: config.stdin && !b.detach,
        terminal_size: b.height.zip(b.width).filter(|_| config.tty),
        preserve_fds: 0,
    };
    let container_id = config.container_id.clone();
    let started = if libpod || b.detach {
        match app
            .engine
            .container_exec(&container_id, options.clone())
            .await
        {
            Ok(s) => Some(s),
            Err(e) => {
                app.execs.exited(&exec_id, None);
                return Err(e.into());
            }
        }
    } else {
        None
    };
    let execs = app.execs.clone();
    if b.detach {
        if let Some(session) = started {
            tokio::spawn(async move {
                let code = drain(session).await;
                execs.exited(&exec_id, code);
            });
        }
        return Ok(StatusCode::OK.into_response());
    }
    let streams = Streams {
        stdin: config.stdin,
        stdout: config.stdout,
        stderr: config.stderr,
        tty: config.tty,
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let controls = app.controls.clone();
    let engine = app.engine.clone();
    tokio::spawn(async move {
        let key = format!("exec:{exec_id}");
        let report = |code| execs.exited(&exec_id, code);
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!("exec {exec_id}: upgrading the connection: {e}");
                let code = match started {
                    Some(session) => drain(session).await,
                    None => None,
                };
                report(code);
                return;
            }
        };
        let mut io = TokioIo::new(upgraded);
        let session = match started {
            Some(s) => s,
            None => match engine.container_exec(&container_id, options).await {
                Ok(s) => s,
                Err(e) => {
                    let code = match e.kind {
                        ErrorKind::CommandNotFound => 127,
                        _ => 126,
                    };
                    let line = format!("Error: {e}\n");
                    let bytes = if streams.tty {
                        line.into_bytes()
                    } else {
                        frame(2, line.as_bytes())
                    };
                    let _ = io.write_all(&bytes).await;
                    let _ = io.shutdown().await;
                    report(Some(code));
                    return;
                }
            },
        };
        controls.register(key.clone(), session.control());
        pump(session, io, streams, report).await;
        controls.remove(&key);
    });
    Ok(switching(config.tty))
}

/// `GET /exec/{id}/json`.
pub async fn inspect(
    State(app): State<AppState>,
    Path(exec_id): Path<String>,
) -> ApiResult<Response> {
    let e = app.execs.get(&exec_id).map_err(exec_error)?;
    let c = &e.config;
    let (running, exit_code) = match e.state {
        ExecState::Created => (false, None),
        ExecState::Running => (true, None),
        ExecState::Exited(code) => (false, code),
    };
    Ok(Json(json!({
        "ID": exec_id,
        "Running": running,
        "ExitCode": exit_code,
        "ProcessConfig": {
            "tty": c.tty,
            "entrypoint": c.cmd.first(),
            "arguments": c.cmd.get(1..).unwrap_or_default(),
            "privileged": false,
            "user": c.user.clone().unwrap_or_default(),
        },
        "OpenStdin": c.stdin,
        "OpenStderr": c.stderr,
        "OpenStdout": c.stdout,
        "CanRemove": false,
        "ContainerID": c.container_id,
        "DetachKeys": "",
        "Pid": 0,
    }))
    .into_response())
}
