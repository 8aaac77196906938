//! registries.conf and pulling images from registries (references and
//! platforms live below storage, in [`crate::image_ref`]).
//!
//! - [`registries_conf`]: containers-registries.conf v2 with drop-ins.
//! - [`pull()`]: the pull pipeline into a [`crate::storage::Store`].

pub mod auth;
mod blob_stream;
pub mod client;
pub mod copy;
mod error;
mod mount;
pub mod progress;
mod pull;
pub mod push;
pub mod recompress;
pub mod registries_conf;
pub mod remote_manifest;
#[cfg(test)]
mod tests;
mod tls_sniff;
pub mod trust;

pub use crate::image_ref::ReferenceError;
pub use error::PullError;
pub use pull::{pull, remote_digests, PullOptions};
pub use registries_conf::RegistriesConf;
