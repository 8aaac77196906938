//! Fault injection for crash-recovery tests: `point("step")` SIGKILLs the
//! current process when the environment variable `RPOD_FAULT` names that
//! step, so a test can cut an operation off exactly there. Without the
//! variable this is one environment lookup.

/// The environment variable naming the step to die at.
pub const FAULT_ENV: &str = "RPOD_FAULT";

/// Dies (SIGKILL, no cleanup, like a power cut for this process) if
/// `RPOD_FAULT` equals `name`.
pub fn point(name: &str) {
    if std::env::var_os(FAULT_ENV).is_some_and(|v| v == name) {
        tracing::debug!("fault injection: killing this process at {name}");
        // SAFETY: kill(2) of our own pid with SIGKILL; nothing to uphold.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
