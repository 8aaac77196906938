//! Containers: the options a user gives, the record the database keeps,
//! and the actor through which every transition passes.

pub mod options;

pub use options::{BindMount, ContainerOptions, NetworkMode};
