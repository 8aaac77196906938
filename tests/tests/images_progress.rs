//! Pull progress: bars redrawn in place on a terminal, plain lines when
//! stderr is not a terminal, nothing with `-q`.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::world;
use rpod_tests::run_with_timeout;

/// Single-quotes `s` for sh.
fn quote(s: &std::ffi::OsStr) -> String {
    format!("'{}'", s.to_string_lossy().replace('\'', "'\\''"))
}

#[test]
fn progress_bars_on_a_terminal_lines_otherwise() {
    let w = world(&["multilayer"]);
    let env = &w.env;
    let img = &w.images[0];

    // Under a pseudo-terminal (script(1)).
    let cmd = env.cmd(&["pull", img]);
    let mut line = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            line.push_str(&format!("{}={} ", k.to_string_lossy(), quote(v)));
        }
    }
    line.push_str(&quote(cmd.get_program()));
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut script = Command::new("script");
    script
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null());
    let out = run_with_timeout(&mut script, Duration::from_secs(120));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("\x1b["),
        "cursor movement on a terminal: {text:?}"
    );
    assert!(text.contains(" done"), "{text:?}");

    // Not a terminal: plain lines, no escapes.
    env.ok(&["rmi", "-a"]);
    let out = env.run(&["pull", img]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Copying blob sha256:"), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");

    env.ok(&["rmi", "-a"]);
    let out = env.run(&["pull", "-q", img]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
