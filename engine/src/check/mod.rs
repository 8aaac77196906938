//! `system check` (Podman 5): inconsistencies between the database, the
//! layer store, container mounts and live monitors, and with `repair` what
//! can be rebuilt or removed without touching data in use.
//!
//! - The database: a damaged file is reported; `repair` moves it aside
//!   (`db.sqlite.corrupt-<timestamp>`) and rebuilds the container rows from
//!   their snapshots and run-root state ([`rebuild`]).
//! - Containers: snapshots without a row are rebuilt; rows whose image is
//!   missing are reported ("image missing") and removed only with `force`.
//! - Images: missing layers or data items are reported; `repair` removes
//!   such an image unless a container uses it (`force` removes those too).
//! - Orphans: run-root state (a live monitor), container storage or data
//!   directories of containers the database does not know and that cannot
//!   be rebuilt; `repair` removes what nothing uses (a live monitor's
//!   container only with `force`).
//! - Layers: a layer no image uses, older than the maximum age and mounted
//!   by nothing, is reported ("layer not referenced") and removed by
//!   `repair`; a layer without its data is reported.

mod database;
mod orphans;
mod rebuild;
mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::EngineConfig;
use crate::container::ContainerError;
use crate::engine::Engine;
use crate::state::StateError;
use crate::storage::StorageError;

/// Podman's default for `--max`: layers younger than this may belong to a
/// pull in progress.
pub const DEFAULT_MAX_UNREFERENCED_AGE: Duration = Duration::from_secs(24 * 3600);

/// What to check and repair (`system check` flags).
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// `--quick`: skip the database's page-level check.
    pub quick: bool,
    /// `--repair`.
    pub repair: bool,
    /// `--force`: also remove containers that use damaged images.
    pub force: bool,
    /// `--max`: unreferenced layers older than this are damage.
    pub max_unreferenced_age: Duration,
}

/// What was found and done, in the shape of Podman's SystemCheckReport
/// (plus the database, which Podman's storage check does not cover).
#[derive(Debug, Default, Clone)]
pub struct CheckReport {
    pub errors: bool,
    /// The database file → what is wrong with it.
    pub database: BTreeMap<String, Vec<String>>,
    /// Where a damaged database was moved by `repair`.
    pub moved_database: Option<PathBuf>,
    pub layers: BTreeMap<String, Vec<String>>,
    pub removed_layers: Vec<String>,
    pub images: BTreeMap<String, Vec<String>>,
    /// Image id → its names.
    pub removed_images: BTreeMap<String, Vec<String>>,
    pub containers: BTreeMap<String, Vec<String>>,
    /// Container id → name.
    pub removed_containers: BTreeMap<String, String>,
    /// Container id → name: rows rebuilt from snapshots and run-root state.
    pub rebuilt_containers: BTreeMap<String, String>,
    /// Volumes given back to a rebuilt database.
    pub rebuilt_volumes: Vec<String>,
}

impl CheckReport {
    pub(super) fn note(
        map: &mut BTreeMap<String, Vec<String>>,
        key: &str,
        what: impl Into<String>,
    ) {
        map.entry(key.to_owned()).or_default().push(what.into());
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error(transparent)]
    Open(#[from] crate::engine::OpenError),
    #[error("moving the damaged database {} aside: {source}", path.display())]
    Quarantine {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Runs the check (and the repairs `opts` ask for) on the store of
/// `config`. Works when the database cannot be opened: that is one of the
/// things it reports and repairs.
pub async fn system_check(
    config: EngineConfig,
    cleanup_exe: PathBuf,
    opts: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let mut report = CheckReport::default();
    let root = config.root.clone();
    if !database::check_database(&config, opts, &mut report)? {
        return Ok(report);
    }
    let engine = Engine::open(config, cleanup_exe)?;
    database::check_snapshots(&engine, opts, &mut report)?;
    store::check_containers(&engine, opts, &mut report).await?;
    orphans::check_orphans(&engine, opts, &mut report).await?;
    store::check_images(&engine, opts, &mut report).await?;
    store::check_layers(engine.store(), opts, &mut report)?;
    report.errors = !report.database.is_empty()
        || !report.layers.is_empty()
        || !report.images.is_empty()
        || !report.containers.is_empty();
    tracing::debug!(root = %root.display(), errors = report.errors, "system check done");
    Ok(report)
}
