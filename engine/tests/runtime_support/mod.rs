//! Shared fixtures for the runtime integration tests: a busybox bundle
//! whose config.json comes from `spec::generate`, a private runc state
//! directory, unique ids and a guard that force-deletes the container.

#![allow(dead_code)] // each test binary uses a different subset

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rpod_engine::container::options::ContainerOptions;
use rpod_engine::runtime::OciRuntime;
use rpod_engine::spec::{generate, write_etc_files, write_spec, SpecInput};

pub const RUNC: &str = "/usr/bin/runc";

/// A unique container id for this process and call.
pub fn unique_id(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "rpodtest-{tag}-{}-{}-{:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    )
}

/// A bundle directory with a busybox rootfs and a runc state directory.
/// Dropping it force-deletes the container (if still known to runc).
pub struct Bundle {
    pub dir: tempfile::TempDir,
    pub id: String,
    pub runtime: OciRuntime,
}

impl Bundle {
    pub fn bundle(&self) -> PathBuf {
        self.dir.path().join("bundle")
    }
    pub fn rootfs(&self) -> PathBuf {
        self.bundle().join("rootfs")
    }
    pub fn state_root(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Builds the rootfs and writes config.json generated from `options`
    /// and the image config `image`.
    pub fn new(tag: &str, options: &ContainerOptions, image: &str) -> Bundle {
        let dir = tempfile::tempdir().expect("tempdir");
        let id = unique_id(tag);
        let runtime = OciRuntime {
            name: "runc".into(),
            path: RUNC.into(),
            root: Some(dir.path().join("state")),
            flags: Vec::new(),
        };
        let b = Bundle { dir, id, runtime };
        make_rootfs(&b.rootfs());
        let etc = write_etc_files(
            &b.dir.path().join("userdata"),
            &rpod_engine::spec::hostname_for(&b.id, options),
            &options.network,
        )
        .expect("etc files");
        let spec = generate(&SpecInput {
            id: &b.id,
            options,
            image_config: image.as_bytes(),
            rootfs: &b.rootfs(),
            etc_files: &etc,
            cgroups_path: None,
        })
        .expect("generate");
        write_spec(&spec, &b.bundle()).expect("write spec");
        b
    }

    /// `runc create` detached, stdio on /dev/null; returns the init pid.
    /// (runc's stderr goes to a file: the container inherits runc's stdio,
    /// so a pipe would stay open for the container's whole life.)
    pub fn create(&self) -> i32 {
        let pid_file = self.dir.path().join("pid");
        let err_path = self.dir.path().join("create.err");
        let err_file = std::fs::File::create(&err_path).expect("create.err");
        let status = Command::new(RUNC)
            .arg("--root")
            .arg(self.state_root())
            .arg("create")
            .arg("--bundle")
            .arg(self.bundle())
            .arg("--pid-file")
            .arg(&pid_file)
            .arg(&self.id)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err_file)
            .status()
            .expect("spawn runc create");
        assert!(
            status.success(),
            "runc create: {}",
            std::fs::read_to_string(&err_path).unwrap_or_default()
        );
        std::fs::read_to_string(&pid_file)
            .expect("pid file")
            .trim()
            .parse()
            .expect("pid")
    }

    /// `runc run` in the foreground; returns (success, stdout, stderr).
    pub async fn run(&self) -> (bool, String, String) {
        let child = tokio::process::Command::new(RUNC)
            .arg("--root")
            .arg(self.state_root())
            .arg("run")
            .arg("--bundle")
            .arg(self.bundle())
            .arg(&self.id)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn runc run");
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("runc run timed out")
            .expect("runc run");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = Command::new(RUNC)
            .arg("--root")
            .arg(self.state_root())
            .args(["delete", "--force", &self.id])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A minimal rootfs: /bin/busybox from the host with its applets as
/// symlinks, /etc/passwd and /etc/group with root and `app` (1000).
pub fn make_rootfs(rootfs: &Path) {
    let bin = rootfs.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::copy("/bin/busybox", bin.join("busybox")).expect("copy /bin/busybox");
    let list = Command::new("/bin/busybox")
        .arg("--list")
        .output()
        .expect("busybox --list");
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" && !applet.is_empty() {
            std::os::unix::fs::symlink("busybox", bin.join(applet)).unwrap();
        }
    }
    std::fs::write(
        rootfs.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(
        rootfs.join("etc/group"),
        "root:x:0:\napp:x:1000:\nextra:x:2000:app\n",
    )
    .unwrap();
}

/// Waits (event-driven, through a pidfd) until process `pid` exits.
pub async fn wait_exit(pid: i32, timeout: Duration) {
    let pid = rustix::process::Pid::from_raw(pid).expect("pid > 0");
    let fd: OwnedFd = match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::NONBLOCK)
    {
        Ok(fd) => fd,
        Err(rustix::io::Errno::SRCH) => return, // already gone
        Err(e) => panic!("pidfd_open: {e}"),
    };
    // SAFETY: the AsyncFd takes ownership of the OwnedFd, so the descriptor
    // stays open (and is not reused) for as long as it is registered.
    let afd = unsafe { tokio::io::unix::AsyncFd::register(fd) }.expect("register pidfd");
    // A pidfd polls readable once the process has exited.
    let _ready = tokio::time::timeout(timeout, afd.readable())
        .await
        .expect("process did not exit in time")
        .expect("poll pidfd");
}
