//! Image references, registries.conf and pulling images from registries.
//!
//! - [`reference`]: Docker reference parsing and normalization.
//! - [`registries_conf`]: containers-registries.conf v2 with drop-ins.
//! - [`platform`]: choosing from manifest lists / indexes.
//! - [`pull()`]: the pull pipeline into a [`crate::storage::Store`].

pub mod auth;
pub mod client;
mod error;
mod mount;
pub mod platform;
pub mod progress;
mod pull;
pub mod push;
pub mod reference;
pub mod registries_conf;
pub mod trust;

pub use error::PullError;
pub use pull::{pull, PullOptions};
pub use reference::{ImageReference, ReferenceError};
pub use registries_conf::RegistriesConf;
