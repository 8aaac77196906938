//! Diagnostics of the monitor itself. Once daemonized its stdio is
//! /dev/null, so messages go to syslog (silently dropped when no syslog
//! daemon listens); the level is set with `--log-level`.

use std::ffi::CString;
use std::sync::atomic::{AtomicU8, Ordering};

/// Severity of a diagnostic message, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

impl Level {
    /// Parses a `--log-level` value (logrus names, as Podman uses them).
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_lowercase().as_str() {
            "fatal" | "panic" | "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" | "trace" => Level::Debug,
            _ => return None,
        })
    }

    fn priority(self) -> libc::c_int {
        match self {
            Level::Error => libc::LOG_ERR,
            Level::Warn => libc::LOG_WARNING,
            Level::Info => libc::LOG_INFO,
            Level::Debug => libc::LOG_DEBUG,
        }
    }
}

static MAX_LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);

/// Sets the most verbose level that is still reported.
pub fn set_level(level: Level) {
    MAX_LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Reports `msg` at `level` if that level is enabled.
pub fn log(level: Level, msg: &str) {
    if level as u8 > MAX_LEVEL.load(Ordering::Relaxed) {
        return;
    }
    let Ok(text) = CString::new(format!("pod-monitor[{}]: {msg}", std::process::id())) else {
        return;
    };
    // SAFETY: the format string is a static NUL-terminated "%s" and `text`
    // is a valid NUL-terminated C string that outlives the call.
    unsafe { libc::syslog(level.priority(), c"%s".as_ptr(), text.as_ptr()) };
}

/// Reports a warning.
pub fn warn(msg: &str) {
    log(Level::Warn, msg);
}

/// Reports a debug message.
pub fn debug(msg: &str) {
    log(Level::Debug, msg);
}
