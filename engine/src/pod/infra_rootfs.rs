//! The default infra container's root, as Podman 5 makes it: no image, an
//! overlay over an empty directory of the run root, with the host's static
//! `catatonit` (Debian package `catatonit`) bound read-only on
//! `/catatonit` and run as `catatonit -P` (it only waits, holding the
//! pod's namespaces). Service containers (`kube play
//! --service-container`) use the same root.

use std::path::{Path, PathBuf};

use super::PodError;
use crate::container::{BindMount, RootfsDir};

/// Where the catatonit binary is looked for, in order.
const CATATONIT_PATHS: &[&str] = &[
    "/usr/libexec/podman/catatonit",
    "/usr/bin/catatonit",
    "/usr/local/bin/catatonit",
];

/// The empty directory below the run root every default infra container
/// overlays (Podman: `<tmpdir>/infra-container`).
const LOWER_DIR: &str = "infra-container";

/// The infra container's root and its catatonit mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfraRoot {
    pub rootfs: RootfsDir,
    pub catatonit: BindMount,
    /// `/catatonit -P`: the entrypoint when the pod gives no
    /// `--infra-command`.
    pub entrypoint: Vec<String>,
}

fn infra_err(why: impl Into<String>) -> PodError {
    PodError::InfraRoot(why.into())
}

/// The default infra root below `runroot`: its empty lower directory is
/// made (again, after a reboot emptied the run root) and catatonit found.
pub fn infra_root(runroot: &Path) -> Result<InfraRoot, PodError> {
    let lower = runroot.join(LOWER_DIR);
    std::fs::create_dir_all(&lower)
        .map_err(|e| infra_err(format!("creating {}: {e}", lower.display())))?;
    let bin = find_catatonit()
        .ok_or_else(|| infra_err("catatonit not found (install the catatonit package)"))?;
    let bin = std::fs::canonicalize(&bin)
        .map_err(|e| infra_err(format!("resolving {}: {e}", bin.display())))?;
    let head = read_head(&bin).map_err(|e| infra_err(format!("reading {}: {e}", bin.display())))?;
    if is_dynamic_elf(&head) {
        return Err(infra_err(format!(
            "{} is dynamically linked: the infra container needs a static catatonit",
            bin.display()
        )));
    }
    let destination = format!(
        "/{}",
        bin.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("catatonit")
    );
    Ok(InfraRoot {
        rootfs: RootfsDir {
            path: lower,
            overlay: true,
        },
        entrypoint: vec![destination.clone(), "-P".to_owned()],
        catatonit: BindMount {
            source: bin.display().to_string(),
            destination,
            readonly: true,
            options: vec!["nosuid".to_owned(), "nodev".to_owned()],
        },
    })
}

fn find_catatonit() -> Option<PathBuf> {
    CATATONIT_PATHS
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .map(Path::to_owned)
}

/// The ELF header and program headers (the first 64 KiB are plenty).
fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)?
        .take(64 * 1024)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// Whether an ELF file asks for a program interpreter (is dynamically
/// linked). Anything that is not a well-formed 64-bit little-endian ELF
/// counts as dynamic, so it is refused.
pub fn is_dynamic_elf(bytes: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let u16_at = |o: usize| {
        bytes
            .get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |o: usize| {
        bytes
            .get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    if bytes.get(..6) != Some(b"\x7fELF\x02\x01".as_slice()) {
        return true;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return true;
    };
    (0..phnum as usize).any(|i| {
        let off = phoff as usize + i * phentsize as usize;
        u32_at(off).is_none_or(|t| t == PT_INTERP)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_and_static_elf() {
        let sh = std::fs::read("/bin/sh").unwrap();
        assert!(is_dynamic_elf(&sh), "/bin/sh is dynamically linked");
        assert!(is_dynamic_elf(b"#!/bin/sh\n"));
        let busybox = std::fs::read("/bin/busybox").unwrap();
        assert!(!is_dynamic_elf(&busybox), "busybox-static is static");
    }

    #[test]
    fn root_is_an_empty_overlay_with_catatonit_bound() {
        let dir = tempfile::tempdir().unwrap();
        let root = infra_root(dir.path()).unwrap();
        assert!(root.rootfs.overlay);
        assert_eq!(root.rootfs.path, dir.path().join(LOWER_DIR));
        assert!(root.rootfs.path.is_dir());
        assert_eq!(std::fs::read_dir(&root.rootfs.path).unwrap().count(), 0);
        assert_eq!(root.catatonit.destination, "/catatonit");
        assert!(root.catatonit.readonly);
        assert_eq!(root.entrypoint, ["/catatonit", "-P"]);
        // Made again when the run root was emptied (a reboot).
        std::fs::remove_dir(&root.rootfs.path).unwrap();
        assert_eq!(infra_root(dir.path()).unwrap(), root);
    }
}
