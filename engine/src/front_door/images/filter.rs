//! `--filter` of `images` and `image prune`: parsing and matching.

use rpod_api::{Error, Result};
use serde_json::Value;

use crate::engine::Engine;
use crate::storage::Image;

/// One `--filter` condition of `images` and `image prune`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageFilter {
    /// `dangling=true|false`: images without names.
    Dangling(bool),
    /// `reference=PATTERN`: a name matches the glob.
    Reference(String),
    /// `before=IMAGE`: created before that image.
    Before(String),
    /// `since=IMAGE`: created after that image.
    Since(String),
    /// `label=KEY` or `label=KEY=VALUE`.
    Label(String, Option<String>),
    /// `id=PREFIX`.
    Id(String),
}

/// Parses `--filter` values.
pub fn parse_filters(raw: &[String]) -> Result<Vec<ImageFilter>> {
    rpod_api::front_door::images::check_image_filter_syntax(raw)?;
    raw.iter()
        .map(|f| {
            let (k, v) = f.split_once('=').unwrap_or((f.as_str(), ""));
            Ok(match k {
                "dangling" => match v {
                    "true" | "1" => ImageFilter::Dangling(true),
                    "false" | "0" => ImageFilter::Dangling(false),
                    _ => {
                        return Err(Error::invalid(format!(
                            "invalid dangling filter value {v:?}"
                        )))
                    }
                },
                "reference" => ImageFilter::Reference(v.to_string()),
                "before" => ImageFilter::Before(v.to_string()),
                "since" | "after" => ImageFilter::Since(v.to_string()),
                "label" => match v.split_once('=') {
                    Some((k, val)) => ImageFilter::Label(k.to_string(), Some(val.to_string())),
                    None => ImageFilter::Label(v.to_string(), None),
                },
                "id" => ImageFilter::Id(v.strip_prefix("sha256:").unwrap_or(v).to_string()),
                other => {
                    return Err(Error::invalid(format!(
                        "unsupported image filter {other:?}"
                    )))
                }
            })
        })
        .collect()
}

/// Go's `path.Match` subset: `*` (not crossing `/`) and `?`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text)
                || (!text.is_empty() && text[0] != b'/' && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(c)) if *c != b'/' => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(c)) if p == c => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

fn reference_matches(pattern: &str, name: &str) -> bool {
    let (repo, _) = split_name(name);
    let candidates = [
        name.to_string(),
        repo.to_string(),
        name.split_once('/')
            .map(|x| x.1)
            .unwrap_or(name)
            .to_string(),
        repo.split_once('/')
            .map(|x| x.1)
            .unwrap_or(repo)
            .to_string(),
        name.rsplit('/').next().unwrap_or(name).to_string(),
        repo.rsplit('/').next().unwrap_or(repo).to_string(),
    ];
    candidates
        .iter()
        .any(|c| glob(pattern.as_bytes(), c.as_bytes()))
}

/// `registry/repo:tag` → (`registry/repo`, `tag`).
pub fn split_name(name: &str) -> (&str, &str) {
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => (&name[..i], &name[i + 1..]),
        _ => (name, "<none>"),
    }
}

/// The image's creation time in nanoseconds (0 if unknown).
pub(crate) fn created_of(i: &Image) -> i64 {
    i.created
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .and_then(|t| t.timestamp_nanos_opt())
        .unwrap_or(0)
}

fn labels_of(engine: &Engine, i: &Image) -> serde_json::Map<String, Value> {
    engine
        .store()
        .image_config(i)
        .ok()
        .and_then(|raw| serde_json::from_slice::<Value>(&raw).ok())
        .and_then(|c| c.pointer("/config/Labels").cloned())
        .and_then(|l| l.as_object().cloned())
        .unwrap_or_default()
}

impl ImageFilter {
    /// Whether `image` passes this filter (`all` is every stored image).
    pub fn matches(&self, engine: &Engine, image: &Image, all: &[Image]) -> bool {
        let other = |q: &str| {
            engine
                .store()
                .lookup_image(q)
                .ok()
                .flatten()
                .and_then(|o| all.iter().find(|i| i.id == o.id).map(created_of))
        };
        match self {
            ImageFilter::Dangling(d) => image.names.is_empty() == *d,
            ImageFilter::Reference(p) => image.names.iter().any(|n| reference_matches(p, n)),
            ImageFilter::Before(q) => other(q).is_some_and(|t| created_of(image) < t),
            ImageFilter::Since(q) => other(q).is_some_and(|t| created_of(image) > t),
            ImageFilter::Label(k, v) => {
                let labels = labels_of(engine, image);
                match (labels.get(k), v) {
                    (Some(_), None) => true,
                    (Some(have), Some(want)) => have.as_str() == Some(want.as_str()),
                    (None, _) => false,
                }
            }
            ImageFilter::Id(prefix) => image.id.starts_with(prefix.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters() {
        let f = parse_filters(&[
            "dangling=1".into(),
            "label=a=b".into(),
            "id=sha256:ab".into(),
            "after=x".into(),
        ])
        .unwrap();
        assert_eq!(
            f,
            vec![
                ImageFilter::Dangling(true),
                ImageFilter::Label("a".into(), Some("b".into())),
                ImageFilter::Id("ab".into()),
                ImageFilter::Since("x".into()),
            ]
        );
        let e = parse_filters(&["nope".into()]).unwrap_err();
        assert_eq!(e.kind, rpod_api::ErrorKind::InvalidArgument);
        assert!(parse_filters(&["x=y".into()])
            .unwrap_err()
            .message
            .contains("unsupported image filter \"x\""));
    }

    #[test]
    fn references_match_like_podman() {
        assert!(reference_matches(
            "alpine",
            "docker.io/library/alpine:latest"
        ));
        assert!(reference_matches("library/*", "docker.io/library/alpine:3"));
        assert!(!reference_matches("alp", "docker.io/library/alpine:latest"));
        assert_eq!(split_name("h:5000/a:t"), ("h:5000/a", "t"));
        assert_eq!(split_name("h:5000/a"), ("h:5000/a", "<none>"));
    }
}
