//! pod-monitor driven through this module with real runc (needs root,
//! runc and a built pod-monitor: `cargo build -p pod-monitor`).

mod env;
mod foreground;
mod io;
mod lifecycle;
