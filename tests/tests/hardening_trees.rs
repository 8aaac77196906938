//! Hostile trees: a container that builds a directory tree deeper than the
//! open-file limit, and one that swaps a directory for a symlink to a host
//! directory while it is exported or committed; a store whose scratch space
//! cannot be cleaned; errors printed with their causes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::busybox;
use rpod_tests::{run_with_timeout, unique_name, TestEnv};

/// Levels of the deep tree: more than the descriptor limit below.
const DEPTH: usize = 1100;
const FD_LIMIT: &str = "--nofile=1024:1024";

/// Runs rpod with `args` under `ulimit -n 1024` (via prlimit).
fn limited(env: &TestEnv, args: &[&str]) -> Output {
    let base = env.cmd(args);
    let mut cmd = Command::new("prlimit");
    cmd.arg(FD_LIMIT)
        .arg("--")
        .arg(base.get_program())
        .args(base.get_args())
        .stdin(Stdio::null());
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    run_with_timeout(&mut cmd, Duration::from_secs(300))
}

fn limited_ok(env: &TestEnv, args: &[&str]) -> Vec<u8> {
    let out = limited(env, args);
    assert!(
        out.status.success(),
        "`rpod {}` under {FD_LIMIT} failed with {}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A shell script building `a/a/.../a/f` `DEPTH` levels deep in `/deep`.
fn deep_script() -> String {
    format!(
        "mkdir /deep && cd /deep && i=0; while [ $i -lt {DEPTH} ]; do mkdir a && cd a || exit 1; \
         i=$((i+1)); done; echo bottom > f"
    )
}

fn deep_path() -> String {
    let mut p = "deep/".to_string();
    p.push_str(&"a/".repeat(DEPTH));
    p.push('f');
    p
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn storage_tmp_entries(env: &TestEnv) -> Vec<PathBuf> {
    std::fs::read_dir(env.root().join("storage/tmp"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn a_container_with_a_tree_deeper_than_the_fd_limit_is_diffed_exported_committed_and_removed() {
    let (mut w, img) = busybox();
    w.env.set_command_timeout(Duration::from_secs(300));
    let env = &w.env;
    let name = unique_name("deep");
    env.ok(&["run", "--name", &name, &img, "sh", "-c", &deep_script()]);

    let diff = String::from_utf8(limited_ok(env, &["diff", &name])).unwrap();
    let shown = format!("A /{}", deep_path());
    assert!(
        diff.lines().any(|l| l == shown),
        "deepest file missing in diff"
    );

    let archive = env.dir().join("deep.tar");
    limited_ok(env, &["export", "-o", archive.to_str().unwrap(), &name]);
    let bytes = std::fs::read(&archive).unwrap();
    assert!(
        contains(&bytes, deep_path().as_bytes()),
        "deep path not exported"
    );
    assert!(
        contains(&bytes, b"bottom\n"),
        "deep file content not exported"
    );

    let image = unique_name("deepimg");
    limited_ok(env, &["commit", "-q", &name, &image]);
    let listed = String::from_utf8(limited_ok(
        env,
        &["run", "--rm", &image, "cat", &format!("/{}", deep_path())],
    ))
    .unwrap();
    assert_eq!(listed, "bottom\n");

    limited_ok(env, &["rm", &name]);
    let out = env.fails(&["inspect", "--type", "container", &name]);
    assert_eq!(out.0, 125);
    let left: Vec<_> = std::fs::read_dir(env.root().join("storage/containers"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "container storage left: {left:?}");

    // The image's layer holds the deep tree: removing it must leave no
    // scratch directory behind, and later commands must keep working.
    limited_ok(env, &["rmi", &image]);
    assert_eq!(storage_tmp_entries(env), Vec::<PathBuf>::new());
    // The same tree as an imported image's only layer.
    let imported = unique_name("deepimport");
    env.ok(&["import", "-q", archive.to_str().unwrap(), &imported]);
    limited_ok(env, &["rmi", &imported]);
    assert_eq!(storage_tmp_entries(env), Vec::<PathBuf>::new());
    limited_ok(env, &["images"]);
    limited_ok(env, &["ps", "-a"]);
}

#[test]
fn rm_af_and_system_reset_remove_containers_with_deep_trees() {
    let (mut w, img) = busybox();
    w.env.set_command_timeout(Duration::from_secs(300));
    let env = &w.env;
    let a = unique_name("deep-a");
    let b = unique_name("deep-b");
    env.ok(&["run", "--name", &a, &img, "sh", "-c", &deep_script()]);
    env.ok(&[
        "run",
        "-d",
        "--name",
        &b,
        &img,
        "sh",
        "-c",
        &format!("{}; sleep 1000", deep_script()),
    ]);
    rpod_tests::wait_until(Duration::from_secs(120), "the tree to be built", || {
        env.run(&["exec", &b, "cat", &format!("/{}", deep_path())])
            .stdout
            .starts_with(b"bottom")
    });
    limited_ok(env, &["rm", "-af", "-t", "0"]);
    assert_eq!(
        String::from_utf8(limited_ok(env, &["ps", "-aq"])).unwrap(),
        ""
    );
    let left: Vec<_> = std::fs::read_dir(env.root().join("storage/containers"))
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "container storage left: {left:?}");

    let c = unique_name("deep-c");
    env.ok(&["run", "--name", &c, &img, "sh", "-c", &deep_script()]);
    limited_ok(env, &["system", "reset", "-f"]);
    let root_left: Vec<_> = std::fs::read_dir(env.root())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(root_left.is_empty(), "left after reset: {root_left:?}");
}

/// Host canary directory and its marker. Its file has the same name and
/// size as the container's own `/s/d/file`, so a reader that follows the
/// swapped symlink reads it without noticing anything.
fn canary(env: &TestEnv) -> (PathBuf, String) {
    let dir = env.dir().join("host-canary");
    std::fs::create_dir_all(&dir).unwrap();
    let marker = unique_name("HOST-CANARY-CONTENT");
    std::fs::write(dir.join("file"), format!("{marker}\n")).unwrap();
    (dir, marker)
}

/// The content of the container's own `/s/d/file` (as long as the canary's).
fn own_content(marker: &str) -> String {
    "i".repeat(marker.len())
}

/// Swap pairs: more pairs, more chances per export for a reader that
/// re-resolves paths to be caught between two swaps.
const PAIRS: usize = 16;

/// A running container with `PAIRS` directories `/s/dN` (each holding
/// `file`) and symlinks `/s/lN` to the host canary directory, and a thread
/// exchanging each pair's names as fast as it can (`renameat2
/// (RENAME_EXCHANGE)` on the container's mounted root, what a process in the
/// container could do) until the guard is finished or dropped.
fn start_swapper(env: &TestEnv, img: &str, canary: &Path, marker: &str) -> (String, Swapper) {
    let name = unique_name("swapper");
    let script = format!(
        "for i in $(seq 0 {last}); do mkdir -p /s/d$i && echo {own} > /s/d$i/file && \
         ln -s {c} /s/l$i; done; sleep 1000",
        last = PAIRS - 1,
        own = own_content(marker),
        c = canary.display()
    );
    env.ok(&["run", "-d", "--name", &name, img, "sh", "-c", &script]);
    let id = env.ok(&["inspect", "--format", "{{.Id}}", &name]);
    let s = env
        .root()
        .join("storage/containers")
        .join(id.trim())
        .join("merged/s");
    let last = s.join(format!("l{}", PAIRS - 1));
    rpod_tests::wait_until(Duration::from_secs(20), "the swap pairs", || {
        last.symlink_metadata().is_ok()
    });
    let pairs: Vec<(PathBuf, PathBuf)> = (0..PAIRS)
        .map(|i| (s.join(format!("d{i}")), s.join(format!("l{i}"))))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut swaps = 0u64;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            for (d, l) in &pairs {
                nix::fcntl::renameat2(
                    nix::fcntl::AT_FDCWD,
                    d,
                    nix::fcntl::AT_FDCWD,
                    l,
                    nix::fcntl::RenameFlags::RENAME_EXCHANGE,
                )
                .expect("exchanging a directory and a symlink");
                swaps += 1;
            }
        }
        swaps
    });
    (
        name,
        Swapper {
            stop,
            thread: Some(thread),
        },
    )
}

struct Swapper {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Swapper {
    /// Stops swapping; returns how many swaps were done.
    fn finish(mut self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Swapper {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn export_of_a_running_container_never_follows_a_swapped_symlink() {
    let (w, img) = busybox();
    let env = &w.env;
    let (dir, marker) = canary(env);
    let (name, swapper) = start_swapper(env, &img, &dir, &marker);
    let archive = env.dir().join("export.tar");
    let mut seen_file = 0;
    for i in 0..40 {
        env.ok(&["export", "-o", archive.to_str().unwrap(), &name]);
        let bytes = std::fs::read(&archive).unwrap();
        assert!(
            !contains(&bytes, marker.as_bytes()),
            "export {i} contains the host canary's content"
        );
        if contains(&bytes, own_content(&marker).as_bytes()) {
            seen_file += 1;
        }
    }
    assert!(swapper.finish() > 1000, "the swapper did not run");
    assert!(seen_file > 0, "the container's own file was never exported");
    env.ok(&["rm", "-f", "-t", "0", &name]);
    assert!(dir.join("file").exists());
}

#[test]
fn commit_of_a_running_container_never_follows_a_swapped_symlink() {
    let (w, img) = busybox();
    let env = &w.env;
    let (dir, marker) = canary(env);
    let (name, swapper) = start_swapper(env, &img, &dir, &marker);
    for i in 0..30 {
        let image = format!("{}-{i}", unique_name("swapcommit"));
        env.ok(&["commit", "-q", &name, &image]);
    }
    assert!(swapper.finish() > 1000, "the swapper did not run");
    env.ok(&["rm", "-f", "-t", "0", &name]);
    // Every committed layer, unpacked in the store.
    let mut stack = vec![env.root().join("storage/layers")];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                files += 1;
                let bytes = std::fs::read(e.path()).unwrap();
                assert!(
                    !contains(&bytes, marker.as_bytes()),
                    "{} holds the host canary's content",
                    e.path().display()
                );
            }
        }
    }
    assert!(files > 0);
}

#[test]
fn unremovable_scratch_space_is_a_warning_not_a_broken_store() {
    let (w, _img) = busybox();
    let env = &w.env;
    // A leftover of a killed writer that cannot be removed: it has a mount
    // point inside (removal never descends into another filesystem).
    let stale = env.root().join("storage/tmp/4242-stale");
    let mnt = stale.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(mnt.join("keep"), b"data on another filesystem").unwrap();
    let out = env.run(&["images"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let kept = std::fs::read(mnt.join("keep"));
    let _ = Command::new("umount").arg("-l").arg(&mnt).status();
    assert!(out.status.success(), "images failed: {stderr}");
    assert!(
        stderr.contains("level=warning") && stderr.contains("4242-stale"),
        "no warning about the stale directory: {stderr}"
    );
    assert_eq!(kept.unwrap(), b"data on another filesystem");
    // Once unmounted, the next command reclaims it.
    env.ok(&["images"]);
    assert!(!stale.exists());
}

#[test]
fn errors_are_printed_with_their_causes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let root = file.join("root");
    let out = Command::new(rpod_tests::rpod_bin())
        .arg("--root")
        .arg(&root)
        .arg("--runroot")
        .arg(dir.path().join("run"))
        .arg("ps")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    let line = stderr.lines().last().unwrap_or_default();
    assert!(
        line.starts_with("Error: opening rpod's state: ") && line.contains("Not a directory"),
        "no cause chain: {stderr}"
    );
    assert_eq!(line.matches("Not a directory").count(), 1, "{line}");
}
