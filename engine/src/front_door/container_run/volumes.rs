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

/// Whether a mount of `o` already covers `dest`.
fn covered(o: &ContainerOptions, dest: &str) -> bool {
    let dest = clean(dest);
    o.mounts
        .iter()
        .map(|m| &m.destination)
        .chain(o.volumes.iter().map(|v| &v.destination))
        .chain(o.tmpfs.iter().map(|t| &t.destination))
        .any(|d| clean(d) == dest)
}

/// `--volumes-from CTR[:OPTIONS]`: the named volumes and bind mounts of
/// each container, on the same destinations, unless the new container
/// mounts something there itself. `ro`/`rw` override the source's mode.
pub(super) async fn add_volumes_from(
    engine: &Engine,
    o: &mut ContainerOptions,
    specs: &[String],
) -> Result<(), Error> {
    for spec in specs {
        let (name, opts) = spec.split_once(':').unwrap_or((spec, ""));
        let mut mode = None;
        for opt in opts.split(',').filter(|s| !s.is_empty()) {
            match opt {
                "ro" | "rw" if mode.is_some() => {
                    return Err(Error::invalid(format!(
                        "cannot set ro or rw options more than once: {spec}"
                    )))
                }
                "ro" => mode = Some(true),
                "rw" => mode = Some(false),
                // SELinux relabelling: nothing to do without SELinux.
                "z" | "Z" => {}
                other => {
                    return Err(Error::invalid(format!(
                        "invalid option {other:?} specified for --volumes-from: {spec}"
                    )))
                }
            }
        }
        let source = engine.container(name)?.get().await?.options;
        for v in source.volumes {
            if covered(o, &v.destination) {
                continue;
            }
            let mut options: Vec<String> = v
                .options
                .into_iter()
                .filter(|x| !(mode.is_some() && (x == "ro" || x == "rw")))
                .collect();
            if mode == Some(true) {
                options.push("ro".into());
            }
            o.volumes.push(VolumeMount { options, ..v });
        }
        for mut m in source.mounts {
            if covered(o, &m.destination) {
                continue;
            }
            if let Some(ro) = mode {
                m.readonly = ro;
            }
            o.mounts.push(m);
        }
    }
    Ok(())
}

/// Adds a mount for each of the image's `paths` that no mount covers.
pub(super) fn add_image_volumes(o: &mut ContainerOptions, mode: ImageVolumeMode, paths: &[String]) {
    for path in paths {
        if covered(o, path) || !path.starts_with('/') {
            continue;
        }
        let destination = clean(path).display().to_string();
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
