//! `--log-opt path=`: the container's `ctr.log` as a link to the file the
//! user (or a kubelet, through CRI) chose. The monitor, `logs` and the log
//! rotation keep using `ctr.log`; opening it creates the target, so a
//! target renamed away by an external rotation is created anew on reopen.

use std::path::Path;

use super::error::{io_err, ContainerError};

/// Makes `log` a symbolic link to `target` (creating `target`'s directory),
/// unless it already is one.
pub(crate) fn link(log: &Path, target: &Path) -> Result<(), ContainerError> {
    if std::fs::read_link(log).is_ok_and(|t| t == target) {
        return Ok(());
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    match std::fs::remove_file(log) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(log)(e)),
    }
    std::os::unix::fs::symlink(target, log).map_err(io_err(log))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_once_and_replaces_a_plain_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("ctr.log");
        std::fs::write(&log, "old").unwrap();
        let target = dir.path().join("pods/p1/c/0.log");
        link(&log, &target).unwrap();
        assert_eq!(std::fs::read_link(&log).unwrap(), target);
        std::fs::write(&log, "line\n").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "line\n");
        link(&log, &target).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "line\n");
    }
}
