//! The runtime wrapper and generated specs against real runc.

mod lifecycle;
mod spec;
mod support;
