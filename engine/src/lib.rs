#![recursion_limit = "256"]
//! rpod-engine: the library behind the `rpod` CLI (our libpod).
//!
//! Its public surface is the front door and what constructs it:
//! [`LocalEngine`] (the engine as `rpod_api::FrontDoor`), [`StoreChecker`]
//! (`system check` on a store whose engine cannot open) and [`Error`]. The
//! modules are the crate's own (`pub(crate)`).
//!
//! Layout:
//! - [`engine`]: one engine instance and its container actors.
//! - [`background`]: work done on threads beside a command's own path.
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
//! - [`inherited_fds`]: the descriptors the caller passed (`--preserve-fds`).
//! - [`container`]: container options, records and the container actor
//!   through which every transition passes.
//! - [`pod`]: pods, their infra container and the pod actor ordering members.
//! - [`fault`]: test-only fault injection (`RPOD_FAULT`).
//! - [`error`]: the engine's one [`Error`], wrapping each subsystem's.
//! - [`error_chain`]: an error printed with its causes.
//! - [`front_door`]: [`LocalEngine`], the engine as `rpod_api::FrontDoor`.
//! - [`rootless`]: an ordinary user's namespace (pause process, setns),
//!   per-user roots; [`enter_user_namespace`] is called early in `main`.

pub mod background;
pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod config;
pub(crate) mod container;
pub(crate) mod engine;
pub(crate) mod error;
pub(crate) mod error_chain;
pub(crate) mod events;
pub(crate) mod fault;
pub(crate) mod front_door;
pub(crate) mod hooks;
pub(crate) mod idmap;
pub(crate) mod image_ref;
pub mod inherited_fds;
pub(crate) mod journal;
pub(crate) mod kube;
pub(crate) mod lock;
pub(crate) mod logs;
pub(crate) mod monitor;
pub(crate) mod network;
pub(crate) mod pod;
pub(crate) mod registry;
pub(crate) mod rootless;
pub(crate) mod runtime;
pub(crate) mod secret;
pub(crate) mod spec;
pub(crate) mod state;
pub(crate) mod storage;
pub(crate) mod volume;
pub use error::Error;
/// `login`, `logout` and `login --get-login` on this host's auth file
/// without an engine: the remote client logs in locally, as Podman's.
pub use front_door::images::auth::{
    login as registry_login, login_user as registry_login_user, logout as registry_logout,
    stored_credentials as registry_stored_credentials,
};
pub use front_door::{LocalEngine, StoreChecker};
pub use rootless::netns::path_under as rootless_netns_path;
pub use rootless::portfwd::{parse_forward as rootlessport_forward, serve as rootlessport_serve};
pub use rootless::{enter_user_namespace, is_rootless, user_service_uri, Entered, RootlessError};
