//! Image references, registries.conf and pulling images from registries.

pub mod reference;
