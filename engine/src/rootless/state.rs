//! Whether this process is a rootless rpod inside the user's namespace,
//! and the host ids it acts for.

use std::sync::OnceLock;

use crate::idmap::IdMap;

/// True in a process that acts for an ordinary user: root inside a user
/// namespace that rpod entered (marked by [`super::ROOTLESS_UID_ENV`],
/// which processes started inside inherit).
pub fn is_rootless() -> bool {
    // Decided (and kept) only once this process is root, i.e. after it
    // joined the namespace; before that the answer is no.
    if std::env::var_os(super::ROOTLESS_UID_ENV).is_none() || !nix::unistd::geteuid().is_root() {
        return false;
    }
    static ROOTLESS: OnceLock<bool> = OnceLock::new();
    *ROOTLESS.get_or_init(|| !initial_namespace(&uid_map()))
}

/// The host uid root of this namespace stands for (the user's own uid).
pub fn host_uid() -> u32 {
    host_of_root(&uid_map()).unwrap_or_else(|| nix::unistd::getuid().as_raw())
}

/// The host gid root of this namespace stands for (the user's group).
pub fn host_gid() -> u32 {
    host_of_root(&gid_map()).unwrap_or_else(|| nix::unistd::getgid().as_raw())
}

/// The host uid of `id` as this process sees it: a rootless namespace's
/// id shown as the host's (the user, a subordinate id); unchanged for root
/// or where unmapped.
pub fn host_uid_of(id: u32) -> u32 {
    own_maps().host_uid(id).unwrap_or(id)
}

/// [`host_uid_of`] for gids.
pub fn host_gid_of(id: u32) -> u32 {
    own_maps().host_gid(id).unwrap_or(id)
}

fn own_maps() -> crate::idmap::IdMaps {
    crate::idmap::IdMaps {
        uid: uid_map(),
        gid: gid_map(),
    }
}

/// This process's uid mappings (`/proc/self/uid_map`).
pub fn uid_map() -> Vec<IdMap> {
    read_map("/proc/self/uid_map")
}

/// This process's gid mappings (`/proc/self/gid_map`).
pub fn gid_map() -> Vec<IdMap> {
    read_map("/proc/self/gid_map")
}

fn read_map(path: &str) -> Vec<IdMap> {
    parse_map(&std::fs::read_to_string(path).unwrap_or_default())
}

/// `INSIDE OUTSIDE COUNT` lines.
pub(crate) fn parse_map(text: &str) -> Vec<IdMap> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace().map(|n| n.parse::<u32>());
            match (f.next(), f.next(), f.next()) {
                (Some(Ok(container)), Some(Ok(host)), Some(Ok(size))) => Some(IdMap {
                    container,
                    host,
                    size,
                }),
                _ => None,
            }
        })
        .collect()
}

fn initial_namespace(map: &[IdMap]) -> bool {
    matches!(map, [m] if m.container == 0 && m.host == 0 && m.size == u32::MAX)
}

fn host_of_root(map: &[IdMap]) -> Option<u32> {
    map.iter().find(|m| m.container == 0).map(|m| m.host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_roots() {
        let init = parse_map("         0          0 4294967295\n");
        assert!(initial_namespace(&init));
        let user =
            parse_map("         0       1001          1\n         1     100000      65536\n");
        assert!(!initial_namespace(&user));
        assert_eq!(host_of_root(&user), Some(1001));
        assert_eq!(user[1].host, 100000);
        assert_eq!(user[1].size, 65536);
    }
}
