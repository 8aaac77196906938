//! rpod's front door types: the reports Podman 5.8 prints, in the shapes of its
//! `pkg/domain/entities` and `libpod/define` packages.
//!
//! Every report type serializes to Podman's JSON keys (serde) and exposes Podman's Go field
//! names and template methods to `--format` through [`gotmpl::ToTemplate`] (derived). Fields
//! rpod cannot fill yet hold Podman's zero values, never invented data.

pub mod auto_update;
pub mod check;
pub mod container;
pub mod container_run;
pub mod error;
pub mod error_chain;
pub mod events;
pub mod front_door;
pub mod generate;
pub mod image;
pub mod info;
pub mod input_time;
pub mod inspect;
pub mod kube;
pub mod logs;
pub mod network;
pub mod parallel;
pub mod pod;
pub mod prune;
pub mod ps;
pub mod secret;
pub mod stats;
pub mod system;
pub mod time;
pub mod units;
pub mod version;
pub mod volume;

pub use error::{Error, ErrorKind, Result};
pub use front_door::FrontDoor;
pub use time::{GoDuration, GoTime};
