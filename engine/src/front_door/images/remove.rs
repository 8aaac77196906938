//! `rmi`, `image prune` and `run --rmi`: removing local images.

use rpod_api::front_door::images::{ImagePruneOptions, ImageRemoveOptions};
use rpod_api::image::{ImagePruneReport, ImageRemoveReport};
use rpod_api::{Error, ErrorKind, Result};

use super::filter::{parse_filters, ImageFilter};
use super::other;
use crate::container::ContainerError;
use crate::engine::Engine;
use crate::storage::Image;

fn is_id_query(image: &Image, q: &str) -> bool {
    let hex = q.strip_prefix("sha256:").unwrap_or(q);
    !hex.is_empty() && image.id.starts_with(&hex.to_ascii_lowercase())
}

/// `rmi`: every query in order; failures are collected in the report.
pub(crate) async fn remove(
    engine: &Engine,
    names: &[String],
    options: &ImageRemoveOptions,
) -> Result<ImageRemoveReport> {
    if options.all && !names.is_empty() {
        return Err(Error::invalid(
            "when using the --all switch, you may not pass any images names or IDs",
        ));
    }
    if !options.all && names.is_empty() {
        return Err(Error::invalid("image name or ID must be specified"));
    }
    let queries: Vec<String> = if options.all {
        let images = engine.store().images().map_err(|e| other(&e))?;
        images.into_iter().map(|i| i.id).collect()
    } else {
        names.to_vec()
    };
    let mut report = ImageRemoveReport::default();
    for q in &queries {
        if let Err(e) = remove_one(engine, q, options, &mut report).await {
            report.errors.push(e);
        }
    }
    Ok(report)
}

/// Removes the manifest list `q` names, if there is one.
fn remove_list(engine: &Engine, q: &str, report: &mut ImageRemoveReport) -> Result<bool> {
    let store = engine.store();
    let mut found = store.lookup_list(q).map_err(|e| other(&e))?;
    if found.is_none() {
        if let Ok(name) = super::names::normalize_name(q) {
            found = store.lookup_list(&name).map_err(|e| other(&e))?;
        }
    }
    let Some(list) = found else {
        return Ok(false);
    };
    store.delete_list(&list.id).map_err(|e| other(&e))?;
    report.untagged.extend(list.names);
    report.deleted.push(list.id);
    Ok(true)
}

/// Removes the image `q` names. With `all` (part of `rmi --all`) every image
/// goes whole, whatever its number of names.
async fn remove_one(
    engine: &Engine,
    q: &str,
    options: &ImageRemoveOptions,
    report: &mut ImageRemoveReport,
) -> Result<()> {
    let force = options.force;
    let store = engine.store();
    let image = match store.lookup_image(q) {
        Ok(Some(i)) => i,
        // A manifest list is an image to Podman's rmi.
        Ok(None) if remove_list(engine, q, report)? => return Ok(()),
        // Podman: `--force` (like `--ignore`) is no error for a missing image.
        Ok(None) if options.ignore || force => return Ok(()),
        Ok(None) => return Err(super::names::not_known(q)),
        Err(e) => return Err(other(&e)),
    };
    let users_of = || {
        engine
            .ctx()
            .db
            .containers_using_image(&image.id)
            .map_err(|e| other(&e))
    };
    // `run --rmi`: asked once, before anything changes; the answer stands
    // for the removal below.
    let known_users = if options.unused_only {
        Some(users_of()?)
    } else {
        None
    };
    let by_id = is_id_query(&image, q);
    if let Some(name) = store.digest_name(&image, q) {
        let stored = image.names.contains(&name);
        if !stored || image.names.len() > 1 {
            // `repo@digest`: Podman untags that name only; the image keeps
            // its tags. A pull by digest stored the name: it goes.
            if stored {
                store.untag_image(&image.id, &name).map_err(|e| other(&e))?;
                crate::events::image_event(engine.config(), &image.id, &name, "untag");
            }
            report.untagged.push(name);
            return Ok(());
        }
        // The image's only name: the image goes, as any image by its last
        // name (below).
    }
    if !by_id && image.names.len() > 1 {
        // One of several names: only that name goes, with `--force` too.
        if let Some(name) = store.matching_name(&image, q) {
            store.untag_image(&image.id, &name).map_err(|e| other(&e))?;
            crate::events::image_event(engine.config(), &image.id, &name, "untag");
            report.untagged.push(name);
            return Ok(());
        }
    }
    if by_id && !options.all && image.names.len() > 1 && !force {
        return Err(Error::new(
            ErrorKind::InUse,
            format!(
                "unable to delete image {:?} by ID with more than one tag ({:?}): please force removal",
                image.id, image.names
            ),
        ));
    }
    let users = match known_users {
        // Untagging one of several names (above) needs no check; deleting
        // an image in use does.
        Some(users) => {
            if let Some(first) = users.first() {
                return Err(Error::new(
                    ErrorKind::InUse,
                    format!("image used by {first}: image is in use by a container"),
                ));
            }
            users
        }
        None => users_of()?,
    };
    if let Some(first) = users.first() {
        if !force {
            return Err(Error::new(
                ErrorKind::InUse,
                format!(
                    "image used by {first}: image is in use by a container: consider listing external containers and force-removing image"
                ),
            ));
        }
        for id in &users {
            let handle = match engine.container(id) {
                Ok(h) => h,
                // A member of a pod removed with its infra container below.
                Err(ContainerError::NotFound(_)) => continue,
                Err(e) => return Err(other(&e)),
            };
            let rec = handle.get().await.map_err(|e| other(&e))?;
            // Podman: force-removing an infra container removes its pod.
            match engine.pod_of_infra(&rec) {
                Some(pod) => pod.remove(true, Some(0)).await.map_err(|e| other(&e))?,
                None => handle.remove(true, Some(0)).await.map_err(|e| other(&e))?,
            }
        }
    }
    store.remove_image(&image.id).map_err(|e| other(&e))?;
    removed_events(engine, &image);
    report.untagged.extend(image.names.iter().cloned());
    report.deleted.push(image.id);
    Ok(())
}

/// Podman's events for a deleted image: `untag` for each name, newest
/// first, then `remove` (named by the ID).
fn removed_events(engine: &Engine, image: &Image) {
    for name in super::names::newest_first(image) {
        crate::events::image_event(engine.config(), &image.id, &name, "untag");
    }
    crate::events::image_event(engine.config(), &image.id, &image.id, "remove");
}

/// `image prune`.
pub(crate) fn prune(engine: &Engine, options: &ImagePruneOptions) -> Result<Vec<ImagePruneReport>> {
    let filters = parse_filters(&options.filter)?;
    Ok(prune_images(engine, options.all, &filters, options.until)?
        .into_iter()
        .map(|(id, size)| ImagePruneReport { id, size })
        .collect())
}

/// Removes the images no container uses: the dangling (untagged) ones, or
/// every unused one with `all`, matching `filters`. Returns the removed
/// ids with their sizes. `until` (Unix seconds) keeps images stored at or
/// after it. Shared by `image prune` and `system prune`.
pub fn prune_images(
    engine: &Engine,
    all: bool,
    filters: &[ImageFilter],
    until: Option<i64>,
) -> Result<Vec<(String, u64)>> {
    let store = engine.store();
    let images = store.images().map_err(|e| other(&e))?;
    let mut removed = Vec::new();
    for image in &images {
        if !all && !image.names.is_empty() {
            continue;
        }
        if !filters.iter().all(|f| f.matches(engine, image, &images))
            || until.is_some_and(|t| image.added_at >= t)
        {
            continue;
        }
        let users = engine
            .ctx()
            .db
            .containers_using_image(&image.id)
            .map_err(|e| other(&e))?;
        if !users.is_empty() {
            continue;
        }
        store.remove_image(&image.id).map_err(|e| other(&e))?;
        removed_events(engine, image);
        removed.push((image.id.clone(), image.size));
    }
    Ok(removed)
}
