//! End to end: pull, run, logs, stop, rm, tty, exec, pause, wait, whiteouts.

mod common;

use common::{busybox, inspect, state_of, wait_state, world};
use rpod_tests::unique_name;

#[test]
fn run_rm_echo_prints_and_leaves_nothing() {
    let (w, img) = busybox();
    let out = w.env.ok(&["run", "--rm", &img, "echo", "hello", "world"]);
    // The runtime's state went before `run` returned (the monitor deletes
    // it, the removal waits for that).
    let states: Vec<_> = std::fs::read_dir(w.env.runroot().join("runc"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(states.is_empty(), "runtime state left: {states:?}");
    assert_eq!(out, "hello world\n");
    assert_eq!(w.env.ok(&["ps", "-aq"]), "", "--rm container is gone");
    assert!(
        common::mounts(&w.env).is_empty(),
        "mounts left: {:?}",
        common::mounts(&w.env)
    );
}

/// `run --rm` holds the monitor's cleanup back while it removes the
/// container itself; a client killed before that must not leave the
/// container behind: its monitor cleans up once the client is gone.
#[test]
fn a_killed_run_rm_client_still_gets_its_container_removed() {
    let (w, img) = busybox();
    let name = unique_name("rmkill");
    let mut child = w
        .env
        .cmd(&["run", "--rm", "--name", &name, &img, "sleep", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    rpod_tests::wait_until(
        std::time::Duration::from_secs(20),
        "the container to run",
        || {
            let out = w
                .env
                .run(&["inspect", "--format", "{{.State.Status}}", &name]);
            String::from_utf8_lossy(&out.stdout).trim() == "running"
        },
    );
    child.kill().unwrap();
    child.wait().unwrap();
    rpod_tests::wait_until(
        std::time::Duration::from_secs(20),
        "the container of the killed client to be removed",
        || w.env.ok(&["ps", "-aq"]).is_empty(),
    );
    assert!(
        common::mounts(&w.env).is_empty(),
        "mounts left: {:?}",
        common::mounts(&w.env)
    );
}

#[test]
fn run_exit_code_is_the_containers() {
    let (w, img) = busybox();
    let out = w.env.run(&[
        "run",
        "--rm",
        &img,
        "sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
}

#[test]
fn command_not_found_is_127_and_not_executable_is_126() {
    let (w, img) = busybox();
    let (code, err) = w.env.fails(&["run", "--rm", &img, "/no/such/binary"]);
    assert_eq!(code, 127, "{err}");
    assert!(err.starts_with("Error: "), "{err}");
    let (code, err) = w.env.fails(&["run", "--rm", &img, "/etc"]);
    assert_eq!(code, 126, "{err}");
    assert_eq!(
        w.env.ok(&["ps", "-aq"]),
        "",
        "failed --rm containers are removed"
    );
}

#[test]
fn detached_run_logs_stop_rm() {
    let (w, img) = busybox();
    let name = unique_name("det");
    let id = w.env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo started; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done",
    ]);
    let id = id.trim();
    assert_eq!(id.len(), 64, "run -d prints the full id: {id}");
    rpod_tests::wait_until(std::time::Duration::from_secs(10), "log line", || {
        w.env.ok(&["logs", &name]).contains("started")
    });
    let ps = w
        .env
        .ok(&["ps", "--format", "{{.ID}} {{.Names}} {{.Status}}"]);
    assert!(ps.starts_with(&format!("{} {name} Up ", &id[..12])), "{ps}");
    assert_eq!(w.env.ok(&["stop", "-t", "5", &name]).trim(), name);
    assert_eq!(state_of(&w.env, &name), "exited");
    assert_eq!(inspect(&w.env, &name)["State"]["ExitCode"], 0);
    assert_eq!(w.env.ok(&["logs", &name]), "started\nbye\n");
    assert_eq!(w.env.ok(&["rm", &name]).trim(), name);
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
    assert!(common::mounts(&w.env).is_empty());
}

#[test]
fn stop_escalates_to_sigkill_after_timeout() {
    let (w, img) = busybox();
    let name = unique_name("stubborn");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "trap '' TERM; echo ready; while true; do sleep 0.1; done",
    ]);
    rpod_tests::wait_until(std::time::Duration::from_secs(10), "ready", || {
        w.env.ok(&["logs", &name]).contains("ready")
    });
    w.env.ok(&["stop", "-t", "1", &name]);
    let c = inspect(&w.env, &name);
    assert_eq!(c["State"]["Status"], "exited");
    assert_eq!(c["State"]["ExitCode"], 137);
}

#[test]
fn tty_gives_a_pts() {
    let (w, img) = busybox();
    let out = w.env.ok(&["run", "--rm", "-t", &img, "tty"]);
    assert!(out.trim().starts_with("/dev/pts/"), "{out:?}");
}

#[test]
fn interactive_stdin_reaches_the_container_and_eof_ends_it() {
    let (w, img) = busybox();
    let mut cmd = w.env.cmd(&["run", "--rm", "-i", &img, "sh", "-c", "wc -l"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"a\nb\nc\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3");
}

#[test]
fn exec_passes_exit_codes_env_workdir_and_user() {
    let (w, img) = busybox();
    let name = unique_name("exec");
    w.env
        .ok(&["run", "-d", "--name", &name, &img, "sleep", "300"]);
    assert_eq!(
        w.env
            .run(&["exec", &name, "sh", "-c", "exit 3"])
            .status
            .code(),
        Some(3)
    );
    let out = w.env.ok(&[
        "exec",
        "-e",
        "FOO=bar",
        "-w",
        "/tmp",
        "-u",
        "1000",
        &name,
        "sh",
        "-c",
        "echo $FOO $(pwd) $(id -u)",
    ]);
    assert_eq!(out, "bar /tmp 1000\n");
    let (code, _) = w.env.fails(&["exec", &name, "/nonexistent"]);
    assert_eq!(code, 127);
    let mut piped = w
        .env
        .cmd(&["exec", "-i", &name, "sh", "-c", "read l; echo got:$l"]);
    piped
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = piped.spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"line\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "got:line\n");
    let tty = w.env.ok(&["exec", "-t", &name, "tty"]);
    assert!(tty.trim().starts_with("/dev/pts/"), "{tty:?}");
    w.env.ok(&["rm", "-f", "-t", "0", &name]);
}

#[test]
fn pause_unpause_and_wait() {
    let (w, img) = busybox();
    let name = unique_name("pause");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "sleep 1; exit 5",
    ]);
    w.env.ok(&["pause", &name]);
    assert_eq!(state_of(&w.env, &name), "paused");
    w.env.ok(&["unpause", &name]);
    assert_eq!(state_of(&w.env, &name), "running");
    assert_eq!(w.env.ok(&["wait", &name]).trim(), "5");
    assert_eq!(state_of(&w.env, &name), "exited");
    // wait on an exited container answers at once.
    assert_eq!(w.env.ok(&["wait", &name]).trim(), "5");
}

#[test]
fn whiteouts_and_opaque_dirs_are_honoured() {
    let w = world(&["multilayer"]);
    let img = &w.images[0];
    w.env.ok(&["pull", "-q", img]);
    let data = w.env.ok(&["run", "--rm", img, "ls", "/data"]);
    assert_eq!(data, "keep.txt\n");
    let opaque = w.env.ok(&["run", "--rm", img, "ls", "/opaque"]);
    assert_eq!(opaque, "new\n");
}

#[test]
fn multiarch_index_picks_the_host_platform() {
    let w = world(&["multiarch"]);
    let img = &w.images[0];
    w.env.ok(&["pull", "-q", img]);
    let arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "amd64",
    };
    assert_eq!(
        w.env.ok(&["run", "--rm", img, "cat", "/platform"]).trim(),
        arch
    );
}

#[test]
fn create_then_start_attach_and_rename() {
    let (w, img) = busybox();
    let name = unique_name("c");
    let id = w.env.ok(&[
        "create",
        "--name",
        &name,
        "-e",
        "X=1",
        &img,
        "sh",
        "-c",
        "echo X=$X; exit 4",
    ]);
    assert_eq!(state_of(&w.env, id.trim()), "created");
    let out = w.env.run(&["start", "-a", &name]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "X=1\n");
    assert_eq!(out.status.code(), Some(4));
    let new = unique_name("renamed");
    w.env.ok(&["rename", &name, &new]);
    assert_eq!(state_of(&w.env, &new), "exited");
    let (code, err) = w.env.fails(&["inspect", "--type", "container", &name]);
    assert_eq!(code, 125, "{err}");
}

#[test]
fn volumes_read_only_root_hostname_and_workdir() {
    let (w, img) = busybox();
    let host = w.env.dir().join("vol");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(host.join("f"), "from host").unwrap();
    let vol = format!("{}:/mnt:ro", host.display());
    let out = w.env.ok(&[
        "run",
        "--rm",
        "-v",
        &vol,
        "--hostname",
        "box1",
        "-w",
        "/mnt",
        &img,
        "sh",
        "-c",
        "cat f; echo; hostname; pwd; touch /mnt/x 2>/dev/null || echo ro",
    ]);
    assert_eq!(out, "from host\nbox1\n/mnt\nro\n");
    let out = w
        .env
        .run(&["run", "--rm", "--read-only", &img, "touch", "/x"]);
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn log_max_size_rotates() {
    let (w, img) = busybox();
    let name = unique_name("rot");
    w.env.ok(&[
        "run",
        "--name",
        &name,
        "--log-opt",
        "max-size=2k",
        &img,
        "sh",
        "-c",
        "i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done",
    ]);
    let c = inspect(&w.env, &name);
    let log = c["HostConfig"]["LogConfig"]["Path"]
        .as_str()
        .unwrap()
        .to_owned();
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size <= 2048, "log {log} is {size} bytes, above max-size");
    let logs = w.env.ok(&["logs", &name]);
    assert!(logs.ends_with("line-199\n"), "{logs}");
}

#[test]
fn detached_exit_is_seen_without_anyone_waiting() {
    let (w, img) = busybox();
    let name = unique_name("ws");
    w.env.ok(&["run", "-d", "--name", &name, &img, "true"]);
    wait_state(&w.env, &name, "exited");
}

#[test]
fn short_lived_containers_start_reliably() {
    // A process that exits while `runtime start` is still returning must
    // not make the start fail (the runtime's state is deleted only under
    // the container's lock, after start completed).
    let (w, img) = busybox();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..12 {
                    let out = w.env.run(&["run", "--rm", &img, "true"]);
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            });
        }
    });
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
}

#[test]
fn rm_containers_get_a_volatile_overlay_others_a_durable_one() {
    let (w, img) = busybox();
    let options = |name: &str| {
        let mp = inspect(&w.env, name)["GraphDriver"]["Data"]["MergedDir"]
            .as_str()
            .unwrap()
            .to_owned();
        let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        info.lines()
            .find(|l| l.split(' ').nth(4) == Some(mp.as_str()))
            .unwrap_or_else(|| panic!("{mp} not mounted"))
            .to_owned()
    };
    let eph = unique_name("eph");
    let dur = unique_name("dur");
    w.env
        .ok(&["run", "-d", "--rm", "--name", &eph, &img, "sleep", "300"]);
    w.env
        .ok(&["run", "-d", "--name", &dur, &img, "sleep", "300"]);
    assert!(options(&eph).contains("volatile"), "{}", options(&eph));
    assert!(!options(&dur).contains("volatile"), "{}", options(&dur));
    w.env.ok(&["rm", "-f", "-t", "0", &eph, &dur]);
}
