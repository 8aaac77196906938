//! The container actor: one per container per engine instance (kept in
//! the engine's [`Registry`]), owning that container's transitions.
//! Messages arrive on an mpsc mailbox and are answered on oneshot channels.
//! The actor keeps the container's row between messages; each message is
//! handled under the container's lock file, so transitions are serialized
//! within this process (by the mailbox) and across processes (by the lock).
//!
//! Other processes change the same row, so before every transition the
//! actor compares the row's generation with the one it holds (one indexed
//! read) and reloads the row only if they differ.
//!
//! A transition blocks (the lock wait, SQLite, a stop waiting for its
//! monitor): it runs on the runtime's blocking pool, never on the async
//! executor's threads, so the actors of many containers run in parallel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{mpsc, oneshot};

use super::exec::{self, ExecOptions, ExecSession};
use super::lifecycle;
use super::names::is_valid_name;
use super::orchestration::{self, Orchestration};
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::lock;
use crate::state::ContainerRecord;

type Reply<T> = oneshot::Sender<Result<T, ContainerError>>;

enum Msg {
    Init(Reply<()>),
    Start {
        before_go: Option<lifecycle::BeforeGo>,
        reply: Reply<()>,
    },
    Stop {
        timeout: Option<u64>,
        reply: Reply<()>,
    },
    Pause(Reply<()>),
    Unpause(Reply<()>),
    Remove {
        force: bool,
        timeout: Option<u64>,
        reply: Reply<()>,
    },
    Rename {
        name: String,
        reply: Reply<()>,
    },
    Cleanup(Reply<bool>),
    Exec {
        options: ExecOptions,
        reply: Reply<ExecSession>,
    },
    Update {
        update: Box<super::ContainerUpdate>,
        reply: Reply<()>,
    },
}

/// A cheap, cloneable address of a container's actor.
#[derive(Clone)]
pub struct ContainerHandle {
    pub id: String,
    pub name: String,
    tx: mpsc::Sender<Msg>,
    ctx: Arc<EngineCtx>,
    /// The steps above the container (its pod's), given by the engine.
    above: Arc<dyn Orchestration>,
}

/// The mailbox of a running actor, as the registry keeps it.
struct Mailbox {
    /// Tells this actor from a later one of the same container.
    serial: u64,
    tx: mpsc::Sender<Msg>,
}

/// The container actors of one engine instance, by container id. An actor
/// leaves when its container is removed (or found gone), so a long-lived
/// engine does not accumulate them.
#[derive(Default)]
pub(crate) struct Registry {
    actors: Mutex<HashMap<String, Mailbox>>,
    serial: AtomicU64,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Mailbox>> {
        // The map stays consistent whatever panicked while holding it.
        self.actors.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets actor `serial` of container `id` (not a newer one).
    fn forget(&self, id: &str, serial: u64) {
        let mut actors = self.lock();
        if actors.get(id).is_some_and(|m| m.serial == serial) {
            actors.remove(id);
        }
    }

    /// How many actors the engine holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The actor of container `id`, started on the current tokio runtime if
/// this engine has none running yet.
pub(crate) fn spawn(
    ctx: Arc<EngineCtx>,
    id: String,
    name: String,
    above: Arc<dyn Orchestration>,
) -> ContainerHandle {
    let mut actors = ctx.actors.lock();
    let tx = match actors.get(&id) {
        Some(m) if !m.tx.is_closed() => m.tx.clone(),
        _ => {
            let serial = ctx.actors.serial.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = mpsc::channel(64);
            // The actor holds its engine weakly: the registry (in the
            // engine) holds the actor's mailbox.
            tokio::spawn(run(Arc::downgrade(&ctx), id.clone(), serial, rx));
            actors.insert(
                id.clone(),
                Mailbox {
                    serial,
                    tx: tx.clone(),
                },
            );
            tx
        }
    };
    drop(actors);
    ContainerHandle {
        id,
        name,
        tx,
        ctx,
        above,
    }
}

async fn run(ctx: Weak<EngineCtx>, id: String, serial: u64, mut rx: mpsc::Receiver<Msg>) {
    // The row as of the last transition (its generation says which).
    let mut cached: Option<ContainerRecord> = None;
    let rt = tokio::runtime::Handle::current();
    while let Some(msg) = rx.recv().await {
        let Some(ctx) = ctx.upgrade() else {
            fail(msg, ContainerError::ActorGone);
            continue;
        };
        let (job_ctx, job_id, job_rt) = (ctx.clone(), id.clone(), rt.clone());
        let job = tokio::task::spawn_blocking(move || {
            transition(&job_ctx, &job_id, serial, cached, msg, &job_rt)
        });
        // A panic: its caller got ActorGone (the reply was dropped).
        cached = job.await.unwrap_or(None);
    }
}

/// One message, handled under the container's lock on a blocking thread.
/// Returns the row to keep for the next message. An actor whose container
/// is gone leaves the registry before it answers.
fn transition(
    ctx: &EngineCtx,
    id: &str,
    serial: u64,
    cached: Option<ContainerRecord>,
    msg: Msg,
    rt: &tokio::runtime::Handle,
) -> Option<ContainerRecord> {
    let guard = match lock::lock_exclusive(&ctx.config.lock_dir(), id) {
        Ok(g) => g,
        Err(e) => {
            fail(msg, e.into());
            return None;
        }
    };
    let mut state_before = None;
    let rec = revalidate(ctx, id, cached)
        .and_then(|r| {
            state_before = Some(r.state);
            super::reconcile::refresh(ctx, r)
        })
        .and_then(|r| super::recovery::after_lock(ctx, r));
    let mut rec = match rec {
        Ok(r) => r,
        Err(e) => {
            if matches!(e, ContainerError::NotFound(_)) {
                // Removed while we waited: taking the lock re-created its file.
                lock::remove_lock_file(&ctx.config.lock_dir(), id);
                ctx.actors.forget(id, serial);
            }
            fail(msg, e);
            return None;
        }
    };
    let monitor_died = state_before.is_some_and(|s| super::reconcile::monitor_just_died(s, &rec));
    let outcome = rt.block_on(handle(ctx, &mut rec, msg, monitor_died, || {
        ctx.actors.forget(id, serial)
    }));
    drop(guard);
    match outcome {
        Outcome::Done => Some(rec),
        // A failed transition may have changed the record in memory only.
        Outcome::Failed => None,
    }
}

/// The container's row: `cached` if the row's generation is still the one
/// it was read (or written) at, else the row read again.
fn revalidate(
    ctx: &EngineCtx,
    id: &str,
    cached: Option<ContainerRecord>,
) -> Result<ContainerRecord, ContainerError> {
    let not_found = || ContainerError::NotFound(id.to_owned());
    let generation = ctx.db.container_generation(id)?.ok_or_else(not_found)?;
    match cached {
        Some(rec) if rec.generation == generation => Ok(rec),
        _ => ctx.db.container_by_id(id)?.ok_or_else(not_found),
    }
}

fn fail(msg: Msg, e: ContainerError) {
    match msg {
        Msg::Cleanup(r) => drop(r.send(Err(e))),
        Msg::Exec { reply, .. } => drop(reply.send(Err(e))),
        Msg::Start { reply, .. } => drop(reply.send(Err(e))),
        Msg::Init(r) | Msg::Pause(r) | Msg::Unpause(r) => drop(r.send(Err(e))),
        Msg::Stop { reply, .. }
        | Msg::Remove { reply, .. }
        | Msg::Rename { reply, .. }
        | Msg::Update { reply, .. } => drop(reply.send(Err(e))),
    }
}

/// How a transition ended, for the actor's own bookkeeping.
enum Outcome {
    Done,
    Failed,
}

/// Sends `res` to the caller (who may have stopped waiting: nothing to do
/// then) and says how it went.
fn answer<T>(reply: Reply<T>, res: Result<T, ContainerError>) -> Outcome {
    let outcome = if res.is_ok() {
        Outcome::Done
    } else {
        Outcome::Failed
    };
    drop(reply.send(res));
    outcome
}

/// Handles `msg`; `removed` runs once the container is gone, before the
/// caller hears of it.
/// `monitor_died`: the container was found live with its monitor dead
/// just now (recorded as exited): `stop` cleans up and then fails as
/// Podman's does.
async fn handle(
    ctx: &EngineCtx,
    rec: &mut ContainerRecord,
    msg: Msg,
    monitor_died: bool,
    removed: impl FnOnce(),
) -> Outcome {
    match msg {
        Msg::Init(reply) => answer(reply, lifecycle::init(ctx, rec).await),
        Msg::Start { before_go, reply } => {
            let res = async {
                if rec.state == crate::state::ContainerState::Running {
                    return Ok(());
                }
                lifecycle::start(ctx, rec, before_go).await
            }
            .await;
            answer(reply, res)
        }
        Msg::Stop { timeout, reply } => {
            let res = lifecycle::stop(ctx, rec, timeout).await.and_then(|()| {
                if monitor_died {
                    Err(ContainerError::MonitorDied(rec.id.clone()))
                } else {
                    Ok(())
                }
            });
            answer(reply, res)
        }
        Msg::Pause(reply) => answer(reply, lifecycle::pause(ctx, rec).await),
        Msg::Unpause(reply) => answer(reply, lifecycle::unpause(ctx, rec).await),
        Msg::Remove {
            force,
            timeout,
            reply,
        } => {
            let res = async {
                if !force {
                    lifecycle::refuse_if_required(ctx, rec)?;
                }
                lifecycle::remove(ctx, rec, force, timeout).await
            }
            .await;
            if res.is_ok() {
                removed();
            }
            answer(reply, res)
        }
        Msg::Rename { name, reply } => {
            let res = if !is_valid_name(&name) {
                Err(ContainerError::InvalidName(name))
            } else {
                rec.name = name;
                ctx.db.update_container(rec).map_err(Into::into)
            };
            answer(reply, res)
        }
        Msg::Cleanup(reply) => {
            let res = lifecycle::cleanup(ctx, rec).await;
            if matches!(res, Ok(true)) {
                removed();
            }
            answer(reply, res)
        }
        Msg::Exec { options, reply } => answer(reply, exec::create(ctx, rec, options)),
        Msg::Update { update, reply } => {
            answer(reply, super::update::update(ctx, rec, *update).await)
        }
    }
}

/// Runs blocking work (SQLite, files, sockets) off the async executor.
async fn blocking<T: Send + 'static>(
    ctx: &Arc<EngineCtx>,
    f: impl FnOnce(&EngineCtx) -> Result<T, ContainerError> + Send + 'static,
) -> Result<T, ContainerError> {
    let ctx = ctx.clone();
    tokio::task::spawn_blocking(move || f(&ctx))
        .await
        .map_err(|_| ContainerError::ActorGone)?
}

impl ContainerHandle {
    async fn ask<T>(&self, msg: impl FnOnce(Reply<T>) -> Msg) -> Result<T, ContainerError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(msg(tx))
            .await
            .map_err(|_| ContainerError::ActorGone)?;
        rx.await.map_err(|_| ContainerError::ActorGone)?
    }

    /// The container's row, reconciled. Lock-free (like `ps`), so it
    /// never waits behind another command's `stop` or `rm`.
    pub async fn get(&self) -> Result<ContainerRecord, ContainerError> {
        let id = self.id.clone();
        blocking(&self.ctx, move |ctx| lifecycle::load(ctx, &id)).await
    }

    /// Creates the process under a monitor without starting it, so a
    /// caller can attach before the first byte of output.
    pub async fn init(&self) -> Result<(), ContainerError> {
        orchestration::before_start(&self.ctx, &*self.above, &self.id).await?;
        self.ask(Msg::Init).await
    }

    /// Initializes (if needed) and starts the container. A running
    /// container is left as it is.
    pub async fn start(&self) -> Result<(), ContainerError> {
        orchestration::before_start(&self.ctx, &*self.above, &self.id).await?;
        self.start_alone().await
    }

    /// [`ContainerHandle::start`] without starting dependencies first (the
    /// pod actor, holding the pod's lock, has done that already).
    pub(crate) async fn start_alone(&self) -> Result<(), ContainerError> {
        self.ask(|reply| Msg::Start {
            before_go: None,
            reply,
        })
        .await
    }

    /// [`ContainerHandle::start_with`] without starting dependencies first
    /// (the pod actor starting its infra container).
    pub(crate) async fn start_alone_with(
        &self,
        before_go: lifecycle::BeforeGo,
    ) -> Result<(), ContainerError> {
        self.ask(|reply| Msg::Start {
            before_go: Some(before_go),
            reply,
        })
        .await
    }

    /// [`ContainerHandle::start`], running `before_go` once the
    /// container's monitor listens and before its process runs (to attach
    /// before the first byte of output). A running container is left as it
    /// is and `before_go` does not run.
    pub(crate) async fn start_with(
        &self,
        before_go: lifecycle::BeforeGo,
    ) -> Result<(), ContainerError> {
        orchestration::before_start(&self.ctx, &*self.above, &self.id).await?;
        self.ask(|reply| Msg::Start {
            before_go: Some(before_go),
            reply,
        })
        .await
    }

    /// Stops the container if it runs, then starts it (`restart`).
    pub async fn restart(&self, timeout: Option<u64>) -> Result<(), ContainerError> {
        self.stop(timeout).await?;
        self.start().await
    }

    /// The IDs of the containers that depend on this one (`--requires`,
    /// shared namespaces), oldest first.
    pub fn dependents(&self) -> Result<Vec<String>, ContainerError> {
        Ok(self.ctx.db.dependents_of(&self.id)?)
    }

    pub async fn stop(&self, timeout: Option<u64>) -> Result<(), ContainerError> {
        self.ask(|reply| Msg::Stop { timeout, reply }).await
    }

    /// Sends `signal` through the container's monitor. Lock-free, as a
    /// `stop` may hold the lock while it waits out its timeout and a kill
    /// must reach the container meanwhile (Podman releases its lock there).
    pub async fn kill(&self, signal: i32) -> Result<(), ContainerError> {
        let id = self.id.clone();
        blocking(&self.ctx, move |ctx| {
            let rec = lifecycle::load(ctx, &id)?;
            lifecycle::kill(ctx, &rec, signal)
        })
        .await
    }

    pub async fn pause(&self) -> Result<(), ContainerError> {
        self.ask(Msg::Pause).await
    }

    pub async fn unpause(&self) -> Result<(), ContainerError> {
        self.ask(Msg::Unpause).await
    }

    pub async fn remove(&self, force: bool, timeout: Option<u64>) -> Result<(), ContainerError> {
        self.ask(|reply| Msg::Remove {
            force,
            timeout,
            reply,
        })
        .await
    }

    /// `rm -v`, `--rm`: removes the container, then those of its anonymous
    /// volumes no other container uses.
    pub async fn remove_with_volumes(
        &self,
        force: bool,
        timeout: Option<u64>,
    ) -> Result<(), ContainerError> {
        let rec = self.get().await?;
        self.remove(force, timeout).await?;
        super::volumes::remove_anonymous(&self.ctx, &rec);
        Ok(())
    }

    pub async fn rename(&self, name: String) -> Result<(), ContainerError> {
        self.ask(|reply| Msg::Rename { name, reply }).await
    }

    /// `update`: new limits, restart policy, health check, environment or
    /// ulimits.
    pub async fn update(&self, update: super::ContainerUpdate) -> Result<(), ContainerError> {
        let update = Box::new(update);
        self.ask(|reply| Msg::Update { update, reply }).await
    }

    /// Records the exit and releases the container's resources; removes it
    /// if it was created with `--rm`. Returns whether it was removed.
    pub async fn cleanup(&self) -> Result<bool, ContainerError> {
        let before = self.ctx.db.container_by_id(&self.id).ok().flatten();
        let removed = self.ask(Msg::Cleanup).await?;
        if let Some(rec) = before {
            self.above.after_exit(&rec).await;
        }
        Ok(removed)
    }

    /// Prepares an exec session under its own monitor (waiting at its
    /// start gate, so the caller can attach first).
    pub async fn exec(&self, options: ExecOptions) -> Result<ExecSession, ContainerError> {
        self.ask(|reply| Msg::Exec { options, reply }).await
    }

    /// Waits for the container to exit and returns its exit code. Runs
    /// outside the actor: it only reads, and must not hold up `stop`.
    pub async fn wait(&self) -> Result<i32, ContainerError> {
        super::wait::wait_exit(&self.ctx, &self.id).await
    }

    /// Waits until one of `conditions` holds (`wait --condition`), looking
    /// every `interval`: the exit code for an exit, else -1.
    pub async fn wait_for(
        &self,
        conditions: &[super::wait::WaitCondition],
        interval: std::time::Duration,
    ) -> Result<i32, ContainerError> {
        super::wait::wait_for(&self.ctx, &self.id, conditions, interval).await
    }
}

#[cfg(test)]
#[path = "actor_tests.rs"]
mod tests;
