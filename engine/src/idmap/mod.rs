//! User namespaces with id mappings for containers run by root: the
//! mappings (`--uidmap`, `--gidmap`, `/etc/subuid` ranges, `--userns=auto`
//! allocation), a pinned user namespace per container (a namespace file
//! the runtime joins and that owns the container's network namespace),
//! and the idmapped mount that shifts the root filesystem's ids.

mod auto;
mod holder;
mod map;
mod mount;
mod pin;
mod subid;

pub use auto::{allocate_auto, AutoOptions};
pub use holder::Holder;
pub use map::{parse_maps_in, IdMap, IdMaps};
pub use mount::{mount_idmapped, unmount_idmapped};
pub use pin::{pin_userns, unpin_userns};
pub use subid::{subid_ranges, SubIdRange};

/// A failure to build, pin or mount a user namespace.
#[derive(Debug, thiserror::Error)]
pub enum IdmapError {
    #[error("{0}")]
    Invalid(String),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl IdmapError {
    pub(crate) fn io<'a>(
        what: &'static str,
        path: &'a std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> IdmapError + 'a {
        move |source| IdmapError::Io {
            what,
            path: path.to_owned(),
            source,
        }
    }
}
