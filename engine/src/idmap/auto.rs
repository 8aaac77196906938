//! `--userns=auto`: a range of `size` ids taken from the `containers`
//! entries of /etc/subuid and /etc/subgid that no other container's
//! mappings use, as Podman's automatic user namespaces.

use super::map::{IdMap, IdMaps};
use super::subid::SubIdRange;
use super::IdmapError;

/// `--userns=auto[:size=N,uidmapping=C:H:S,gidmapping=C:H:S]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoOptions {
    pub size: Option<u32>,
    pub uidmapping: Vec<IdMap>,
    pub gidmapping: Vec<IdMap>,
}

impl AutoOptions {
    /// The options after `auto:`, in Podman's words when wrong.
    pub fn parse(opts: &str) -> Result<Self, IdmapError> {
        let mut out = AutoOptions::default();
        for opt in opts.split(',').filter(|o| !o.is_empty()) {
            let (key, value) = opt.split_once('=').ok_or_else(|| {
                IdmapError::Invalid(format!("invalid option {opt:?} for auto user namespace"))
            })?;
            match key {
                "size" => {
                    let n = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| {
                            IdmapError::Invalid(format!(
                                "invalid size {value:?} for auto user namespace"
                            ))
                        })?;
                    out.size = Some(n);
                }
                // `@H`: a host id, rootless translated into the user's
                // namespace as for --uidmap.
                "uidmapping" => out.uidmapping.extend(super::parse_maps_in(
                    &[value.into()],
                    crate::rootless::is_rootless()
                        .then(crate::rootless::uid_map)
                        .as_deref(),
                )?),
                "gidmapping" => out.gidmapping.extend(super::parse_maps_in(
                    &[value.into()],
                    crate::rootless::is_rootless()
                        .then(crate::rootless::gid_map)
                        .as_deref(),
                )?),
                _ => {
                    return Err(IdmapError::Invalid(format!(
                        "unknown option specified: {key:?}"
                    )))
                }
            }
        }
        Ok(out)
    }
}

/// Mappings for a new automatic user namespace of `size` ids, taken from
/// `uid_ranges`/`gid_ranges` past every host range in `used`. The
/// container ids `opts` maps itself are left to those mappings.
pub fn allocate_auto(
    uid_ranges: &[SubIdRange],
    gid_ranges: &[SubIdRange],
    used: &[IdMaps],
    size: u32,
    opts: &AutoOptions,
) -> Result<IdMaps, IdmapError> {
    // The host ids the options map themselves are taken too: a map may
    // not name one host id twice (the kernel refuses such a `uid_map`).
    let used_uid: Vec<IdMap> = used
        .iter()
        .flat_map(|m| m.uid.iter().copied())
        .chain(opts.uidmapping.iter().copied())
        .collect();
    let used_gid: Vec<IdMap> = used
        .iter()
        .flat_map(|m| m.gid.iter().copied())
        .chain(opts.gidmapping.iter().copied())
        .collect();
    let uid_start = free_block(uid_ranges, &used_uid, size, "/etc/subuid")?;
    let gid_start = free_block(gid_ranges, &used_gid, size, "/etc/subgid")?;
    Ok(IdMaps {
        uid: fill(uid_start, size, &opts.uidmapping),
        gid: fill(gid_start, size, &opts.gidmapping),
    })
}

/// The first host id of a block of `size` ids inside `ranges` that
/// overlaps none of `used`.
fn free_block(
    ranges: &[SubIdRange],
    used: &[IdMap],
    size: u32,
    file: &str,
) -> Result<u32, IdmapError> {
    if ranges.is_empty() {
        return Err(IdmapError::Invalid(format!(
            "cannot find mappings for user \"containers\": no subordinate ids for \"containers\" in {file}"
        )));
    }
    for r in ranges {
        let end = u64::from(r.start) + u64::from(r.count);
        let mut start = u64::from(r.start);
        while start + u64::from(size) <= end {
            let block = IdMap {
                container: 0,
                host: u32::try_from(start).unwrap_or(u32::MAX),
                size,
            };
            match used
                .iter()
                .filter(|u| u.overlaps_host(block))
                .map(|u| u64::from(u.host) + u64::from(u.size))
                .max()
            {
                None => return Ok(block.host),
                Some(past) => start = past,
            }
        }
    }
    Err(IdmapError::Invalid(format!(
        "could not find enough available IDs: no free range of {size} ids in {file} for \"containers\""
    )))
}

/// Container ids `0..size` onto host ids `start..`, except those `extra`
/// maps, which come first.
fn fill(start: u32, size: u32, extra: &[IdMap]) -> Vec<IdMap> {
    let mut out: Vec<IdMap> = extra.to_vec();
    let mut id = 0u32;
    while id < size {
        if let Some(m) = extra.iter().find(|m| {
            id >= m.container && u64::from(id) < u64::from(m.container) + u64::from(m.size)
        }) {
            id = m.container.saturating_add(m.size);
            continue;
        }
        let next = extra
            .iter()
            .filter(|m| m.container > id)
            .map(|m| m.container)
            .min()
            .unwrap_or(size)
            .min(size);
        out.push(IdMap {
            container: id,
            host: start + id,
            size: next - id,
        });
        id = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u32, count: u32) -> Vec<SubIdRange> {
        vec![SubIdRange { start, count }]
    }

    #[test]
    fn two_allocations_are_disjoint() {
        let r = range(100000, 10000);
        let a = allocate_auto(&r, &r, &[], 1024, &AutoOptions::default()).unwrap();
        assert_eq!(
            a.uid,
            vec![IdMap {
                container: 0,
                host: 100000,
                size: 1024
            }]
        );
        let b = allocate_auto(
            &r,
            &r,
            std::slice::from_ref(&a),
            2000,
            &AutoOptions::default(),
        )
        .unwrap();
        assert_eq!(b.uid[0].host, 101024);
        assert!(!a.uid[0].overlaps_host(b.uid[0]));
        let too_big = allocate_auto(&r, &r, &[a, b], 8000, &AutoOptions::default());
        assert!(too_big.is_err());
        assert!(allocate_auto(&[], &r, &[], 10, &AutoOptions::default()).is_err());
    }

    #[test]
    fn options_and_extra_mappings() {
        let o = AutoOptions::parse("size=500,uidmapping=10:7:2").unwrap();
        assert_eq!(o.size, Some(500));
        let r = range(1000, 5000);
        let m = allocate_auto(&r, &r, &[], 500, &o).unwrap();
        assert_eq!(
            m.uid,
            vec![
                IdMap {
                    container: 10,
                    host: 7,
                    size: 2
                },
                IdMap {
                    container: 0,
                    host: 1000,
                    size: 10
                },
                IdMap {
                    container: 12,
                    host: 1012,
                    size: 488
                },
            ]
        );
        assert_eq!(
            m.gid,
            vec![IdMap {
                container: 0,
                host: 1000,
                size: 500
            }]
        );
        // A mapping onto ids of the range itself: the automatic block
        // starts past them, so no host id is mapped twice.
        let o = AutoOptions::parse("uidmapping=1:1000:1").unwrap();
        let m = allocate_auto(&r, &r, &[], 500, &o).unwrap();
        assert_eq!(m.uid[0].host, 1000);
        assert!(
            m.uid[1..].iter().all(|x| !x.overlaps_host(m.uid[0])),
            "{:?}",
            m.uid
        );
        assert_eq!(m.gid[0].host, 1000, "the gid block is not moved");
        assert!(AutoOptions::parse("size=x").is_err());
        assert!(AutoOptions::parse("bogus=1").is_err());
    }
}
