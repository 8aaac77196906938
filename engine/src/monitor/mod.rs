//! Spawning pod-monitor and talking to it through `rpod_proto`.
//!
//! - [`spawn`]: [`start`] a monitor (double-forked by itself), wait for
//!   `Ready` ([`StartingMonitor::ready`]), open its start gate with
//!   [`PendingMonitor::go`].
//! - [`client`]: the control socket ([`MonitorClient`]).
//! - [`attach`]: the attach socket.
//! - [`exit_file`]: the exit record and monitor liveness, for when no
//!   monitor is there to ask.
//!
//! Everything here is synchronous (std + nix): these are short blocking
//! exchanges that async callers run on a blocking thread.

pub mod attach;
pub mod client;
pub mod error;
pub mod exit_file;
pub mod spawn;
#[cfg(test)]
mod tests;

pub use attach::{AttachStream, Packet};
pub use client::MonitorClient;
pub use error::MonitorError;
pub use exit_file::{monitor_alive, read_exit_file, read_monitor_pid};
pub use spawn::{find_monitor_binary, start, PendingMonitor, StartingMonitor};
