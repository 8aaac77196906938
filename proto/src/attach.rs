//! The attach socket: a SOCK_SEQPACKET listener next to the control socket.
//! Every packet is one stream-tag byte followed by data. Several clients
//! may be attached at once; output goes to all of them.
//!
//! Client to monitor: `STDIN` packets carry raw input; a half-close
//! (`shutdown(SHUT_WR)`) means end of input and closes the container's
//! stdin; a `DETACH` packet before closing means "leave without closing
//! stdin" (detach keys).
//! Monitor to client: `STDOUT`/`STDERR` packets; with a terminal all output
//! is `STDOUT`. The monitor closes the connection once the container has
//! exited and all its output has been delivered.

pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
pub const DETACH: u8 = 3;

/// Largest packet either side sends (tag byte included).
pub const MAX_PACKET: usize = 32 * 1024;
