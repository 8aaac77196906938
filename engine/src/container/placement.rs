//! Where a container runs: its cgroup and the namespaces it joins, from the
//! values its record carries ([`super::PodMembership`], set by its pod when
//! it was created). The container module reads these values; it never asks
//! the pod.

use std::path::PathBuf;

use oci_spec::runtime::LinuxNamespaceType;

use super::ns_modes::{NsKind, NsMode, UserNsMode};
use super::{lifecycle, ContainerError};
use crate::engine::EngineCtx;
use crate::state::{ContainerRecord, ContainerState};

/// Namespace names of `--share` and their OCI types.
const NAMESPACES: &[(&str, LinuxNamespaceType)] = &[
    ("cgroup", LinuxNamespaceType::Cgroup),
    ("ipc", LinuxNamespaceType::Ipc),
    ("net", LinuxNamespaceType::Network),
    ("pid", LinuxNamespaceType::Pid),
    ("uts", LinuxNamespaceType::Uts),
];

/// The cgroup path (`linux.cgroupsPath`) of a container: below its pod's
/// cgroup for pod members, else `/rpod/<id>`; below `--cgroup-parent`
/// when one was given.
pub fn cgroups_path(rec: &ContainerRecord) -> String {
    if let Some(parent) = &rec.options.cgroup.parent {
        return format!("{}/{}", parent.trim_end_matches('/'), rec.id);
    }
    match &rec.options.pod {
        Some(m) if !m.cgroup_parent.is_empty() => format!("{}/{}", m.cgroup_parent, rec.id),
        // Records made before the pod's cgroup was stored on them.
        Some(m) => format!("/rpod/pod-{}/{}", m.pod_id, rec.id),
        None => format!("/rpod/{}", rec.id),
    }
}

/// Whether `rec` shares namespace `ns` with the rest of its pod (holding
/// it as the infra container, or joining it).
pub(crate) fn shares(rec: &ContainerRecord, ns: &str) -> bool {
    rec.options
        .pod
        .as_ref()
        .is_some_and(|m| m.shared.iter().any(|s| s == ns))
}

/// The infra container of the pod `rec` is a member of (not itself), if
/// the pod has one.
pub(crate) fn infra_of(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
) -> Result<Option<ContainerRecord>, ContainerError> {
    let Some(m) = rec.options.pod.as_ref().filter(|m| !m.infra) else {
        return Ok(None);
    };
    Ok(ctx
        .db
        .pod_members(&m.pod_id)?
        .into_iter()
        .find(|c| c.options.pod.as_ref().is_some_and(|p| p.infra)))
}

/// The namespaces `rec` joins: those its `--ipc`/`--pid`/`--uts`/
/// `--cgroupns` modes name (`container:ID`: that container's, which must
/// be running; `ns:PATH`), and for a pod member each other namespace its
/// pod shares: the infra's pinned one ([`super::pod_pins`]), else
/// `/proc/<infra pid>/ns/<ns>`.
pub(crate) fn joined_namespaces(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
) -> Result<Vec<(LinuxNamespaceType, PathBuf)>, ContainerError> {
    let modes = &rec.options.namespaces;
    let mut joins = Vec::new();
    for kind in NsKind::ALL {
        match modes.get(kind) {
            NsMode::Container(id) => {
                let pid = running_pid(ctx, id, kind.name())?;
                joins.push((
                    kind.oci_type(),
                    PathBuf::from(format!("/proc/{pid}/ns/{}", kind.name())),
                ));
            }
            NsMode::Path(p) => joins.push((kind.oci_type(), PathBuf::from(p))),
            _ => {}
        }
    }
    let Some(m) = rec.options.pod.as_ref().filter(|m| !m.infra) else {
        return Ok(joins);
    };
    // A mode given to the member wins over the pod's sharing.
    let from_pod: Vec<&(&str, LinuxNamespaceType)> = NAMESPACES
        .iter()
        .filter(|(name, _)| m.shared.iter().any(|s| s == name))
        .filter(|(name, _)| {
            NsKind::ALL
                .iter()
                .find(|k| k.name() == *name)
                .is_none_or(|k| *modes.get(*k) == NsMode::Default)
        })
        .collect();
    if from_pod.is_empty() {
        return Ok(joins);
    }
    let Some(infra) = infra_of(ctx, rec)? else {
        return Ok(joins);
    };
    let infra = lifecycle::load(ctx, &infra.id)?;
    // Namespaces the infra holds pinned are joined by path, also while
    // its start is under way; the others through its process.
    let live_pins = super::pod_pins::live(ctx, &infra);
    let mut through_process = Vec::new();
    for (name, typ) in from_pod {
        match live_pins
            .then(|| super::pod_pins::pinned(ctx, &infra, name))
            .flatten()
        {
            Some(path) => joins.push((*typ, path)),
            None => through_process.push((*name, *typ)),
        }
    }
    if through_process.is_empty() {
        return Ok(joins);
    }
    if !matches!(infra.state, ContainerState::Running) || infra.pid <= 0 {
        return Err(ContainerError::StateImproper(format!(
            "the infra container {} of pod {} is {}, not running: start the pod first",
            infra.short_id(),
            &m.pod_id[..12.min(m.pod_id.len())],
            infra.state.as_str()
        )));
    }
    joins.extend(
        through_process
            .into_iter()
            .map(|(name, typ)| (typ, PathBuf::from(format!("/proc/{}/ns/{name}", infra.pid)))),
    );
    Ok(joins)
}

/// The user namespace `rec` gets (`--userns`).
pub(crate) fn user_namespace(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &super::paths::ContainerPaths,
) -> Result<crate::spec::UserNs, ContainerError> {
    use crate::spec::UserNs;
    Ok(match &rec.options.namespaces.user {
        // A member of a pod with a user namespace joins its infra's.
        UserNsMode::Host => match rec.options.pod.as_ref().filter(|m| !m.infra) {
            Some(_) => match infra_of(ctx, rec)?
                .filter(|i| i.options.namespaces.user != UserNsMode::Host)
            {
                Some(infra) => {
                    let pid = running_pid(ctx, &infra.id, "user")?;
                    UserNs::Join(PathBuf::from(format!("/proc/{pid}/ns/user")))
                }
                None => UserNs::Host,
            },
            None => UserNs::Host,
        },
        UserNsMode::KeepId | UserNsMode::Private(_) => {
            let maps = super::userns::own_maps(rec)?.unwrap_or_default();
            let path = super::userns::pinned(paths).ok_or_else(|| {
                ContainerError::IdShift(format!(
                    "container {}: its user namespace is not pinned",
                    rec.id
                ))
            })?;
            UserNs::Pinned { path, maps }
        }
        UserNsMode::Path(p) => UserNs::Join(PathBuf::from(p)),
        UserNsMode::Container(id) => {
            let pid = running_pid(ctx, id, "user")?;
            UserNs::Join(PathBuf::from(format!("/proc/{pid}/ns/user")))
        }
    })
}

/// The pid of container `id`, whose namespace `kind` is joined: it must
/// be running (it was started first, as a dependency).
fn running_pid(ctx: &EngineCtx, id: &str, kind: &str) -> Result<i32, ContainerError> {
    let donor = lifecycle::load(ctx, id)?;
    if matches!(
        donor.state,
        ContainerState::Running | ContainerState::Paused
    ) && donor.pid > 0
    {
        return Ok(donor.pid);
    }
    Err(ContainerError::StateImproper(format!(
        "container {} has no {} namespace to join: it is {}",
        donor.name,
        kind,
        donor.state.as_str()
    )))
}

/// Whether `rec` joins namespace `kind` of its pod's infra container (a
/// pod member whose pod shares it and that gave no mode of its own).
pub(crate) fn joins_pod(rec: &ContainerRecord, kind: NsKind) -> bool {
    rec.options.pod.as_ref().is_some_and(|m| !m.infra)
        && shares(rec, kind.name())
        && *rec.options.namespaces.get(kind) == NsMode::Default
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{ContainerOptions, PodMembership};

    fn rec(pod: Option<PodMembership>) -> ContainerRecord {
        ContainerRecord::new_created(
            "cid".into(),
            "c".into(),
            ContainerOptions {
                pod,
                ..Default::default()
            },
            vec![],
            String::new(),
            0,
        )
    }

    #[test]
    fn cgroup_and_sharing_come_from_the_record() {
        assert_eq!(cgroups_path(&rec(None)), "/rpod/cid");
        let member = rec(Some(PodMembership {
            pod_id: "pid".into(),
            cgroup_parent: "/rpod/pod-pid".into(),
            shared: vec!["net".into(), "ipc".into()],
            ..Default::default()
        }));
        assert_eq!(cgroups_path(&member), "/rpod/pod-pid/cid");
        assert!(shares(&member, "ipc"));
        assert!(!shares(&member, "pid"));
        let legacy = rec(Some(PodMembership {
            pod_id: "pid".into(),
            ..Default::default()
        }));
        assert_eq!(cgroups_path(&legacy), "/rpod/pod-pid/cid");
    }
}
