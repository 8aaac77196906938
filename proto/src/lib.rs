//! The versioned protocol between the rpod engine and `pod-monitor`.
//!
//! A monitor lives as long as its container (months, across engine
//! upgrades), so everything here is built to tolerate version skew:
//! frames are JSON objects `{"v": N, "type": ..., ...}`, new fields are
//! optional with defaults, unknown fields are ignored, and an unknown
//! request or reply decodes to an `Unknown` variant instead of an error.
//!
//! - [`frame`]: length-prefixed framing with a maximum size.
//! - [`messages`]: control-socket requests and replies, the start-up sync
//!   messages, and the exit record.
//! - [`config`]: the monitor's configuration file written by the engine.
//! - [`attach`]: stream tags of the SOCK_SEQPACKET attach socket.
//! - [`restart`], [`health`], [`events`]: restart policies, health checks
//!   and the events file, shared by the engine and the monitors.
//! - [`journal`]: journald's native protocol (container output and
//!   events sent to the journal).
//! - [`log_format`]: the container log file (records and rotation), written
//!   by the monitor and read by the engine.

pub mod attach;
pub mod config;
pub mod events;
pub mod frame;
pub mod health;
pub mod journal;
pub mod log_format;
pub mod messages;
pub mod restart;

pub use config::{MonitorConfig, MonitorMode, NotifyConfig, HELD_FDS_START, RUNTIME_DELETING_FILE};
pub use frame::{read_frame, write_frame, FrameError, MAX_FRAME_LEN};
pub use messages::{ExitRecord, MonitorState, Reply, Request, SyncMsg};
pub use restart::{RestartConfig, RestartPolicy, RestartState};

/// Protocol version spoken by this build. Bumped only when a message's
/// meaning changes; adding optional fields does not require a bump.
pub const PROTO_VERSION: u32 = 1;
