//! Overlay mounts by a mount program (containers-storage.conf's
//! `mount_program`, normally `fuse-overlayfs`), as containers/storage
//! makes them: the program is given the overlay's `lowerdir`, `upperdir`
//! and `workdir` and the target, mounts a FUSE file system there and
//! stays in the background serving it until it is unmounted.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The program new overlays are mounted with: the configured one, else
/// for a rootless store on a kernel without overlay in user namespaces
/// (before 5.11) `fuse-overlayfs` when installed; `None`: the kernel's
/// overlay.
pub(crate) fn program(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return Some(p.to_owned());
    }
    if crate::rootless::is_rootless() && !crate::rootless::overlay::native_overlay_supported() {
        return crate::network::helper_proc::find("fuse-overlayfs").ok();
    }
    None
}

/// Mounts the overlay of `lowers` (top first), `upper` and `work` on
/// `target` with `program`. Its messages go to `log` (the program keeps
/// its stdio in the background: no pipe may wait on it).
pub(super) fn mount(
    program: &Path,
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    target: &Path,
    log: &Path,
) -> io::Result<()> {
    let lowerdir = lowers
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let options = format!(
        "lowerdir={lowerdir},upperdir={},workdir={}",
        upper.display(),
        work.display()
    );
    let err = File::create(log)?;
    let status = Command::new(program)
        .arg("-o")
        .arg(&options)
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", program.display())))?;
    if status.success() {
        let _ = std::fs::remove_file(log);
        return Ok(());
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    Err(io::Error::other(format!(
        "{} failed ({status}): {}",
        program.display(),
        text.trim()
    )))
}
