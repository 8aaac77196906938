//! Rootless rpod end to end: the engine run by `rpodtest`, an ordinary
//! user with subordinate ids (created by packaging/install-deps.sh), with
//! HOME and XDG_RUNTIME_DIR in a directory of the test's own, so each test
//! has its own graph root, run root and pause process. Also `rpodnosub`,
//! a user without subordinate ids.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::net::{free_port, http_get};
use rpod_tests::{run_with_timeout, unique_name, wait_until, DEFAULT_COMMAND_TIMEOUT};

const USER: &str = "rpodtest";
const NO_SUBIDS_USER: &str = "rpodnosub";

/// One user's rpod in a private HOME and XDG_RUNTIME_DIR; on drop every
/// process of the user's namespace is killed and the directory removed.
struct Rootless {
    dir: tempfile::TempDir,
    user: &'static str,
    uid: u32,
    /// `NAME=VALUE` added to every command's environment.
    env: Vec<String>,
}

impl Rootless {
    fn new(user: &'static str) -> Rootless {
        let uid = uid_of(user);
        let dir = tempfile::Builder::new()
            .prefix("rpod-rootless-")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["home", "run"] {
            let p = dir.path().join(sub);
            std::fs::create_dir(&p).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700)).unwrap();
            std::os::unix::fs::chown(&p, Some(uid), Some(uid)).unwrap();
        }
        Rootless {
            dir,
            user,
            uid,
            env: Vec::new(),
        }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn run_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    fn graph_root(&self) -> PathBuf {
        self.home().join(".local/share/rpod")
    }

    fn pause_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.run_dir().join("rpod/pause.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", self.user, "--", "env", "-i"])
            .arg(format!("HOME={}", self.home().display()))
            .arg(format!("XDG_RUNTIME_DIR={}", self.run_dir().display()))
            .arg("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .args(&self.env)
            .arg(rpod_tests::rpod_bin())
            .args(args)
            .current_dir(self.home());
        run_with_timeout(&mut cmd, DEFAULT_COMMAND_TIMEOUT)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "rpod {args:?} as {} failed ({:?}):\n{}{}",
            self.user,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The busybox fixture pulled from a copy of its OCI layout the user
    /// can read; returns the image id.
    fn busybox(&self) -> String {
        let layout = self.dir.path().join("busybox");
        copy_tree(&rpod_tests::fixtures::layout("busybox"), &layout);
        self.ok(&["pull", "-q", &format!("oci:{}:latest", layout.display())])
            .trim()
            .to_owned()
    }
}

impl Drop for Rootless {
    fn drop(&mut self) {
        let _ = self.run(&["rm", "-af", "-t", "0"]);
        if let Some(pause) = self.pause_pid() {
            kill_namespace_of(pause);
        }
    }
}

/// Kills every process in the user namespace of `pid` (the pause process,
/// monitors, containers, helpers), then `pid` itself.
fn kill_namespace_of(pid: i32) {
    let Ok(ns) = std::fs::read_link(format!("/proc/{pid}/ns/user")) else {
        return;
    };
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_link(e.path().join("ns/user")).ok().as_ref() == Some(&ns) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success());
    let st = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success());
}

fn uid_of(user: &str) -> u32 {
    let out = Command::new("id").args(["-u", user]).output().unwrap();
    assert!(
        out.status.success(),
        "user {user} is missing: run packaging/install-deps.sh as root"
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// `(start, count)` of `user`'s first range in `file`.
fn subid_range(file: &str, user: &str) -> (u32, u32) {
    let text = std::fs::read_to_string(file).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{user}:")))
        .unwrap_or_else(|| panic!("no {user} range in {file}: run packaging/install-deps.sh"));
    let f: Vec<u32> = line
        .split(':')
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    (f[0], f[1])
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn run_rm_echo_in_the_users_namespace() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    assert_eq!(u.ok(&["run", "--rm", &img, "echo", "hello"]), "hello\n");
    // The namespace: the user is root, the subordinate ids follow.
    let (start, count) = subid_range("/etc/subuid", USER);
    let map: Vec<Vec<u64>> = u
        .ok(&["unshare", "cat", "/proc/self/uid_map"])
        .lines()
        .map(|l| l.split_whitespace().map(|n| n.parse().unwrap()).collect())
        .collect();
    assert_eq!(
        map,
        vec![
            vec![0, u64::from(u.uid), 1],
            vec![1, u64::from(start), u64::from(count)]
        ]
    );
    // Held by a pause process of the user's, whose pid is in the run dir.
    let pause = u.pause_pid().expect("pause.pid");
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{pause}/comm")).unwrap(),
        "rpod-pause\n"
    );
    assert_eq!(
        std::fs::metadata(format!("/proc/{pause}")).unwrap().uid(),
        u.uid
    );
    // unshare names the store in its environment and passes exit codes on.
    let env = u.ok(&["unshare", "sh", "-c", "echo $CONTAINERS_GRAPHROOT"]);
    assert_eq!(
        env.trim(),
        u.graph_root().join("storage").display().to_string()
    );
    let out = u.run(&["unshare", "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    // info: rootless, the mappings, per-user roots, pasta.
    let info = u.ok(&[
        "info",
        "--format",
        "{{.Host.Security.Rootless}} {{.Store.GraphRoot}} {{.Store.RunRoot}} {{.Host.RootlessNetworkCmd}} {{.Store.GraphDriverName}} {{(index .Host.IDMappings.UIDMap 1).HostID}} {{.Host.RemoteSocket.Path}}",
    ]);
    assert_eq!(
        info.trim(),
        format!(
            "true {} {} pasta overlay {start} unix://{}",
            u.graph_root().join("storage").display(),
            u.run_dir().join("rpod").display(),
            u.run_dir().join("rpod/rpod.sock").display()
        )
    );
    // system migrate stops the pause process; the next command starts one.
    u.ok(&["system", "migrate"]);
    // The signalled pause process ends (gone, or a zombie until reaped).
    wait_until(
        Duration::from_secs(10),
        "the old pause process to end",
        || {
            !Path::new(&format!("/proc/{pause}/comm")).exists() || {
                let stat =
                    std::fs::read_to_string(format!("/proc/{pause}/stat")).unwrap_or_default();
                stat.contains(") Z ") || stat.contains(") X ")
            }
        },
    );
    assert_eq!(u.ok(&["run", "--rm", &img, "echo", "again"]), "again\n");
    assert_ne!(u.pause_pid(), Some(pause));
}

#[test]
fn detached_container_logs_exec_stop_rm() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let name = unique_name("rl");
    u.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo started; while :; do sleep 0.2; done",
    ]);
    wait_until(Duration::from_secs(20), "the log line", || {
        u.run(&["logs", &name]).stdout == b"started\n"
    });
    assert_eq!(
        u.ok(&["ps", "--format", "{{.Names}} {{.State}}"]).trim(),
        format!("{name} running")
    );
    assert_eq!(u.ok(&["exec", &name, "id", "-u"]), "0\n");
    assert_eq!(
        u.ok(&["exec", "--user", "1000", &name, "id", "-u"]),
        "1000\n"
    );
    u.ok(&["stop", "-t", "1", &name]);
    assert_eq!(
        u.ok(&["inspect", "--format", "{{.State.Status}}", &name])
            .trim(),
        "exited"
    );
    u.ok(&["rm", &name]);
    assert_eq!(u.ok(&["ps", "-aq"]), "");
    // Resource limits cannot be applied on cgroup v1 without privileges:
    // Podman's warning, and the container runs.
    if !Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        let out = u.run(&["run", "--rm", "--memory", "64m", &img, "echo", "limited"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(out.stdout, b"limited\n");
        assert!(
            stderr(&out).contains(
                "Resource limits are not supported and ignored on cgroups V1 rootless systems"
            ),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn pasta_publishes_a_port_on_loopback() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let port = free_port();
    let name = unique_name("rlweb");
    u.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "-p",
        &format!("127.0.0.1:{port}:80"),
        &img,
        "sh",
        "-c",
        "mkdir -p /w && echo hello-rootless > /w/index.html && exec httpd -f -p 80 -h /w",
    ]);
    assert_eq!(
        u.ok(&["inspect", "--format", "{{.HostConfig.NetworkMode}}", &name])
            .trim(),
        "pasta"
    );
    wait_until(Duration::from_secs(30), "the published port", || {
        http_get(port).contains("hello-rootless")
    });
    u.ok(&["rm", "-f", "-t", "0", &name]);
    assert!(http_get(port).is_empty(), "the port is closed again");
}

/// Live processes of the user's namespace (the one of `pause`) whose
/// comm or program name is `comm` (Debian's pasta runs as `passt.avx2`).
fn processes_named(pause: i32, comm: &str) -> Vec<i32> {
    let Ok(ns) = std::fs::read_link(format!("/proc/{pause}/ns/user")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let in_ns = std::fs::read_link(e.path().join("ns/user")).ok().as_ref() == Some(&ns);
        let named =
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim_end() == comm);
        let zombie =
            std::fs::read_to_string(e.path().join("stat")).map_or(true, |s| s.contains(") Z "));
        if in_ns && named && !zombie {
            out.push(p);
        }
    }
    out
}

/// Live processes whose command line names `path` (pasta sandboxes
/// itself in a user namespace of its own: found by its `--netns`).
fn processes_naming(path: &Path) -> Vec<i32> {
    let want = path.as_os_str().as_encoded_bytes();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if e.file_name().to_string_lossy().parse::<i32>().is_err() {
            continue;
        }
        let names = std::fs::read(e.path().join("cmdline"))
            .is_ok_and(|c| c.split(|b| *b == 0).any(|a| a == want));
        let zombie =
            std::fs::read_to_string(e.path().join("stat")).map_or(true, |s| s.contains(") Z "));
        if names && !zombie {
            out.push(e.file_name().to_string_lossy().parse().unwrap());
        }
    }
    out
}

#[test]
fn bridge_network_in_the_rootless_network_namespace() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let net = unique_name("rlnet");
    let (web, client) = (unique_name("rlbrweb"), unique_name("rlbrcli"));
    let port = free_port();
    u.ok(&["network", "create", &net]);
    u.ok(&[
        "run",
        "-d",
        "--name",
        &web,
        "--network",
        &net,
        "-p",
        &format!("127.0.0.1:{port}:80"),
        &img,
        "sh",
        "-c",
        "mkdir -p /w && echo hello-bridge > /w/index.html && exec httpd -f -p 80 -h /w",
    ]);
    // Held in the user's rootless network namespace, pasta outside.
    let ns_file = u.run_dir().join("rpod/rootless-netns/netns");
    assert!(ns_file.exists(), "{}", ns_file.display());
    let pause = u.pause_pid().expect("pause.pid");
    // pasta and the port forwarder name the namespace.
    assert_eq!(processes_naming(&ns_file).len(), 2);
    assert_eq!(processes_named(pause, "rootlessport").len(), 1);
    // aardvark-dns runs in there too, forwarding unknown names to pasta's
    // DNS forwarder.
    let aardvark = processes_named(pause, "aardvark-dns");
    assert_eq!(aardvark.len(), 1);
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{}/root/etc/resolv.conf", aardvark[0])).unwrap(),
        "nameserver 169.254.1.1\n"
    );
    // The published port from the host.
    wait_until(Duration::from_secs(30), "the published port", || {
        http_get(port).contains("hello-bridge")
    });
    // The network's bridge is inside the namespace `unshare
    // --rootless-netns` enters.
    let bridge = u.ok(&[
        "network",
        "inspect",
        "--format",
        "{{.NetworkInterface}}",
        &net,
    ]);
    let links = u.ok(&["unshare", "--rootless-netns", "ip", "-o", "link"]);
    assert!(
        links.contains(&format!(": {}:", bridge.trim())),
        "{bridge} {links}"
    );
    // A second container resolves the first by name (aardvark-dns in the
    // rootless namespace) and reaches it over the bridge.
    let got = u.ok(&[
        "run",
        "--rm",
        "--name",
        &client,
        "--network",
        &net,
        &img,
        "wget",
        "-qO-",
        &format!("http://{web}/"),
    ]);
    assert_eq!(got, "hello-bridge\n");
    // The default network with --network bridge, in the same namespace.
    let addr = u.ok(&[
        "run",
        "--rm",
        "--network",
        "bridge",
        &img,
        "ip",
        "-4",
        "-o",
        "addr",
        "show",
        "eth0",
    ]);
    assert!(addr.contains("inet 10.79."), "{addr}");
    // A UDP port: an echo server (the host's python3, its files mounted
    // in) answers through the forwarder.
    let (echo, udp_port) = (unique_name("rlbrudp"), free_port());
    u.ok(&[
        "run",
        "-d",
        "--name",
        &echo,
        "--network",
        &net,
        "-p",
        &format!("127.0.0.1:{udp_port}:5353/udp"),
        "-v",
        "/usr:/usr:ro",
        "-v",
        "/lib:/lib:ro",
        "-v",
        "/lib64:/lib64:ro",
        &img,
        "/usr/bin/python3",
        "-c",
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 5353))\nwhile True:\n    d, a = s.recvfrom(2048)\n    s.sendto(b'echo:' + d, a)\n",
    ]);
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    wait_until(Duration::from_secs(30), "the UDP echo", || {
        let _ = client.send_to(b"ping", ("127.0.0.1", udp_port));
        let mut buf = [0u8; 64];
        client
            .recv_from(&mut buf)
            .is_ok_and(|(n, _)| &buf[..n] == b"echo:ping")
    });
    u.ok(&["rm", "-f", "-t", "0", &echo]);
    // SCTP ports are refused clearly.
    let out = u.run(&[
        "run",
        "--rm",
        "--network",
        &net,
        "-p",
        "127.0.0.1:5353:53/sctp",
        &img,
        "true",
    ]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr(&out).contains("forward only TCP and UDP ports"),
        "{}",
        stderr(&out)
    );
    // The last container leaving takes the namespace and its helpers away.
    u.ok(&["rm", "-f", "-t", "0", &web]);
    assert!(http_get(port).is_empty(), "the port is closed again");
    assert!(!ns_file.exists(), "the rootless netns file is gone");
    let mounts = u.ok(&["unshare", "cat", "/proc/self/mountinfo"]);
    assert!(!mounts.contains("rootless-netns"), "{mounts}");
    let out = u.run(&["unshare", "--rootless-netns", "true"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr(&out).contains("rootless network namespace"),
        "{}",
        stderr(&out)
    );
    wait_until(Duration::from_secs(10), "the helpers to leave", || {
        processes_naming(&ns_file).is_empty()
            && ["aardvark-dns", "rootlessport"]
                .iter()
                .all(|c| processes_named(pause, c).is_empty())
    });
    u.ok(&["network", "rm", &net]);
}

#[test]
fn fuse_overlayfs_mount_program_keeps_writes_across_stop_start() {
    let mut u = Rootless::new(USER);
    let conf = u.dir.path().join("storage.conf");
    std::fs::write(
        &conf,
        "[storage]\ndriver = \"overlay\"\n[storage.options.overlay]\nmount_program = \"/usr/bin/fuse-overlayfs\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
    u.env
        .push(format!("CONTAINERS_STORAGE_CONF={}", conf.display()));
    let img = u.busybox();
    let name = unique_name("rlfuse");
    u.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "[ -e /persist ] || echo written-once > /persist; exec sleep 1000",
    ]);
    let pid = || -> i32 {
        u.ok(&["inspect", "--format", "{{.State.Pid}}", &name])
            .trim()
            .parse()
            .unwrap()
    };
    let root_fs = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/mounts"))
            .unwrap()
            .lines()
            .find(|l| l.split(' ').nth(1) == Some("/"))
            .map(|l| l.split(' ').nth(2).unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    assert_eq!(root_fs(pid()), "fuse.fuse-overlayfs");
    wait_until(Duration::from_secs(10), "the write", || {
        u.run(&["exec", &name, "cat", "/persist"]).stdout == b"written-once\n"
    });
    u.ok(&["stop", "-t", "0", &name]);
    let mounts = u.ok(&["unshare", "cat", "/proc/self/mounts"]);
    assert!(
        !mounts.contains("fuse-overlayfs"),
        "unmounted when stopped: {mounts}"
    );
    u.ok(&["start", &name]);
    assert_eq!(root_fs(pid()), "fuse.fuse-overlayfs");
    assert_eq!(u.ok(&["exec", &name, "cat", "/persist"]), "written-once\n");
    u.ok(&["rm", "-f", "-t", "0", &name]);
}

#[test]
fn graph_root_files_are_owned_by_mapped_ids() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let (start, _) = subid_range("/etc/subuid", USER);
    let (gstart, _) = subid_range("/etc/subgid", USER);
    let name = unique_name("rlown");
    u.ok(&[
        "run",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "touch /owned && chown 123:456 /owned",
    ]);
    let storage = u.graph_root().join("storage");
    let found = Command::new("find")
        .arg(&storage)
        .args(["-name", "owned", "-path", "*/upper/*"])
        .output()
        .unwrap();
    let path = String::from_utf8_lossy(&found.stdout).trim().to_owned();
    assert!(!path.is_empty(), "no upper-dir file");
    let m = std::fs::metadata(&path).unwrap();
    assert_eq!((m.uid(), m.gid()), (start + 122, gstart + 455));
    // Image files owned by root in the image are the user's on the host.
    let layer_bin = Command::new("find")
        .arg(storage.join("layers"))
        .args(["-path", "*/diff/bin/busybox"])
        .output()
        .unwrap();
    let layer_bin = String::from_utf8_lossy(&layer_bin.stdout).trim().to_owned();
    assert!(!layer_bin.is_empty(), "no layer file");
    assert_eq!(std::fs::symlink_metadata(&layer_bin).unwrap().uid(), u.uid);
    // The graph root itself is the user's, under the XDG data home.
    assert_eq!(std::fs::metadata(u.graph_root()).unwrap().uid(), u.uid);
    u.ok(&["rm", &name]);
}

#[test]
fn a_user_without_subordinate_ids_gets_a_single_mapping_and_clear_errors() {
    let u = Rootless::new(NO_SUBIDS_USER);
    let out = u.run(&["unshare", "cat", "/proc/self/uid_map"]);
    assert!(out.status.success(), "{:?} {}", out.status, stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            // logrus quotes the message: its quotes are escaped.
            "cannot find UID/GID for user {NO_SUBIDS_USER}: no subuid ranges found for user \\\"{NO_SUBIDS_USER}\\\" in /etc/subuid"
        )),
        "{err}"
    );
    assert!(
        err.contains("Using rootless single mapping into the namespace"),
        "{err}"
    );
    let map: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(map, vec![format!("0 {} 1", u.uid)]);
    // Only root exists in the namespace: an image with files of other
    // owners cannot be unpacked, and the error says why.
    let layout = u.dir.path().join("busybox");
    copy_tree(&rpod_tests::fixtures::layout("busybox"), &layout);
    let out = u.run(&["pull", "-q", &format!("oci:{}:latest", layout.display())]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr(&out).contains("potentially insufficient UIDs or GIDs available in user namespace (requested 1000:1000): Check /etc/subuid and /etc/subgid"),
        "{}",
        stderr(&out)
    );
    assert_eq!(u.ok(&["images", "-q"]), "", "nothing half-pulled is left");
}

#[test]
fn unshare_needs_rootless() {
    let env = rpod_tests::TestEnv::new();
    let (code, err) = env.fails(&["unshare", "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("please use unshare with rootless"), "{err}");
}

#[test]
fn monitor_keeps_the_exit_code_and_restarts_without_the_cli() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let name = unique_name("rlexit");
    let wait_for_go = "until [ -e /tmp/go ]; do sleep 0.1; done; exit 7";
    u.ok(&["run", "-d", "--name", &name, &img, "sh", "-c", wait_for_go]);
    // The container ends while no rpod command runs: its monitor (in the
    // user's namespace) records the exit.
    u.ok(&["exec", &name, "touch", "/tmp/go"]);
    let state = |name: &str, fields: &str| u.run(&["inspect", "--format", fields, name]).stdout;
    wait_until(Duration::from_secs(20), "the recorded exit", || {
        state(&name, "{{.State.Status}} {{.State.ExitCode}}") == b"exited 7\n"
    });
    // A restart policy is run by the monitor too.
    let again = unique_name("rlrestart");
    let policy = ["run", "-d", "--restart", "on-failure:2", "--name", &again];
    let mut args = policy.to_vec();
    args.extend([img.as_str(), "sh", "-c", "exit 3"]);
    u.ok(&args);
    wait_until(Duration::from_secs(30), "two restarts", || {
        state(&again, "{{.State.Status}} {{.RestartCount}}") == b"exited 2\n"
    });
}

#[test]
fn keep_id_runs_as_the_user_and_its_files_are_the_users() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let share = u.dir.path().join("share");
    std::fs::create_dir(&share).unwrap();
    std::os::unix::fs::chown(&share, Some(u.uid), Some(u.uid)).unwrap();
    let bind = format!("{}:/share", share.display());
    // The user's ids inside, the user's name from an added passwd entry.
    let out = u.ok(&[
        "run",
        "--rm",
        "--userns=keep-id",
        "-v",
        &bind,
        &img,
        "sh",
        "-c",
        "id -u; id -g; id -un; touch /share/written",
    ]);
    assert_eq!(out, format!("{0}\n{0}\n{USER}\n", u.uid));
    let m = std::fs::metadata(share.join("written")).unwrap();
    assert_eq!((m.uid(), m.gid()), (u.uid, u.uid), "owned by the user");
    // Podman's mapping: the user's id on namespace root, ids below it on
    // the subordinate ids from 1 on.
    let map = u.ok(&[
        "run",
        "--rm",
        "--userns=keep-id",
        &img,
        "cat",
        "/proc/self/uid_map",
    ]);
    let rows: Vec<Vec<u32>> = map
        .lines()
        .map(|l| l.split_whitespace().map(|n| n.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows[0], vec![0, 1, u.uid]);
    assert_eq!(rows[1], vec![u.uid, 0, 1]);
    // uid=/gid= choose the container ids the user's files appear as.
    let out = u.ok(&[
        "run",
        "--rm",
        "--userns=keep-id:uid=200,gid=300",
        "-v",
        &bind,
        &img,
        "sh",
        "-c",
        "id -u; id -g; touch /share/chosen; stat -c %u:%g /share/written",
    ]);
    assert_eq!(out, "200\n300\n200:300\n");
    let m = std::fs::metadata(share.join("chosen")).unwrap();
    assert_eq!((m.uid(), m.gid()), (u.uid, u.uid));
    // exec in a keep-id container, after a restart too.
    let name = unique_name("rlkeep");
    u.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "--userns=keep-id",
        &img,
        "top",
    ]);
    assert_eq!(u.ok(&["exec", &name, "id", "-un"]), format!("{USER}\n"));
    u.ok(&["restart", "-t", "0", &name]);
    assert_eq!(
        u.ok(&[
            "exec",
            &name,
            "grep",
            "-c",
            &format!("^{USER}:"),
            "/etc/passwd"
        ]),
        "1\n"
    );
    assert_eq!(
        u.ok(&["inspect", "--format", "{{.HostConfig.UsernsMode}}", &name])
            .trim(),
        "private"
    );
    u.ok(&["rm", "-f", "-t", "0", &name]);
    // A pod's keep-id namespace: members run as the user too.
    let pod = unique_name("rlpod");
    u.ok(&["pod", "create", "--name", &pod, "--userns", "keep-id"]);
    assert_eq!(
        u.ok(&["run", "--rm", "--pod", &pod, &img, "id", "-u"]),
        format!("{}\n", u.uid)
    );
    u.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
}

#[test]
fn nomap_auto_and_uidmap_use_the_namespaces_subordinate_ids() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let (start, count) = subid_range("/etc/subuid", USER);
    let map = |args: &[&str]| -> String {
        let mut a = vec!["run", "--rm"];
        a.extend(args);
        a.extend([img.as_str(), "cat", "/proc/self/uid_map"]);
        u.ok(&a)
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Host ids in the namespace's terms: 0 is the user, 1.. the subids.
    assert_eq!(map(&["--userns=nomap"]), format!("0 1 {count}"));
    assert_eq!(map(&["--uidmap", "0:1:1000"]), "0 1 1000");
    // `@`: a host id, translated into the namespace's.
    assert_eq!(
        map(&["--uidmap", &format!("0:@{}:1000", start + 10)]),
        "0 11 1000"
    );
    let out = u.run(&["run", "--rm", "--uidmap", "0:@1:10", &img, "true"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr(&out).contains("host id 1 is not mapped in the rootless user namespace"),
        "{}",
        stderr(&out)
    );
    // A --gidmap of its own, apart from the --uidmap.
    let ids = u.ok(&[
        "run",
        "--rm",
        "--uidmap",
        "0:1:1000",
        "--gidmap",
        "0:2001:1000",
        &img,
        "sh",
        "-c",
        "cat /proc/self/uid_map /proc/self/gid_map; stat -c '%u %g' /bin/busybox",
    ]);
    let ids: Vec<String> = ids
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(ids, ["0 1 1000", "0 2001 1000", "0 0"]);
    assert_eq!(map(&["--userns=auto:size=500"]), "0 1 500");
    assert_eq!(
        map(&[&format!(
            "--userns=auto:size=500,uidmapping=0:@{}:500",
            start + 100
        )]),
        "0 101 500"
    );
    // The user's own id is never handed out by auto; a running auto
    // container's ids are not given to the next.
    let name = unique_name("rlauto");
    u.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "--userns=auto:size=500",
        &img,
        "top",
    ]);
    assert_eq!(map(&["--userns=auto:size=500"]), "0 501 500");
    // top's host columns show host ids, not the namespace's.
    let top = u.ok(&["top", &name, "huser"]);
    assert_eq!(top.lines().nth(1).map(str::trim), Some(&*start.to_string()));
    // The root of a --uidmap container is a subordinate id on the host.
    let out = u.ok(&[
        "run",
        "--rm",
        "--uidmap",
        "0:1:1000",
        &img,
        "sh",
        "-c",
        "touch /x && stat -c %u /x",
    ]);
    assert_eq!(out, "0\n");
    let pid: i32 = u
        .ok(&["inspect", "--format", "{{.State.Pid}}", &name])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        std::fs::metadata(format!("/proc/{pid}")).unwrap().uid(),
        start,
        "container root is the first subordinate id"
    );
    u.ok(&["rm", "-f", "-t", "0", &name]);
}

#[test]
fn sigkill_of_every_rpod_process_leaves_the_container_and_its_exit_code() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let name = unique_name("rlkill");
    let wait_for_go = "until [ -e /tmp/go ]; do sleep 0.1; done; exit 7";
    u.ok(&["run", "-d", "--name", &name, &img, "sh", "-c", wait_for_go]);
    let pid: i32 = u
        .ok(&["inspect", "--format", "{{.State.Pid}}", &name])
        .trim()
        .parse()
        .unwrap();
    let ns = std::fs::read_link(format!("/proc/{pid}/ns/user")).unwrap();
    // Every rpod process of the user's namespace: the pause process and
    // any command (pod-monitor is not rpod: it keeps the container).
    let rpod = std::fs::canonicalize(rpod_tests::rpod_bin()).unwrap();
    let old_pause = u.pause_pid().expect("pause.pid");
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let in_ns = std::fs::read_link(e.path().join("ns/user")).ok().as_ref() == Some(&ns);
        let is_rpod = std::fs::read_link(e.path().join("exe")).ok().as_ref() == Some(&rpod);
        if in_ns && is_rpod {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
    wait_until(Duration::from_secs(10), "the pause process to die", || {
        std::fs::read_to_string(format!("/proc/{old_pause}/stat"))
            .map_or(true, |s| s.contains(") Z "))
    });
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the container runs on"
    );
    // The next command finds the user's namespace through the container's
    // monitor and holds it with a new pause process.
    assert_eq!(
        u.ok(&["ps", "--format", "{{.Names}} {{.State}}"]).trim(),
        format!("{name} running")
    );
    let pause = u.pause_pid().expect("a new pause.pid");
    assert_ne!(pause, old_pause);
    assert_eq!(
        std::fs::read_link(format!("/proc/{pause}/ns/user")).unwrap(),
        ns
    );
    u.ok(&["exec", &name, "touch", "/tmp/go"]);
    wait_until(Duration::from_secs(20), "the recorded exit", || {
        u.run(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            &name,
        ])
        .stdout
            == b"exited 7\n"
    });
    u.ok(&["rm", &name]);
}

#[test]
fn follow_logs_exec_tty_volume_and_a_pod_of_two() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let name = unique_name("rlfollow");
    u.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo one; sleep 0.5; echo two",
    ]);
    // logs -f ends with the container.
    assert_eq!(u.ok(&["logs", "-f", &name]), "one\ntwo\n");
    // exec -it: a terminal inside, the exit code passed on.
    let sleeper = unique_name("rlsleep");
    u.ok(&["run", "-d", "--name", &sleeper, &img, "top"]);
    let out = u.run(&["exec", "-it", &sleeper, "sh", "-c", "tty; exit 4"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("/dev/pts/"),
        "{out:?}"
    );
    // A named volume keeps data across containers, under the user's root.
    let vol = unique_name("rlvol");
    u.ok(&["volume", "create", &vol]);
    let bind = format!("{vol}:/data");
    u.ok(&[
        "run",
        "--rm",
        "-v",
        &bind,
        &img,
        "sh",
        "-c",
        "echo kept > /data/f",
    ]);
    assert_eq!(
        u.ok(&["run", "--rm", "-v", &bind, &img, "cat", "/data/f"]),
        "kept\n"
    );
    let mp = u.ok(&["volume", "inspect", "--format", "{{.Mountpoint}}", &vol]);
    assert!(Path::new(mp.trim()).starts_with(u.graph_root()), "{mp}");
    // A pod with two members sharing its network namespace.
    let pod = unique_name("rlpod2");
    u.ok(&["pod", "create", "--name", &pod]);
    let web = unique_name("rlweb2");
    u.ok(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--name",
        &web,
        &img,
        "sh",
        "-c",
        "mkdir -p /w && echo from-member > /w/index.html && exec httpd -f -p 8080 -h /w",
    ]);
    wait_until(
        Duration::from_secs(20),
        "the other member reaching it",
        || {
            u.run(&[
                "run",
                "--rm",
                "--pod",
                &pod,
                &img,
                "wget",
                "-qO-",
                "http://127.0.0.1:8080/",
            ])
            .stdout
                == b"from-member\n"
        },
    );
    assert_eq!(
        u.ok(&["pod", "inspect", "--format", "{{.NumContainers}}", &pod])
            .trim(),
        "2"
    );
    u.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    u.ok(&["rm", "-f", "-t", "0", &sleeper]);
}

#[test]
fn a_container_has_no_more_than_the_user() {
    let u = Rootless::new(USER);
    let img = u.busybox();
    let secret = u.dir.path().join("root-only");
    std::fs::write(&secret, "secret\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let bind = format!("{}:/secret", secret.display());
    for extra in [&[][..], &["--privileged"][..]] {
        let mut args = vec!["run", "--rm"];
        args.extend(extra);
        args.extend(["-v", &bind, &img, "cat", "/secret"]);
        let out = u.run(&args);
        assert_ne!(
            out.status.code(),
            Some(0),
            "{extra:?} read a root-only file"
        );
        assert!(
            stderr(&out).contains("Permission denied"),
            "{}",
            stderr(&out)
        );
    }
    // --privileged: all capabilities, but only in the user's namespace.
    let out = u.run(&[
        "run",
        "--rm",
        "--privileged",
        &img,
        "sh",
        "-c",
        "mknod /tmp/disk b 8 0",
    ]);
    assert_ne!(out.status.code(), Some(0), "mknod of a block device");
    let name = unique_name("rlpriv");
    u.ok(&["run", "-d", "--privileged", "--name", &name, &img, "top"]);
    let pid = u.ok(&["inspect", "--format", "{{.State.Pid}}", &name]);
    let m = std::fs::metadata(format!("/proc/{}", pid.trim())).unwrap();
    assert_eq!(m.uid(), u.uid, "container root is the user on the host");
    u.ok(&["rm", "-f", "-t", "0", &name]);
}

#[test]
fn two_users_stores_and_containers_are_apart() {
    let a = Rootless::new(USER);
    let b = Rootless::new(NO_SUBIDS_USER);
    let img = a.busybox();
    let name = unique_name("rlmine");
    a.ok(&["create", "--name", &name, &img, "true"]);
    let vol = unique_name("rltheirs");
    let out = b.run(&["volume", "create", &vol]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(b.ok(&["ps", "-aq"]), "");
    assert_eq!(b.ok(&["images", "-q"]), "");
    assert_eq!(a.ok(&["volume", "ls", "-q"]), "");
    assert_ne!(a.pause_pid(), b.pause_pid());
    // The other user cannot read the store even where the home is open.
    std::fs::set_permissions(a.home(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("runuser")
        .args(["-u", NO_SUBIDS_USER, "--", "ls"])
        .arg(a.graph_root().join("storage"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "the store is private");
    a.ok(&["rm", &name]);
}

#[test]
fn service_socket_and_user_units_live_in_the_users_run_dir() {
    use std::io::{Read, Write};
    let u = Rootless::new(USER);
    let img = u.busybox();
    let run_root = u.run_dir().join("rpod");
    // `system service` without a URI listens on RUNTIME_DIR/rpod/rpod.sock.
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", USER, "--", "env", "-i"])
        .arg(format!("HOME={}", u.home().display()))
        .arg(format!("XDG_RUNTIME_DIR={}", u.run_dir().display()))
        .arg("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .arg(rpod_tests::rpod_bin())
        .args(["system", "service", "--time", "0"])
        .current_dir(u.home());
    let mut service = cmd.spawn().unwrap();
    let socket = run_root.join("rpod.sock");
    let ping = || -> String {
        let Ok(mut s) = std::os::unix::net::UnixStream::connect(&socket) else {
            return String::new();
        };
        let _ = s.write_all(b"GET /v5.0.0/libpod/info HTTP/1.0\r\nHost: d\r\n\r\n");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    wait_until(Duration::from_secs(30), "the user's API socket", || {
        ping().contains("\"rootless\":true")
    });
    let _ = service.kill();
    let _ = service.wait();
    // generate systemd: the unit runs the user's rpod on the user's roots.
    let name = unique_name("rlunit");
    u.ok(&["create", "--name", &name, &img, "top"]);
    let unit = u.ok(&["generate", "systemd", &name]);
    assert!(unit.contains("WantedBy=default.target"), "{unit}");
    assert!(
        unit.contains(&format!("RequiresMountsFor={}", run_root.display())),
        "{unit}"
    );
    assert!(
        unit.contains(&format!("PIDFile={}/containers/", run_root.display())),
        "{unit}"
    );
    u.ok(&["rm", &name]);
}
