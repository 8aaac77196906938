//! Writing to a closed pipe (`rpod inspect X | head`) ends rpod quietly,
//! as it ends Podman: Go lets SIGPIPE kill a program whose stdout or
//! stderr is a closed pipe, and returns EPIPE for every other descriptor.
//!
//! Rust ignores SIGPIPE, so `print!` to a closed stdout panics ("failed
//! printing to stdout: Broken pipe"), which with `panic = "abort"` is an
//! abort (exit 134) and a panic message. Restoring SIGPIPE's default action
//! for the whole process would instead kill rpod on a write to a monitor
//! socket whose peer went away, where an error is wanted. So the panic hook
//! recognises exactly that panic and ends the process the way Go does: by
//! SIGPIPE, with nothing printed, once the engine's background work is done.

use std::io::ErrorKind;

/// Installs the panic hook (before anything is printed).
pub fn exit_quietly_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if is_closed_stdio_panic(msg) {
            die_by_sigpipe();
        }
        default_hook(info);
    }));
}

/// The panic std raises when `print!`/`eprint!` meet EPIPE.
fn is_closed_stdio_panic(msg: &str) -> bool {
    let broken = std::io::Error::from(ErrorKind::BrokenPipe).to_string();
    (msg.starts_with("failed printing to stdout") || msg.starts_with("failed printing to stderr"))
        && (msg.contains(&broken) || msg.contains("os error 32"))
}

fn die_by_sigpipe() -> ! {
    // The engine's threads (a new container's snapshot, a removed one's
    // tree) would be cut off by the signal: they finish first.
    rpod_engine::background::settle_all();
    // SAFETY: signal() with SIG_DFL installs no handler code; raise() then
    // delivers SIGPIPE to this thread, whose default action ends the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    // Not reached unless SIGPIPE is blocked: end with the shell's code for it.
    std::process::exit(128 + libc::SIGPIPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_closed_stdio() {
        assert!(is_closed_stdio_panic(
            "failed printing to stdout: Broken pipe (os error 32)"
        ));
        assert!(!is_closed_stdio_panic(
            "failed printing to stdout: No space left on device (os error 28)"
        ));
        assert!(!is_closed_stdio_panic("index out of bounds"));
    }
}
