//! Locating the workspace's build output from a test executable.

use std::path::{Path, PathBuf};

/// Profile directories (e.g. `target/debug`) where the binaries may live, best first:
/// the directory of the running test executable (`<profile>/deps/<test>` → `<profile>`),
/// then `$CARGO_TARGET_DIR/debug`, then the workspace's `target/debug`.
fn profile_dir_candidates() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        if let Some(parent) = exe.parent() {
            if parent.file_name().is_some_and(|n| n == "deps") {
                if let Some(profile) = parent.parent() {
                    dirs.push(profile.to_path_buf());
                }
            } else {
                dirs.push(parent.to_path_buf());
            }
        }
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        dirs.push(PathBuf::from(target).join("debug"));
    }
    dirs.push(workspace_dir().join("target").join("debug"));
    dirs
}

/// The workspace root (parent of this crate's manifest directory).
pub(crate) fn workspace_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Finds a workspace binary, or `None` with the list of places tried.
pub(crate) fn find_bin(name: &str) -> Result<PathBuf, Vec<PathBuf>> {
    let tried: Vec<PathBuf> = profile_dir_candidates()
        .into_iter()
        .map(|d| d.join(name))
        .collect();
    match tried.iter().find(|p| p.is_file()) {
        Some(found) => Ok(found.clone()),
        None => Err(tried),
    }
}

fn bin_or_panic(name: &str) -> PathBuf {
    find_bin(name).unwrap_or_else(|tried| {
        panic!("{name} binary not found (looked at {tried:?}); run `cargo build --workspace` first")
    })
}

/// Path of the `rpod` CLI built by `cargo build --workspace` (next to the test executable's
/// profile directory, honouring `CARGO_TARGET_DIR`). Panics if it has not been built.
pub fn rpod_bin() -> PathBuf {
    bin_or_panic("rpod")
}

/// Path of the `pod-monitor` binary built by `cargo build --workspace`. Panics if missing.
pub fn monitor_bin() -> PathBuf {
    bin_or_panic("pod-monitor")
}

/// The cargo target directory the tests run from (parent of the profile directory holding
/// the test executable; `$CARGO_TARGET_DIR` or the workspace's `target/` otherwise).
pub fn target_dir() -> PathBuf {
    profile_dir_candidates()
        .into_iter()
        .next()
        .and_then(|profile| profile.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| workspace_dir().join("target"))
}
