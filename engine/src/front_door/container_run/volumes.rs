//! The image's `VOLUME`s of a new container: anonymous volumes (Podman's
//! default), tmpfs mounts, or nothing (`--image-volume`, containers.conf's
//! `image_volume_mode`). A destination the user mounts something on
//! already is left to the user's mount.

use std::path::{Path, PathBuf};

use rpod_api::container_run::ImageVolumeMode;
use rpod_api::Error;

use crate::container::{ContainerOptions, TmpfsMount, VolumeMount};
use crate::engine::Engine;

/// `--image-volume` as given, else containers.conf's, else anonymous.
pub(super) fn image_volume_mode(
    engine: &Engine,
    given: Option<ImageVolumeMode>,
) -> Result<ImageVolumeMode, Error> {
    if let Some(m) = given {
        return Ok(m);
    }
    match engine
        .config()
        .containers_conf
        .engine
        .image_volume_mode
        .as_deref()
    {
        None | Some("anonymous" | "bind") => Ok(ImageVolumeMode::Anonymous),
        Some("tmpfs") => Ok(ImageVolumeMode::Tmpfs),
        Some("ignore") => Ok(ImageVolumeMode::Ignore),
        Some(other) => Err(Error::invalid(format!(
            "containers.conf: invalid image_volume_mode {other:?}: must be one of \"anonymous\", \"bind\", \"tmpfs\" or \"ignore\""
        ))),
    }
}

fn clean(dest: &str) -> PathBuf {
    Path::new(dest).components().collect()
}

/// Adds a mount for each of the image's `paths` that no mount covers.
pub(super) fn add_image_volumes(o: &mut ContainerOptions, mode: ImageVolumeMode, paths: &[String]) {
    for path in paths {
        let dest = clean(path);
        let taken = o
            .mounts
            .iter()
            .map(|m| &m.destination)
            .chain(o.volumes.iter().map(|v| &v.destination))
            .chain(o.tmpfs.iter().map(|t| &t.destination))
            .any(|d| clean(d) == dest);
        if taken || !path.starts_with('/') {
            continue;
        }
        let destination = dest.display().to_string();
        match mode {
            ImageVolumeMode::Anonymous => o.volumes.push(VolumeMount {
                name: String::new(),
                destination,
                options: Vec::new(),
            }),
            ImageVolumeMode::Tmpfs => o.tmpfs.push(TmpfsMount {
                destination,
                options: Vec::new(),
            }),
            ImageVolumeMode::Ignore => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_volumes_not_covered_by_user_mounts() {
        let mut o = ContainerOptions {
            volumes: vec![VolumeMount {
                name: "mine".into(),
                destination: "/data/".into(),
                options: vec![],
            }],
            ..Default::default()
        };
        let paths = vec!["/data".to_string(), "/cache".to_string()];
        add_image_volumes(&mut o, ImageVolumeMode::Anonymous, &paths);
        assert_eq!(o.volumes.len(), 2);
        assert_eq!(o.volumes[1].destination, "/cache");
        assert!(o.volumes[1].name.is_empty());
        let mut t = ContainerOptions::default();
        add_image_volumes(&mut t, ImageVolumeMode::Tmpfs, &paths);
        assert_eq!(t.tmpfs.len(), 2);
        let mut i = ContainerOptions::default();
        add_image_volumes(&mut i, ImageVolumeMode::Ignore, &paths);
        assert!(i.volumes.is_empty() && i.tmpfs.is_empty());
    }
}
