//! Integration-test harness for rpod.
//!
//! Every integration test builds on these pieces:
//! - [`rpod_bin`] / [`monitor_bin`]: the debug binaries built by `cargo build --workspace`;
//! - [`fixtures`]: locally built OCI fixture images (`busybox`, `multilayer`, `multiarch`),
//!   cached under `<target dir>/rpod-fixtures/`;
//! - [`Registry`]: a throw-away `docker-registry` on a free loopback port;
//! - [`TestEnv`]: per-test `--root`/`--runroot`/`registries.conf`, command helpers, and a
//!   drop guard that kills, unmounts and removes everything the test left behind;
//! - [`wait_until`], [`unique_name`], [`run_with_timeout`]: bounded waits and unique names.

mod bins;
pub mod cleanup;
mod command;
mod env;
pub mod fixtures;
mod netslot;
mod registry;
mod util;

pub use bins::{monitor_bin, rpod_bin, target_dir};
pub use command::{run_with_timeout, DEFAULT_COMMAND_TIMEOUT};
pub use env::{event_statuses_args, TestEnv};
pub use netslot::NetSlot;
pub use registry::Registry;
pub use util::{unique_name, wait_until};
