//! Container user namespaces nested in the user's (rootless
//! `--userns=keep-id|nomap|auto`, `--uidmap`): their mappings are written
//! in the namespace's own ids, Podman's "intermediate" ids (0 is the user,
//! 1..=N the subordinate ids), since rpod writes them from inside it.
//! Everything downstream (the pinned namespace, the chowned copy of the
//! image, volume and `/etc` file owners) then works in those ids as root's
//! path works in host ids.

use crate::container::ns_modes::UserNsMode;
use crate::idmap::{IdMap, IdMaps, SubIdRange};

/// `--userns=keep-id[:uid=N,gid=N,size=N]` options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeepIdOptions {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u32>,
}

/// The user a keep-id container runs as unless `--user` says otherwise:
/// the given ids, else the user's own host ids (root: 0:0, as Podman).
pub fn keep_id_user(opts: &KeepIdOptions) -> (u32, u32) {
    let (uid, gid) = if super::is_rootless() {
        (super::host_uid(), super::host_gid())
    } else {
        (0, 0)
    };
    (opts.uid.unwrap_or(uid), opts.gid.unwrap_or(gid))
}

/// Resolves a rootless container's user namespace mode to mappings in the
/// namespace's ids: `keep-id` becomes Podman's keep-id mapping (the user's
/// container id on namespace id 0, the rest around it). Root's modes are
/// returned unchanged.
pub fn resolve(mode: UserNsMode, keep_id: Option<&KeepIdOptions>) -> UserNsMode {
    if !super::is_rootless() {
        return mode;
    }
    match mode {
        UserNsMode::KeepId => {
            let opts = keep_id.copied().unwrap_or_default();
            let (uid, gid) = keep_id_user(&opts);
            UserNsMode::Private(keep_id_maps(uid, gid, opts.size))
        }
        other => other,
    }
}

/// Podman's rootless keep-id mappings for container ids `uid`/`gid`.
pub fn keep_id_maps(uid: u32, gid: u32, max_size: Option<u32>) -> IdMaps {
    IdMaps {
        uid: keep_id_map(uid, subordinate_count(&super::uid_map()), max_size),
        gid: keep_id_map(gid, subordinate_count(&super::gid_map()), max_size),
    }
}

/// `--userns=nomap`: container ids from 0 on the subordinate ids only,
/// the user's own id unmapped. Rootless only (Podman's error for root).
pub fn nomap_maps() -> Result<IdMaps, String> {
    if !super::is_rootless() {
        return Err("nomap is only supported in rootless mode".into());
    }
    let uids = subordinate_count(&super::uid_map());
    let gids = subordinate_count(&super::gid_map());
    if uids == 0 || gids == 0 {
        return Err(
            "--userns=nomap needs subordinate ids: none are configured for this user in /etc/subuid and /etc/subgid".into(),
        );
    }
    Ok(IdMaps {
        uid: vec![shifted_by_one(uids)],
        gid: vec![shifted_by_one(gids)],
    })
}

/// The ids `--userns=auto` takes from when rootless: the namespace's
/// subordinate ids (1..=N), never the user's own (0). `None` for root.
pub fn auto_ranges() -> Option<(Vec<SubIdRange>, Vec<SubIdRange>)> {
    if !super::is_rootless() {
        return None;
    }
    let range = |count: u32| {
        (count > 0)
            .then_some(SubIdRange { start: 1, count })
            .into_iter()
            .collect()
    };
    Some((
        range(subordinate_count(&super::uid_map())),
        range(subordinate_count(&super::gid_map())),
    ))
}

fn shifted_by_one(count: u32) -> IdMap {
    IdMap {
        container: 0,
        host: 1,
        size: count,
    }
}

/// How many subordinate ids the namespace maps (all but the user's own).
fn subordinate_count(map: &[IdMap]) -> u32 {
    map.iter()
        .filter(|m| m.container != 0)
        .map(|m| m.size)
        .fold(0u32, u32::saturating_add)
}

/// Container ids below `id` on namespace ids 1..=id, `id` on 0 (the user),
/// the rest on themselves, up to `subids` (or `max_size - 1`).
fn keep_id_map(id: u32, subids: u32, max_size: Option<u32>) -> Vec<IdMap> {
    let max = match max_size.filter(|s| *s > 0) {
        Some(s) => subids.min(s - 1),
        None => subids,
    };
    let mut out = Vec::new();
    let below = id.min(max);
    if below > 0 {
        out.push(IdMap {
            container: 0,
            host: 1,
            size: below,
        });
    }
    out.push(IdMap {
        container: id,
        host: 0,
        size: 1,
    });
    if max > id {
        out.push(IdMap {
            container: id + 1,
            host: id + 1,
            size: max - id,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(container: u32, host: u32, size: u32) -> IdMap {
        IdMap {
            container,
            host,
            size,
        }
    }

    #[test]
    fn keep_id_puts_the_user_on_namespace_root() {
        assert_eq!(
            keep_id_map(1001, 65536, None),
            vec![m(0, 1, 1001), m(1001, 0, 1), m(1002, 1002, 64535)]
        );
        // The user as container root: nothing below it.
        assert_eq!(
            keep_id_map(0, 65536, None),
            vec![m(0, 0, 1), m(1, 1, 65536)]
        );
        // size= bounds the namespace.
        assert_eq!(
            keep_id_map(1001, 65536, Some(2000)),
            vec![m(0, 1, 1001), m(1001, 0, 1), m(1002, 1002, 998)]
        );
        // No subordinate ids: only the user.
        assert_eq!(keep_id_map(1001, 0, None), vec![m(1001, 0, 1)]);
    }

    #[test]
    fn subordinate_ids_exclude_the_user() {
        let map = vec![m(0, 1001, 1), m(1, 100000, 65536)];
        assert_eq!(subordinate_count(&map), 65536);
        assert_eq!(subordinate_count(&map[..1]), 0);
    }
}
