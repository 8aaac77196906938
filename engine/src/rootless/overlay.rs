//! The storage driver of a rootless store: the kernel's overlay, mounted
//! inside the user namespace with `userxattr`, which Linux 5.11 and later
//! allow. On older kernels fuse-overlayfs mounts it instead
//! ([`crate::storage::fuse_overlay`]); without it, a clear error instead
//! of a bare EPERM.

/// Whether the running kernel mounts overlay in a user namespace.
pub fn native_overlay_supported() -> bool {
    nix::sys::utsname::uname()
        .ok()
        .and_then(|u| parse_release(&u.release().to_string_lossy()))
        .is_some_and(|v| v >= (5, 11))
}

/// Fails when a rootless overlay mount cannot work on this kernel.
pub fn check() -> std::io::Result<()> {
    if !super::is_rootless() || native_overlay_supported() {
        return Ok(());
    }
    Err(std::io::Error::other(
        "rootless overlay needs Linux 5.11 or later (overlay in a user namespace) or fuse-overlayfs: install fuse-overlayfs or set mount_program in storage.conf",
    ))
}

fn parse_release(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::parse_release;

    #[test]
    fn releases() {
        assert_eq!(parse_release("6.18.44-fc-v1147"), Some((6, 18)));
        assert_eq!(parse_release("5.10.0-23-amd64"), Some((5, 10)));
        assert!(parse_release("5.10.0").unwrap() < (5, 11));
        assert_eq!(parse_release("x"), None);
    }
}
