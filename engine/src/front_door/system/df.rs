//! `system df`: the disk usage of images and containers (libpod's
//! DiskUsage), and the size of a container's writable layer.

use std::path::Path;

use rpod_api::system::{
    SystemDfContainerReport, SystemDfImageReport, SystemDfReport, SystemDfVolumeReport,
};
use rpod_api::{GoTime, Result};

use crate::engine::Engine;

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An RFC 3339 creation time (zero if absent or malformed).
fn go_time(created: Option<&str>) -> GoTime {
    created
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| GoTime(Some(t)))
        .unwrap_or_default()
}

/// `repo:tag` as (repository, tag); `<none>` when the name has no tag.
fn split_name(name: &str) -> (&str, &str) {
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => (&name[..i], &name[i + 1..]),
        _ => (name, "<none>"),
    }
}

/// The disk usage report.
pub(crate) fn df_report(engine: &Engine) -> Result<SystemDfReport> {
    let containers = engine.containers()?;
    let images = engine
        .store()
        .images()
        .map_err(|e| rpod_api::Error::other(format!("listing images: {e}")))?;
    let mut image_reports = Vec::new();
    for i in &images {
        let users = containers.iter().filter(|c| c.image_id == i.id).count();
        let created = go_time(i.created.as_deref());
        let names: Vec<(String, String)> = if i.names.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            i.names
                .iter()
                .map(|n| {
                    let (r, t) = split_name(n);
                    (r.to_owned(), t.to_owned())
                })
                .collect()
        };
        for (repository, tag) in names {
            image_reports.push(SystemDfImageReport {
                repository,
                tag,
                image_id: i.id.clone(),
                created,
                size: to_i64(i.size),
                // rpod does not compute layer sharing between images yet: every byte is
                // counted as the image's own.
                shared_size: 0,
                unique_size: to_i64(i.size),
                containers: i64::try_from(users).unwrap_or(i64::MAX),
            });
        }
    }
    // Buildah's images (the build cache) not also in rpod's store, as
    // Podman's one store counts them.
    let cache: Vec<crate::build::CacheImage> = crate::build::cache_images(engine.config())
        .into_iter()
        .filter(|c| !images.iter().any(|i| i.id == c.id))
        .collect();
    for c in &cache {
        image_reports.push(SystemDfImageReport {
            repository: "<none>".into(),
            tag: "<none>".into(),
            image_id: c.id.clone(),
            created: go_time(c.created.as_deref()),
            size: to_i64(c.size),
            shared_size: 0,
            unique_size: to_i64(c.size),
            containers: 0,
        });
    }
    let container_reports = containers
        .iter()
        .map(|c| {
            let rw = to_i64(dir_size(
                &engine.store().container_storage_paths(&c.id).upper,
            ));
            let image_size = images
                .iter()
                .find(|i| i.id == c.image_id)
                .map_or(0, |i| to_i64(i.size));
            SystemDfContainerReport {
                container_id: c.id.clone(),
                image: c.image_id.clone(),
                command: Some(c.listed_command()),
                local_volumes: i64::try_from(c.options.volumes.len()).unwrap_or(i64::MAX),
                size: image_size.saturating_add(rw),
                rw_size: rw,
                created: GoTime::from_unix_nanos(c.created_at),
                status: if c.state.has_monitor() {
                    "running".into()
                } else {
                    c.state.as_str().into()
                },
                names: c.name.clone(),
            }
        })
        .collect();
    Ok(SystemDfReport {
        images_size: images
            .iter()
            .map(|i| to_i64(i.size))
            .chain(cache.iter().map(|c| to_i64(c.size)))
            .sum(),
        images: image_reports,
        containers: container_reports,
        volumes: volume_reports(engine)?,
    })
}

/// Each volume: its users and the bytes it holds (reclaimable when unused).
fn volume_reports(engine: &Engine) -> Result<Vec<SystemDfVolumeReport>> {
    let store = crate::volume::store::VolumeStore::new(engine.ctx());
    let mut out = Vec::new();
    for v in store.list()? {
        let links = engine
            .ctx()
            .db
            .containers_using_volume(&v.name)
            .map_err(crate::volume::VolumeError::from)?
            .len();
        let size = to_i64(dir_size(&store.mountpoint(&v.name)));
        out.push(SystemDfVolumeReport {
            volume_name: v.name,
            links: i64::try_from(links).unwrap_or(i64::MAX),
            size,
            reclaimable_size: if links == 0 { size } else { 0 },
        });
    }
    Ok(out)
}

/// Bytes of the files under `dir` (a container's upper directory), read
/// from inside it: iterative, never following a symlink, at any depth.
pub(crate) fn dir_size(dir: &Path) -> u64 {
    match crate::storage::in_root::InRoot::new(dir).and_then(|t| t.apparent_size()) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => {
            tracing::debug!("sizing {}: {e}", dir.display());
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split() {
        assert_eq!(
            split_name("docker.io/library/alpine:3"),
            ("docker.io/library/alpine", "3")
        );
        assert_eq!(
            split_name("localhost:5000/x"),
            ("localhost:5000/x", "<none>")
        );
    }

    #[test]
    fn missing_dir_has_no_size() {
        assert_eq!(dir_size(Path::new("/nonexistent/rpod-df-test")), 0);
    }
}
