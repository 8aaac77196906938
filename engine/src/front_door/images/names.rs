//! Names of local images: lookup, `tag`, `untag`.

use rpod_api::{Error, ErrorKind, Result};

use super::other;
use crate::engine::Engine;
use crate::image_ref::ImageReference;
use crate::storage::Image;

/// The local image `name` refers to, or Podman's "image not known".
pub fn find_image(engine: &Engine, name: &str) -> Result<Image> {
    engine
        .store()
        .lookup_image(name)
        .map_err(|e| other(&e))?
        .ok_or_else(|| not_known(name))
}

/// Podman's "NAME: image not known".
pub(crate) fn not_known(name: &str) -> Error {
    Error::new(ErrorKind::NoSuchImage, format!("{name}: image not known"))
}

/// The stored form of a name given to `tag`: short names live under
/// `localhost/`, a missing tag is `latest`.
pub fn normalize_name(name: &str) -> Result<String> {
    let r = ImageReference::parse(name).map_err(|e| Error::invalid(format!("{name}: {e}")))?;
    if r.digest.is_some() {
        return Err(Error::invalid(format!(
            "{name}: tag by digest not supported"
        )));
    }
    let r = if r.is_short_name() {
        r.qualify("localhost")
    } else {
        r
    };
    Ok(r.storage_name())
}

pub(crate) fn tag(engine: &Engine, name: &str, tags: &[String]) -> Result<()> {
    let image = find_image(engine, name)?;
    let names = tags
        .iter()
        .map(|n| normalize_name(n))
        .collect::<Result<Vec<_>>>()?;
    for (n, given) in names.iter().zip(tags) {
        engine
            .store()
            .tag_image(&image.id, n)
            .map_err(|e| other(&e))?;
        // Podman's event names the tag as the user gave it.
        crate::events::image_event(engine.config(), &image.id, given, "tag");
    }
    Ok(())
}

pub(crate) fn untag(engine: &Engine, name: &str, tags: &[String]) -> Result<()> {
    let image = find_image(engine, name)?;
    let names = if tags.is_empty() {
        newest_first(&image)
    } else {
        let mut out = Vec::new();
        for n in tags {
            if engine.store().digest_name(&image, n).is_some() {
                // `repo@digest` is no stored name here: the tags stay.
                continue;
            }
            let normalized = normalize_name(n).ok();
            let found = image
                .names
                .iter()
                .find(|have| Some(*have) == normalized.as_ref() || *have == n)
                .cloned()
                .or_else(|| engine.store().matching_name(&image, n));
            match found {
                Some(f) => out.push(f),
                None => return Err(Error::invalid(format!("{n}: tag not known"))),
            }
        }
        out
    };
    for n in names {
        engine
            .store()
            .untag_image(&image.id, &n)
            .map_err(|e| other(&e))?;
        crate::events::image_event(engine.config(), &image.id, &n, "untag");
    }
    Ok(())
}

/// The image's names, the most recently added first (as containers/storage
/// keeps them, so untag events come in Podman's order).
pub(crate) fn newest_first(image: &Image) -> Vec<String> {
    let rank = |n: &String| {
        image
            .names_history
            .iter()
            .position(|h| h == n)
            .unwrap_or(usize::MAX)
    };
    let mut names = image.names.clone();
    names.sort_by_key(rank);
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_podman() {
        assert_eq!(normalize_name("foo").unwrap(), "localhost/foo:latest");
        assert_eq!(normalize_name("quay.io/a/b:1").unwrap(), "quay.io/a/b:1");
        let e = normalize_name(
            "foo@sha256:0123456789012345678901234567890123456789012345678901234567890123",
        )
        .unwrap_err();
        assert!(e.message.contains("tag by digest not supported"), "{e}");
    }
}
