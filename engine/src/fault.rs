//! Test-only fault injection: `RPOD_FAULT=<step>` makes the process SIGKILL
//! itself when it reaches the named step, so tests can check that an
//! operation cut off there is completed by the next command. Steps are
//! named `<operation>.<where>` (e.g. `start.after-mount`, `pod-start.after-infra`).

/// Environment variable naming the step at which to die.
pub const FAULT_ENV: &str = "RPOD_FAULT";

/// Kills this process with SIGKILL if `RPOD_FAULT` names `name`.
pub fn point(name: &str) {
    if std::env::var_os(FAULT_ENV).is_some_and(|v| v == name) {
        tracing::warn!("RPOD_FAULT: killing myself at {name}");
        // SIGKILL cannot be caught: the process ends here, like a crash.
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
}
