#![recursion_limit = "256"]
//! rpod-engine: the library behind the `rpod` CLI (our libpod).
//!
//! Layout:
//! - [`engine`]: one engine instance and its container actors.
//! - [`config`]: paths (`--root`, `--runroot`), `rpod.conf`.
//! - [`state`]: the SQLite database of containers (and later pods, volumes).
//! - [`lock`]: per-object lock files taken in one global order.
//! - [`storage`]: layer extraction, layer and image stores, overlay mounts.
//! - [`image_ref`]: image references and platforms (below storage and registry).
//! - [`registry`]: registries.conf, pulling, pushing.
//! - [`spec`]: OCI runtime spec generation from image config and options.
//! - [`runtime`]: the OCI runtime (runc/crun) wrapper.
//! - [`monitor`]: spawning pod-monitor and talking to it through `proto`.
//! - [`events`]: the append-only events file.
//! - [`fault`]: fault injection points for crash-recovery tests.
//! - [`container`]: container options, records and the container actor
//!   through which every transition passes.
//! - [`pod`]: pods, their infra container and the pod actor ordering members.
//! - [`fault`]: test-only fault injection (`RPOD_FAULT`).
//! - [`error`]: the engine's one [`Error`], wrapping each subsystem's.
//! - [`error_chain`]: an error printed with its causes.
//! - [`front_door`]: [`LocalEngine`], the engine as `rpod_api::FrontDoor`.

pub mod check;
pub mod config;
pub mod container;
pub mod engine;
pub mod error;
pub mod error_chain;
pub mod events;
pub mod fault;
pub mod front_door;
pub mod image_ref;
pub mod lock;
pub(crate) mod logs;
pub mod monitor;
pub mod network;
pub mod pod;
pub mod registry;
pub mod runtime;
pub mod spec;
pub mod state;
pub mod storage;
pub use engine::{Engine, OpenError};
pub use error::Error;
pub use front_door::LocalEngine;
