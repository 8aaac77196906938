//! Id mappings as Podman spells them: `CONTAINER:HOST:SIZE`.

use serde::{Deserialize, Serialize};

use super::IdmapError;

/// One range: container ids `container..container+size` are host ids
/// `host..host+size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdMap {
    pub container: u32,
    pub host: u32,
    pub size: u32,
}

impl IdMap {
    /// Podman's inspect spelling, `CONTAINER:HOST:SIZE`.
    pub fn to_inspect(self) -> String {
        format!("{}:{}:{}", self.container, self.host, self.size)
    }

    /// The line of a `/proc/PID/uid_map` file.
    pub fn proc_line(self) -> String {
        format!("{} {} {}\n", self.container, self.host, self.size)
    }

    fn host_end(self) -> u64 {
        u64::from(self.host) + u64::from(self.size)
    }

    /// Whether the host ranges of the two overlap.
    pub fn overlaps_host(self, other: IdMap) -> bool {
        u64::from(self.host) < other.host_end() && u64::from(other.host) < self.host_end()
    }
}

/// A container's user and group mappings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdMaps {
    pub uid: Vec<IdMap>,
    pub gid: Vec<IdMap>,
}

impl IdMaps {
    /// The host id container id `id` maps to, if mapped.
    pub fn host_uid(&self, id: u32) -> Option<u32> {
        to_host(&self.uid, id)
    }

    pub fn host_gid(&self, id: u32) -> Option<u32> {
        to_host(&self.gid, id)
    }

    /// Whether every container id is its host id (no shifting needed).
    pub fn is_identity(&self) -> bool {
        self.uid
            .iter()
            .chain(&self.gid)
            .all(|m| m.container == m.host)
    }
}

fn to_host(maps: &[IdMap], id: u32) -> Option<u32> {
    maps.iter().find_map(|m| {
        let off = id.checked_sub(m.container)?;
        (off < m.size).then(|| m.host + off)
    })
}

/// `--uidmap`/`--gidmap` values (each may hold several `C:H:S` triples
/// joined by commas), in Podman's words when malformed, with no parent
/// namespace (as root).
#[cfg(test)]
pub fn parse_maps(values: &[String]) -> Result<Vec<IdMap>, IdmapError> {
    parse_maps_in(values, None)
}

/// `--uidmap`/`--gidmap` values (each may hold several `C:H:S` triples
/// joined by commas), in Podman's words when malformed. A host id
/// written `@H` is an id of the host, which
/// `parent` (the `INSIDE OUTSIDE COUNT` map of the namespace rpod runs in,
/// rootless: the user's) translates into that namespace's ids, split where
/// the range spans several of its lines. Without `parent` (root) `@H` is
/// `H`.
pub fn parse_maps_in(
    values: &[String],
    parent: Option<&[IdMap]>,
) -> Result<Vec<IdMap>, IdmapError> {
    let mut out = Vec::new();
    for v in values.iter().flat_map(|v| v.split(',')) {
        let host_id = v.split(':').nth(1).is_some_and(|h| h.starts_with('@'));
        let plain = v.replacen(":@", ":", 1);
        let mut one = parse_maps_plain(&plain)?;
        match (host_id, parent) {
            (true, Some(parent)) => {
                let m = one.remove(0);
                out.extend(into_parent(v, m, parent)?);
            }
            _ => out.append(&mut one),
        }
    }
    Ok(out)
}

/// `m` with its host ids (of the host) as ids of the namespace `parent`
/// maps.
fn into_parent(v: &str, m: IdMap, parent: &[IdMap]) -> Result<Vec<IdMap>, IdmapError> {
    let mut out = Vec::new();
    let (mut container, mut host, mut left) = (m.container, u64::from(m.host), u64::from(m.size));
    while left > 0 {
        let Some(p) = parent
            .iter()
            .find(|p| u64::from(p.host) <= host && host < u64::from(p.host) + u64::from(p.size))
        else {
            return Err(IdmapError::Invalid(format!(
                "invalid mapping {v:?}: host id {host} is not mapped in the rootless user namespace (see /etc/subuid and /etc/subgid)"
            )));
        };
        let n = left.min(u64::from(p.host) + u64::from(p.size) - host);
        let inside = u64::from(p.container) + host - u64::from(p.host);
        out.push(IdMap {
            container,
            host: u32::try_from(inside).unwrap_or(u32::MAX),
            size: u32::try_from(n).unwrap_or(u32::MAX),
        });
        container = container.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        host += n;
        left -= n;
    }
    Ok(out)
}

/// One `C:H:S` triple (or several joined by commas) without `@`.
fn parse_maps_plain(values: &str) -> Result<Vec<IdMap>, IdmapError> {
    let mut out = Vec::new();
    for v in values.split(',') {
        let nums: Vec<&str> = v.split(':').collect();
        let parsed: Option<Vec<u32>> = (nums.len() == 3)
            .then(|| nums.iter().map(|n| n.parse::<u32>().ok()).collect())
            .flatten();
        let Some([container, host, size]) = parsed.as_deref().map(|p| [p[0], p[1], p[2]]) else {
            return Err(IdmapError::Invalid(format!(
                "invalid mapping {v:?}: the format is CONTAINER_ID:HOST_ID:SIZE"
            )));
        };
        if size == 0
            || u64::from(container) + u64::from(size) > u64::from(u32::MAX) + 1
            || u64::from(host) + u64::from(size) > u64::from(u32::MAX) + 1
        {
            return Err(IdmapError::Invalid(format!(
                "invalid mapping {v:?}: the range is empty or past the largest id"
            )));
        }
        out.push(IdMap {
            container,
            host,
            size,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_maps() {
        let m = parse_maps(&["0:200000:5000".into(), "6000:1:10,7000:20:1".into()]).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].to_inspect(), "0:200000:5000");
        let maps = IdMaps {
            uid: m.clone(),
            gid: m,
        };
        assert_eq!(maps.host_uid(0), Some(200000));
        assert_eq!(maps.host_uid(4999), Some(204999));
        assert_eq!(maps.host_uid(5000), None);
        assert_eq!(maps.host_gid(6005), Some(6));
        assert!(!maps.is_identity());
        for bad in ["0:1", "a:1:2", "0:1:0", "1:4294967295:2", "0:@@1:2"] {
            assert!(parse_maps(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_ids_go_through_the_parent_map() {
        // The user's namespace: 0 = host 1000, 1.. = host 100000..
        let parent = [
            IdMap {
                container: 0,
                host: 1000,
                size: 1,
            },
            IdMap {
                container: 1,
                host: 100000,
                size: 65536,
            },
        ];
        let m = parse_maps_in(&["0:@100000:10".into()], Some(&parent)).unwrap();
        assert_eq!(m[0].to_inspect(), "0:1:10");
        let m = parse_maps_in(&["0:@1000:3".into()], Some(&parent)).unwrap_err();
        assert!(m.to_string().contains("host id 1001 is not mapped"), "{m}");
        let m = parse_maps_in(&["5:@1000:1,6:7:2".into()], Some(&parent)).unwrap();
        assert_eq!(
            m.iter().map(|m| m.to_inspect()).collect::<Vec<_>>(),
            ["5:0:1", "6:7:2"]
        );
        // Root: the host's ids are its own.
        let m = parse_maps_in(&["0:@100000:10".into()], None).unwrap();
        assert_eq!(m[0].to_inspect(), "0:100000:10");
    }

    #[test]
    fn overlap() {
        let a = IdMap {
            container: 0,
            host: 100,
            size: 10,
        };
        let b = IdMap {
            container: 0,
            host: 109,
            size: 5,
        };
        let c = IdMap {
            container: 0,
            host: 110,
            size: 5,
        };
        assert!(a.overlaps_host(b));
        assert!(!a.overlaps_host(c));
    }
}
