//! Image names and platforms: what both local storage and registries speak.
//! It sits below [`crate::storage`] and [`crate::registry`], so storage never
//! depends on the registry code.
//!
//! - [`reference`]: Docker reference parsing and normalization.
//! - [`platform`]: choosing from manifest lists / indexes.

pub mod platform;
pub mod reference;

pub use reference::{ImageReference, ReferenceError};
