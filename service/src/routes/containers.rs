//! Docker's container endpoints: list, create, inspect, start, stop,
//! restart, kill, pause, unpause, wait, delete.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::container::{
    ContainerExistsOptions, ContainerListOptions, ContainerReport, InspectOptions, KillOptions,
    PauseUnpauseOptions, RestartOptions, RmOptions, StopOptions, WaitOptions,
};
use rpod_api::container_run::StartAttachOptions;
use rpod_api::inspect::InspectContainerData;
use serde_json::json;

use crate::docker::query::Params;
use crate::docker::{self, create, signal::parse_signal};
use crate::error::{read_body, ApiError, ApiResult};
use crate::{AppState, Engine};

type Q = Query<HashMap<String, String>>;

/// How often `wait` looks at a condition other than an exit.
const WAIT_INTERVAL: Duration = Duration::from_millis(250);

/// `GET /containers/json` (`all`, `limit`, `size`, `filters`).
pub async fn list(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let p = Params(q);
    let options = ContainerListOptions {
        all: p.bool("all", false)?,
        filters: p.filters()?,
        last: p.int("limit")?.filter(|l| *l > 0).unwrap_or(-1),
        size: p.bool("size", false)?,
        ..Default::default()
    };
    let list = engine.container_list(options).await?;
    // Docker lists newest first.
    let out: Vec<_> = list
        .iter()
        .rev()
        .map(docker::container::list_entry)
        .collect();
    Ok(Json(out).into_response())
}

/// `POST /containers/create?name=NAME`: 201 with the id.
pub async fn create(State(engine): State<Engine>, Query(q): Q, body: Body) -> ApiResult<Response> {
    let body = read_body(body).await?;
    let p = Params(q);
    if p.get("platform").is_some_and(|pl| !pl.is_empty()) {
        return Err(ApiError::not_implemented(
            "the platform parameter of container create is not supported by rpod yet",
        ));
    }
    let spec = create::create_spec(create::parse_body(&body)?, p.get("name").map(str::to_owned))?;
    let report = engine.container_create(spec, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"Id": report.id, "Warnings": report.warnings})),
    )
        .into_response())
}

/// The inspect data of one container (404 when there is none).
pub(super) async fn inspect_one(
    engine: &Engine,
    id: &str,
    size: bool,
) -> ApiResult<InspectContainerData> {
    let options = InspectOptions {
        size,
        ..Default::default()
    };
    let (mut found, mut errors) = engine.container_inspect(&[id.to_owned()], options).await?;
    match (found.pop(), errors.pop()) {
        (Some(d), _) => Ok(d),
        (None, Some(e)) => Err(e.into()),
        (None, None) => Err(ApiError::no_such_container(id)),
    }
}

/// `GET /containers/{id}/json` (`size`).
pub async fn inspect(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let size = Params(q).bool("size", false)?;
    let data = inspect_one(&engine, &id, size).await?;
    Ok(Json(docker::container::inspect(&data)).into_response())
}

/// The report for `id`: its error as the request's (a missing one: no
/// such container).
pub(super) fn first(reports: Vec<ContainerReport>, id: &str) -> ApiResult<()> {
    match reports.into_iter().next() {
        Some(ContainerReport { err: Some(e), .. }) => Err(e.into()),
        Some(_) => Ok(()),
        None => Err(ApiError::no_such_container(id)),
    }
}

pub(super) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn timeout(p: &Params) -> ApiResult<Option<u64>> {
    Ok(p.int("t")?
        .or(p.int("timeout")?)
        .map(|t| u64::try_from(t).unwrap_or(u64::from(u32::MAX))))
}

/// Whether the container runs (or is paused); 404 when it does not exist.
async fn is_running(engine: &Engine, id: &str) -> ApiResult<bool> {
    let d = inspect_one(engine, id, false).await?;
    Ok(d.state.is_some_and(|s| s.running || s.paused))
}

/// `POST /containers/{id}/start`: 204, or 304 when it already runs. An
/// attach waiting for the container gets the session of an attached start.
pub async fn start(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let engine = &app.engine;
    if !app.attaches.is_empty() {
        let full_id = inspect_one(engine, &id, false).await?.id;
        if let Some((starter, interactive)) = app.attaches.take_starter(&full_id) {
            let options = StartAttachOptions {
                interactive,
                terminal_size: None,
            };
            return match engine.container_start_attached(&full_id, options).await {
                Ok(session) => {
                    // Resizable as soon as the start answers.
                    app.controls
                        .register(format!("ctr:{full_id}"), session.control());
                    let _ = starter.send(Ok(session));
                    Ok(no_content())
                }
                Err(e) => {
                    let _ = starter.send(Err(e.clone()));
                    Err(e.into())
                }
            };
        }
    }
    if engine.container_start(&id, true).await? {
        Ok(no_content())
    } else {
        Ok(StatusCode::NOT_MODIFIED.into_response())
    }
}

/// `POST /containers/{id}/stop?t=N`: 204, or 304 when it is not running.
pub async fn stop(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    let timeout = timeout(&p)?;
    if !is_running(&engine, &id).await? {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let options = StopOptions {
        names: vec![id.clone()],
        timeout,
        ..Default::default()
    };
    first(engine.container_stop(options).await?, &id)?;
    Ok(no_content())
}

/// `POST /containers/{id}/restart?t=N`.
pub async fn restart(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    let options = RestartOptions {
        names: vec![id.clone()],
        timeout: timeout(&p)?,
        ..Default::default()
    };
    first(engine.container_restart(options).await?, &id)?;
    Ok(no_content())
}

/// The `signal` parameter (a number or a name), SIGKILL when absent.
pub(super) fn kill_signal(p: &Params) -> ApiResult<i32> {
    match p.get("signal") {
        None | Some("") => Ok(9),
        Some(s) => parse_signal(s),
    }
}

/// A JSON answer whose status line and headers go out at once (clients
/// wait for them before starting the container) and whose body is sent
/// when `body` is ready.
pub(super) fn deferred_json(
    body: impl std::future::Future<Output = String> + Send + 'static,
) -> Response {
    let result = async move { Ok::<_, std::io::Error>(Bytes::from(body.await)) };
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        axum::body::Body::from_stream(futures_util::stream::once(result)),
    )
        .into_response()
}

/// `POST /containers/{id}/kill?signal=SIG`: 409 when it is not running.
pub async fn kill(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let signal = kill_signal(&Params(q))?;
    if !is_running(&engine, &id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("Cannot kill container: {id}: Container {id} is not running"),
        ));
    }
    let options = KillOptions {
        names: vec![id.clone()],
        signal,
        ..Default::default()
    };
    first(engine.container_kill(options).await?, &id)?;
    Ok(no_content())
}

fn pause_options(id: &str) -> PauseUnpauseOptions {
    PauseUnpauseOptions {
        names: vec![id.to_owned()],
        ..Default::default()
    }
}

/// `POST /containers/{id}/pause`.
pub async fn pause(State(engine): State<Engine>, Path(id): Path<String>) -> ApiResult<Response> {
    first(engine.container_pause(pause_options(&id)).await?, &id)?;
    Ok(no_content())
}

/// `POST /containers/{id}/unpause`.
pub async fn unpause(State(engine): State<Engine>, Path(id): Path<String>) -> ApiResult<Response> {
    first(engine.container_unpause(pause_options(&id)).await?, &id)?;
    Ok(no_content())
}

/// `POST /containers/{id}/wait?condition=not-running|next-exit|removed`:
/// `{"StatusCode": N, "Error": null}`. `next-exit` and `removed` of a
/// container not started yet wait for its start first; an attach waiting
/// for the container reports the exit it saw.
pub async fn wait(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let engine = &app.engine;
    let p = Params(q);
    let condition = p.get("condition").unwrap_or("not-running");
    let (next_exit, removed) = match condition {
        "" | "not-running" => (false, false),
        "next-exit" => (true, false),
        "removed" => (true, true),
        other => {
            return Err(ApiError::bad_request(format!(
                "invalid condition {other:?}: use not-running, next-exit or removed"
            )))
        }
    };
    let full_id = inspect_one(engine, &id, false).await?.id;
    // As Docker: the status line and headers go out at once, the result
    // when it is known.
    let engine = engine.clone();
    let exit_watch = app.attaches.exit_watch(&full_id);
    Ok(deferred_json(async move {
        match wait_result(&engine, &full_id, exit_watch, next_exit, removed).await {
            Ok(code) => json!({"StatusCode": code, "Error": null}),
            Err(e) => json!({"StatusCode": -1, "Error": {"Message": e.message}}),
        }
        .to_string()
    }))
}

/// The exit code a wait answers.
pub(super) async fn wait_result(
    engine: &Engine,
    full_id: &str,
    exit_watch: Option<tokio::sync::watch::Receiver<Option<i32>>>,
    next_exit: bool,
    removed: bool,
) -> ApiResult<i32> {
    let attached_exit = match exit_watch {
        Some(mut rx) => rx.wait_for(Option::is_some).await.ok().and_then(|v| *v),
        None => None,
    };
    let code = match attached_exit {
        Some(code) => code,
        None => {
            if next_exit {
                wait_started(engine, full_id).await?;
            }
            exit_code(engine, full_id).await?
        }
    };
    if removed {
        while engine
            .container_exists(full_id, ContainerExistsOptions::default())
            .await?
        {
            tokio::time::sleep(WAIT_INTERVAL).await;
        }
    }
    Ok(code)
}

/// Waits until the container `id` is no longer `created`; a container
/// removed meanwhile is no error (its exit is looked up next).
async fn wait_started(engine: &Engine, id: &str) -> ApiResult<()> {
    loop {
        let (found, _) = engine
            .container_inspect(&[id.to_owned()], InspectOptions::default())
            .await?;
        let status = found
            .first()
            .and_then(|d| d.state.as_ref())
            .map(|s| s.status.clone());
        match status.as_deref() {
            Some("created") | Some("configured") | Some("initialized") => {
                tokio::time::sleep(WAIT_INTERVAL).await
            }
            _ => return Ok(()),
        }
    }
}

/// The container's exit code once it exited (0 for one never started).
async fn exit_code(engine: &Engine, id: &str) -> ApiResult<i32> {
    let options = WaitOptions {
        names: vec![id.to_owned()],
        latest: false,
        ignore: false,
        conditions: vec!["exited".to_owned()],
        interval: WAIT_INTERVAL,
    };
    let report = engine
        .container_wait(options)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::no_such_container(id))?;
    match report.error {
        Some(e) => Err(e.into()),
        None => Ok(report.exit_code),
    }
}

/// `DELETE /containers/{id}?force=1&v=1`.
pub async fn remove(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    if p.bool("link", false)? {
        return Err(ApiError::not_implemented(
            "removing links (link=true) is not supported by rpod",
        ));
    }
    let options = RmOptions {
        names: vec![id.clone()],
        force: p.bool("force", false)?,
        volumes: p.bool("v", false)?,
        ..Default::default()
    };
    first(engine.container_rm(options).await?, &id)?;
    Ok(no_content())
}
