//! `image mount` and `image umount`.

use rpod_api::front_door::images::ImageMountOptions;
use rpod_api::image::ImageMountReport;
use rpod_api::{Error, Result};

use super::names::find_image;
use super::other;
use crate::engine::Engine;
use crate::storage::Image;

/// The name Podman shows for a mounted image: its first name, else its ID.
fn display_name(image: &Image) -> String {
    image
        .names
        .first()
        .cloned()
        .unwrap_or_else(|| image.id.clone())
}

fn report(image: &Image, path: &std::path::Path) -> ImageMountReport {
    ImageMountReport {
        id: image.id.clone(),
        name: display_name(image),
        path: path.display().to_string(),
    }
}

/// `image mount`.
pub(crate) fn mount(
    engine: &Engine,
    names: &[String],
    options: &ImageMountOptions,
) -> Result<Vec<ImageMountReport>> {
    if options.all && !names.is_empty() {
        return Err(Error::invalid(
            "when using the --all switch, you may not pass any image names or IDs",
        ));
    }
    let store = engine.store();
    let mut out = Vec::new();
    if names.is_empty() {
        for image in store.images().map_err(|e| other(&e))? {
            let path = if options.all {
                let path = store.mount_image(&image).map_err(|e| other(&e))?;
                crate::events::image_event(engine.config(), &image.id, "", "mount");
                Some(path)
            } else {
                store.image_mount_point(&image.id).map_err(|e| other(&e))?
            };
            if let Some(path) = path {
                out.push(report(&image, &path));
            }
        }
        return Ok(out);
    }
    for name in names {
        let image = find_image(engine, name)?;
        let path = store.mount_image(&image).map_err(|e| other(&e))?;
        crate::events::image_event(engine.config(), &image.id, "", "mount");
        out.push(report(&image, &path));
    }
    Ok(out)
}

/// `image umount`: the IDs actually unmounted.
pub(crate) fn unmount(
    engine: &Engine,
    names: &[String],
    options: &ImageMountOptions,
) -> Result<Vec<String>> {
    if options.all && !names.is_empty() {
        return Err(Error::invalid(
            "when using the --all switch, you may not pass any image names or IDs",
        ));
    }
    if !options.all && names.is_empty() {
        return Err(Error::invalid("image name or ID must be specified"));
    }
    let store = engine.store();
    let images = if options.all {
        store.images().map_err(|e| other(&e))?
    } else {
        names
            .iter()
            .map(|n| find_image(engine, n))
            .collect::<Result<Vec<_>>>()?
    };
    let mut out = Vec::new();
    for image in images {
        if store
            .unmount_image(&image.id, options.force || options.all)
            .map_err(|e| other(&e))?
        {
            crate::events::image_event(engine.config(), &image.id, "", "unmount");
            out.push(image.id);
        }
    }
    Ok(out)
}
