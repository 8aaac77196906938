//! Self-tests of TestEnv's drop guard, bounded commands and small helpers.

use std::io::{BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::mount::{mount, MsFlags};
use rpod_tests::{cleanup, fixtures, run_with_timeout, unique_name, wait_until, Registry, TestEnv};

fn mount_tmpfs(target: &Path) {
    std::fs::create_dir_all(target).expect("mkdir mount point");
    mount(
        Some("tmpfs"),
        target,
        Some("tmpfs"),
        MsFlags::empty(),
        None::<&str>,
    )
    .unwrap_or_else(|e| panic!("mount tmpfs on {}: {e}", target.display()));
}

fn mountinfo_mentions(dir: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .contains(dir.to_str().expect("UTF-8 temp dir"))
}

/// A child process killed and reaped when dropped, so a failing test leaks nothing.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl std::ops::Deref for Proc {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Proc {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

fn spawn(cmd: &mut Command) -> Proc {
    Proc(
        cmd.stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}")),
    )
}

/// A process that is not our child (e.g. a grandchild), SIGKILLed when dropped if alive.
struct KillPid(i32);

impl Drop for KillPid {
    fn drop(&mut self) {
        if !is_dead(self.0) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.0),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Waits (bounded) for a child of ours to exit and asserts SIGKILL ended it.
fn assert_killed(child: &mut Child, what: &str) {
    wait_until(Duration::from_secs(10), what, || {
        child.try_wait().expect("try_wait").is_some()
    });
    let status = child.try_wait().expect("try_wait").expect("exited");
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{what}: {status}");
}

/// Gone or a zombie.
fn is_dead(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn assert_cleaned(dir: &Path) {
    assert!(
        !mountinfo_mentions(dir),
        "mounts under {} survived",
        dir.display()
    );
    assert!(!dir.exists(), "{} was not removed", dir.display());
}

#[test]
fn drop_kills_processes_and_unmounts() {
    let env = TestEnv::new();
    let dir = env.dir().to_path_buf();
    assert!(env.root().is_dir() && env.runroot().is_dir());

    mount_tmpfs(&dir.join("root/m1"));
    mount_tmpfs(&dir.join("root/m1/inner"));
    mount_tmpfs(&dir.join("runroot/stacked"));
    mount_tmpfs(&dir.join("runroot/stacked"));
    std::fs::write(dir.join("root/m1/inner/file"), "x").expect("write into tmpfs");

    // Mentions the dir in argv (argv[0]).
    let mut by_argv = spawn(
        Command::new("/bin/sleep")
            .arg0(dir.join("sleeper"))
            .arg("1000"),
    );
    // Mentions it in its environment; its child does not mention it at all.
    let mut by_env = spawn(
        Command::new("/bin/sh")
            .args([
                "-c",
                "env -u RPOD_TEST_MARK /bin/sleep 1000 & echo $!; wait",
            ])
            .env("RPOD_TEST_MARK", &dir)
            .stdout(Stdio::piped()),
    );
    let mut line = String::new();
    BufReader::new(by_env.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read grandchild pid");
    let grandchild: i32 = line.trim().parse().expect("grandchild pid");
    let _grandchild_guard = KillPid(grandchild);
    // Its cwd is in the dir.
    let mut by_cwd = spawn(
        Command::new("/bin/sleep")
            .arg("1000")
            .current_dir(env.root()),
    );
    // Another mount namespace that merely copied our mount table (as another test's
    // container does before its pivot_root): it names the dir but is not ours.
    let mut copied_mntns = spawn(Command::new("unshare").args([
        "--mount",
        "--propagation",
        "private",
        "/bin/sleep",
        "1000",
    ]));
    let own_ns = std::fs::read_link("/proc/self/ns/mnt").expect("own mnt ns");
    let mntns_pid = copied_mntns.id();
    wait_until(
        Duration::from_secs(10),
        "unshare to enter a new mount ns",
        || std::fs::read_link(format!("/proc/{mntns_pid}/ns/mnt")).is_ok_and(|ns| ns != own_ns),
    );
    // Unrelated: must survive.
    let mut bystander = spawn(Command::new("/bin/sleep").arg("1000"));

    let found = cleanup::processes_under(&dir);
    for (pid, what) in [
        (by_argv.id() as i32, "argv"),
        (by_env.id() as i32, "environ"),
        (grandchild, "descendant"),
        (by_cwd.id() as i32, "cwd"),
    ] {
        assert!(
            found.contains(&pid),
            "{what} process {pid} not found: {found:?}"
        );
    }
    assert!(!found.contains(&(bystander.id() as i32)));
    assert!(
        !found.contains(&(mntns_pid as i32)),
        "copied mount ns taken for ours"
    );

    drop(env);

    assert_killed(&mut by_argv, "argv process");
    assert_killed(&mut by_env, "environ process");
    assert_killed(&mut by_cwd, "cwd process");
    wait_until(Duration::from_secs(10), "grandchild to die", || {
        is_dead(grandchild)
    });
    for (other, what) in [
        (&mut bystander, "bystander"),
        (&mut copied_mntns, "copied mount ns"),
    ] {
        assert!(
            other.try_wait().expect("try_wait").is_none(),
            "{what} was killed"
        );
    }
    assert_cleaned(&dir);
}

#[test]
fn drop_cleans_up_after_a_panic() {
    let mut dir = PathBuf::new();
    let mut sleeper: Option<Proc> = None;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let env = TestEnv::new();
        dir = env.dir().to_path_buf();
        mount_tmpfs(&dir.join("root/mnt"));
        sleeper = Some(spawn(
            Command::new("/bin/sleep").arg0(dir.join("s")).arg("1000"),
        ));
        panic!("test failure inside TestEnv");
    }));
    assert!(result.is_err());
    assert!(!dir.as_os_str().is_empty());
    assert_killed(sleeper.as_mut().expect("sleeper"), "sleeper");
    assert_cleaned(&dir);
}

#[test]
fn drop_removes_a_runc_container() {
    let env = TestEnv::new();
    let dir = env.dir().to_path_buf();
    let bundle = dir.join("bundle");
    let mut unpack = Command::new("umoci");
    unpack
        .args(["unpack", "--image"])
        .arg(format!("{}:latest", fixtures::layout("busybox").display()))
        .arg(&bundle)
        .stdin(Stdio::null());
    let out = run_with_timeout(&mut unpack, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "umoci unpack: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config_path = bundle.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_path).expect("config.json")).expect("JSON");
    config["process"]["terminal"] = false.into();
    config["process"]["args"] = serde_json::json!(["sleep", "1000"]);
    std::fs::write(&config_path, config.to_string()).expect("write config.json");

    let id = unique_name("harness");
    let runc_root = env.runroot().join("runc");
    let mut run = Command::new("runc");
    run.arg("--root")
        .arg(&runc_root)
        .args(["run", "-d", "--bundle"])
        .arg(&bundle)
        .arg(&id);
    // The container inherits runc's stdio (terminal: false), so give it files, not pipes.
    let log = dir.join("runc.log");
    let log_file = || std::fs::File::create(&log).expect("create runc.log");
    let status = run
        .stdin(Stdio::null())
        .stdout(log_file())
        .stderr(log_file())
        .status()
        .expect("spawn runc");
    assert!(
        status.success(),
        "runc run: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let mut state = Command::new("runc");
    state
        .arg("--root")
        .arg(&runc_root)
        .args(["state", &id])
        .stdin(Stdio::null());
    let state: serde_json::Value =
        serde_json::from_slice(&run_with_timeout(&mut state, Duration::from_secs(30)).stdout)
            .expect("runc state JSON");
    let pid = state["pid"].as_i64().expect("container pid") as i32;
    let _container_guard = KillPid(pid);
    assert!(!is_dead(pid));
    assert!(
        cleanup::processes_under(&dir).contains(&pid),
        "container init not found"
    );

    drop(env);

    wait_until(Duration::from_secs(10), "container init to die", || {
        is_dead(pid)
    });
    assert!(
        !Path::new("/sys/fs/cgroup/pids").join(&id).exists(),
        "runc delete did not remove the container's cgroup"
    );
    assert_cleaned(&dir);
}

#[test]
fn registries_conf_points_at_the_registry() {
    let registry = Registry::start();
    let env = TestEnv::with_registry(&registry);
    let conf = std::fs::read_to_string(env.registries_conf()).expect("registries.conf");
    let addr = registry.addr();
    assert!(
        conf.contains(&format!("unqualified-search-registries = [\"{addr}\"]")),
        "{conf}"
    );
    assert!(
        conf.contains(&format!("location = \"{addr}\"\ninsecure = true")),
        "{conf}"
    );
    assert!(!env.auth_file().exists());

    let plain = TestEnv::new();
    let conf = std::fs::read_to_string(plain.registries_conf()).expect("registries.conf");
    assert_eq!(conf.trim(), "unqualified-search-registries = []");
}

#[test]
fn command_timeout_kills_and_reports() {
    let start = Instant::now();
    let err = catch_unwind(|| {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "echo partial; exec sleep 1000"])
            .stdin(Stdio::null());
        run_with_timeout(&mut cmd, Duration::from_millis(500))
    })
    .expect_err("must time out");
    let msg = err.downcast_ref::<String>().expect("panic message");
    assert!(msg.contains("did not exit in time"), "{msg}");
    assert!(msg.contains("partial"), "{msg}");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn command_leaving_a_process_on_its_stdout_is_reported() {
    let env = TestEnv::new();
    let err = catch_unwind(|| {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "/bin/sleep 1000 & echo started"])
            .env("RPOD_TEST_MARK", env.dir())
            .stdin(Stdio::null());
        run_with_timeout(&mut cmd, Duration::from_secs(30))
    })
    .expect_err("must report the held pipe");
    let msg = err.downcast_ref::<String>().expect("panic message");
    assert!(msg.contains("stdout/stderr stayed open"), "{msg}");
    assert!(msg.contains("started"), "{msg}");
    let left = cleanup::processes_under(env.dir());
    assert_eq!(left.len(), 1, "the background sleep: {left:?}");
    let dir = env.dir().to_path_buf();
    drop(env);
    assert!(left.iter().all(|&pid| is_dead(pid)));
    assert_cleaned(&dir);
}

#[test]
fn wait_until_is_bounded() {
    let mut calls = 0;
    wait_until(Duration::from_secs(5), "third call", || {
        calls += 1;
        calls == 3
    });
    assert_eq!(calls, 3);
    let err = catch_unwind(|| wait_until(Duration::from_millis(50), "never", || false))
        .expect_err("must time out");
    let msg = err.downcast_ref::<String>().expect("panic message");
    assert!(msg.contains("waiting for never"), "{msg}");
}

#[test]
fn unique_names_differ() {
    let names: std::collections::HashSet<String> = (0..1000).map(|_| unique_name("ctr")).collect();
    assert_eq!(names.len(), 1000);
    assert!(names.iter().all(|n| n.starts_with("ctr-")
        && n[4..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
}
