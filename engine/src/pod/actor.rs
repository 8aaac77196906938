//! The pod actor: a tokio task that orders a pod's members. Each message
//! is handled under the pod's lock file (taken before any container lock,
//! the global order), so two CLIs never interleave operations on one pod.
//! Members are driven through their own container actors: infra first,
//! then init containers to completion, then regular members in
//! `--requires` order (beside the infra's `runtime run` when the infra
//! pinned every namespace the pod shares, see `container::pod_pins`);
//! stopping runs in reverse, infra last. The pod row
//! records the operation in progress (`starting`, `stopping`, `removing`)
//! before it begins, and every step is idempotent, so an operation cut off
//! by SIGKILL is completed by the next `pod start` / `pod stop` / `pod rm`.

use std::collections::HashSet;

use tokio::sync::{mpsc, oneshot};

use super::create::ensure_infra;
use super::orchestration::is_regular;
use super::order::start_order;
use super::records::{ExitPolicy, PodRecord, PodTransition};
use super::{cgroup, lock_name, service, PodError};
use crate::container::lifecycle::load;
use crate::container::{ContainerError, ContainerHandle, InitCtrMode};
use crate::engine::{Engine, EngineCtx, WeakEngine};
use crate::fault;
use crate::lock;
use crate::state::{ContainerRecord, ContainerState};

type Reply<T> = oneshot::Sender<Result<T, PodError>>;

enum Msg {
    Get(Reply<PodRecord>),
    Start(Reply<()>),
    Stop {
        timeout: Option<u64>,
        reply: Reply<()>,
    },
    Restart {
        timeout: Option<u64>,
        reply: Reply<()>,
    },
    Kill {
        signal: i32,
        reply: Reply<()>,
    },
    Pause(Reply<()>),
    Unpause(Reply<()>),
    Remove {
        force: bool,
        timeout: Option<u64>,
        reply: Reply<()>,
    },
    StartDependencies {
        container: String,
        reply: Reply<()>,
    },
    ApplyExitPolicy(Reply<()>),
}

/// A cheap, cloneable address of a pod's actor.
#[derive(Clone)]
pub struct PodHandle {
    pub id: String,
    pub name: String,
    tx: mpsc::Sender<Msg>,
}

impl PodHandle {
    /// Starts the actor of pod `rec` on the current tokio runtime. It
    /// holds its engine weakly: the engine's registry holds the actor.
    pub(crate) fn spawn(engine: WeakEngine, rec: &PodRecord) -> PodHandle {
        let (tx, rx) = mpsc::channel(8);
        tokio::spawn(run(engine, rec.id.clone(), rx));
        PodHandle {
            id: rec.id.clone(),
            name: rec.name.clone(),
            tx,
        }
    }

    /// Whether both handles address the same actor.
    #[cfg(test)]
    pub fn same_actor(&self, other: &PodHandle) -> bool {
        self.tx.same_channel(&other.tx)
    }

    async fn ask<T>(&self, msg: impl FnOnce(Reply<T>) -> Msg) -> Result<T, PodError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(msg(tx))
            .await
            .map_err(|_| PodError::ActorGone)?;
        rx.await.map_err(|_| PodError::ActorGone)?
    }

    /// The pod's row, as it is now.
    pub async fn get(&self) -> Result<PodRecord, PodError> {
        self.ask(Msg::Get).await
    }

    /// Starts the infra container, runs init containers to completion,
    /// then starts the regular members in dependency order.
    pub async fn start(&self) -> Result<(), PodError> {
        self.ask(Msg::Start).await
    }

    /// Stops the members in reverse start order, the infra container last.
    pub async fn stop(&self, timeout: Option<u64>) -> Result<(), PodError> {
        self.ask(|reply| Msg::Stop { timeout, reply }).await
    }

    pub async fn restart(&self, timeout: Option<u64>) -> Result<(), PodError> {
        self.ask(|reply| Msg::Restart { timeout, reply }).await
    }

    /// Sends `signal` to every live member (infra last).
    pub async fn kill(&self, signal: i32) -> Result<(), PodError> {
        self.ask(|reply| Msg::Kill { signal, reply }).await
    }

    pub async fn pause(&self) -> Result<(), PodError> {
        self.ask(Msg::Pause).await
    }

    pub async fn unpause(&self) -> Result<(), PodError> {
        self.ask(Msg::Unpause).await
    }

    /// Removes every member (live ones need `force`), the pod's cgroup
    /// parent and the pod.
    pub async fn remove(&self, force: bool, timeout: Option<u64>) -> Result<(), PodError> {
        self.ask(|reply| Msg::Remove {
            force,
            timeout,
            reply,
        })
        .await
    }

    /// Starts what member `container` needs first: the infra container and
    /// the containers it requires.
    pub(crate) async fn start_dependencies_of(&self, container: &str) -> Result<(), PodError> {
        let container = container.to_owned();
        self.ask(|reply| Msg::StartDependencies { container, reply })
            .await
    }

    /// `--exit-policy stop`: stops the pod if no regular member runs.
    pub(crate) async fn apply_exit_policy(&self) -> Result<(), PodError> {
        self.ask(Msg::ApplyExitPolicy).await
    }
}

async fn run(engine: WeakEngine, id: String, mut rx: mpsc::Receiver<Msg>) {
    let rt = tokio::runtime::Handle::current();
    while let Some(msg) = rx.recv().await {
        let Some(engine) = engine.upgrade() else {
            fail(msg, PodError::ActorGone);
            continue;
        };
        // The lock wait and SQLite run on the blocking pool, never on the
        // executor's threads; the steps on members await their actors there.
        let (job_id, job_rt) = (id.clone(), rt.clone());
        let job = tokio::task::spawn_blocking(move || transition(&engine, &job_id, msg, &job_rt));
        // A panic: its caller got ActorGone (the reply was dropped).
        let _ = job.await;
    }
}

/// One message under the pod's lock, on a blocking thread.
fn transition(engine: &Engine, id: &str, msg: Msg, rt: &tokio::runtime::Handle) {
    let ctx = engine.ctx();
    let guard = match lock::lock_exclusive(&ctx.config.lock_dir(), &lock_name(id)) {
        Ok(g) => g,
        Err(e) => return fail(msg, e.into()),
    };
    let pod = match ctx.db.pod_by_id(id) {
        Ok(Some(p)) => p,
        Ok(None) => {
            engine.forget_pod(id);
            return fail(msg, PodError::NotFound(id.to_owned()));
        }
        Err(e) => return fail(msg, e.into()),
    };
    let removed = rt.block_on(handle(engine, pod, msg));
    drop(guard);
    if removed {
        // Messages still queued find the pod gone.
        engine.forget_pod(id);
    }
}

fn fail(msg: Msg, e: PodError) {
    match msg {
        Msg::Get(r) => drop(r.send(Err(e))),
        Msg::Start(r) | Msg::Pause(r) | Msg::Unpause(r) | Msg::ApplyExitPolicy(r) => {
            drop(r.send(Err(e)))
        }
        Msg::Stop { reply, .. }
        | Msg::Restart { reply, .. }
        | Msg::Kill { reply, .. }
        | Msg::Remove { reply, .. }
        | Msg::StartDependencies { reply, .. } => drop(reply.send(Err(e))),
    }
}

/// Handles one message; true once the pod is removed (the actor ends).
async fn handle(engine: &Engine, pod: PodRecord, msg: Msg) -> bool {
    // A send fails only if the caller stopped waiting; nothing to do then.
    match msg {
        Msg::Get(reply) => drop(reply.send(Ok(pod))),
        Msg::Start(reply) => drop(reply.send(start(engine, &pod).await)),
        Msg::Stop { timeout, reply } => {
            drop(reply.send(stop_with_service(engine, &pod, timeout).await))
        }
        Msg::Restart { timeout, reply } => {
            // As Podman's, a restart leaves the service container running.
            let res = match stop(engine, &pod, timeout).await {
                Ok(()) => start(engine, &pod).await,
                Err(e) => Err(e),
            };
            drop(reply.send(res))
        }
        Msg::Kill { signal, reply } => drop(reply.send(kill(engine, &pod, signal).await)),
        Msg::Pause(reply) => drop(reply.send(pause(engine, &pod, true).await)),
        Msg::Unpause(reply) => drop(reply.send(pause(engine, &pod, false).await)),
        Msg::Remove {
            force,
            timeout,
            reply,
        } => {
            let res = remove(engine, &pod, force, timeout).await;
            let removed = res.is_ok();
            if removed {
                // Before the reply: whoever hears of the removal finds no
                // actor left for the pod.
                engine.forget_pod(&pod.id);
            }
            drop(reply.send(res));
            return removed;
        }
        Msg::StartDependencies { container, reply } => {
            drop(reply.send(start_dependencies(engine, &pod, &container).await))
        }
        Msg::ApplyExitPolicy(reply) => drop(reply.send(apply_exit_policy(engine, &pod).await)),
    }
    false
}

/// The member's actor, from the engine's registry.
fn handle_of(engine: &Engine, rec: &ContainerRecord) -> Result<ContainerHandle, ContainerError> {
    engine.container(&rec.id)
}

fn is_live(rec: &ContainerRecord) -> bool {
    matches!(
        rec.state,
        ContainerState::Running | ContainerState::Paused | ContainerState::Stopping
    )
}

/// The pod's members split by role: (infra, init containers, regular
/// members in start order).
struct Roles {
    infra: Option<ContainerRecord>,
    init: Vec<ContainerRecord>,
    regular: Vec<ContainerRecord>,
}

fn roles(ctx: &EngineCtx, pod: &PodRecord) -> Result<Roles, PodError> {
    let mut infra = None;
    let mut init = Vec::new();
    let mut regular = Vec::new();
    for rec in ctx.db.pod_members(&pod.id)? {
        let rec = crate::container::reconcile::refresh(ctx, rec)?;
        match &rec.options.pod {
            Some(m) if m.infra => infra = Some(rec),
            Some(m) if m.init_ctr.is_some() => init.push(rec),
            _ => regular.push(rec),
        }
    }
    let order = start_order(&regular).map_err(|ids| {
        PodError::StateImproper(format!(
            "dependency cycle between containers {}",
            ids.join(", ")
        ))
    })?;
    let mut slots: Vec<Option<ContainerRecord>> = regular.into_iter().map(Some).collect();
    let regular = order.into_iter().filter_map(|i| slots[i].take()).collect();
    Ok(Roles {
        infra,
        init,
        regular,
    })
}

/// Runs `op` and then records the pod as idle again, whatever `op` did.
async fn in_transition<F, Fut>(
    engine: &Engine,
    pod: &PodRecord,
    t: PodTransition,
    op: F,
) -> Result<(), PodError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), PodError>>,
{
    engine.ctx().db.set_pod_transition(&pod.id, t)?;
    let res = op().await;
    engine
        .ctx()
        .db
        .set_pod_transition(&pod.id, PodTransition::Idle)?;
    res
}

fn refuse_if_removing(pod: &PodRecord) -> Result<(), PodError> {
    if pod.transition == PodTransition::Removing {
        return Err(PodError::StateImproper(format!(
            "pod {} is being removed: finish with `rpod pod rm -f {}`",
            pod.name, pod.name
        )));
    }
    Ok(())
}

async fn start_infra(engine: &Engine, pod: &PodRecord) -> Result<(), PodError> {
    if !pod.options.infra {
        return Ok(());
    }
    let id = ensure_infra(engine, pod).await?;
    let rec = load(engine.ctx(), &id)?;
    if rec.state != ContainerState::Running {
        handle_of(engine, &rec)?.start_alone().await?;
    }
    Ok(())
}

async fn start(engine: &Engine, pod: &PodRecord) -> Result<(), PodError> {
    refuse_if_removing(pod)?;
    in_transition(engine, pod, PodTransition::Starting, || async {
        fault::point("pod-start.begin");
        // `pod stop` removed the pod's cgroup: make it and write the pod's
        // limits again before any member runs in it (members started here
        // skip their own before-start step).
        cgroup::apply_limits(&pod.id, &pod.options.resources)?;
        service::maybe_start(engine, pod).await?;
        let beside = start_infra_beside(engine, pod).await?;
        if beside.is_none() {
            // The infra runs and no member was started.
            fault::point("pod-start.after-infra");
        }
        let mut started = Vec::new();
        let members = start_members(engine, pod, &mut started).await;
        let infra = match beside {
            Some(task) => task.await.map_err(|_| ContainerError::ActorGone)?,
            None => Ok(()),
        };
        if let Err(e) = infra {
            // As if they had waited for it (Podman starts no member of a
            // pod whose infra does not run): the members started beside
            // it are stopped again. Its failure is the cause.
            for id in started.iter().rev() {
                if let Ok(rec) = load(engine.ctx(), id) {
                    if rec.state.has_monitor() {
                        if let Err(stop) = handle_of(engine, &rec)?.stop(Some(0)).await {
                            tracing::warn!(container = %id, "stopping a member of a failed pod start: {stop}");
                        }
                    }
                }
            }
            return Err(e.into());
        }
        members
    })
    .await
}

/// Init containers to completion, then the regular members in order; the
/// ids of those it started are added to `started`.
async fn start_members(
    engine: &Engine,
    pod: &PodRecord,
    started: &mut Vec<String>,
) -> Result<(), PodError> {
    let roles = roles(engine.ctx(), pod)?;
    for init in &roles.init {
        run_init_container(engine, init).await?;
    }
    fault::point("pod-start.after-init");
    for rec in &roles.regular {
        let rec = load(engine.ctx(), &rec.id)?;
        if is_live(&rec) {
            continue;
        }
        start_requirements(engine, &rec, Some(&pod.id)).await?;
        handle_of(engine, &rec)?.start_alone().await?;
        started.push(rec.id.clone());
    }
    Ok(())
}

/// The start of an infra container that goes on while members start.
type InfraStart = tokio::task::JoinHandle<Result<(), ContainerError>>;

/// Starts the pod's infra container. When the infra's namespaces are
/// pinned, as soon as they are (its monitor waits to run its process),
/// returns its start still under way, for the members to start beside it
/// (the pod has no init containers, which must run alone first); else
/// (nothing pinned, the infra already running or failing before that)
/// returns once it is started, as [`start_infra`].
async fn start_infra_beside(
    engine: &Engine,
    pod: &PodRecord,
) -> Result<Option<InfraStart>, PodError> {
    if !pod.options.infra {
        return Ok(None);
    }
    let id = ensure_infra(engine, pod).await?;
    let rec = load(engine.ctx(), &id)?;
    if rec.state == ContainerState::Running {
        return Ok(None);
    }
    let h = handle_of(engine, &rec)?;
    let has_init = engine
        .ctx()
        .db
        .pod_members(&pod.id)?
        .iter()
        .any(|c| c.options.pod.as_ref().is_some_and(|m| m.init_ctr.is_some()));
    if has_init || !crate::container::pod_pins::pinnable(&rec) {
        h.start_alone().await?;
        return Ok(None);
    }
    let (pinned_tx, pinned_rx) = oneshot::channel();
    let signal: crate::container::lifecycle::BeforeGo = Box::new(move || {
        // The pod actor may have stopped listening (it failed): no matter.
        let _ = pinned_tx.send(());
        Ok(())
    });
    let task = tokio::spawn(async move { h.start_alone_with(signal).await });
    // Dropped unsent: already running, or failed before its process.
    if pinned_rx.await.is_ok() && crate::container::pod_pins::cover_pod(engine.ctx(), &rec) {
        tracing::debug!(pod = %pod.id, "namespaces pinned: starting the members beside the infra container");
        return Ok(Some(task));
    }
    task.await.map_err(|_| ContainerError::ActorGone)??;
    Ok(None)
}

/// Runs an init container to completion; a `once` container is removed
/// after it succeeded.
async fn run_init_container(engine: &Engine, rec: &ContainerRecord) -> Result<(), PodError> {
    let h = handle_of(engine, rec)?;
    if !is_live(rec) {
        h.start_alone().await?;
    }
    let code = h.wait().await?;
    if code != 0 {
        return Err(PodError::InitFailed {
            name: rec.name.clone(),
            code,
        });
    }
    let once = rec
        .options
        .pod
        .as_ref()
        .is_some_and(|m| m.init_ctr == Some(InitCtrMode::Once));
    if once {
        match h.remove(true, Some(0)).await {
            Ok(()) | Err(ContainerError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Starts the containers `rec` requires, transitively, dependencies first.
/// Members of `locked_pod` (whose lock the caller holds) and containers
/// outside pods are started directly.
pub(crate) async fn start_requirements(
    engine: &Engine,
    rec: &ContainerRecord,
    locked_pod: Option<&str>,
) -> Result<(), ContainerError> {
    // Depth-first, post-order: every container after what it requires.
    let mut order: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::from([rec.id.clone()]);
    let mut stack: Vec<(String, bool)> = rec
        .options
        .requires
        .iter()
        .rev()
        .map(|id| (id.clone(), false))
        .collect();
    while let Some((id, expanded)) = stack.pop() {
        if expanded {
            order.push(id);
            continue;
        }
        if !seen.insert(id.clone()) {
            continue;
        }
        let dep = engine
            .ctx()
            .db
            .container_by_id(&id)?
            .ok_or_else(|| ContainerError::NotFound(id.clone()))?;
        stack.push((id, true));
        for r in dep.options.requires.iter().rev() {
            stack.push((r.clone(), false));
        }
    }
    for id in order {
        let dep = load(engine.ctx(), &id)?;
        if is_live(&dep) {
            continue;
        }
        let other_pod = dep
            .options
            .pod
            .as_ref()
            .filter(|m| Some(m.pod_id.as_str()) != locked_pod);
        if let Some(m) = other_pod {
            return Err(ContainerError::StateImproper(format!(
                "container {} requires container {} of pod {}, which is not running: start that pod first",
                rec.name, dep.name, m.pod_id
            )));
        }
        handle_of(engine, &dep)?.start_alone().await?;
    }
    Ok(())
}

async fn start_dependencies(
    engine: &Engine,
    pod: &PodRecord,
    container: &str,
) -> Result<(), PodError> {
    refuse_if_removing(pod)?;
    start_infra(engine, pod).await?;
    let rec = load(engine.ctx(), container)?;
    Ok(start_requirements(engine, &rec, Some(&pod.id)).await?)
}

/// Members in stop order: regular members in reverse start order, init
/// containers, the infra container last.
fn stop_order(roles: Roles) -> Vec<ContainerRecord> {
    let mut out: Vec<ContainerRecord> = roles.regular.into_iter().rev().collect();
    out.extend(roles.init);
    out.extend(roles.infra);
    out
}

async fn stop(engine: &Engine, pod: &PodRecord, timeout: Option<u64>) -> Result<(), PodError> {
    refuse_if_removing(pod)?;
    in_transition(engine, pod, PodTransition::Stopping, || async {
        for rec in stop_order(roles(engine.ctx(), pod)?) {
            if rec.state.has_monitor() {
                handle_of(engine, &rec)?.stop(timeout).await?;
            }
            fault::point("pod-stop.after-member");
        }
        // As Podman, a stopped pod has no cgroup; `pod start` makes it again.
        cgroup::remove_parent(&pod.id)?;
        Ok(())
    })
    .await
}

/// `pod stop`: the members, then the service container if none of its
/// pods runs any more.
async fn stop_with_service(
    engine: &Engine,
    pod: &PodRecord,
    timeout: Option<u64>,
) -> Result<(), PodError> {
    stop(engine, pod, timeout).await?;
    service::maybe_stop(engine, pod).await
}

async fn kill(engine: &Engine, pod: &PodRecord, signal: i32) -> Result<(), PodError> {
    let live: Vec<_> = stop_order(roles(engine.ctx(), pod)?)
        .into_iter()
        .filter(is_live)
        .collect();
    if live.is_empty() {
        return Err(PodError::StateImproper(format!(
            "pod {} has no running containers to kill",
            pod.name
        )));
    }
    for rec in live {
        handle_of(engine, &rec)?.kill(signal).await?;
    }
    // The members exit later; the exit policy's stop then ends the service
    // container, unless they already have.
    service::maybe_stop(engine, pod).await
}

async fn pause(engine: &Engine, pod: &PodRecord, pause: bool) -> Result<(), PodError> {
    let mut members = stop_order(roles(engine.ctx(), pod)?);
    if !pause {
        // Thaw the infra container first, then members in start order.
        members.reverse();
    }
    for rec in members {
        match (pause, rec.state) {
            (true, ContainerState::Running) => handle_of(engine, &rec)?.pause().await?,
            (false, ContainerState::Paused) => handle_of(engine, &rec)?.unpause().await?,
            _ => {}
        }
    }
    Ok(())
}

async fn remove(
    engine: &Engine,
    pod: &PodRecord,
    force: bool,
    timeout: Option<u64>,
) -> Result<(), PodError> {
    let members = stop_order(roles(engine.ctx(), pod)?);
    // Podman: a running infra container never holds the removal up (it is
    // stopped with the pod); running or paused members do, without force.
    let live: Vec<_> = members
        .iter()
        .filter(|c| c.state.has_monitor() && !is_infra(c))
        .collect();
    if !force && !live.is_empty() {
        return Err(PodError::StateImproper(busy_members_message(
            &pod.id, &live,
        )));
    }
    engine
        .ctx()
        .db
        .set_pod_transition(&pod.id, PodTransition::Removing)?;
    fault::point("pod-rm.after-mark");
    for rec in members {
        let removed = match handle_of(engine, &rec) {
            Ok(h) => h.remove(true, timeout).await,
            Err(e) => Err(e),
        };
        match removed {
            Ok(()) | Err(ContainerError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        fault::point("pod-rm.after-member");
    }
    cgroup::remove_parent(&pod.id)?;
    if !engine.ctx().db.delete_pod(&pod.id)? {
        return Err(PodError::StateImproper(format!(
            "pod {} still has containers",
            pod.id
        )));
    }
    lock::remove_lock_file(&engine.ctx().config.lock_dir(), &lock_name(&pod.id));
    service::maybe_remove(engine, pod).await
}

fn is_infra(rec: &ContainerRecord) -> bool {
    rec.options.pod.as_ref().is_some_and(|m| m.infra)
}

/// Podman's report of `pod rm` without force on a pod with live members: a
/// summary line, then one line per member that could not be removed.
fn busy_members_message(pod_id: &str, live: &[&ContainerRecord]) -> String {
    let mut msg =
        format!("not all containers could be removed from pod {pod_id}: removing pod containers");
    for c in live {
        msg.push_str(&format!(
            "\nerror removing container {} from pod {pod_id}: cannot remove container {} as it is {} - running or paused containers cannot be removed without force: container state improper",
            c.id,
            c.id,
            c.state.as_str()
        ));
    }
    msg
}

async fn apply_exit_policy(engine: &Engine, pod: &PodRecord) -> Result<(), PodError> {
    if pod.options.exit_policy != ExitPolicy::Stop || pod.transition != PodTransition::Idle {
        return Ok(());
    }
    let roles = roles(engine.ctx(), pod)?;
    let regular: Vec<_> = roles.regular.iter().filter(|c| is_regular(c)).collect();
    if regular.is_empty() || regular.iter().any(|c| c.state.has_monitor()) {
        return Ok(());
    }
    tracing::debug!(pod = %pod.id, "last regular member exited: stopping the pod (exit policy stop)");
    stop_with_service(engine, pod, None).await
}
