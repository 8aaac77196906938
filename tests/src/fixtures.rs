//! Fixture images, built once from the host's static busybox by
//! `tests/fixtures/build-images.sh` and cached under `<target dir>/rpod-fixtures/`.
//!
//! The cache is guarded by a file lock, so parallel test processes build it only once, and
//! it is rebuilt whenever the script (or the cache format) changes.

use std::collections::hash_map::DefaultHasher;
use std::fs::{self, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};

use crate::bins::workspace_dir;
use crate::command::run_with_timeout;

/// The fixture images: each is an OCI layout directory with the single tag `latest`.
/// - `busybox`: one layer (busybox + applet links, /etc/passwd with root, nobody and
///   tester uid 1000, /etc/group, /tmp 1777, /root, /home/tester); Cmd `["sh"]`, Env PATH,
///   host architecture, os linux.
/// - `multilayer`: layer 1 = busybox tree + /data/keep.txt, /data/gone.txt, /opaque/old1,
///   /opaque/old2; layer 2 = whiteout `data/.wh.gone.txt`, opaque marker
///   `opaque/.wh..wh..opq` and /opaque/new (files contain their name plus a newline, e.g.
///   "keep\n").
/// - `multiarch`: an OCI image index with linux/amd64 and linux/arm64 manifests; each image
///   is the busybox layer plus a layer with /platform containing "amd64\n" or "arm64\n".
pub const FIXTURES: [&str; 3] = ["busybox", "multilayer", "multiarch"];

/// Bump to force a rebuild of every cache when the layout of the cache itself changes.
const FORMAT: u32 = 1;

/// Upper bound for one fixture build (it normally takes about a second).
const BUILD_TIMEOUT: Duration = Duration::from_secs(300);

/// Path of the script that builds the fixtures.
pub fn build_script() -> PathBuf {
    workspace_dir()
        .join("tests")
        .join("fixtures")
        .join("build-images.sh")
}

/// Directory holding one OCI layout per fixture (built on first use in this process).
pub fn fixtures_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| ensure_built(&crate::target_dir().join("rpod-fixtures")))
}

/// OCI layout directory of fixture `name` (one of [`FIXTURES`]); use it as
/// `oci:<layout>:latest`. Panics on an unknown name.
pub fn layout(name: &str) -> PathBuf {
    assert!(
        FIXTURES.contains(&name),
        "unknown fixture {name:?}; known: {FIXTURES:?}"
    );
    fixtures_dir().join(name)
}

/// Runs the build script into `out` (which must not exist) and panics with its output on
/// failure. Returns how long the build took.
pub fn build_into(out: &Path) -> Duration {
    let start = Instant::now();
    let mut cmd = Command::new("bash");
    cmd.arg(build_script()).arg(out).stdin(Stdio::null());
    let output = run_with_timeout(&mut cmd, BUILD_TIMEOUT);
    assert!(
        output.status.success(),
        "building fixtures with {} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        build_script().display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    start.elapsed()
}

/// Cache key: the script's content and [`FORMAT`].
fn cache_key() -> String {
    let script = fs::read(build_script())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", build_script().display()));
    let mut hasher = DefaultHasher::new();
    FORMAT.hash(&mut hasher);
    script.hash(&mut hasher);
    format!("{:016x}\n", hasher.finish())
}

/// Makes sure `<cache>/images` holds fixtures built by the current script; returns it.
fn ensure_built(cache: &Path) -> PathBuf {
    fs::create_dir_all(cache).unwrap_or_else(|e| panic!("cannot create {}: {e}", cache.display()));
    let lock_path = cache.join("lock");
    let lock_file: File = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", lock_path.display()));
    let _lock = Flock::lock(lock_file, FlockArg::LockExclusive)
        .unwrap_or_else(|(_, e)| panic!("cannot lock {}: {e}", lock_path.display()));

    let images = cache.join("images");
    let stamp = cache.join("images.stamp");
    let key = cache_key();
    if images.is_dir() && fs::read_to_string(&stamp).is_ok_and(|s| s == key) {
        return images;
    }
    let _ = fs::remove_file(&stamp);
    let building = cache.join("images.building");
    for stale in [&images, &building] {
        if stale.exists() {
            fs::remove_dir_all(stale)
                .unwrap_or_else(|e| panic!("cannot remove {}: {e}", stale.display()));
        }
    }
    let took = build_into(&building);
    eprintln!("rpod-tests: built fixture images in {took:?}");
    fs::rename(&building, &images).unwrap_or_else(|e| {
        panic!(
            "cannot rename {} to {}: {e}",
            building.display(),
            images.display()
        )
    });
    let stamp_tmp = cache.join("images.stamp.tmp");
    fs::write(&stamp_tmp, &key)
        .and_then(|()| fs::rename(&stamp_tmp, &stamp))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", stamp.display()));
    images
}

/// Digest (`sha256:<hex>`) of fixture `name`'s top-level manifest (the image index for
/// `multiarch`): what a registry reports for the pushed reference and what a pull records.
pub fn digest(name: &str) -> String {
    let index_path = layout(name).join("index.json");
    let index: serde_json::Value = fs::read(&index_path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", index_path.display()));
    index["manifests"][0]["digest"]
        .as_str()
        .unwrap_or_else(|| panic!("{} has no manifest digest", index_path.display()))
        .to_string()
}
