//! libpod's request shapes: the `SpecGenerator` of container create and the
//! `PodSpecGenerator` of pod create, as the front door's requests.

pub mod health;
pub mod specgen;
pub mod update;
