//! A pod's shared namespaces pinned on files by its infra container: the
//! members really run in the infra's IPC, UTS and network namespaces (the
//! same inodes; a SysV IPC object and a loopback listener made in one are
//! seen from the other; the pod's hostname), no pin is left mounted after
//! `pod stop`, `pod rm -f` or a killed infra, and a pod whose namespaces
//! cannot be pinned (it shares its PID namespace) still starts.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::busybox;
use common::net::kill_with_monitor;
use rpod_tests::{unique_name, TestEnv};

/// Removes every pod (and so its cgroup parent) before the environment's
/// own cleanup runs; declared after the environment, so dropped first.
struct PodGuard<'a>(&'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
    }
}

/// What a pod start logs (at debug level) when its members start while
/// the infra's process is still being created.
const BESIDE: &str = "starting the members beside the infra container";

fn pid_of(env: &TestEnv, name: &str) -> i32 {
    env.ok(&["inspect", "--format", "{{.State.Pid}}", name])
        .trim()
        .parse()
        .unwrap()
}

fn infra_id(env: &TestEnv, pod: &str) -> String {
    env.ok(&["pod", "inspect", "--format", "{{.InfraContainerID}}", pod])
        .trim()
        .to_owned()
}

/// The inode of namespace `kind` of process `pid`.
fn ns_inode(pid: i32, kind: &str) -> u64 {
    std::fs::metadata(format!("/proc/{pid}/ns/{kind}"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/ns/{kind}: {e}"))
        .ino()
}

/// Runs `f` on a thread of its own that joined namespace `path` first.
fn in_ns<T: Send + 'static>(
    path: PathBuf,
    flag: nix::sched::CloneFlags,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).unwrap();
        nix::sched::setns(file, flag).unwrap();
        f()
    })
    .join()
    .unwrap()
}

/// Mounts of namespaces (nsfs) under the test's run root.
fn ns_mounts(env: &TestEnv) -> Vec<String> {
    let root = env.runroot();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            l.split(" - ")
                .nth(1)
                .is_some_and(|t| t.starts_with("nsfs "))
        })
        .filter_map(|l| l.split_whitespace().nth(4).map(str::to_owned))
        .filter(|m| Path::new(m).starts_with(&root))
        .collect()
}

/// Whether the SysV shared memory segment `key` exists in the IPC
/// namespace of the calling thread.
fn shm_exists(key: libc::key_t) -> bool {
    // SAFETY: shmget only reads its integer arguments.
    unsafe { libc::shmget(key, 0, 0) >= 0 }
}

#[test]
fn members_run_in_the_pinned_namespaces_of_the_infra() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pinpod");
    w.env
        .ok(&["pod", "create", "--name", &pod, "--hostname", "pinned-host"]);
    let m = unique_name("m");
    w.env
        .ok(&["create", "--pod", &pod, "--name", &m, &img, "sleep", "600"]);
    let out = w
        .env
        .cmd(&["--log-level", "debug", "pod", "start", &pod])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains(BESIDE), "{log}");
    let infra = infra_id(&w.env, &pod);
    let (ipid, mpid) = (pid_of(&w.env, &infra), pid_of(&w.env, &m));
    assert_ne!(ipid, mpid);
    // The pins the infra made, and both processes in them.
    let pins = w.env.runroot().join("containers").join(&infra).join("ns");
    let netns = w.env.runroot().join("netns").join(&infra);
    for (kind, pin) in [
        ("ipc", pins.join("ipc")),
        ("uts", pins.join("uts")),
        ("net", netns.clone()),
    ] {
        let pinned = std::fs::metadata(&pin)
            .unwrap_or_else(|e| panic!("{}: {e}", pin.display()))
            .ino();
        assert_eq!(ns_inode(ipid, kind), pinned, "infra {kind}");
        assert_eq!(ns_inode(mpid, kind), pinned, "member {kind}");
    }
    assert_ne!(
        ns_inode(mpid, "pid"),
        ns_inode(ipid, "pid"),
        "pid not shared"
    );
    assert_eq!(w.env.ok(&["exec", &m, "hostname"]).trim(), "pinned-host");

    // A SysV segment made in the member's IPC namespace is seen from the
    // infra's, and not from the host's.
    let key: libc::key_t = 0x5eed_0000 | (std::process::id() as libc::key_t & 0xffff);
    let made = in_ns(
        PathBuf::from(format!("/proc/{mpid}/ns/ipc")),
        nix::sched::CloneFlags::CLONE_NEWIPC,
        move || {
            // SAFETY: shmget only reads its integer arguments.
            unsafe { libc::shmget(key, 4096, libc::IPC_CREAT | libc::IPC_EXCL | 0o600) }
        },
    );
    assert!(made >= 0, "shmget: {}", std::io::Error::last_os_error());
    let seen = in_ns(
        PathBuf::from(format!("/proc/{ipid}/ns/ipc")),
        nix::sched::CloneFlags::CLONE_NEWIPC,
        move || shm_exists(key),
    );
    assert!(seen, "the segment is visible in the infra's IPC namespace");
    assert!(!shm_exists(key), "not in the host's");

    // A listener on the member's loopback answers from the infra's.
    let (tx, rx) = std::sync::mpsc::channel();
    let listener = std::thread::spawn({
        let path = PathBuf::from(format!("/proc/{mpid}/ns/net"));
        move || {
            let file = std::fs::File::open(&path).unwrap();
            nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            l.accept().map(|_| ())
        }
    });
    let addr = rx.recv().unwrap();
    let connected = in_ns(
        PathBuf::from(format!("/proc/{ipid}/ns/net")),
        nix::sched::CloneFlags::CLONE_NEWNET,
        move || std::net::TcpStream::connect(addr).map(|_| ()),
    );
    connected.expect("connecting from the infra's network namespace");
    listener.join().unwrap().unwrap();

    // A restarted pod gets fresh namespaces; the old pins are gone.
    // Held open, the old namespace keeps its inode number (a freed one is
    // given to the next new namespace).
    let old = std::fs::File::open(format!("/proc/{mpid}/ns/uts")).unwrap();
    let old_uts = old.metadata().unwrap().ino();
    w.env.ok(&["pod", "restart", "-t", "0", &pod]);
    let mpid = pid_of(&w.env, &m);
    assert_ne!(ns_inode(mpid, "uts"), old_uts);
    assert_eq!(
        ns_inode(mpid, "uts"),
        ns_inode(pid_of(&w.env, &infra), "uts")
    );
    assert_eq!(w.env.ok(&["exec", &m, "hostname"]).trim(), "pinned-host");
    assert_eq!(ns_mounts(&w.env).len(), 3, "{:?}", ns_mounts(&w.env));
    drop(old);

    w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    assert!(ns_mounts(&w.env).is_empty(), "{:?}", ns_mounts(&w.env));
    assert!(!pins.exists() && !netns.exists());
}

#[test]
fn no_pin_is_left_after_stop_rm_or_a_killed_infra() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pinleak");
    w.env.ok(&["pod", "create", "--name", &pod]);
    let m = unique_name("m");
    w.env
        .ok(&["create", "--pod", &pod, "--name", &m, &img, "sleep", "600"]);
    w.env.ok(&["pod", "start", &pod]);
    assert_eq!(ns_mounts(&w.env).len(), 3, "{:?}", ns_mounts(&w.env));
    w.env.ok(&["pod", "stop", "-t", "0", &pod]);
    assert!(ns_mounts(&w.env).is_empty(), "{:?}", ns_mounts(&w.env));

    // The infra's monitor and process killed: the next start releases
    // the stale pins and makes new ones.
    w.env.ok(&["pod", "start", &pod]);
    let infra = infra_id(&w.env, &pod);
    kill_with_monitor(&w.env, &infra);
    w.env.ok(&["stop", "-t", "0", &m]);
    w.env.ok(&["pod", "start", &pod]);
    assert_eq!(ns_mounts(&w.env).len(), 3, "{:?}", ns_mounts(&w.env));
    let (ipid, mpid) = (pid_of(&w.env, &infra), pid_of(&w.env, &m));
    assert_eq!(ns_inode(ipid, "ipc"), ns_inode(mpid, "ipc"));

    // Killed again, then the pod removed.
    kill_with_monitor(&w.env, &infra);
    w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    assert!(ns_mounts(&w.env).is_empty(), "{:?}", ns_mounts(&w.env));
    assert!(common::mounts(&w.env).is_empty());
}

/// A pod (`pod create` with `pod_args`) with one member sleeping, started
/// at debug level: its name, the member's, and the start's output.
fn pod_of_one_started(
    env: &TestEnv,
    img: &str,
    tag: &str,
    pod_args: &[&str],
) -> (String, String, std::process::Output) {
    let pod = unique_name(tag);
    let mut create = vec!["pod", "create", "--name", &pod];
    create.extend_from_slice(pod_args);
    env.ok(&create);
    let m = unique_name("m");
    env.ok(&["create", "--pod", &pod, "--name", &m, img, "sleep", "600"]);
    let out = env
        .cmd(&["--log-level", "debug", "pod", "start", &pod])
        .output()
        .unwrap();
    (pod, m, out)
}

#[test]
fn a_pod_sharing_its_pid_namespace_starts_without_pins() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let (pod, m, out) = pod_of_one_started(&w.env, &img, "pidpod", &["--share", "pid,ipc,net,uts"]);
    assert!(out.status.success(), "{out:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains(BESIDE), "{log}");
    let infra = infra_id(&w.env, &pod);
    let (ipid, mpid) = (pid_of(&w.env, &infra), pid_of(&w.env, &m));
    for kind in ["pid", "ipc", "uts", "net"] {
        assert_eq!(ns_inode(ipid, kind), ns_inode(mpid, kind), "{kind}");
    }
    let pins = w.env.runroot().join("containers").join(&infra).join("ns");
    assert!(!pins.exists(), "nothing pinned for a pod sharing pid");
    w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    assert!(ns_mounts(&w.env).is_empty(), "{:?}", ns_mounts(&w.env));
}

/// An infra container that fails in its runtime run (its command does not
/// exist) after its members started beside it: the pod start fails, and
/// those members are stopped again, as if they had waited for it.
#[test]
fn members_started_beside_a_failing_infra_are_stopped() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let (pod, m, out) = pod_of_one_started(
        &w.env,
        &img,
        "badinfra",
        &["--infra-command", "/no/such/infra-command"],
    );
    assert!(!out.status.success(), "{out:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains(BESIDE), "{log}");
    assert!(log.contains("/no/such/infra-command"), "{log}");
    let state = w.env.ok(&["inspect", "--format", "{{.State.Status}}", &m]);
    assert_ne!(state.trim(), "running", "the member runs without its infra");
    w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    assert!(ns_mounts(&w.env).is_empty(), "{:?}", ns_mounts(&w.env));
}
