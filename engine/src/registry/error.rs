//! Pull errors, worded like Podman's (containers/image) so scripts and users
//! see the familiar one-line causes.

use std::path::PathBuf;

use oci_client::errors::{DigestError, OciDistributionError};

use super::registries_conf::RegistriesConfError;
use crate::image_ref::reference::ReferenceError;
use crate::storage::StorageError;

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The reference does not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// registries.conf could not be loaded.
    #[error(transparent)]
    Config(#[from] RegistriesConfError),
    /// A short name with neither alias nor search registries.
    #[error("short-name {name:?} did not resolve to an alias and no unqualified-search registries are defined in {:?}", path.display().to_string())]
    ShortName {
        /// The short name as given.
        name: String,
        /// The registries.conf consulted.
        path: PathBuf,
    },
    /// The trust policy refuses the image (or cannot be read).
    #[error(transparent)]
    Trust(#[from] super::trust::TrustError),
    /// The registry is blocked in registries.conf.
    #[error("registry {registry} is blocked in {} or registries.conf.d", path.display())]
    Blocked {
        /// The blocked registry.
        registry: String,
        /// The registries.conf consulted.
        path: PathBuf,
    },
    /// Fetching or understanding the manifest failed.
    #[error("initializing source docker://{reference}: {message}")]
    Source {
        /// The reference being pulled.
        reference: String,
        /// The cause.
        message: String,
    },
    /// No manifest list entry fits the wanted platform.
    #[error("choosing an image from manifest list docker://{reference}: {message}")]
    Platform {
        /// The reference being pulled.
        reference: String,
        /// What was wanted and what is available.
        message: String,
    },
    /// A blob's content does not hash to its digest.
    #[error("copying {what} {expected}: digest did not match, expected {expected}, got {actual}")]
    DigestMismatch {
        /// "blob" or "config".
        what: &'static str,
        /// The digest named by the manifest.
        expected: String,
        /// The digest of what was received.
        actual: String,
    },
    /// Downloading a blob failed.
    #[error("copying {what} {digest}: {message}")]
    Blob {
        /// "blob" or "config".
        what: &'static str,
        /// The blob's digest.
        digest: String,
        /// The cause.
        message: String,
    },
    /// Unpacking or storing a layer failed (diff id mismatch included).
    #[error("copying blob {digest}: {source}")]
    Layer {
        /// The layer blob's digest.
        digest: String,
        /// The storage error.
        #[source]
        source: StorageError,
    },
    /// Storing the image failed.
    #[error("writing manifest to image destination: {0}")]
    Storage(#[from] StorageError),
    /// Several candidates (search registries) were tried and all failed.
    #[error("{} errors occurred while pulling:{}", .0.len(), .0.iter().map(|e| format!("\n * {e}")).collect::<String>())]
    Multiple(Vec<PullError>),
}

/// Describes a registry client error as containers/image would, for an
/// operation on `what` ("reading manifest latest in reg/repo").
pub(crate) fn describe(err: &OciDistributionError, what: &str, registry: &str) -> String {
    match err {
        OciDistributionError::RegistryError { envelope, .. } => {
            let parts: Vec<String> = envelope
                .errors
                .iter()
                .map(|e| {
                    let code = format!("{:?}", e.code);
                    let code = split_camel(&code);
                    if e.message.is_empty() || e.message.eq_ignore_ascii_case(&code) {
                        code
                    } else {
                        format!("{code}: {}", e.message)
                    }
                })
                .collect();
            format!("{what}: {}", parts.join("; "))
        }
        OciDistributionError::UnauthorizedError { .. } => {
            format!("{what}: unauthorized: authentication required")
        }
        OciDistributionError::ServerError { code, message, .. } => {
            let message = message.trim();
            if message.is_empty() {
                format!("{what}: StatusCode: {code}")
            } else {
                format!("{what}: StatusCode: {code}, {message}")
            }
        }
        OciDistributionError::RequestError(e) => {
            let url = e.url().map(|u| u.to_string()).unwrap_or_default();
            format!(
                "pinging container registry {registry}: Get {url:?}: {}",
                network_cause(e, registry)
            )
        }
        OciDistributionError::DigestError(DigestError::VerificationError { expected, actual }) => {
            format!("{what}: digest did not match, expected {expected}, got {actual}")
        }
        other => format!("{what}: {}", chain(other)),
    }
}

/// "connection refused" and friends, Go-style, from a request error's causes.
fn network_cause(e: &(dyn std::error::Error + 'static), registry: &str) -> String {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    format!("dial tcp {registry}: connect: connection refused")
                }
                std::io::ErrorKind::TimedOut => format!("dial tcp {registry}: i/o timeout"),
                _ => format!("dial tcp {registry}: {io}"),
            };
        }
        cur = c.source();
    }
    chain(e)
}

/// An error and its causes joined with ": ", duplicates dropped.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !parts.last().is_some_and(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = c.source();
    }
    parts.join(": ")
}

/// `ManifestUnknown` → `manifest unknown`.
fn split_camel(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push(' ');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The digest mismatch inside a blob stream error, if that is what it is.
pub(crate) fn stream_digest_mismatch(e: &std::io::Error) -> Option<(String, String)> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|i| i as _);
    while let Some(c) = cur {
        if let Some(DigestError::VerificationError { expected, actual }) =
            c.downcast_ref::<DigestError>()
        {
            return Some((expected.clone(), actual.clone()));
        }
        if let Some(OciDistributionError::DigestError(DigestError::VerificationError {
            expected,
            actual,
        })) = c.downcast_ref::<OciDistributionError>()
        {
            return Some((expected.clone(), actual.clone()));
        }
        cur = c.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(split_camel("ManifestUnknown"), "manifest unknown");
        let e = PullError::ShortName {
            name: "busybox".into(),
            path: "/etc/containers/registries.conf".into(),
        };
        assert_eq!(
            e.to_string(),
            "short-name \"busybox\" did not resolve to an alias and no unqualified-search registries are defined in \"/etc/containers/registries.conf\""
        );
    }
}
