//! The container actor: a tokio task that owns one container's
//! transitions. Messages arrive on an mpsc mailbox and are answered on
//! oneshot channels; each is handled under the container's lock file, so
//! transitions are serialized within this process (by the mailbox) and
//! across processes (by the lock).

use std::sync::Arc;

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
    Start(Reply<()>),
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

/// Starts the actor of container `id` on the current tokio runtime.
pub(crate) fn spawn(
    ctx: Arc<EngineCtx>,
    id: String,
    name: String,
    above: Arc<dyn Orchestration>,
) -> ContainerHandle {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(run(ctx.clone(), id.clone(), rx));
    ContainerHandle {
        id,
        name,
        tx,
        ctx,
        above,
    }
}

async fn run(ctx: Arc<EngineCtx>, id: String, mut rx: mpsc::Receiver<Msg>) {
    while let Some(msg) = rx.recv().await {
        let guard = match lock::lock_exclusive(&ctx.config.lock_dir(), &id) {
            Ok(g) => g,
            Err(e) => {
                fail(msg, e.into());
                continue;
            }
        };
        let rec =
            match lifecycle::load(&ctx, &id).and_then(|r| super::recovery::after_lock(&ctx, r)) {
                Ok(r) => r,
                Err(e) => {
                    if matches!(e, ContainerError::NotFound(_)) {
                        // Removed while we waited: taking the lock
                        // re-created its file.
                        lock::remove_lock_file(&ctx.config.lock_dir(), &id);
                    }
                    fail(msg, e);
                    continue;
                }
            };
        handle(&ctx, rec, msg).await;
        drop(guard);
    }
}

fn fail(msg: Msg, e: ContainerError) {
    match msg {
        Msg::Cleanup(r) => drop(r.send(Err(e))),
        Msg::Exec { reply, .. } => drop(reply.send(Err(e))),
        Msg::Init(r) | Msg::Start(r) | Msg::Pause(r) | Msg::Unpause(r) => drop(r.send(Err(e))),
        Msg::Stop { reply, .. } | Msg::Remove { reply, .. } | Msg::Rename { reply, .. } => {
            drop(reply.send(Err(e)))
        }
    }
}

async fn handle(ctx: &EngineCtx, mut rec: ContainerRecord, msg: Msg) {
    // A send fails only if the caller stopped waiting; nothing to do then.
    match msg {
        Msg::Init(reply) => drop(reply.send(lifecycle::init(ctx, &mut rec).await)),
        Msg::Start(reply) => {
            let res = async {
                if rec.state == crate::state::ContainerState::Running {
                    return Ok(());
                }
                lifecycle::init(ctx, &mut rec).await?;
                lifecycle::start_initialized(ctx, &mut rec).await
            }
            .await;
            drop(reply.send(res))
        }
        Msg::Stop { timeout, reply } => {
            drop(reply.send(lifecycle::stop(ctx, &mut rec, timeout).await))
        }
        Msg::Pause(reply) => drop(reply.send(lifecycle::pause(ctx, &mut rec).await)),
        Msg::Unpause(reply) => drop(reply.send(lifecycle::unpause(ctx, &mut rec).await)),
        Msg::Remove {
            force,
            timeout,
            reply,
        } => {
            let res = async {
                if !force {
                    lifecycle::refuse_if_required(ctx, &rec)?;
                }
                lifecycle::remove(ctx, &mut rec, force, timeout).await
            }
            .await;
            drop(reply.send(res))
        }
        Msg::Rename { name, reply } => {
            let res = if !is_valid_name(&name) {
                Err(ContainerError::InvalidName(name))
            } else {
                rec.name = name;
                ctx.db.update_container(&rec).map_err(Into::into)
            };
            drop(reply.send(res))
        }
        Msg::Cleanup(reply) => drop(reply.send(lifecycle::cleanup(ctx, &mut rec).await)),
        Msg::Exec { options, reply } => drop(reply.send(exec::create(ctx, &rec, options))),
    }
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
        lifecycle::load(&self.ctx, &self.id)
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
        self.ask(Msg::Start).await
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
        let rec = lifecycle::load(&self.ctx, &self.id)?;
        lifecycle::kill(&self.ctx, &rec, signal)
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

    pub async fn rename(&self, name: String) -> Result<(), ContainerError> {
        self.ask(|reply| Msg::Rename { name, reply }).await
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
