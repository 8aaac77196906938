//! Container user namespaces nested in the user's: not built yet for
//! rootless rpod (their maps must be written in the namespace's own ids,
//! and the root filesystem idmapped inside it); refused clearly.

use crate::container::ns_modes::UserNsMode;

/// Refuses `--userns=keep-id|auto`, `--uidmap`/`--gidmap` for rootless.
pub fn check(mode: &UserNsMode) -> Result<(), String> {
    if !super::is_rootless() {
        return Ok(());
    }
    match mode {
        UserNsMode::KeepId => Err(
            "--userns=keep-id is not supported by rootless rpod yet (see docs/rootless.md)".into(),
        ),
        UserNsMode::Private(_) => Err(
            "--userns=auto, --uidmap and --gidmap are not supported by rootless rpod yet (see docs/rootless.md)"
                .into(),
        ),
        _ => Ok(()),
    }
}
