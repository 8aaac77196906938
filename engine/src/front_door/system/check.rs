//! `system check` behind the front door, for an open engine and for one
//! whose state cannot open ([`StoreChecker`]): the check opens the store
//! itself, after looking at the database.

use std::path::PathBuf;

use async_trait::async_trait;
use rpod_api::check::{SystemCheckOptions, SystemCheckReport};
use rpod_api::front_door::{EngineOptions, SystemCheck};
use rpod_api::Result;

use crate::check::{system_check, CheckOptions, CheckReport, DEFAULT_MAX_UNREFERENCED_AGE};
use crate::config::EngineConfig;
use crate::front_door::{engine_config, error};

/// `system check` on the store the options name, without opening the
/// engine first (a damaged database is one of the things it repairs).
pub struct StoreChecker {
    config: EngineConfig,
    cleanup_exe: PathBuf,
}

impl StoreChecker {
    /// The checker of the store `options` select; `cleanup_exe` as for
    /// [`LocalEngine::open`](crate::LocalEngine::open).
    pub fn new(options: &EngineOptions, cleanup_exe: PathBuf) -> Result<StoreChecker> {
        Ok(StoreChecker {
            config: engine_config(options)?,
            cleanup_exe,
        })
    }
}

#[async_trait]
impl SystemCheck for StoreChecker {
    async fn system_check(&self, options: SystemCheckOptions) -> Result<SystemCheckReport> {
        check(self.config.clone(), self.cleanup_exe.clone(), &options).await
    }
}

/// Runs the check `options` ask for.
pub(crate) async fn check(
    config: EngineConfig,
    cleanup_exe: PathBuf,
    options: &SystemCheckOptions,
) -> Result<SystemCheckReport> {
    let opts = CheckOptions {
        quick: options.quick,
        // Lossy repairs are repairs, as Podman's RepairLossy.
        repair: options.repair || options.repair_lossy,
        force: options.repair_lossy,
        max_unreferenced_age: options
            .unreferenced_layer_maximum_age
            .unwrap_or(DEFAULT_MAX_UNREFERENCED_AGE),
    };
    let report = system_check(config, cleanup_exe, &opts)
        .await
        .map_err(|e| error::other(&e))?;
    Ok(to_report(report))
}

fn to_report(r: CheckReport) -> SystemCheckReport {
    SystemCheckReport {
        errors: r.errors,
        database: r.database,
        moved_database: r.moved_database.map(|p| p.display().to_string()),
        rebuilt_containers: r.rebuilt_containers,
        rebuilt_volumes: r.rebuilt_volumes,
        layers: r.layers,
        removed_layers: r.removed_layers,
        images: r.images,
        removed_images: r.removed_images,
        containers: r.containers,
        removed_containers: r.removed_containers,
    }
}
