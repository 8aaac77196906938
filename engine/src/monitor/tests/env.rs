//! Test fixtures for the monitor tests: a busybox bundle driven by real
//! runc with a private state root, and a guard that cleans up the
//! container and the monitor even when a test fails.

#![allow(dead_code)]

use std::fs;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::monitor::{self, MonitorClient, MonitorError, PendingMonitor};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use rpod_api::container_run::SessionInfo;
use rpod_proto::{MonitorConfig, MonitorMode};

use crate::front_door::container_run::session::{CleanupBy, MonitorSession};

const BUSYBOX_APPLETS: &[&str] = &[
    "sh", "echo", "cat", "sleep", "tty", "true", "false", "stty", "head", "tr", "ls",
];

/// The pod-monitor binary: `$RPOD_MONITOR`, else next to the test
/// executable's directory (`target/<profile>/pod-monitor`).
pub fn monitor_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("RPOD_MONITOR") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("pod-monitor");
    assert!(
        bin.is_file(),
        "{} missing: run `cargo build -p pod-monitor` first (or set RPOD_MONITOR)",
        bin.display()
    );
    bin
}

fn unique_id(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "rpodmon-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A container bundle plus everything its monitor needs, in one temp dir.
pub struct TestCtr {
    pub dir: tempfile::TempDir,
    pub id: String,
    pub bundle: PathBuf,
    pub runtime_root: PathBuf,
    pub cfg: MonitorConfig,
    pub monitor_pid: Option<i32>,
    pub extra_monitor_pids: Vec<i32>,
}

impl TestCtr {
    /// A bundle running `args` (busybox rootfs).
    pub fn new(tag: &str, args: &[&str], terminal: bool, stdin: bool) -> TestCtr {
        let dir = tempfile::Builder::new()
            .prefix("rpm")
            .tempdir()
            .expect("tempdir");
        let id = unique_id(tag);
        let bundle = dir.path().join("b");
        let bin = bundle.join("rootfs/bin");
        fs::create_dir_all(&bin).unwrap();
        for d in ["proc", "dev", "sys", "tmp", "etc"] {
            fs::create_dir_all(bundle.join("rootfs").join(d)).unwrap();
        }
        if fs::hard_link("/bin/busybox", bin.join("busybox")).is_err() {
            fs::copy("/bin/busybox", bin.join("busybox")).unwrap();
        }
        for a in BUSYBOX_APPLETS {
            std::os::unix::fs::symlink("busybox", bin.join(a)).unwrap();
        }
        let out = Command::new("runc")
            .arg("spec")
            .arg("--bundle")
            .arg(&bundle)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "runc spec: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = bundle.join("config.json");
        let mut spec: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        spec["process"]["args"] = serde_json::json!(args);
        spec["process"]["terminal"] = serde_json::json!(terminal);
        spec["process"]["cwd"] = serde_json::json!("/");
        spec["process"]["env"] = serde_json::json!(["PATH=/bin", "TERM=xterm"]);
        fs::write(&path, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
        let runtime_root = dir.path().join("runc");
        fs::create_dir_all(&runtime_root).unwrap();
        let d = dir.path();
        let cfg = MonitorConfig {
            id: id.clone(),
            mode: MonitorMode::Create,
            runtime: PathBuf::from("runc"),
            runtime_root: Some(runtime_root.clone()),
            runtime_flags: Vec::new(),
            bundle: bundle.clone(),
            terminal,
            stdin,
            log_path: Some(d.join("ctr.log")),
            journald: None,
            log_max_size: None,
            log_max_files: 1,
            socket_path: d.join("ctl.sock"),
            attach_path: d.join("attach.sock"),
            pid_file: d.join("pidfile"),
            monitor_pid_file: d.join("monitor.pid"),
            exit_file: d.join("exit.json"),
            cgroup_path: None,
            cleanup_command: Vec::new(),
            delete_on_exit: true,
            restart: None,
            restart_state_file: None,
            healthcheck: None,
            health_state_file: None,
            events: None,
            stop_timeout_secs: None,
            timeout_secs: None,
            stop_signal: None,
            notify: None,
            healthy_notify: None,
            stopping_file: None,
            held_fds: 0,
            preserve_fds: 0,
            foreground_run: false,
        };
        TestCtr {
            dir,
            id,
            bundle,
            runtime_root,
            cfg,
            monitor_pid: None,
            extra_monitor_pids: Vec::new(),
        }
    }

    /// Makes the monitor's cleanup command write a marker file; returns
    /// its path (it exists once the command ran).
    pub fn cleanup_marker(&mut self) -> PathBuf {
        let marker = self.path("cleanup-ran");
        self.cfg.cleanup_command = vec![
            "/bin/sh".into(),
            "-c".into(),
            format!("echo done > {}", marker.display()),
        ];
        marker
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Spawns the monitor for `cfg` (ready, start gate closed).
    pub fn spawn_cfg(&mut self, cfg: &MonitorConfig) -> Result<PendingMonitor, MonitorError> {
        let cfg_path = cfg.socket_path.with_extension("json");
        let p = monitor::start(&monitor_bin(), cfg, &cfg_path, &[])?.ready()?;
        if self.monitor_pid.is_none() {
            self.monitor_pid = Some(p.monitor_pid);
        } else {
            self.extra_monitor_pids.push(p.monitor_pid);
        }
        Ok(p)
    }

    pub fn spawn(&mut self) -> Result<PendingMonitor, MonitorError> {
        let cfg = self.cfg.clone();
        self.spawn_cfg(&cfg)
    }

    /// `runc start`, as the engine does after `Created`.
    pub fn runc_start(&self) {
        let out = self.runc(&["start", &self.id]);
        assert!(
            out.status.success(),
            "runc start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn runc(&self, args: &[&str]) -> std::process::Output {
        Command::new("runc")
            .arg("--root")
            .arg(&self.runtime_root)
            .args(args)
            .output()
            .unwrap()
    }

    /// Spawn, go, start: returns the container pid.
    pub fn run(&mut self) -> i32 {
        let pending = self.spawn().expect("spawn monitor");
        let pid = pending.go().expect("runtime create");
        self.runc_start();
        pid
    }

    pub fn client(&self) -> MonitorClient {
        MonitorClient::connect(&self.cfg.socket_path).expect("connect control socket")
    }

    /// An attach session over this monitor's sockets, as `run -a` and
    /// `attach` open one through the front door.
    pub fn session(&self) -> MonitorSession {
        let info = SessionInfo {
            id: self.id.clone(),
            tty: self.cfg.terminal,
            stdin: self.cfg.stdin,
        };
        MonitorSession::connect(
            info,
            &self.cfg.attach_path,
            &self.cfg.socket_path,
            None,
            CleanupBy::Monitor,
        )
        .expect("attach session")
    }

    /// The process's exit record: from the monitor while it lives, else
    /// (a short process whose monitor already finished) from the exit file.
    pub fn exit_record(&self) -> rpod_proto::ExitRecord {
        if let Ok(mut client) = MonitorClient::connect(&self.cfg.socket_path) {
            if let Ok(exit) = client.wait_exit() {
                return exit;
            }
        }
        self.wait_monitor_gone();
        crate::monitor::read_exit_file(&self.cfg.exit_file)
            .expect("read exit file")
            .expect("the monitor wrote an exit file")
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.cfg.log_path.as_ref().unwrap()).unwrap_or_default()
    }

    /// Waits (bounded) until the monitor process has exited.
    pub fn wait_monitor_gone(&self) {
        let pid = self.monitor_pid.expect("monitor spawned");
        assert!(
            wait_pid_gone(pid, Duration::from_secs(20)),
            "monitor {pid} still alive"
        );
    }
}

impl Drop for TestCtr {
    fn drop(&mut self) {
        let _ = self.runc(&["kill", &self.id, "KILL"]);
        let _ = self.runc(&["delete", "--force", &self.id]);
        for pid in self.monitor_pid.iter().chain(&self.extra_monitor_pids) {
            if is_monitor(*pid) {
                // SAFETY: plain kill(2) of a process verified to be a pod-monitor.
                unsafe { libc::kill(*pid, libc::SIGKILL) };
            }
        }
    }
}

/// Whether `pid` is a live pod-monitor.
pub fn is_monitor(pid: i32) -> bool {
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&cmdline).contains("pod-monitor")
}

/// Waits for `pid` to exit (pidfd event), up to `timeout`.
pub fn wait_pid_gone(pid: i32, timeout: Duration) -> bool {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return true; // ESRCH: already gone (and reaped)
    }
    // SAFETY: the syscall returned a new descriptor owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        let ms = PollTimeout::try_from(left.as_millis().min(60_000) as u32).unwrap();
        match poll(&mut fds, ms) {
            Ok(n) if n > 0 => return true,
            Ok(_) => return !is_monitor(pid) && !Path::new(&format!("/proc/{pid}")).exists(),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => panic!("poll pidfd: {e}"),
        }
    }
}

/// The parent pid and session id of `pid` from /proc/PID/stat.
pub fn ppid_and_sid(pid: i32) -> (i32, i32) {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    (f[1].parse().unwrap(), f[3].parse().unwrap())
}
