//! Podman's local image resolution over a list of images.

use super::error::{Result, StorageError};
use super::images::Image;
use crate::image_ref::reference::{ImageReference, DOCKER_DOMAIN};

/// Resolves `query` against `images` (see [`super::Store::lookup_image`]).
pub(crate) fn resolve<'a>(images: &'a [Image], query: &str) -> Result<Option<&'a Image>> {
    Ok(resolve_named(images, query)?.map(|(img, _)| img))
}

/// Like [`resolve`], with the name the query resolved to (Podman's
/// "resolved name", a container's `ImageName`): the stored name that
/// matched, `repo@digest` for a digest query, and for an ID the image's
/// first name (the ID as given when the image has none).
pub(crate) fn resolve_named<'a>(
    images: &'a [Image],
    query: &str,
) -> Result<Option<(&'a Image, String)>> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(None);
    }
    // 1. An exact stored name.
    if let Some(img) = images.iter().find(|i| i.names.iter().any(|n| n == query)) {
        return Ok(Some((img, query.to_string())));
    }
    // 2. A full id or a unique id prefix.
    let (id_query, explicit) = match query.strip_prefix("sha256:") {
        Some(rest) => (rest, true),
        None => (query, false),
    };
    if !id_query.is_empty()
        && id_query.len() <= 64
        && id_query.chars().all(|c| c.is_ascii_hexdigit())
    {
        let id_query = id_query.to_ascii_lowercase();
        let matches: Vec<&Image> = images
            .iter()
            .filter(|i| i.id.starts_with(&id_query))
            .collect();
        match matches.len() {
            1 => {
                let name = matches[0].names.first().map_or(query, String::as_str);
                return Ok(Some((matches[0], name.to_string())));
            }
            0 if explicit => return Ok(None),
            0 => {}
            n => return Err(StorageError::AmbiguousId(query.to_string(), n)),
        }
    }
    // 3. A reference: qualified, short, with tag and/or digest.
    let Ok(r) = ImageReference::parse(query) else {
        return Ok(None);
    };
    let candidates = images.iter().filter(|img| {
        img.names.iter().any(|n| name_matches(&r, n))
            || (r.digest.as_ref().is_some_and(|d| img.digests.contains(d))
                && img.names.iter().any(|n| repo_matches(&r, n)))
    });
    let mut best: Option<(u8, &str, &Image)> = None;
    for img in candidates {
        for n in img.names.iter().filter(|n| repo_matches(&r, n)) {
            let rank = preference(n);
            if best.is_none_or(|(br, bn, _)| (rank, n.as_str()) < (br, bn)) {
                best = Some((rank, n.as_str(), img));
            }
        }
    }
    Ok(
        best.map(|(_, name, img)| match (&r.digest, parse_stored(name)) {
            (Some(d), Some(s)) => (img, format!("{}@{d}", s.name())),
            _ => (img, name.to_string()),
        }),
    )
}

/// For a digest query (`repo@sha256:…`, a tag in it ignored as Podman
/// does) naming one of `image`'s manifests in one of its repositories: the
/// fully qualified `repo@digest`. Podman keeps such a name in its store
/// after a pull by digest; rpod derives it from the image's digests, so
/// untagging it removes no stored name.
pub(crate) fn digest_name(image: &Image, query: &str) -> Option<String> {
    let r = ImageReference::parse(query.trim()).ok()?;
    let digest = r.digest.as_ref()?;
    if !image.digests.contains(digest) {
        return None;
    }
    image
        .names
        .iter()
        .filter(|n| repo_matches(&r, n))
        .find_map(|n| parse_stored(n))
        .map(|s| format!("{}@{digest}", s.name()))
}

/// Splits a stored name into its reference parts.
fn parse_stored(name: &str) -> Option<ImageReference> {
    ImageReference::parse(name)
        .ok()
        .filter(|r| r.domain.is_some())
}

/// The repository of `stored` is the one `r` names (for a short `r`: any
/// registry whose repository ends in `/path`, or equals it).
fn repo_matches(r: &ImageReference, stored: &str) -> bool {
    let Some(s) = parse_stored(stored) else {
        return false;
    };
    match &r.domain {
        Some(_) => s.name() == r.name(),
        None => s.path == r.path || s.name().ends_with(&format!("/{}", r.path)),
    }
}

/// `stored` is the name `r` asks for, tag included (defaulting to latest).
fn name_matches(r: &ImageReference, stored: &str) -> bool {
    let Some(s) = parse_stored(stored) else {
        return false;
    };
    if !repo_matches(r, stored) {
        return false;
    }
    match (&r.tag, &r.digest) {
        (Some(t), _) => s.tag.as_deref() == Some(t.as_str()),
        (None, Some(_)) => false,
        (None, None) => s.tag.as_deref() == Some("latest"),
    }
}

/// Which of several matching names wins for a short name: Docker Hub's
/// official images, then localhost, then everything else.
fn preference(name: &str) -> u8 {
    if name.starts_with(&format!("{DOCKER_DOMAIN}/library/")) {
        0
    } else if name.starts_with("localhost/") {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(id_char: char, names: &[&str], digest: &str) -> Image {
        Image {
            id: id_char.to_string().repeat(64),
            digest: digest.to_string(),
            digests: vec![digest.to_string()],
            names: names.iter().map(|s| s.to_string()).collect(),
            created: None,
            size: 0,
            layers: vec![],
            added_at: 0,
            names_history: vec![],
        }
    }

    #[test]
    fn resolves_like_podman() {
        let d1 = format!("sha256:{}", "1".repeat(64));
        let d2 = format!("sha256:{}", "2".repeat(64));
        let images = vec![
            img('a', &["quay.io/x/busybox:latest"], &d1),
            img(
                'b',
                &["docker.io/library/busybox:latest", "localhost/app:v1"],
                &d2,
            ),
            img('c', &["localhost/busybox:1.0"], &d1),
        ];
        let id = |q: &str| {
            resolve(&images, q)
                .unwrap()
                .map(|i| i.id.chars().next().unwrap())
        };
        assert_eq!(id("busybox"), Some('b'));
        assert_eq!(id("busybox:latest"), Some('b'));
        assert_eq!(id("busybox:1.0"), Some('c'));
        assert_eq!(id("docker.io/busybox"), Some('b'));
        assert_eq!(id("quay.io/x/busybox"), Some('a'));
        assert_eq!(id("x/busybox"), Some('a'));
        assert_eq!(id("app:v1"), Some('b'));
        assert_eq!(id("app"), None);
        assert_eq!(id("aaa"), Some('a'));
        assert_eq!(id(&format!("sha256:{}", "c".repeat(64))), Some('c'));
        assert_eq!(id("sha256:ddd"), None);
        assert_eq!(id(&format!("busybox@{d2}")), Some('b'));
        assert_eq!(id(&format!("quay.io/x/busybox@{d1}")), Some('a'));
        assert_eq!(id(&format!("quay.io/x/busybox@{d2}")), None);
        assert_eq!(id("nothere"), None);
        let dup = vec![img('a', &[], &d1), {
            let mut i = img('a', &[], &d2);
            i.id = format!("a{}", "f".repeat(63));
            i
        }];
        assert_eq!(
            digest_name(&images[0], &format!("x/busybox:tag@{d1}")),
            Some(format!("quay.io/x/busybox@{d1}"))
        );
        assert_eq!(digest_name(&images[0], &format!("x/busybox@{d2}")), None);
        assert_eq!(digest_name(&images[0], "x/busybox:latest"), None);
        let named = |q: &str| resolve_named(&images, q).unwrap().map(|(_, n)| n);
        assert_eq!(
            named("busybox").as_deref(),
            Some("docker.io/library/busybox:latest")
        );
        assert_eq!(named("app:v1").as_deref(), Some("localhost/app:v1"));
        assert_eq!(
            named("x/busybox").as_deref(),
            Some("quay.io/x/busybox:latest")
        );
        assert_eq!(
            named("localhost/busybox:1.0").as_deref(),
            Some("localhost/busybox:1.0")
        );
        assert_eq!(
            named("bbb").as_deref(),
            Some("docker.io/library/busybox:latest")
        );
        assert_eq!(
            named(&format!("busybox@{d2}")),
            Some(format!("docker.io/library/busybox@{d2}"))
        );
        assert!(matches!(
            resolve(&dup, "a"),
            Err(StorageError::AmbiguousId(..))
        ));
    }
}
