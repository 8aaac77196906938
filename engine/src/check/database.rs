//! The database file: damage found, quarantined and rebuilt (pods,
//! containers and the volumes of `<root>/volumes`); containers and pods
//! whose snapshot has no row.

use std::collections::HashSet;

use super::{rebuild, CheckError, CheckOptions, CheckReport};
use crate::config::EngineConfig;
use crate::engine::Engine;
use crate::state::{integrity, snapshot, Db, StateError};

/// Checks the database file; with `repair`, moves a damaged one aside and
/// rebuilds it. Returns whether the rest of the check can run.
pub(super) fn check_database(
    config: &EngineConfig,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<bool, CheckError> {
    let db_dir = config.static_dir();
    let root = &config.root;
    let db_path = db_dir.join(integrity::DB_FILE).display().to_string();
    let problems = match Db::open(&db_dir) {
        Ok(db) if opts.quick => {
            drop(db);
            Vec::new()
        }
        // Damage past the schema page shows only when the check reads it.
        Ok(db) => match db.quick_check() {
            Ok(problems) => problems,
            Err(StateError::Damaged { cause, .. }) => vec![cause],
            Err(e) => return Err(e.into()),
        },
        Err(StateError::Damaged { cause, .. }) => vec![cause],
        Err(e) => return Err(e.into()),
    };
    if problems.is_empty() {
        return Ok(true);
    }
    report.errors = true;
    for p in &problems {
        CheckReport::note(&mut report.database, &db_path, p.clone());
    }
    if !opts.repair {
        return Ok(false);
    }
    // Under the database lock, released before re-creating (which takes
    // it to migrate): a process opening meanwhile finds the file missing
    // and refuses, as it did the damaged one.
    let guard = crate::lock::lock_exclusive(&db_dir, "db").map_err(StateError::from)?;
    let moved = integrity::quarantine(&db_dir).map_err(|source| CheckError::Quarantine {
        path: db_dir.join(integrity::DB_FILE),
        source,
    })?;
    drop(guard);
    tracing::debug!("moved the damaged database to {}", moved.display());
    report.moved_database = Some(moved);
    let db = Db::recreate(&db_dir)?;
    for pod in snapshot::read_pods(root) {
        db.insert_pod(&pod.into_record())?;
    }
    let (snapshots, unreadable) = snapshot::read_all(root);
    let mut running = Vec::new();
    for snap in snapshots {
        let rec = rebuild::insert(&db, rebuild::record_from_run_root(config, snap))?;
        rebuild::insert_attachments(config, &db, &rec)?;
        if rec.state == crate::state::ContainerState::Running {
            running.push(rec.options.volumes.clone());
        }
        report.rebuilt_containers.insert(rec.id, rec.name);
    }
    for mut vol in crate::volume::snapshot::read_all(&config.volume_path()) {
        // A volume mounted by the driver counts the running users.
        if vol.needs_mount() {
            let users = running
                .iter()
                .filter(|vs| vs.iter().any(|v| v.name == vol.name))
                .count();
            vol.mount_count = u32::try_from(users).unwrap_or(u32::MAX);
        }
        if db.insert_volume(&mut vol)? {
            report.rebuilt_volumes.push(vol.name);
        }
    }
    for (id, why) in unreadable {
        CheckReport::note(
            &mut report.containers,
            &id,
            format!("cannot be rebuilt: {why}"),
        );
    }
    Ok(true)
}

/// Snapshots without a row: containers the database lost.
pub(super) fn check_snapshots(
    engine: &Engine,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<(), CheckError> {
    let ctx = engine.ctx();
    let known: HashSet<String> = ctx
        .db
        .list_containers()?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for pod in snapshot::read_pods(&ctx.config.root) {
        if ctx.db.pod_by_id(&pod.id)?.is_some() {
            continue;
        }
        if opts.repair {
            ctx.db.insert_pod(&pod.into_record())?;
        } else {
            CheckReport::note(
                &mut report.containers,
                &pod.id,
                format!("pod {} is missing from the database", pod.name),
            );
        }
    }
    ctx.db.settle_snapshots();
    let (snapshots, _) = snapshot::read_all(&ctx.config.root);
    for snap in snapshots.into_iter().filter(|s| !known.contains(&s.id)) {
        if !opts.repair {
            CheckReport::note(
                &mut report.containers,
                &snap.id,
                "container is missing from the database",
            );
            continue;
        }
        let rec = rebuild::insert(&ctx.db, rebuild::record_from_run_root(&ctx.config, snap))?;
        rebuild::insert_attachments(&ctx.config, &ctx.db, &rec)?;
        report.rebuilt_containers.insert(rec.id, rec.name);
    }
    Ok(())
}
