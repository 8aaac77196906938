//! Secrets (Podman's containers/common `secrets`): metadata in the state
//! database, data with a driver. rpod has the `file` driver: one file per
//! secret, mode 0600, in a 0700 directory (`<root>/secrets/filedriver`, or
//! the driver option `path`).
//!
//! - [`store`]: creating, finding and removing secrets under one lock.
//! - [`driver`]: the file driver's data files.
//! - [`filter`]: `secret ls --filter`.
//! - [`container`]: a container's secrets, copied at create, written into
//!   its run directory at start.

pub(crate) mod container;
pub(crate) mod driver;
pub(crate) mod filter;
pub(crate) mod store;

use crate::state::StateError;

/// Largest secret (exclusive), as Podman's.
pub const MAX_SECRET_SIZE: usize = 512_000;
/// Characters of a secret ID.
pub const SECRET_ID_LEN: usize = 25;
/// Podman's default driver.
pub const FILE_DRIVER: &str = "file";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("no secret with name or id {0:?}: no such secret")]
    NotFound(String),
    #[error("{0}: secret name in use")]
    NameInUse(String),
    #[error("secret name {0:?} can not include '=', '/', ',', or the '\\0' (NULL) and be between 1 and 253 characters: invalid secret name")]
    InvalidName(String),
    #[error("secret data must be larger than 0 and less than 512000 bytes")]
    DataSize,
    #[error("more than one result secret with prefix {0}: secret is ambiguous")]
    Ambiguous(String),
    #[error("invalid driver")]
    InvalidDriver,
    #[error("secret driver {0:?} is not supported yet: rpod has the \"file\" and \"shell\" drivers (see docs/compatibility.md)")]
    DriverNotSupported(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
}

impl SecretError {
    pub(crate) fn io<'p>(
        what: &'static str,
        path: &'p std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> SecretError + 'p {
        move |source| SecretError::Io {
            what,
            path: path.to_owned(),
            source,
        }
    }
}

/// Podman's rule for secret names.
pub fn check_name(name: &str) -> Result<(), SecretError> {
    if name.is_empty() || name.len() > 253 || name.contains([',', '/', '=', '\0']) {
        return Err(SecretError::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// A new random secret ID (25 hex digits).
pub fn new_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex[..SECRET_ID_LEN].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids() {
        assert!(check_name("db.password-1").is_ok());
        for bad in ["", "a/b", "a,b", "a=b", &"x".repeat(254)] {
            assert!(
                matches!(check_name(bad), Err(SecretError::InvalidName(_))),
                "{bad}"
            );
        }
        let id = new_id();
        assert_eq!(id.len(), SECRET_ID_LEN);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, new_id());
    }
}
