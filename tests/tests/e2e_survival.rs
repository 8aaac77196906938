//! Containers outlive every rpod process; exits are never lost.

mod common;

use std::time::Duration;

use common::{alive, busybox, inspect};
use rpod_tests::{unique_name, wait_until};

/// Pids of rpod CLI processes working on this test's root.
fn rpod_processes(env: &rpod_tests::TestEnv) -> Vec<i32> {
    let root = env.root().display().to_string();
    let bin = rpod_tests::rpod_bin();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if exe == bin && String::from_utf8_lossy(&cmdline).contains(&root) {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn containers_survive_sigkill_of_every_rpod_process_and_keep_their_exit_code() {
    let (w, img) = busybox();
    let runner = unique_name("runner");
    let quitter = unique_name("quitter");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &runner,
        &img,
        "sh",
        "-c",
        "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.1; done",
    ]);
    // Prints 20 lines, then waits for a go signal file and exits 42.
    let go = w.env.dir().join("go");
    std::fs::create_dir(&go).unwrap();
    let vol = format!("{}:/go", go.display());
    w.env.ok(&["run", "-d", "--name", &quitter, "-v", &vol, &img, "sh", "-c", "i=0; while [ $i -lt 20 ]; do echo q-$i; i=$((i+1)); done; while [ ! -e /go/now ]; do sleep 0.05; done; echo last; exit 42"]);

    // A `logs -f` and a `wait` are running when every rpod process is killed.
    let mut follower = w.env.cmd(&["logs", "-f", &runner]);
    follower.stdout(std::process::Stdio::null());
    let mut follower = follower.spawn().unwrap();
    let mut waiter = w.env.cmd(&["wait", &quitter]);
    waiter.stdout(std::process::Stdio::null());
    let mut waiter = waiter.spawn().unwrap();
    wait_until(Duration::from_secs(10), "rpod processes to appear", || {
        rpod_processes(&w.env).len() >= 2
    });
    for pid in rpod_processes(&w.env) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let _ = follower.wait();
    let _ = waiter.wait();
    assert!(rpod_processes(&w.env).is_empty());

    // The quitter exits while no rpod process exists.
    let monitor_pid = {
        let c = inspect(&w.env, &quitter);
        c["State"]["ConmonPid"].as_i64().unwrap()
    };
    assert!(rpod_processes(&w.env).is_empty());
    std::fs::write(go.join("now"), "").unwrap();
    wait_until(
        Duration::from_secs(20),
        "the quitter's monitor to finish",
        || !alive(monitor_pid),
    );

    let ps = w
        .env
        .ok(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]);
    assert!(ps.contains(&format!("{quitter} Exited (42)")), "{ps}");
    assert_eq!(inspect(&w.env, &quitter)["State"]["ExitCode"], 42);
    assert_eq!(w.env.ok(&["wait", &quitter]).trim(), "42");
    let logs = w.env.ok(&["logs", &quitter]);
    let expected: String = (0..20).map(|i| format!("q-{i}\n")).collect::<String>() + "last\n";
    assert_eq!(logs, expected);

    // The runner kept running and logging through all of it.
    let before = w.env.ok(&["logs", &runner]).lines().count();
    wait_until(Duration::from_secs(10), "more log lines", || {
        w.env.ok(&["logs", &runner]).lines().count() > before
    });
    let c = inspect(&w.env, &runner);
    assert_eq!(c["State"]["Status"], "running");
    assert!(alive(c["State"]["Pid"].as_i64().unwrap()));
}

#[test]
fn a_dead_monitor_is_reported_never_shown_running_and_rm_cleans_up() {
    let (w, img) = busybox();
    let name = unique_name("orphan");
    w.env
        .ok(&["run", "-d", "--name", &name, &img, "sleep", "300"]);
    let c = inspect(&w.env, &name);
    let monitor = c["State"]["ConmonPid"].as_i64().unwrap() as i32;
    let pid = c["State"]["Pid"].as_i64().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(monitor),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_until(Duration::from_secs(10), "monitor gone", || {
        !alive(monitor as i64)
    });
    let c = inspect(&w.env, &name);
    assert_ne!(c["State"]["Status"], "running", "{c}");
    assert!(
        c["State"]["Error"]
            .as_str()
            .unwrap()
            .contains("pod-monitor"),
        "{c}"
    );
    w.env.ok(&["rm", "-f", "-t", "0", &name]);
    wait_until(Duration::from_secs(10), "container process gone", || {
        !alive(pid)
    });
    assert!(
        common::mounts(&w.env).is_empty(),
        "{:?}",
        common::mounts(&w.env)
    );
}

#[test]
fn an_emptied_run_root_means_exited_after_a_reboot() {
    let (w, img) = busybox();
    let name = unique_name("reboot");
    w.env
        .ok(&["run", "-d", "--name", &name, &img, "sleep", "300"]);
    let c = inspect(&w.env, &name);
    let monitor = c["State"]["ConmonPid"].as_i64().unwrap() as i32;
    // Simulate the reboot: every process gone, the tmpfs run root empty.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(monitor),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    rpod_tests::cleanup::kill_processes_under(w.env.dir());
    rpod_tests::cleanup::delete_runtime_containers(&w.env.runroot());
    rpod_tests::cleanup::unmount_under(w.env.dir());
    std::fs::remove_dir_all(w.env.runroot()).unwrap();
    std::fs::create_dir(w.env.runroot()).unwrap();
    let ps = w.env.ok(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    assert_eq!(ps.trim(), format!("{name} exited"));
    assert_eq!(w.env.ok(&["ps", "-q"]), "");
    // And it can be started again.
    w.env.ok(&["start", &name]);
    assert_eq!(common::state_of(&w.env, &name), "running");
}
