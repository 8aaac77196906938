//! registries.conf and pulling images from registries (references and
//! platforms live below storage, in [`crate::image_ref`]).
//!
//! - [`registries_conf`]: containers-registries.conf v2 with drop-ins.
//! - [`pull()`]: the pull pipeline into a [`crate::storage::Store`].

pub mod auth;
pub mod client;
mod error;
mod mount;
pub mod progress;
mod pull;
pub mod push;
pub mod registries_conf;
pub mod trust;
#[cfg(test)]
mod tests;

/// The old paths, for callers not yet moved to [`crate::image_ref`].
pub use crate::image_ref::{platform, reference};
pub use crate::image_ref::{ImageReference, ReferenceError};
pub use error::PullError;
pub use pull::{pull, PullOptions};
pub use registries_conf::RegistriesConf;
