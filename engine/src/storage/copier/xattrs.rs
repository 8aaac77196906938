//! Extended attributes through a copy, as buildah's copier keeps them for
//! Podman's `cp`: `security.capability`, `security.ima` and `user.*`
//! (never `user.overlay.*`) are read from each file and directory archived
//! and written into the stream as PAX `SCHILY.xattr.NAME` records; the
//! same ones found in a stream are set on what is unpacked.

use std::io::{self, Write};
use std::os::fd::AsFd;

use rustix::fs::{self as rfs, XattrFlags};
use rustix::io::Errno;

const PAX_PREFIX: &str = "SCHILY.xattr.";

/// One extended attribute: its name and value.
pub(super) type Xattr = (String, Vec<u8>);

/// Whether copier keeps the attribute `name`.
fn relevant(name: &str) -> bool {
    name == "security.capability"
        || name == "security.ima"
        || (name.starts_with("user.") && !name.starts_with("user.overlay."))
}

/// The relevant attributes of the file or directory open as `fd` (none
/// where the filesystem has no extended attributes).
pub(super) fn read<Fd: AsFd>(fd: Fd) -> io::Result<Vec<Xattr>> {
    let mut list = Vec::new();
    loop {
        let size = match rfs::flistxattr_query(&fd) {
            Ok(n) => n,
            Err(Errno::NOTSUP | Errno::NOSYS) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        list.resize(size, 0);
        match rfs::flistxattr(&fd, &mut list[..]) {
            Ok(n) => {
                list.truncate(n);
                break;
            }
            Err(Errno::RANGE) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let mut out = Vec::new();
    for name in list.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        if !relevant(name) {
            continue;
        }
        let mut value = Vec::new();
        loop {
            let size = match rfs::fgetxattr_query(&fd, name) {
                Ok(n) => n,
                // Removed since it was listed.
                Err(Errno::NODATA) => break,
                Err(e) => return Err(e.into()),
            };
            value.resize(size, 0);
            match rfs::fgetxattr(&fd, name, &mut value[..]) {
                Ok(n) => {
                    value.truncate(n);
                    out.push((name.to_owned(), std::mem::take(&mut value)));
                    break;
                }
                Err(Errno::RANGE) => continue,
                Err(Errno::NODATA) => break,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(out)
}

/// Sets the relevant attributes of `xattrs` on the node open as `fd`.
pub(super) fn write<Fd: AsFd>(fd: Fd, xattrs: &[Xattr]) -> io::Result<()> {
    for (name, value) in xattrs.iter().filter(|(n, _)| relevant(n)) {
        rfs::fsetxattr(&fd, name.as_str(), value, XattrFlags::empty()).map_err(|e| {
            io::Error::new(
                io::Error::from(e).kind(),
                format!("setting value of extended attribute {name:?}: {e}"),
            )
        })?;
    }
    Ok(())
}

/// The attributes a tar member's PAX records carry.
pub(super) fn from_pax<R: io::Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Vec<Xattr>> {
    let Some(exts) = entry.pax_extensions()? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for ext in exts {
        let ext = ext?;
        if let Some(name) = ext.key().ok().and_then(|k| k.strip_prefix(PAX_PREFIX)) {
            out.push((name.to_owned(), ext.value_bytes().to_vec()));
        }
    }
    Ok(out)
}

/// Writes a PAX extended header carrying `xattrs` (for the member that
/// follows it); nothing when there are none.
pub(super) fn append_pax<W: Write>(b: &mut tar::Builder<W>, xattrs: &[Xattr]) -> io::Result<()> {
    if xattrs.is_empty() {
        return Ok(());
    }
    let mut data = Vec::new();
    for (name, value) in xattrs {
        data.extend(pax_record(&format!("{PAX_PREFIX}{name}"), value));
    }
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::XHeader);
    h.set_path("PaxHeaders/xattrs")?;
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_cksum();
    b.append(&h, &data[..])
}

/// One PAX record, `LEN KEY=VALUE\n`, LEN counting the whole record.
fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    let mut rec = format!("{len} {key}=").into_bytes();
    rec.extend_from_slice(value);
    rec.push(b'\n');
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_count_their_own_length() {
        let r = pax_record("SCHILY.xattr.user.a", b"v");
        assert_eq!(r, b"25 SCHILY.xattr.user.a=v\n");
        assert_eq!(r.len(), 25);
        let long = vec![b'x'; 95];
        let r = pax_record("k", &long);
        assert_eq!(r.len(), 102);
        assert!(r.starts_with(b"102 k="));
    }

    #[test]
    fn only_copiers_attributes_are_relevant() {
        assert!(relevant("user.foo"));
        assert!(relevant("security.capability"));
        assert!(!relevant("user.overlay.opaque"));
        assert!(!relevant("trusted.overlay.opaque"));
        assert!(!relevant("security.selinux"));
    }
}
