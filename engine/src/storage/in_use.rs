//! Whether a layer is in use by a live overlay mount, whatever the
//! database says: the kernel's mount table (`/proc/self/mountinfo`) is the
//! truth about which layer directories a mounted container reads. A layer
//! that is a lowerdir of any mount is never deleted.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::layers::LayerInfo;
use super::store::Store;

const MOUNTINFO: &str = "/proc/self/mountinfo";

/// Lower directories of the overlay mounts in `mountinfo` text, each with
/// the mount point using it.
pub(crate) fn overlay_lowers(mountinfo: &str) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for line in mountinfo.lines() {
        let Some((pre, post)) = line.split_once(" - ") else {
            continue;
        };
        let mut post_fields = post.split(' ');
        if post_fields.next() != Some("overlay") {
            continue;
        }
        let Some(options) = post_fields.nth(1) else {
            continue;
        };
        let mount_point = pre.split(' ').nth(4).map(unescape).unwrap_or_default();
        for opt in split_unescaped(options, ',') {
            let (key, value) = opt.split_once('=').unwrap_or((opt, ""));
            let lowers: Vec<&str> = match key {
                "lowerdir" => split_unescaped(value, ':'),
                "lowerdir+" | "datadir+" => vec![value],
                _ => continue,
            };
            for lower in lowers.into_iter().filter(|l| !l.is_empty()) {
                out.push((PathBuf::from(unescape(lower)), PathBuf::from(&mount_point)));
            }
        }
    }
    out
}

/// Splits at `sep` unless it is escaped with a backslash (overlayfs
/// escapes `:` and `,` in paths that way).
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == sep && !escaped => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => escaped = false,
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Undoes mountinfo's octal escapes (`\040` for a space) and overlayfs'
/// backslash escapes.
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let oct = bytes.get(i + 1..i + 4);
            if let Some(d) = oct.filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b))) {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
                continue;
            }
            if let Some(&next) = bytes.get(i + 1) {
                out.push(next);
                i += 2;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The same directory, by path or (following `l/` links) by target.
fn same_dir(lower: &Path, diff: &Path, diff_canonical: Option<&Path>) -> bool {
    if lower == diff {
        return true;
    }
    match (diff_canonical, std::fs::canonicalize(lower)) {
        (Some(d), Ok(l)) => d == l,
        _ => false,
    }
}

impl Store {
    /// The mount point of a live overlay that has this layer as a lower
    /// directory, if any. If the mount table cannot be read the layer is
    /// assumed to be in use: deleting a layer is never worth the risk.
    pub(crate) fn layer_mounted_by(&self, chain: &str, info: &LayerInfo) -> Option<PathBuf> {
        let mountinfo = match std::fs::read_to_string(MOUNTINFO) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("reading {MOUNTINFO}: {e}; keeping layer {chain}");
                return Some(PathBuf::from(MOUNTINFO));
            }
        };
        let diff = self.layer_diff_path(chain).ok()?;
        let link = self.inner.links.join(&info.link);
        let diff_canonical = std::fs::canonicalize(&diff).ok();
        overlay_lowers(&mountinfo)
            .into_iter()
            .find(|(lower, _)| lower == &link || same_dir(lower, &diff, diff_canonical.as_deref()))
            .map(|(_, mount_point)| mount_point)
    }

    /// Whether deleting the layer must be skipped because a mounted
    /// container uses it (logged as a warning). The one check every layer
    /// deletion goes through.
    pub(crate) fn keep_mounted_layer(&self, chain: &str, info: &LayerInfo) -> bool {
        match self.layer_mounted_by(chain, info) {
            Some(mount_point) => {
                tracing::warn!(
                    "not deleting layer {chain}: it is in use by the mount {}",
                    mount_point.display()
                );
                true
            }
            None => false,
        }
    }

    /// Chain ids (as stored, `sha256:…`) of every layer some live overlay
    /// mount uses, for `system check`.
    pub(crate) fn mounted_layers(&self, layers: &[LayerInfo]) -> HashSet<String> {
        layers
            .iter()
            .filter(|l| self.layer_mounted_by(&l.chain_id, l).is_some())
            .map(|l| l.chain_id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
101 22 0:50 / /var/lib/rpod/storage/containers/abc/merged rw,relatime - overlay overlay rw,lowerdir=/var/lib/rpod/storage/l/AAA:/var/lib/rpod/storage/l/B\\:B,upperdir=/u,workdir=/w
102 22 0:51 / /tmp/with\\040space rw - overlay overlay rw,lowerdir+=/x/l/CCC,lowerdir+=/x/l/DDD,upperdir=/u2,workdir=/w2
";

    #[test]
    fn lowerdirs_are_read_from_both_option_styles() {
        let lowers = overlay_lowers(SAMPLE);
        let paths: Vec<String> = lowers
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "/var/lib/rpod/storage/l/AAA",
                "/var/lib/rpod/storage/l/B:B",
                "/x/l/CCC",
                "/x/l/DDD"
            ]
        );
        assert_eq!(lowers[2].1, PathBuf::from("/tmp/with space"));
    }

    #[test]
    fn non_overlay_mounts_are_ignored() {
        assert!(overlay_lowers("22 1 8:1 / / rw - ext4 /dev/sda1 rw,lowerdir=/x\n").is_empty());
    }
}
