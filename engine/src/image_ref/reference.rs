//! Docker image references, parsed and normalized like containers/image's
//! `docker/reference` package: `busybox` (a short name), `library/busybox`,
//! `docker.io/busybox` → `docker.io/library/busybox:latest`,
//! `127.0.0.1:5000/a/b:tag`, `localhost/x`, `x@sha256:…`, with an optional
//! `docker://` transport prefix.

use std::fmt;

/// The registry Docker Hub references are normalized to.
pub const DOCKER_DOMAIN: &str = "docker.io";
/// Legacy spelling of Docker Hub, normalized to [`DOCKER_DOMAIN`].
const LEGACY_DOCKER_DOMAIN: &str = "index.docker.io";
/// Namespace of Docker Hub's official images.
const OFFICIAL_NAMESPACE: &str = "library";
/// Tag used when a reference names neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";
/// Transport prefix accepted in front of a reference.
pub const DOCKER_TRANSPORT: &str = "docker://";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// Why a reference is rejected. Displays like containers/image's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The string does not follow the reference grammar.
    #[error("invalid reference format")]
    Invalid,
    /// The repository contains upper-case letters.
    #[error("invalid reference format: repository name must be lowercase")]
    Uppercase,
    /// The repository name is longer than 255 characters.
    #[error("invalid reference format: repository name must not be more than 255 characters")]
    TooLong,
    /// The digest is not `sha256:<64 hex>` (or another valid algorithm).
    #[error("invalid reference format: invalid digest {0:?}")]
    Digest(String),
}

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageReference {
    /// Registry host (with port), `None` for a short name.
    pub domain: Option<String>,
    /// Repository path below the registry (`library/busybox`).
    pub path: String,
    /// Tag, if one was given.
    pub tag: Option<String>,
    /// Digest (`sha256:…`), if one was given.
    pub digest: Option<String>,
}

impl ImageReference {
    /// Parses `s`; a leading `docker://` is accepted. Docker Hub names are
    /// normalized (`docker.io/busybox` → `docker.io/library/busybox`); short
    /// names keep `domain == None`.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let s = s.strip_prefix(DOCKER_TRANSPORT).unwrap_or(s);
        if s.is_empty() {
            return Err(ReferenceError::Invalid);
        }
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => {
                validate_digest(d)?;
                (n, Some(d.to_string()))
            }
            None => (s, None),
        };
        let last_slash = name_tag.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => {
                let i = last_slash + i;
                (&name_tag[..i], Some(&name_tag[i + 1..]))
            }
            None => (name_tag, None),
        };
        if let Some(tag) = tag {
            if !valid_tag(tag) {
                return Err(ReferenceError::Invalid);
            }
        }
        if name.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(ReferenceError::TooLong);
        }
        let (mut domain, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first.to_string()), rest.to_string())
            }
            _ => (None, name.to_string()),
        };
        if let Some(d) = &domain {
            if !valid_domain(d) {
                return Err(ReferenceError::Invalid);
            }
        }
        for comp in path.split('/') {
            if !valid_path_component(comp) {
                let lower = comp.to_ascii_lowercase();
                if lower != comp && valid_path_component(&lower) {
                    return Err(ReferenceError::Uppercase);
                }
                return Err(ReferenceError::Invalid);
            }
        }
        let mut path = path;
        if domain.as_deref() == Some(LEGACY_DOCKER_DOMAIN) {
            domain = Some(DOCKER_DOMAIN.to_string());
        }
        if domain.as_deref() == Some(DOCKER_DOMAIN) && !path.contains('/') {
            path = format!("{OFFICIAL_NAMESPACE}/{path}");
        }
        Ok(ImageReference {
            domain,
            path,
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// True if no registry was named.
    pub fn is_short_name(&self) -> bool {
        self.domain.is_none()
    }

    /// This short name qualified with `domain` (Docker Hub normalization applied).
    pub fn qualify(&self, domain: &str) -> ImageReference {
        let mut path = self.path.clone();
        if domain == DOCKER_DOMAIN && !path.contains('/') {
            path = format!("{OFFICIAL_NAMESPACE}/{path}");
        }
        ImageReference {
            domain: Some(domain.to_string()),
            path,
            tag: self.tag.clone(),
            digest: self.digest.clone(),
        }
    }

    /// `domain/path` (just `path` for a short name).
    pub fn name(&self) -> String {
        match &self.domain {
            Some(d) => format!("{d}/{}", self.path),
            None => self.path.clone(),
        }
    }

    /// The tag, defaulting to `latest` when neither tag nor digest was given.
    pub fn tag_or_default(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some(DEFAULT_TAG),
            (None, Some(_)) => None,
        }
    }

    /// What a registry is asked for: the digest if any, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, self.tag_or_default()) {
            (Some(d), _) => d.clone(),
            (None, Some(t)) => t.to_string(),
            (None, None) => DEFAULT_TAG.to_string(),
        }
    }

    /// `name:tag` (tag defaulted) or `name@digest`: the name an image pulled
    /// by this reference is stored under. `name:tag@digest` keeps only the tag.
    pub fn storage_name(&self) -> String {
        match self.tag_or_default() {
            Some(t) => format!("{}:{t}", self.name()),
            None => format!(
                "{}@{}",
                self.name(),
                self.digest.as_deref().unwrap_or_default()
            ),
        }
    }
}

impl fmt::Display for ImageReference {
    /// The normalized reference: `name[:tag][@digest]`, `:latest` added when
    /// neither tag nor digest was given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = self.tag_or_default() {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn validate_digest(d: &str) -> Result<(), ReferenceError> {
    let bad = || ReferenceError::Digest(d.to_string());
    let (algo, hex) = d.split_once(':').ok_or_else(bad)?;
    let algo_ok = !algo.is_empty()
        && algo
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c));
    let hex_ok = hex.len() >= 32
        && hex
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    let len_ok = match algo {
        "sha256" => hex.len() == 64,
        "sha512" => hex.len() == 128,
        _ => true,
    };
    if algo_ok && hex_ok && len_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// `[\w][\w.-]{0,127}`
fn valid_tag(t: &str) -> bool {
    let mut chars = t.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    first_ok
        && t.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Host name (labels of `[a-zA-Z0-9-]` separated by dots) or bracketed IPv6
/// address, with an optional numeric port.
fn valid_domain(d: &str) -> bool {
    let (host, port) = if let Some(rest) = d.strip_prefix('[') {
        match rest.split_once(']') {
            Some((addr, tail)) => {
                if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                    return false;
                }
                match tail {
                    "" => return true,
                    t => (None, t.strip_prefix(':')),
                }
            }
            None => return false,
        }
    } else {
        match d.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(d), None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    match host {
        None => port.is_some(),
        Some(h) => {
            !h.is_empty()
                && h.split('.').all(|label| {
                    !label.is_empty()
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        ImageReference::parse(s).unwrap().to_string()
    }

    #[test]
    fn normalizes_docker_hub() {
        assert_eq!(
            norm("docker.io/busybox"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            norm("index.docker.io/busybox:1"),
            "docker.io/library/busybox:1"
        );
        assert_eq!(norm("docker://docker.io/a/b"), "docker.io/a/b:latest");
        let short = ImageReference::parse("busybox").unwrap();
        assert!(short.is_short_name());
        assert_eq!(short.to_string(), "busybox:latest");
        assert_eq!(
            short.qualify("docker.io").to_string(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            short.qualify("quay.io").to_string(),
            "quay.io/busybox:latest"
        );
        let lib = ImageReference::parse("library/busybox").unwrap();
        assert!(lib.is_short_name());
        assert_eq!(lib.path, "library/busybox");
    }

    #[test]
    fn domains_ports_digests() {
        let r = ImageReference::parse("127.0.0.1:5000/a/b:tag").unwrap();
        assert_eq!(r.domain.as_deref(), Some("127.0.0.1:5000"));
        assert_eq!(r.path, "a/b");
        assert_eq!(r.tag.as_deref(), Some("tag"));
        let r = ImageReference::parse("localhost/x").unwrap();
        assert_eq!(r.domain.as_deref(), Some("localhost"));
        assert_eq!(r.to_string(), "localhost/x:latest");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = ImageReference::parse(&format!("x@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.tag_or_default(), None);
        assert_eq!(r.to_string(), format!("x@{d}"));
        assert_eq!(r.manifest_reference(), d);
        let r = ImageReference::parse(&format!("localhost:5000/x:t@{d}")).unwrap();
        assert_eq!(r.storage_name(), "localhost:5000/x:t");
        let r = ImageReference::parse("[::1]:5000/x").unwrap();
        assert_eq!(r.domain.as_deref(), Some("[::1]:5000"));
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "a b",
            "-a",
            "a/",
            "/a",
            "a//b",
            "a:",
            "a@sha256:12",
            "a:-x",
            "a$b",
        ] {
            assert!(ImageReference::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            ImageReference::parse("BusyBox"),
            Err(ReferenceError::Uppercase)
        );
        assert_eq!(
            ImageReference::parse("a b").unwrap_err().to_string(),
            "invalid reference format"
        );
    }
}
