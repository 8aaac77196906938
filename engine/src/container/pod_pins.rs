//! The namespaces a pod's infra container holds for its members, pinned
//! on files before the infra's process exists, when the pod allows it
//! (rootful, no user namespace, sharing only IPC, network and UTS, on a
//! bridge or no network): IPC and UTS under the infra's run directory
//! (`<run_dir>/ns/{ipc,uts}`), the network namespace where
//! [`crate::network::netns`] keeps it (`<runroot>/netns/<infra id>`).
//! The infra joins them by path, and so do its members, which therefore
//! need not wait for the infra's `runtime run` to return. They go with the
//! infra's other resources (exit cleanup, a failed start, removal).

use std::path::PathBuf;

use oci_spec::runtime::LinuxNamespaceType;

use super::ns_modes::{NsKind, NsMode, UserNsMode};
use super::paths::ContainerPaths;
use super::pinned_ns::{self, PinKind, UtsNames};
use super::{ContainerError, NetworkMode};
use crate::engine::EngineCtx;
use crate::network::{netns, NetworkError};
use crate::state::ContainerRecord;

/// The namespaces a pod may share and still have them pinned.
const PINNABLE: &[&str] = &["ipc", "net", "uts"];

/// Where infra container `paths`' IPC and UTS namespaces are pinned.
fn dir(paths: &ContainerPaths) -> PathBuf {
    paths.run_dir.join("ns")
}

fn is_infra(rec: &ContainerRecord) -> bool {
    rec.options.pod.as_ref().is_some_and(|m| m.infra)
}

/// Whether infra container `rec` holds its pod's namespaces pinned.
pub(crate) fn pinnable(rec: &ContainerRecord) -> bool {
    let Some(m) = rec.options.pod.as_ref().filter(|m| m.infra) else {
        return false;
    };
    let own = |kind| {
        matches!(
            rec.options.namespaces.get(kind),
            NsMode::Default | NsMode::Private | NsMode::Shareable
        )
    };
    !crate::rootless::is_rootless()
        && rec.options.namespaces.user == UserNsMode::Host
        && m.shared.iter().all(|s| PINNABLE.contains(&s.as_str()))
        && matches!(rec.options.network, NetworkMode::None | NetworkMode::Bridge)
        && own(NsKind::Ipc)
        && own(NsKind::Uts)
}

/// For a pinnable infra container `rec`: pins the IPC and UTS namespaces
/// its pod shares (the UTS one named `hostname`/`domainname`), and with no
/// network its network namespace (lo up, as the runtime would make it; a
/// bridge one is pinned by the network's setup). Returns what its spec
/// joins (without the bridge network namespace, joined as before).
pub(crate) fn pin_infra(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    names: &UtsNames,
) -> Result<Vec<(LinuxNamespaceType, PathBuf)>, ContainerError> {
    if !pinnable(rec) {
        return Ok(Vec::new());
    }
    let shares = |name| super::placement::shares(rec, name);
    let kinds: Vec<PinKind> = PinKind::ALL
        .into_iter()
        .filter(|k| shares(k.name()))
        .collect();
    let dir = dir(paths);
    // Leftovers of an earlier run that nobody released.
    pinned_ns::remove(&dir);
    pinned_ns::create(&dir, &kinds, names)?;
    let mut joins: Vec<(LinuxNamespaceType, PathBuf)> = kinds
        .iter()
        .map(|k| (oci_type(*k), pinned_ns::path(&dir, *k)))
        .collect();
    if shares("net") && rec.options.network == NetworkMode::None {
        let ns = ctx.config.netns_path(&rec.id);
        let made = netns::remove(&ns).and_then(|()| netns::create(&ns));
        if let Err(e) = made {
            pinned_ns::remove(&dir);
            return Err(NetworkError::from(e).into());
        }
        joins.push((LinuxNamespaceType::Network, ns));
    }
    Ok(joins)
}

fn oci_type(kind: PinKind) -> LinuxNamespaceType {
    match kind {
        PinKind::Ipc => LinuxNamespaceType::Ipc,
        PinKind::Uts => LinuxNamespaceType::Uts,
    }
}

/// Unpins infra container `rec`'s IPC and UTS namespaces (its network
/// namespace goes with its network's teardown). Idempotent.
pub(crate) fn release(rec: &ContainerRecord, paths: &ContainerPaths) {
    if is_infra(rec) {
        pinned_ns::remove(&dir(paths));
    }
}

/// The pinned namespace `name` (`ipc`, `uts`, `net`) of infra container
/// `infra`, if it holds it pinned.
pub(crate) fn pinned(ctx: &EngineCtx, infra: &ContainerRecord, name: &str) -> Option<PathBuf> {
    if !pinnable(infra) {
        return None;
    }
    let path = match name {
        "net" => ctx.config.netns_path(&infra.id),
        "ipc" | "uts" => {
            let kind = PinKind::ALL.into_iter().find(|k| k.name() == name)?;
            pinned_ns::path(&dir(&ContainerPaths::new(&ctx.config, &infra.id)), kind)
        }
        _ => return None,
    };
    netns::is_mounted(&path).then_some(path)
}

/// Whether the pins of infra container `infra` (a fresh row) belong to a
/// live infra: it runs, or its start is under way (its monitor lives and
/// has not recorded an exit). A crashed infra's pins wait for their
/// release and are never joined.
pub(crate) fn live(ctx: &EngineCtx, infra: &ContainerRecord) -> bool {
    if infra.state.has_monitor() {
        return true;
    }
    let files = ContainerPaths::new(&ctx.config, &infra.id).monitor;
    crate::monitor::monitor_alive(&files.monitor_pid_file) && !files.exit_file.exists()
}

/// Whether every namespace the pod of infra container `infra` shares is
/// pinned: its members can then start while the infra's process is still
/// being created.
pub(crate) fn cover_pod(ctx: &EngineCtx, infra: &ContainerRecord) -> bool {
    let Some(m) = infra.options.pod.as_ref().filter(|m| m.infra) else {
        return false;
    };
    pinnable(infra) && m.shared.iter().all(|s| pinned(ctx, infra, s).is_some())
}
