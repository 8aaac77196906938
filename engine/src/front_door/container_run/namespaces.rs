//! `--ipc`, `--pid`, `--uts`, `--cgroupns` of a create: parsed with
//! Podman's rules, the containers they name looked up (full ids stored,
//! and added to the container's dependencies so they start first and are
//! not removed under it), Podman's refusal to join a private IPC namespace.

use rpod_api::container_run::NamespaceSpec;
use rpod_api::{Error, ErrorKind};

use crate::container::ns_modes::{self, NamespaceModes, NsKind, NsMode};
use crate::engine::EngineCtx;
use crate::front_door::error::other;

/// The modes `spec` asks for, and the ids of the containers whose
/// namespaces they join. `in_pod`: the container joins a pod (`pod` is
/// only valid there).
pub(crate) fn namespace_modes(
    ctx: &EngineCtx,
    spec: &NamespaceSpec,
    in_pod: bool,
) -> Result<(NamespaceModes, Vec<String>), Error> {
    let mut modes = NamespaceModes::default();
    let mut donors = Vec::new();
    for kind in NsKind::ALL {
        let given = match kind {
            NsKind::Ipc => &spec.ipc,
            NsKind::Pid => &spec.pid,
            NsKind::Uts => &spec.uts,
            NsKind::Cgroup => &spec.cgroupns,
        };
        let Some(value) = given.as_deref().filter(|v| !v.is_empty()) else {
            continue;
        };
        let mut mode = ns_modes::parse(kind, value).map_err(Error::invalid)?;
        if value == "pod" && !in_pod {
            return Err(Error::invalid(
                "cannot use pod namespace as container is not joining a pod or pod has no infra container: invalid argument",
            ));
        }
        if let NsMode::Container(name) = &mode {
            let id = donor(ctx, kind, name)?;
            if !donors.contains(&id) {
                donors.push(id.clone());
            }
            mode = NsMode::Container(id);
        }
        *modes.get_mut(kind) = mode;
    }
    Ok((modes, donors))
}

/// The full id of the container `name` whose `kind` namespace is joined.
fn donor(ctx: &EngineCtx, kind: NsKind, name: &str) -> Result<String, Error> {
    let rec = ctx
        .db
        .find_container(name)
        .map_err(|e| other(&e))?
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NoSuchContainer,
                format!(
                    "looking up container to share {} namespace with: no container with name or ID \"{name}\" found: no such container",
                    kind.name()
                ),
            )
        })?;
    if kind == NsKind::Ipc && rec.options.namespaces.ipc == NsMode::Private {
        return Err(Error::invalid(format!(
            "joining IPC of container {} is not allowed: non-shareable IPC (hint: use IpcMode:shareable for the donor container)",
            rec.id
        )));
    }
    Ok(rec.id)
}
