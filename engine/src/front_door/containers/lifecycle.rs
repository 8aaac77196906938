//! Lifecycle requests over many containers: stop and rm fan out concurrently
//! (Podman's pkg/parallel), restart too (at most [`jobs`] at a time); kill,
//! pause and unpause go one by one, as Podman's do. Reports keep the order
//! of the selection.

use futures_util::future::join_all;
use rpod_api::container::{
    ContainerCleanupOptions, ContainerExistsOptions, ContainerReport, KillOptions,
    PauseUnpauseOptions, RestartOptions, RmOptions, StopOptions, WaitOptions, WaitReport,
};
use rpod_api::parallel::{all_ordered, jobs};
use rpod_api::{Error, ErrorKind, Result};

use super::select::{find, latest, select};
use crate::container::{ContainerError, ContainerHandle, WaitCondition};
use crate::engine::Engine;
use crate::state::ContainerState;

fn ok(id: &str, raw_input: &str) -> ContainerReport {
    ContainerReport {
        id: id.to_owned(),
        raw_input: raw_input.to_owned(),
        err: None,
    }
}

fn failed(id: &str, raw_input: &str, err: Error) -> ContainerReport {
    ContainerReport {
        id: id.to_owned(),
        raw_input: raw_input.to_owned(),
        err: Some(err),
    }
}

/// Runs `op` on the container named `raw` and reports it; a missing container is
/// `None` when `ignore`.
async fn on_one<F, Fut>(engine: &Engine, raw: &str, ignore: bool, op: F) -> Option<ContainerReport>
where
    F: FnOnce(ContainerHandle) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<(), ContainerError>>,
{
    let h = match engine.container(raw) {
        Ok(h) => h,
        Err(ContainerError::NotFound(_)) if ignore => return None,
        Err(e) => return Some(failed("", raw, e.into())),
    };
    let id = h.id.clone();
    Some(match op(h).await {
        Ok(()) => ok(&id, raw),
        Err(ContainerError::NotFound(_)) if ignore => return None,
        Err(e) => failed(&id, raw, e.into()),
    })
}

pub(super) async fn stop(engine: &Engine, o: StopOptions) -> Result<Vec<ContainerReport>> {
    let names = select(engine, &o.names, o.all, o.latest, &o.filters, |c| {
        c.state.has_monitor()
    })?;
    let timeout = o.timeout;
    let tasks = names.iter().map(|name| {
        on_one(engine, name, o.ignore, |h| async move {
            // The stored row, as it is: a read through the actor would
            // reconcile a dead monitor before `stop` reports it.
            let rec = engine.ctx().db.container_by_id(&h.id).ok().flatten();
            h.stop(timeout).await?;
            let Some(rec) = rec else { return Ok(()) };
            // Podman's stop removes a `--rm` container itself (its cleanup
            // may be doing the same: whoever comes second finds nothing),
            // and `--rmi` takes its image as well.
            if rec.options.remove {
                match h.remove_with_volumes(false, None).await {
                    Ok(()) | Err(ContainerError::NotFound(_)) => {
                        remove_image_of(engine, &rec, false).await;
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
    });
    Ok(join_all(tasks).await.into_iter().flatten().collect())
}

pub(super) async fn kill(engine: &Engine, o: KillOptions) -> Result<Vec<ContainerReport>> {
    let names = select(
        engine,
        &o.names,
        o.all,
        o.latest,
        &Default::default(),
        |c| c.state.has_monitor(),
    )?;
    let mut out = Vec::with_capacity(names.len());
    for name in &names {
        out.extend(
            on_one(
                engine,
                name,
                false,
                |h| async move { h.kill(o.signal).await },
            )
            .await,
        );
    }
    Ok(out)
}

pub(super) async fn restart(engine: &Engine, o: RestartOptions) -> Result<Vec<ContainerReport>> {
    let names = if o.all || o.running || !o.filters.is_empty() {
        super::select::filtered(engine, &o.filters, |c| {
            !o.running || c.state == ContainerState::Running
        })?
    } else {
        select(engine, &o.names, false, o.latest, &o.filters, |_| true)?
    };
    let timeout = o.timeout;
    let reports = all_ordered(names, jobs(), |name: String| async move {
        on_one(
            engine,
            &name,
            false,
            |h| async move { h.restart(timeout).await },
        )
        .await
    })
    .await;
    Ok(reports.into_iter().flatten().collect())
}

pub(super) async fn pause_unpause(
    engine: &Engine,
    o: PauseUnpauseOptions,
    pause: bool,
) -> Result<Vec<ContainerReport>> {
    // --all: the containers the operation applies to.
    let want = if pause {
        ContainerState::Running
    } else {
        ContainerState::Paused
    };
    let names = select(engine, &o.names, o.all, o.latest, &o.filters, |c| {
        c.state == want
    })?;
    let mut out = Vec::with_capacity(names.len());
    for name in &names {
        out.extend(
            on_one(engine, name, false, |h| async move {
                if pause {
                    h.pause().await
                } else {
                    h.unpause().await
                }
            })
            .await,
        );
    }
    Ok(out)
}

/// Podman's message when `rm` names a missing container.
fn rm_not_found(name: &str) -> Error {
    Error::new(
        ErrorKind::NoSuchContainer,
        format!("no container with ID or name \"{name}\" found: no such container"),
    )
}

/// Why `h` cannot be removed alone: it is the infra container of a pod,
/// or the service container of pods.
async fn held_by_pod(engine: &Engine, h: &ContainerHandle) -> Option<String> {
    let rec = h.get().await.ok()?;
    if rec.options.service.is_some() {
        return crate::pod::service::removal_refused(engine.ctx(), &rec.id)
            .ok()
            .flatten();
    }
    let m = rec.options.pod.as_ref().filter(|m| m.infra)?;
    let pod = engine.pod(&m.pod_id).ok()?;
    Some(format!(
        "container {} is the infra container of pod {} and cannot be removed without removing the pod",
        rec.id, pod.id
    ))
}

/// Removes the container `name`; `None` when there is nothing to report (missing
/// with `--ignore`/`--force`, or an infra container left to `pod rm` by `rm -a`).
async fn rm_one(engine: &Engine, name: &str, o: &RmOptions) -> Option<ContainerReport> {
    let mut id = String::new();
    let res = match engine.container(name) {
        Ok(h) => {
            id = h.id.clone();
            match held_by_pod(engine, &h).await {
                Some(_) if o.all => return None,
                // Podman: a plain error (exit 125), not a state error.
                Some(msg) => return Some(failed(&id, name, Error::new(ErrorKind::Other, msg))),
                None if o.volumes => h.remove_with_volumes(o.force || o.depend, o.timeout).await,
                None => h.remove(o.force || o.depend, o.timeout).await,
            }
        }
        Err(e) => Err(e),
    };
    match res {
        Ok(()) => Some(ok(&id, name)),
        // Podman: `rm --force` of a missing container is no error.
        Err(ContainerError::NotFound(_)) if o.ignore || o.force => None,
        Err(ContainerError::NotFound(n)) => Some(failed(&id, name, rm_not_found(&n))),
        Err(e) => Some(failed(&id, name, e.into())),
    }
}

/// Appends the IDs of the containers depending on `h`, transitively,
/// deepest first, each once.
fn dependents_first(
    h: &ContainerHandle,
    engine: &Engine,
    order: &mut Vec<String>,
) -> std::result::Result<(), ContainerError> {
    for id in h.dependents()? {
        if order.contains(&id) {
            continue;
        }
        if let Ok(dep) = engine.container(&id) {
            dependents_first(&dep, engine, order)?;
        }
        if !order.contains(&id) {
            order.push(id);
        }
    }
    Ok(())
}

/// `rm --depend` of an infra container: every member of its pod depends on
/// it, so the pod goes with them (Podman); each removed container's id is
/// reported. `None` when `name` is not an infra container.
async fn rm_pod_of_infra(
    engine: &Engine,
    name: &str,
    o: &RmOptions,
) -> Option<Vec<ContainerReport>> {
    let rec = engine.container(name).ok()?.get().await.ok()?;
    let pod = engine.pod_of_infra(&rec)?;
    let members = match engine.pod_members(&pod.id) {
        Ok(m) => m,
        Err(e) => return Some(vec![failed(&rec.id, name, e.into())]),
    };
    Some(match pod.remove(o.force, o.timeout).await {
        Ok(()) => members.iter().map(|c| ok(&c.id, &c.id)).collect(),
        Err(e) => vec![failed(&rec.id, name, e.into())],
    })
}

/// `rm`: concurrently, except with `--depend` (each container's dependents go
/// first, and chains of several containers may overlap).
pub(super) async fn rm(engine: &Engine, o: RmOptions) -> Result<Vec<ContainerReport>> {
    let names = select(engine, &o.names, o.all, o.latest, &o.filters, |_| true)?;
    if !o.depend {
        let tasks = names.iter().map(|name| rm_one(engine, name, &o));
        return Ok(join_all(tasks).await.into_iter().flatten().collect());
    }
    let mut out = Vec::new();
    for name in &names {
        if let Some(reports) = rm_pod_of_infra(engine, name, &o).await {
            out.extend(reports);
            continue;
        }
        let mut order = Vec::new();
        if let Ok(h) = engine.container(name) {
            dependents_first(&h, engine, &mut order)?;
        }
        order.push(name.clone());
        for name in &order {
            out.extend(rm_one(engine, name, &o).await);
        }
    }
    Ok(out)
}

pub(super) async fn wait(engine: &Engine, o: WaitOptions) -> Result<Vec<WaitReport>> {
    let conditions = o
        .conditions
        .iter()
        .map(|c| WaitCondition::parse(c))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let names = select(
        engine,
        &o.names,
        false,
        o.latest,
        &Default::default(),
        |_| true,
    )?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let mut report = WaitReport {
            raw_input: name.clone(),
            exit_code: -1,
            ..WaitReport::default()
        };
        match engine.container(&name) {
            Ok(h) => {
                report.id = h.id.clone();
                match h.wait_for(&conditions, o.interval).await {
                    Ok(code) => report.exit_code = code,
                    Err(e) => report.error = Some(e.into()),
                }
            }
            Err(ContainerError::NotFound(_)) if o.ignore => {}
            Err(e) => report.error = Some(e.into()),
        }
        out.push(report);
    }
    Ok(out)
}

pub(super) async fn exists(engine: &Engine, name: &str, o: ContainerExistsOptions) -> Result<bool> {
    let name = if o.latest {
        match latest(engine) {
            Ok(c) => c.id,
            Err(_) => return Ok(false),
        }
    } else {
        name.to_owned()
    };
    if find(engine, &name)?.is_some() {
        return Ok(true);
    }
    // --external: a container of rpod's storage without a record (rpod's storage
    // holds no other tool's containers).
    Ok(o.external
        && name.len() == 64
        && name.bytes().all(|b| b.is_ascii_hexdigit())
        && engine
            .store()
            .container_storage_paths(&name)
            .upper
            .parent()
            .is_some_and(|dir| dir.exists()))
}

/// Records the exit and releases mounts; removes `--rm` containers. Quiet when the
/// container is already gone. Stops at the first failure.
pub(super) async fn cleanup(
    engine: &Engine,
    o: ContainerCleanupOptions,
) -> Result<Vec<ContainerReport>> {
    let names = select(
        engine,
        &o.names,
        o.all,
        o.latest,
        &Default::default(),
        |_| true,
    )?;
    let mut out = Vec::new();
    for name in &names {
        let Some(handle) = find(engine, name)? else {
            continue;
        };
        let rec = handle.get().await.ok();
        let removed = match handle.cleanup().await {
            Ok(removed) => removed,
            // Removed meanwhile (e.g. by `run --rm` in the foreground).
            Err(ContainerError::NotFound(_)) => continue,
            Err(e) => {
                out.push(failed(&handle.id, name, e.into()));
                break;
            }
        };
        if o.remove && !removed {
            match handle.remove(false, None).await {
                Ok(()) | Err(ContainerError::NotFound(_)) => {}
                Err(e) => {
                    out.push(failed(&handle.id, name, e.into()));
                    break;
                }
            }
        }
        if removed || o.remove || o.remove_image {
            if let Some(rec) = &rec {
                remove_image_of(engine, rec, o.remove_image).await;
            }
        }
        out.push(ok(&handle.id, name));
    }
    Ok(out)
}

/// `run --rmi` (or `container cleanup --rmi`, `asked`): once its
/// container is removed, the image goes as `rmi IMAGE` would take it unless
/// another container uses it; what keeps it is a warning (this runs in the
/// monitor's cleanup, nobody to fail to).
async fn remove_image_of(engine: &Engine, rec: &crate::state::ContainerRecord, asked: bool) {
    if !rec.options.remove_image && !asked {
        return;
    }
    let options = rpod_api::front_door::images::ImageRemoveOptions {
        ignore: true,
        unused_only: true,
        ..Default::default()
    };
    let names = vec![rec.options.image.clone()];
    match crate::front_door::images::remove::remove(engine, &names, &options).await {
        Ok(report) => {
            for e in report.errors {
                tracing::warn!("failed removing image {}: {e}", rec.options.image);
            }
        }
        Err(e) => tracing::warn!("failed removing image {}: {e}", rec.options.image),
    }
}
