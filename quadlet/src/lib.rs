//! rpod's Quadlet: a systemd generator that turns `.container`, `.pod`,
//! `.volume`, `.network`, `.kube`, `.image` and `.build` files into service
//! units running `rpod`, with Podman 5.8's Quadlet semantics.

pub mod convert;
pub mod dirs;
pub mod generator;
pub mod keys;
pub mod split;
pub mod unitfile;
