//! Images between rpod's store and Buildah's: the local images a build
//! starts from go in as OCI layouts; the built image comes back the same
//! way, its config (and so its ID and history) unchanged.

use std::ffi::OsStr;
use std::path::Path;

use super::buildah::Buildah;
use super::BuildError;
use crate::engine::Engine;
use crate::storage::archive::{load_path, save_with, ArchiveFormat, SaveItem, SaveTarget};

/// Copies each of `names` rpod has into Buildah's store (unless it is
/// there already) under rpod's names for it. Names rpod does not have are
/// left to Buildah's pull policy.
pub(crate) fn hand_over_bases(
    engine: &Engine,
    buildah: &Buildah,
    tmp: &Path,
    names: &[String],
) -> Result<(), BuildError> {
    for name in names {
        let Some(image) = engine.store().lookup_image(name)? else {
            continue;
        };
        // Buildah names an image pulled from an OCI layout after its path,
        // which must be lowercase: a relative one, in `tmp`.
        let layout = format!("rpod-base-{}", &image.id[..12.min(image.id.len())]);
        let pulled = !buildah.has_image(&image.id);
        if pulled {
            let dir = tmp.join(&layout);
            let item = SaveItem {
                image: image.clone(),
                names: Vec::new(),
            };
            save_with(
                engine.store(),
                &[item],
                ArchiveFormat::OciDir,
                SaveTarget::Path(&dir),
                true,
            )
            .map_err(|e| BuildError::Other(format!("exporting {name} for Buildah: {e}")))?;
            let source = format!("oci:{layout}");
            buildah.output_in(
                Some(tmp),
                &[
                    OsStr::new("pull"),
                    OsStr::new("--quiet"),
                    OsStr::new(&source),
                ],
            )?;
            std::fs::remove_dir_all(&dir).map_err(|e| BuildError::io(&dir, e))?;
        }
        if !image.names.is_empty() {
            let mut args = vec![OsStr::new("tag"), OsStr::new(&image.id)];
            args.extend(image.names.iter().map(OsStr::new));
            buildah.output(&args)?;
            if pulled {
                // The layout's name goes; the image keeps rpod's names.
                let layout_name = format!("localhost/{layout}:latest");
                buildah.output(&[OsStr::new("rmi"), OsStr::new(&layout_name)])?;
            }
        }
    }
    Ok(())
}

/// Copies the image `id` Buildah built into rpod's store, named `names`
/// (normalized); its ID there.
pub(crate) fn take_image(
    engine: &Engine,
    buildah: &Buildah,
    tmp: &Path,
    id: &str,
    names: &[String],
) -> Result<String, BuildError> {
    let dir = tmp.join("out");
    let dest = format!("oci:{}", dir.display());
    buildah.output(&[
        OsStr::new("push"),
        OsStr::new("--quiet"),
        OsStr::new("--disable-compression"),
        OsStr::new(id),
        OsStr::new(&dest),
    ])?;
    let loaded = load_path(engine.store(), &dir, None)
        .map_err(|e| BuildError::Other(format!("storing the built image: {e}")))?;
    let image = loaded
        .into_iter()
        .next()
        .ok_or_else(|| BuildError::Other("Buildah exported no image".into()))?
        .image;
    if image.id != id {
        tracing::warn!("built image {id} stored as {}", image.id);
    }
    for name in names {
        engine.store().tag_image(&image.id, name)?;
    }
    Ok(image.id)
}
