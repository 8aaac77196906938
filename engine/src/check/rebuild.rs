//! Rebuilding container rows from what outlives the database: each
//! container's creation snapshot (`<root>/containers/<id>/container.json`)
//! and its run-root state (monitor pid file, container pid file, exit file).

use std::time::UNIX_EPOCH;

use crate::config::EngineConfig;
use crate::container::paths::ContainerPaths;
use crate::container::reconcile::UNKNOWN_EXIT_CODE;
use crate::monitor;
use crate::network::types::NetworkOptions;
use crate::state::snapshot::ContainerSnapshot;
use crate::state::{ContainerRecord, ContainerState, Db, NetworkAttachment, StateError};

/// Modification time of `path` in Unix nanoseconds.
fn mtime_nanos(path: &std::path::Path) -> Option<i64> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

/// The row a snapshot stands for, in the state its run-root files show:
/// running while its monitor lives, exited once there is an exit record
/// (or a trace of a start without one), created otherwise.
pub(crate) fn record_from_run_root(
    config: &EngineConfig,
    snap: ContainerSnapshot,
) -> ContainerRecord {
    let mut rec = snap.into_record();
    let paths = ContainerPaths::new(config, &rec.id);
    let files = &paths.monitor;
    if let Ok(Some(exit)) = monitor::read_exit_file(&files.exit_file) {
        rec.state = ContainerState::Exited;
        rec.started_at = mtime_nanos(&paths.config_json).or(Some(exit.finished_at));
        rec.finished_at = Some(exit.finished_at);
        rec.exit_code = Some(exit.code);
        rec.exit_signal = exit.signal;
        rec.oom_killed = exit.oom;
    } else if monitor::monitor_alive(&files.monitor_pid_file) {
        rec.state = ContainerState::Running;
        rec.monitor_pid = monitor::read_monitor_pid(&files.monitor_pid_file).unwrap_or(0);
        rec.pid = monitor::read_monitor_pid(&files.pid_file).unwrap_or(0);
        rec.started_at = mtime_nanos(&files.pid_file).or(Some(rec.created_at));
    } else if paths.log.exists() || paths.config_json.exists() {
        // Started once; how it ended is unknowable.
        rec.state = ContainerState::Exited;
        rec.started_at = mtime_nanos(&paths.config_json);
        rec.finished_at = Some(crate::container::reconcile::now_nanos());
        rec.exit_code = Some(UNKNOWN_EXIT_CODE);
        rec.error = "rebuilt by 'system check --repair': how it exited is unknown".into();
    }
    rec
}

/// Inserts the rebuilt row; a name taken meanwhile gets the id appended.
pub(crate) fn insert(db: &Db, mut rec: ContainerRecord) -> Result<ContainerRecord, StateError> {
    match db.insert_container(&rec) {
        Err(StateError::NameInUse { .. }) => {
            rec.name = format!("{}-{}", rec.name, rec.short_id());
            db.insert_container(&rec)?;
        }
        other => other?,
    }
    // Restore the row's live fields (insert writes them as given).
    db.update_container(&mut rec)?;
    Ok(rec)
}

/// The container's network attachment rows as its files show them: for a
/// container whose network is set up, the backend input of the run
/// directory (every network it is on, with the addresses it was given);
/// otherwise the networks its snapshot asked for, with their static
/// addresses (the others are allocated at the next start).
pub(crate) fn attachments_from_run_root(
    config: &EngineConfig,
    rec: &ContainerRecord,
) -> Vec<NetworkAttachment> {
    let paths = ContainerPaths::new(config, &rec.id);
    let asked = &rec.options.net.networks;
    let set_up = std::fs::read(paths.run_dir.join("network.json"))
        .ok()
        .and_then(|d| serde_json::from_slice::<NetworkOptions>(&d).ok())
        .filter(|o| !o.networks.is_empty());
    let mut out = Vec::new();
    if let Some(options) = set_up {
        // The MACs the backend gave (a repair keeps them, as the running
        // interfaces have them), else the asked ones.
        let macs = crate::container::network::recorded_macs(&paths.run_dir);
        let generated: Vec<String> = vec![
            rec.short_id().to_owned(),
            rec.options.hostname.clone().unwrap_or_default(),
        ];
        for (network, per) in options.networks {
            let attach = asked.get(&network);
            let mac = macs.get(&network).cloned().or(per.static_mac);
            let mut a = NetworkAttachment {
                container_id: rec.id.clone(),
                network,
                interface: per.interface_name,
                mac,
                aliases: match attach {
                    Some(at) => at.aliases.clone(),
                    None => per
                        .aliases
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|x| !generated.contains(x))
                        .collect(),
                },
                static_ip: attach.is_some_and(|at| !at.static_ips.is_empty()),
                ..Default::default()
            };
            set_addresses(&mut a, per.static_ips.iter().flatten());
            out.push(a);
        }
        return out;
    }
    if rec.options.network != crate::container::NetworkMode::Bridge {
        return out;
    }
    for (i, (network, at)) in asked.iter().enumerate() {
        let mut a = NetworkAttachment {
            container_id: rec.id.clone(),
            network: network.clone(),
            interface: at
                .interface_name
                .clone()
                .unwrap_or_else(|| format!("eth{i}")),
            mac: at.static_mac.clone(),
            aliases: at.aliases.clone(),
            static_ip: !at.static_ips.is_empty(),
            ..Default::default()
        };
        set_addresses(&mut a, at.static_ips.iter());
        out.push(a);
    }
    out
}

fn set_addresses<'a>(a: &mut NetworkAttachment, ips: impl Iterator<Item = &'a std::net::IpAddr>) {
    for ip in ips {
        match ip {
            std::net::IpAddr::V4(v4) => a.ipv4 = Some(*v4),
            std::net::IpAddr::V6(v6) => a.ipv6 = Some(*v6),
        }
    }
}

/// Inserts the rebuilt container's attachment rows (see
/// [`attachments_from_run_root`]); returns how many. A row the database
/// refuses (the address taken meanwhile) is left out with a warning: the
/// next start allocates anew.
pub(crate) fn insert_attachments(
    config: &EngineConfig,
    db: &Db,
    rec: &ContainerRecord,
) -> Result<usize, StateError> {
    let mut n = 0;
    for a in attachments_from_run_root(config, rec) {
        match db.attach_network(&a) {
            Ok(()) => n += 1,
            Err(e @ (StateError::AddressTaken { .. } | StateError::AlreadyAttached { .. })) => {
                tracing::warn!(container = %rec.id, "network {}: {e}", a.network);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
