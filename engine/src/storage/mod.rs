//! Image and layer storage under `<root>/storage/`.
//!
//! - [`extract`]: the hostile-input layer extractor (tar stream → overlay-format
//!   directory, diff id computed on the way).
//! - [`compression`]: gzip / zstd / plain detection.
//! - [`Store`]: layers (`create_layer`), images (`commit_image`, `images`,
//!   `lookup_image`), container root filesystems (`mount_rootfs`,
//!   `unmount_rootfs`, `remove_container_storage`).
//!
//! - [`in_root`]: reading container and layer trees from inside their root
//!   only (export, commit, diff, cp); [`copier`]: `cp`'s tar halves on
//!   top of it; [`tree_remove`]: removing trees
//!   of any depth with a bounded number of descriptors.
//!
//! Every metadata update is atomic (temp file, fsync, rename) and taken under
//! an flock on `storage/storage.lock`, so several CLIs can work on one store;
//! layers and images appear by a single rename once complete.

pub mod archive;
pub(crate) mod atomic;
mod blobs;
mod changes;
mod commit;
pub mod compression;
pub mod copier;
mod error;
pub mod extract;
pub(crate) mod fuse_overlay;
mod id_usage;
mod image_mount;
mod images;
pub mod in_root;
mod in_use;
pub mod instructions;
pub(crate) mod layers;
pub mod limits;
mod lists;
mod lookup;
pub mod manifest;
mod mount;
mod remove;
mod rootfs_dir;
mod shifted;
mod store;
pub mod tree_remove;
pub mod tree_tar;
mod vfs;

pub use commit::CommitOptions;
pub(crate) use commit::Hashing;
pub use error::StorageError;
pub(crate) use extract::extract_layer;
pub use images::{Image, NewImage};
pub use layers::{chain_id, LayerInfo};
pub use limits::{ImageBudget, LimitExceeded, UnpackLimits};
pub use lists::ManifestList;
pub(crate) use mount::IdShift;
pub use shifted::IdShiftMode;
pub use store::Store;
pub use tree_remove::remove_tree_if_exists;

#[cfg(test)]
mod extract_proptest;
#[cfg(test)]
mod extract_tests;
