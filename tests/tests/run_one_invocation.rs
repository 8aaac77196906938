//! A container's first run creates and starts it in one runtime invocation
//! (`runc run --detach`, one Go start-up less than `create` + `start`),
//! with the same result as the split: output, exit code, errors in the
//! create wording, and no runtime state, mount or row left by `run --rm`.
//! An attached terminal (sized before the process starts) and the restart
//! policy keep the split. The runtime
//! is a wrapper that logs each subcommand and runs the real runc.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{busybox, World};
use rpod_tests::unique_name;

/// The runtime subcommands the wrapper logs.
const SUBCOMMANDS: &[&str] = &[
    "create", "start", "run", "delete", "exec", "kill", "state", "pause", "resume", "update",
];

/// A runtime wrapper in the test's directory: appends its arguments to a
/// log, then runs runc with them.
struct LoggingRuntime {
    script: PathBuf,
    log: PathBuf,
}

impl LoggingRuntime {
    fn new(w: &World) -> LoggingRuntime {
        let out = std::process::Command::new("sh")
            .args(["-c", "command -v runc"])
            .output()
            .unwrap();
        let runc = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert!(runc.starts_with('/'), "runc not found: {runc:?}");
        let dir = w.env.dir().join(unique_name("rtlog"));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("calls.log");
        let script = dir.join("runc");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{runc}' \"$@\"\n",
                log.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        LoggingRuntime { script, log }
    }

    fn path(&self) -> &str {
        self.script.to_str().unwrap()
    }

    /// The subcommands called so far, in order.
    fn calls(&self) -> Vec<String> {
        calls_in(&self.log)
    }
}

fn calls_in(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .find(|w| SUBCOMMANDS.contains(w))
                .map(str::to_owned)
        })
        .collect()
}

fn count(calls: &[String], sub: &str) -> usize {
    calls.iter().filter(|c| *c == sub).count()
}

/// What `run --rm` leaves behind: runtime state, mounts, rows.
fn assert_nothing_left(w: &World) {
    let runc = w.env.runroot().join("runc");
    let left: Vec<_> = std::fs::read_dir(&runc)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "runtime state left: {left:?}");
    assert!(
        common::mounts(&w.env).is_empty(),
        "mounts left: {:?}",
        common::mounts(&w.env)
    );
    assert_eq!(w.env.ok(&["ps", "-aq"]), "", "rows left");
}

#[test]
fn run_rm_is_one_runtime_invocation_with_output_and_exit_code() {
    let (w, img) = busybox();
    let rt = LoggingRuntime::new(&w);
    let out = w.env.run(&[
        "run",
        "--rm",
        "--runtime",
        rt.path(),
        &img,
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("err\n"),
        "{out:?}"
    );
    let calls = rt.calls();
    assert_eq!(count(&calls, "run"), 1, "{calls:?}");
    assert_eq!(count(&calls, "create"), 0, "{calls:?}");
    assert_eq!(count(&calls, "start"), 0, "{calls:?}");
    assert_nothing_left(&w);

    // Detached: the same single invocation; the container runs.
    let name = unique_name("oneinv");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "--runtime",
        rt.path(),
        &img,
        "sleep",
        "300",
    ]);
    assert_eq!(common::state_of(&w.env, &name), "running");
    let calls = rt.calls();
    assert_eq!(count(&calls, "run"), 2, "{calls:?}");
    assert_eq!(
        count(&calls, "create") + count(&calls, "start"),
        0,
        "{calls:?}"
    );
    w.env.ok(&["rm", "-f", "-t", "0", &name]);
    assert_nothing_left(&w);
}

#[test]
fn run_failure_keeps_the_create_wording_and_leaves_nothing() {
    let (w, img) = busybox();
    let out = w.env.run(&["run", "--rm", &img, "/no/such/program"]);
    assert_eq!(out.status.code(), Some(127), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("runc create failed: unable to start container process")
            && err.contains("OCI runtime attempted to invoke a command that was not found"),
        "{err}"
    );
    assert!(!err.contains("run failed"), "{err}");
    assert_nothing_left(&w);
}

#[test]
fn attached_terminal_and_restarts_keep_create_and_start() {
    let (w, img) = busybox();
    let rt = LoggingRuntime::new(&w);
    let out = w.env.run(&[
        "run",
        "--rm",
        "-t",
        "--runtime",
        rt.path(),
        &img,
        "sh",
        "-c",
        "echo hi; exit 4",
    ]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("hi"),
        "{out:?}"
    );
    let calls = rt.calls();
    assert_eq!(count(&calls, "create"), 1, "{calls:?}");
    assert_eq!(count(&calls, "start"), 1, "{calls:?}");
    assert_eq!(count(&calls, "run"), 0, "{calls:?}");
    assert_nothing_left(&w);

    // The first run is one invocation; the monitor's restart creates and
    // starts again.
    let rt = LoggingRuntime::new(&w);
    let name = unique_name("oneinv");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "--restart",
        "on-failure:1",
        "--runtime",
        rt.path(),
        &img,
        "sh",
        "-c",
        "exit 1",
    ]);
    rpod_tests::wait_until(Duration::from_secs(30), "one restart, then exited", || {
        w.env
            .ok(&[
                "inspect",
                "--format",
                "{{.RestartCount}} {{.State.Status}}",
                &name,
            ])
            .trim()
            == "1 exited"
    });
    let calls = rt.calls();
    assert_eq!(count(&calls, "run"), 1, "{calls:?}");
    assert_eq!(count(&calls, "create"), 1, "{calls:?}");
    assert_eq!(count(&calls, "start"), 1, "{calls:?}");
    let code = w
        .env
        .ok(&["inspect", "--format", "{{.State.ExitCode}}", &name]);
    assert_eq!(code.trim(), "1");
    w.env.ok(&["rm", "-f", "-t", "0", &name]);
    assert_nothing_left(&w);
}
