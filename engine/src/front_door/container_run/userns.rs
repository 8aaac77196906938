//! The user namespaces that need id mappings: `--uidmap`/`--gidmap`,
//! `--subuidname`/`--subgidname`, `--userns=auto[:OPTIONS]` (ranges of the
//! `containers` entries of /etc/subuid and /etc/subgid no other
//! container maps) and `--userns=private`, for root.

use std::path::Path;

use rpod_api::container_run::NamespaceSpec;
use rpod_api::Error;

use crate::container::ns_modes::UserNsMode;
use crate::engine::EngineCtx;
use crate::front_door::error::other;
use crate::idmap::{self, AutoOptions, IdMaps};
use crate::lock::LockGuard;

const SUBUID: &str = "/etc/subuid";
const SUBGID: &str = "/etc/subgid";
/// containers/storage's default `auto-userns-min-size`.
const AUTO_MIN_SIZE: u32 = 1024;
/// containers/storage's default `auto-userns-max-size`.
const AUTO_MAX_SIZE: u32 = 65536;
/// The user whose subordinate ids `auto` takes, as Podman's.
const AUTO_USER: &str = "containers";

/// Whether `value` (a `--userns`) needs mappings this module makes.
pub(crate) fn is_mapped_mode(value: &str) -> bool {
    value == "auto" || value == "private" || value.starts_with("auto:")
}

/// The mode the mapping flags (or `userns`, the effective `--userns`)
/// ask for, `None` when they ask for none. An `auto` allocation returns
/// the lock that keeps another create from taking the same ids until this
/// container's row is stored. `image_ids`: the size of the id range the
/// container's image needs (`auto` without `size` takes at least that).
pub(crate) fn mapped_mode(
    ctx: &EngineCtx,
    spec: &NamespaceSpec,
    userns: Option<&str>,
    image_ids: Option<u32>,
) -> Result<Option<(UserNsMode, Option<LockGuard>)>, Error> {
    let flags = !spec.uidmap.is_empty()
        || !spec.gidmap.is_empty()
        || spec.subuidname.is_some()
        || spec.subgidname.is_some();
    if flags {
        if spec
            .userns
            .as_deref()
            .is_some_and(|u| !u.is_empty() && u != "private")
        {
            return Err(Error::invalid(
                "--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive",
            ));
        }
        if (!spec.uidmap.is_empty() || !spec.gidmap.is_empty())
            && (spec.subuidname.is_some() || spec.subgidname.is_some())
        {
            return Err(Error::invalid(
                "--uidmap/--gidmap and --subuidname/--subgidname are mutually exclusive",
            ));
        }
        let maps = if spec.subuidname.is_some() || spec.subgidname.is_some() {
            sub_name_maps(spec)?
        } else {
            given_maps(spec)?
        };
        return Ok(Some((UserNsMode::Private(maps), None)));
    }
    let Some(value) = userns.filter(|v| is_mapped_mode(v)) else {
        return Ok(None);
    };
    let opts = match value.strip_prefix("auto:") {
        Some(o) => AutoOptions::parse(o).map_err(|e| Error::invalid(e.to_string()))?,
        None => AutoOptions::default(),
    };
    let guard = crate::lock::lock_exclusive(&ctx.config.lock_dir(), "userns-auto")
        .map_err(|e| other(&e))?;
    let used: Vec<IdMaps> = ctx
        .db
        .list_containers()
        .map_err(|e| other(&e))?
        .into_iter()
        .filter_map(|r| r.options.namespaces.user.own_maps().cloned())
        .collect();
    let size = match opts.size {
        Some(n) => n,
        None => {
            // As containers/storage: the image's ids, at least the minimum.
            let n = image_ids.unwrap_or(0).max(AUTO_MIN_SIZE);
            if n > AUTO_MAX_SIZE {
                return Err(Error::invalid(format!(
                    "the container needs a user namespace with size {n} that is bigger than the maximum value allowed with userns=auto {AUTO_MAX_SIZE}"
                )));
            }
            n
        }
    };
    // Rootless: the user's own namespace's subordinate ids.
    let (uid_ranges, gid_ranges) = crate::rootless::userns::auto_ranges().unwrap_or_else(|| {
        (
            idmap::subid_ranges(Path::new(SUBUID), AUTO_USER, None),
            idmap::subid_ranges(Path::new(SUBGID), AUTO_USER, None),
        )
    });
    let maps = idmap::allocate_auto(&uid_ranges, &gid_ranges, &used, size, &opts)
        .map_err(|e| Error::invalid(e.to_string()))?;
    Ok(Some((UserNsMode::Private(maps), Some(guard))))
}

/// `--uidmap`/`--gidmap`: each defaults to the other, as Podman.
fn given_maps(spec: &NamespaceSpec) -> Result<IdMaps, Error> {
    // `@H`: a host id, rootless translated into the user's namespace.
    let rootless = crate::rootless::is_rootless();
    let parse = |v: &[String], parent: Vec<idmap::IdMap>| {
        idmap::parse_maps_in(v, rootless.then_some(parent.as_slice()))
            .map_err(|e| Error::invalid(e.to_string()))
    };
    let uid = parse(&spec.uidmap, crate::rootless::uid_map())?;
    let gid = parse(&spec.gidmap, crate::rootless::gid_map())?;
    Ok(match (uid.is_empty(), gid.is_empty()) {
        (false, true) => IdMaps {
            gid: uid.clone(),
            uid,
        },
        (true, false) => IdMaps {
            uid: gid.clone(),
            gid,
        },
        _ => IdMaps { uid, gid },
    })
}

/// `--subuidname`/`--subgidname`: container ids from 0 onto the named
/// user's ranges (each name defaults to the other, as Podman).
fn sub_name_maps(spec: &NamespaceSpec) -> Result<IdMaps, Error> {
    let uname = spec
        .subuidname
        .as_deref()
        .or(spec.subgidname.as_deref())
        .unwrap_or_default();
    let gname = spec.subgidname.as_deref().unwrap_or(uname);
    let ranges = |file: &str, name: &str| {
        let r = idmap::subid_ranges(Path::new(file), name, None);
        if r.is_empty() {
            return Err(Error::invalid(format!(
                "cannot find mappings for user {name:?}: no subordinate ids for {name:?} in {file}"
            )));
        }
        let mut next = 0u32;
        Ok(r.into_iter()
            .map(|r| {
                let m = idmap::IdMap {
                    container: next,
                    host: r.start,
                    size: r.count,
                };
                next = next.saturating_add(r.count);
                m
            })
            .collect())
    };
    Ok(IdMaps {
        uid: ranges(SUBUID, uname)?,
        gid: ranges(SUBGID, gname)?,
    })
}

/// The user a pod's infra container (and so each member without
/// `--user`) runs as: keep-id's, as Podman's members inherit the infra's.
pub(crate) fn pod_keep_id_user(spec: &NamespaceSpec) -> Result<Option<String>, Error> {
    match spec.userns.as_deref() {
        Some(v) => super::namespaces::keep_id_user(v),
        None => Ok(None),
    }
}

/// A pod's user namespace (`pod create --userns`, `--uidmap`, ...): its
/// infra container's, which members join.
pub(crate) fn pod_user_mode(
    ctx: &EngineCtx,
    spec: &NamespaceSpec,
) -> Result<(UserNsMode, Option<LockGuard>), Error> {
    if let Some((mode, lock)) = mapped_mode(ctx, spec, spec.userns.as_deref(), None)? {
        return Ok((mode, lock));
    }
    let value = spec.userns.as_deref().unwrap_or_default();
    if let Some(opts) = super::namespaces::keep_id_options(value)? {
        let mode = crate::rootless::userns::resolve(UserNsMode::KeepId, Some(&opts));
        return Ok((mode, None));
    }
    let mode = match value {
        "" | "host" => UserNsMode::Host,
        "nomap" => {
            UserNsMode::Private(crate::rootless::userns::nomap_maps().map_err(Error::invalid)?)
        }
        other => {
            return Err(Error::invalid(format!(
                "unrecognized namespace mode {other} passed"
            )))
        }
    };
    Ok((mode, None))
}
