//! Tests of the layer extractor and the layer store with crafted, hostile
//! tar streams.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

use super::extract::{extract_layer, extract_layer_limited};
use super::limits::{ImageBudget, LimitExceeded, UnpackLimits};
use super::{StorageError, Store};

/// Builds tar streams entry by entry with raw headers, so that paths the
/// `tar` crate's builder would refuse (`..`, absolute) can be written.
struct Tar {
    b: tar::Builder<Vec<u8>>,
}

impl Tar {
    fn new() -> Self {
        Tar {
            b: tar::Builder::new(Vec::new()),
        }
    }

    fn raw(
        &mut self,
        kind: EntryType,
        path: &str,
        link: Option<&str>,
        mode: u32,
        data: &[u8],
    ) -> Header {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_000_000);
        let old = h.as_old_mut();
        old.name[..path.len()].copy_from_slice(path.as_bytes());
        if let Some(l) = link {
            old.linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h
    }

    fn add(&mut self, mut h: Header, data: &[u8]) -> &mut Self {
        h.set_cksum();
        self.b.append(&h, data).unwrap();
        self
    }

    fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> &mut Self {
        let h = self.raw(EntryType::Regular, path, None, mode, data);
        self.add(h, data)
    }

    fn dir(&mut self, path: &str) -> &mut Self {
        let h = self.raw(EntryType::Directory, path, None, 0o755, b"");
        self.add(h, b"")
    }

    fn link(&mut self, kind: EntryType, path: &str, target: &str) -> &mut Self {
        let h = self.raw(kind, path, Some(target), 0o777, b"");
        self.add(h, b"")
    }

    /// An entry whose name may be longer than a header holds (GNU long
    /// name extension).
    fn long(&mut self, kind: EntryType, path: &str, data: &[u8]) -> &mut Self {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(if kind == EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_mtime(1_000_000);
        self.b.append_data(&mut h, path, data).unwrap();
        self
    }

    fn finish(self) -> Vec<u8> {
        self.b.into_inner().unwrap()
    }
}

fn sha(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    fs::create_dir(&root).unwrap();
    (base, root)
}

#[test]
fn absolute_paths_are_joined_under_the_root() {
    let (base, root) = setup();
    let abs = base.path().join("escaped-abs");
    let mut t = Tar::new();
    t.file(abs.to_str().unwrap(), 0o644, b"x")
        .file("/../../top", 0o644, b"x")
        .file("a/../inside", 0o644, b"x");
    let data = t.finish();
    let out = extract_layer(&data[..], &root).unwrap();
    assert_eq!(out.diff_id, sha(&data));
    assert_eq!(out.size, data.len() as u64);
    assert!(!abs.exists());
    assert!(root.join(abs.strip_prefix("/").unwrap()).is_file());
    // `..` at the top of an absolute name stays at the root (filepath.Clean).
    assert!(root.join("top").is_file());
    assert!(root.join("inside").is_file());
}

#[test]
fn names_climbing_above_the_root_are_refused() {
    for name in ["../x", "a/../../x", "./../../x"] {
        let (base, root) = setup();
        let mut t = Tar::new();
        t.file("first", 0o644, b"x").file(name, 0o644, b"x");
        let err = extract_layer(&t.finish()[..], &root).unwrap_err();
        assert!(matches!(err, StorageError::InvalidPath(_)), "{name}: {err}");
        assert_eq!(err.to_string(), format!("invalid path in layer: {name}"));
        assert!(!base.path().join("x").exists());
        assert!(!root.join("x").exists());
    }
}

#[test]
fn names_longer_than_path_max_are_refused() {
    let (_base, root) = setup();
    let long = vec!["d"; 2100].join("/");
    let mut t = Tar::new();
    t.long(EntryType::Regular, &long, b"x");
    let err = extract_layer(&t.finish()[..], &root).unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
}

#[test]
fn symlinked_parents_resolve_inside_the_root() {
    let (base, root) = setup();
    let rel_base = base
        .path()
        .strip_prefix("/")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let mut t = Tar::new();
    t.link(EntryType::Symlink, "a", "/")
        .link(EntryType::Symlink, "up", "../../../../..")
        .file(&format!("a/{rel_base}/pwned-abs"), 0o644, b"x")
        .file(&format!("up/{rel_base}/pwned-rel"), 0o644, b"x");
    extract_layer(&t.finish()[..], &root).unwrap();
    assert!(!base.path().join("pwned-abs").exists());
    assert!(!base.path().join("pwned-rel").exists());
    assert!(root.join(&rel_base).join("pwned-abs").is_file());
    assert!(root.join(&rel_base).join("pwned-rel").is_file());
    // Symlinks are stored literally, absolute targets included.
    assert_eq!(fs::read_link(root.join("a")).unwrap(), Path::new("/"));
    assert_eq!(
        fs::read_link(root.join("up")).unwrap(),
        Path::new("../../../../..")
    );
}

#[test]
fn hardlinks_only_inside_the_layer() {
    let (_base, root) = setup();
    let mut t = Tar::new();
    t.file("f", 0o644, b"data")
        .link(EntryType::Link, "g", "f")
        .link(EntryType::Link, "h", "/f");
    extract_layer(&t.finish()[..], &root).unwrap();
    let f = fs::metadata(root.join("f")).unwrap();
    assert_eq!(f.ino(), fs::metadata(root.join("g")).unwrap().ino());
    assert_eq!(f.ino(), fs::metadata(root.join("h")).unwrap().ino());
    assert_eq!(f.nlink(), 3);

    for target in [
        "../../../../etc/passwd",
        "./../f",
        "/etc/passwd",
        "s/etc/passwd",
    ] {
        let (_base, root) = setup();
        let mut t = Tar::new();
        t.link(EntryType::Symlink, "s", "/")
            .link(EntryType::Link, "evil", target);
        let err = extract_layer(&t.finish()[..], &root).unwrap_err();
        assert!(matches!(err, StorageError::Entry { .. }), "{target}: {err}");
        assert!(!root.join("evil").exists(), "{target}");
    }
}

#[test]
fn devices_fifos_modes_owners() {
    let (_base, root) = setup();
    let mut t = Tar::new();
    let mut h = t.raw(EntryType::Char, "dev/null", None, 0o666, b"");
    h.set_device_major(1).unwrap();
    h.set_device_minor(3).unwrap();
    t.add(h, b"");
    let mut h = t.raw(EntryType::Block, "dev/loop9", None, 0o660, b"");
    h.set_device_major(7).unwrap();
    h.set_device_minor(9).unwrap();
    t.add(h, b"");
    let h = t.raw(EntryType::Fifo, "run/fifo", None, 0o600, b"");
    t.add(h, b"");
    t.file("bin/su", 0o4755, b"#!")
        .file("sgid", 0o2711, b"")
        .dir("tmp");
    let mut h = t.raw(EntryType::Directory, "sticky", None, 0o1777, b"");
    h.set_uid(1234);
    h.set_gid(5678);
    t.add(h, b"");
    extract_layer(&t.finish()[..], &root).unwrap();

    let m = fs::symlink_metadata(root.join("dev/null")).unwrap();
    assert!(m.file_type().is_char_device());
    assert_eq!(m.rdev(), rustix::fs::makedev(1, 3));
    assert_eq!(m.mode() & 0o7777, 0o666);
    let m = fs::symlink_metadata(root.join("dev/loop9")).unwrap();
    assert!(m.file_type().is_block_device());
    assert_eq!(m.rdev(), rustix::fs::makedev(7, 9));
    assert!(fs::symlink_metadata(root.join("run/fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(
        fs::metadata(root.join("bin/su")).unwrap().mode() & 0o7777,
        0o4755
    );
    assert_eq!(
        fs::metadata(root.join("sgid")).unwrap().mode() & 0o7777,
        0o2711
    );
    let m = fs::metadata(root.join("sticky")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o1777);
    assert_eq!((m.uid(), m.gid()), (1234, 5678));
    assert_eq!(m.mtime(), 1_000_000);
    // Implied parent directories exist.
    assert!(root.join("run").is_dir());
}

#[test]
fn xattrs_whiteouts_and_opaque_dirs() {
    let (_base, root) = setup();
    let mut t = Tar::new();
    t.b.append_pax_extensions([
        ("SCHILY.xattr.user.rpod", &b"value"[..]),
        ("SCHILY.xattr.trusted.overlay.redirect", &b"/etc"[..]),
    ])
    .unwrap();
    t.file("x", 0o644, b"content")
        .file("d/.wh..wh..opq", 0o644, b"")
        .file("d/.wh.gone", 0o644, b"")
        .file(".wh.top", 0o644, b"");
    extract_layer(&t.finish()[..], &root).unwrap();

    let mut buf = [0u8; 32];
    let n = rustix::fs::lgetxattr(root.join("x"), "user.rpod", &mut buf[..]).unwrap();
    assert_eq!(&buf[..n], b"value");
    assert!(
        rustix::fs::lgetxattr(root.join("x"), "trusted.overlay.redirect", &mut buf[..]).is_err()
    );
    let n = rustix::fs::lgetxattr(root.join("d"), "trusted.overlay.opaque", &mut buf[..]).unwrap();
    assert_eq!(&buf[..n], b"y");
    for w in ["d/gone", "top"] {
        let m = fs::symlink_metadata(root.join(w)).unwrap();
        assert!(m.file_type().is_char_device(), "{w}");
        assert_eq!(m.rdev(), 0, "{w}");
    }
    assert!(!root.join("d/.wh.gone").exists());
    assert!(!root.join("d/.wh..wh..opq").exists());
}

#[test]
fn later_entries_replace_earlier_ones() {
    let (_base, root) = setup();
    let mut t = Tar::new();
    t.dir("p")
        .file("p/inner", 0o644, b"1")
        .file("p", 0o600, b"now a file")
        .link(EntryType::Symlink, "q", "/etc");
    t.dir("q");
    extract_layer(&t.finish()[..], &root).unwrap();
    assert_eq!(fs::read(root.join("p")).unwrap(), b"now a file");
    assert!(fs::symlink_metadata(root.join("q")).unwrap().is_dir());
}

#[test]
fn diff_id_covers_trailing_bytes() {
    let (_base, root) = setup();
    let mut t = Tar::new();
    t.file("a", 0o644, b"a");
    let mut data = t.finish();
    data.extend_from_slice(&[0u8; 4096]);
    data.extend_from_slice(b"trailing garbage");
    let out = extract_layer(&data[..], &root).unwrap();
    assert_eq!(out.diff_id, sha(&data));
    assert_eq!(out.size, data.len() as u64);
}

#[test]
fn store_verifies_diff_id_and_keeps_nothing_on_mismatch() {
    let base = tempfile::tempdir().unwrap();
    let store = Store::open(base.path()).unwrap();
    let mut t = Tar::new();
    t.file("etc/hostname", 0o644, b"rpod\n");
    let data = t.finish();
    let wrong = sha(b"something else");
    let err = store.create_layer(None, &wrong, &data[..]).unwrap_err();
    match &err {
        StorageError::DiffIdMismatch { expected, actual } => {
            assert_eq!(expected, &wrong);
            assert_eq!(actual, &sha(&data));
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(err.to_string().contains(&wrong) && err.to_string().contains(&sha(&data)));
    let layers = base.path().join("storage/layers");
    assert_eq!(fs::read_dir(&layers).unwrap().count(), 0);
    assert_eq!(
        fs::read_dir(base.path().join("storage/tmp"))
            .unwrap()
            .count(),
        0
    );

    // gzip-compressed, right digest: stored under its chain id.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&data).unwrap();
    let gz = gz.finish().unwrap();
    let info = store.create_layer(None, &sha(&data), &gz[..]).unwrap();
    assert_eq!(info.chain_id, sha(&data));
    assert_eq!(info.size, data.len() as u64);
    let diff = store.layer_diff_path(&info.chain_id).unwrap();
    assert_eq!(fs::read(diff.join("etc/hostname")).unwrap(), b"rpod\n");
    // A child layer's chain id.
    let mut t = Tar::new();
    t.file("b", 0o644, b"b");
    let child = t.finish();
    let zst = zstd::encode_all(&child[..], 1).unwrap();
    let cinfo = store
        .create_layer(Some(&info.chain_id), &sha(&child), &zst[..])
        .unwrap();
    let expected = sha(format!("{} {}", info.chain_id, sha(&child)).as_bytes());
    assert_eq!(cinfo.chain_id, expected);
    assert_eq!(cinfo.parent.as_deref(), Some(info.chain_id.as_str()));
    assert!(store.layer(&expected).unwrap().is_some());
}

#[test]
fn stale_temp_dirs_are_cleaned_on_open() {
    let base = tempfile::tempdir().unwrap();
    let store = Store::open(base.path()).unwrap();
    let live = store.temp_dir().unwrap();
    fs::write(live.path().join("partial"), b"x").unwrap();
    // A dead writer's leftovers: a directory with an unlocked marker, and one without.
    let tmp = base.path().join("storage/tmp");
    fs::create_dir(tmp.join("dead1")).unwrap();
    fs::write(tmp.join("dead1.lock"), b"").unwrap();
    fs::create_dir_all(tmp.join("dead2/diff/x")).unwrap();
    let _again = Store::open(base.path()).unwrap();
    assert!(!tmp.join("dead1").exists());
    assert!(!tmp.join("dead1.lock").exists());
    assert!(!tmp.join("dead2").exists());
    assert!(
        live.path().join("partial").exists(),
        "a live writer's dir was removed"
    );
    let live_path = live.path().to_path_buf();
    drop(live);
    assert!(!live_path.exists());
}

#[test]
fn a_tree_removed_aside_is_gone_at_once_and_its_temp_dir_once_settled() {
    let base = tempfile::tempdir().unwrap();
    let store = Store::open(base.path()).unwrap();
    let ctr = base.path().join("storage/containers/c1");
    fs::create_dir_all(ctr.join("upper/a/b/c")).unwrap();
    fs::write(ctr.join("upper/a/b/c/f"), b"x").unwrap();
    fs::create_dir_all(ctr.join("work/work")).unwrap();
    store.remove_tree_aside(&ctr).unwrap();
    assert!(!ctr.exists());
    // Missing is no error.
    store.remove_tree_aside(&ctr).unwrap();
    store.settle_removals();
    let tmp = base.path().join("storage/tmp");
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0, "left in tmp");
    // Dropping the last handle waits too.
    fs::create_dir_all(ctr.join("upper/d")).unwrap();
    store.remove_tree_aside(&ctr).unwrap();
    drop(store);
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0, "left in tmp");
}

fn limits(f: impl FnOnce(&mut UnpackLimits)) -> UnpackLimits {
    let mut l = UnpackLimits::default();
    f(&mut l);
    l
}

fn extract_with(data: &[u8], root: &Path, l: &UnpackLimits) -> Result<(), StorageError> {
    extract_layer_limited(data, root, l, &ImageBudget::default()).map(drop)
}

#[test]
fn a_deep_tree_unpacks_in_linear_time_and_sets_every_directory_time() {
    // Post-order with a file beside every subdirectory: each entry's
    // directory differs from the previous one's, the worst case for
    // resolving every entry's parent from the root.
    let (_base, root) = setup();
    let depth = 1000;
    let mut t = Tar::new();
    let mut path = String::new();
    for _ in 0..depth {
        path.push_str("a/");
        t.long(EntryType::Directory, &path, b"");
    }
    for level in (1..=depth).rev() {
        let dir = "a/".repeat(level);
        t.long(EntryType::Regular, &format!("{dir}f"), b"x");
    }
    let data = t.finish();
    let started = std::time::Instant::now();
    extract_layer(&data[..], &root).unwrap();
    let took = started.elapsed();
    // Quadratic path handling took minutes for trees like this one.
    assert!(took < std::time::Duration::from_secs(30), "took {took:?}");
    let mut p = root.clone();
    for _ in 0..depth {
        p.push("a");
        assert_eq!(fs::symlink_metadata(&p).unwrap().mtime(), 1_000_000);
    }
    assert!(p.join("f").is_file());
}

#[test]
fn depth_is_limited_directly_and_through_symlink_hops() {
    let l = limits(|l| l.max_path_depth = 4);
    let (_base, root) = setup();
    let mut t = Tar::new();
    t.file("a/b/c/d/ok", 0o644, b"x");
    extract_with(&t.finish(), &root, &l).unwrap();

    let (_base, root) = setup();
    let mut t = Tar::new();
    t.file("a/b/c/d/e/deep", 0o644, b"x");
    let err = extract_with(&t.finish(), &root, &l).unwrap_err();
    assert!(
        matches!(err, StorageError::Limit(LimitExceeded::Depth(4))),
        "{err}"
    );
    assert!(err.to_string().contains("storage.max_path_depth"), "{err}");

    // Three levels through a symlink to a directory three levels down.
    let (_base, root) = setup();
    let mut t = Tar::new();
    t.dir("a/").dir("a/b/").dir("a/b/c/");
    t.link(EntryType::Symlink, "hop", "/a/b/c");
    t.file("hop/x/y/z", 0o644, b"x");
    let err = extract_with(&t.finish(), &root, &l).unwrap_err();
    assert!(
        matches!(err, StorageError::Limit(LimitExceeded::Depth(4))),
        "{err}"
    );
    assert!(!root.join("a/b/c/x/y").exists());
    assert!(root.join("a/b/c/x").is_dir());
}

#[test]
fn entries_and_sizes_are_limited() {
    let (_base, root) = setup();
    let mut t = Tar::new();
    for i in 0..10 {
        t.file(&format!("f{i}"), 0o644, b"");
    }
    let data = t.finish();
    let err = extract_with(&data, &root, &limits(|l| l.max_layer_entries = 9)).unwrap_err();
    assert!(
        matches!(err, StorageError::Limit(LimitExceeded::Entries(9))),
        "{err}"
    );
    let (_base, root) = setup();
    extract_with(&data, &root, &limits(|l| l.max_layer_entries = 10)).unwrap();

    // A file announcing more than the limit is refused before it is written.
    let (_base, root) = setup();
    let mut t = Tar::new();
    t.file("big", 0o644, &vec![0u8; 1 << 20]);
    let data = t.finish();
    let err = extract_with(&data, &root, &limits(|l| l.max_layer_size = 1 << 19)).unwrap_err();
    assert!(
        matches!(err, StorageError::Limit(LimitExceeded::LayerSize(_))),
        "{err}"
    );
    assert!(!root.join("big").exists());
    // Many small files: the stream is counted.
    let (_base, root) = setup();
    let mut t = Tar::new();
    for i in 0..64 {
        t.file(&format!("f{i}"), 0o644, &[1u8; 4096]);
    }
    let data = t.finish();
    let err = extract_with(&data, &root, &limits(|l| l.max_layer_size = 100_000)).unwrap_err();
    assert!(
        matches!(err, StorageError::Limit(LimitExceeded::LayerSize(100_000))),
        "{err}"
    );
    // The image budget is shared by layers.
    let l = limits(|l| l.max_image_size = data.len() as u64 + 10);
    let image = ImageBudget::default();
    let (_base, root) = setup();
    extract_layer_limited(&data[..], &root, &l, &image).unwrap();
    let (_base, root2) = setup();
    let err = extract_layer_limited(&data[..], &root2, &l, &image).unwrap_err();
    assert!(
        matches!(err, StorageError::Limit(LimitExceeded::ImageSize(_))),
        "{err}"
    );
}

#[test]
fn store_refuses_a_bomb_and_keeps_nothing() {
    let base = tempfile::tempdir().unwrap();
    let store = Store::open(base.path())
        .unwrap()
        .with_limits(limits(|l| l.max_layer_size = 1 << 20));
    let mut t = Tar::new();
    t.file("zeros", 0o644, &vec![0u8; 4 << 20]);
    let data = t.finish();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data).unwrap();
    let gz = gz.finish().unwrap();
    let err = store.create_layer(None, &sha(&data), &gz[..]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "layer {}: unpacked size exceeds the limit of 1048576 bytes \
             (storage.max_layer_size in rpod.conf)",
            sha(&data)
        )
    );
    assert_eq!(
        fs::read_dir(base.path().join("storage/layers"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        fs::read_dir(base.path().join("storage/tmp"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn replacing_a_directory_on_the_cached_path_is_seen_by_later_entries() {
    let (_base, root) = setup();
    let mut t = Tar::new();
    t.dir("r/").dir("r/q/").dir("p/").dir("p/q/");
    t.file("p/q/f1", 0o644, b"1");
    // `p` becomes a symlink to `r`: later entries below `p` go to `r`.
    t.link(EntryType::Symlink, "p", "r");
    t.file("p/q/f2", 0o644, b"2");
    // A directory replaced by a file: entries below it fail.
    t.dir("s/").dir("s/t/");
    t.file("s/t/f", 0o644, b"x");
    extract_layer(&t.finish()[..], &root).unwrap();
    assert!(root.join("r/q/f2").is_file());
    assert!(!root.join("r/q/f1").exists());
    assert!(fs::symlink_metadata(root.join("p"))
        .unwrap()
        .file_type()
        .is_symlink());

    let (_base, root) = setup();
    let mut t = Tar::new();
    t.dir("s/").dir("s/t/").file("s/t/f", 0o644, b"x");
    t.file("s", 0o644, b"now a file");
    t.file("s/t/g", 0o644, b"x");
    let err = extract_layer(&t.finish()[..], &root).unwrap_err();
    assert!(matches!(err, StorageError::Entry { .. }), "{err}");
    assert_eq!(fs::read(root.join("s")).unwrap(), b"now a file");
}

#[test]
fn a_deep_directory_is_replaced_and_removed() {
    let (_base, root) = setup();
    let mut t = Tar::new();
    let deep = "d/".repeat(900);
    t.long(EntryType::Regular, &format!("{deep}f"), b"x");
    t.file("d", 0o644, b"flat");
    extract_layer(&t.finish()[..], &root).unwrap();
    assert_eq!(fs::read(root.join("d")).unwrap(), b"flat");
}

#[test]
fn layers_a_killed_pull_stored_are_removed_on_open() {
    let base = tempfile::tempdir().unwrap();
    let store = Store::open(base.path()).unwrap();
    let mut t = Tar::new();
    t.file("orphan", 0o644, b"x");
    let data = t.finish();
    let info = store.create_layer(None, &sha(&data), &data[..]).unwrap();
    // A dead pull's temp dir (its lock marker is free) records the layer
    // and a blob; a live one's record is left alone.
    let tmp = base.path().join("storage/tmp");
    fs::create_dir(tmp.join("dead")).unwrap();
    fs::write(tmp.join("dead.lock"), b"").unwrap();
    fs::write(
        tmp.join("dead/stored"),
        format!("layer {}\nblob {}\n", info.chain_id, sha(b"blob")),
    )
    .unwrap();
    fs::write(
        base.path()
            .join("storage/blobs/sha256")
            .join(&sha(b"blob")[7..]),
        b"blob",
    )
    .unwrap();
    let live = store.temp_dir().unwrap();
    let mut t = Tar::new();
    t.file("pending", 0o644, b"y");
    let data2 = t.finish();
    let pending = store.create_layer(None, &sha(&data2), &data2[..]).unwrap();
    fs::write(
        live.path().join("stored"),
        format!("layer {}\n", pending.chain_id),
    )
    .unwrap();

    let again = Store::open(base.path()).unwrap();
    assert!(again.layer(&info.chain_id).unwrap().is_none());
    assert!(!again.has_blob(&sha(b"blob")));
    assert!(!tmp.join("dead").exists());
    assert!(again.layer(&pending.chain_id).unwrap().is_some());
    drop(live);
}

#[test]
fn oversized_pax_headers_are_refused_before_they_fill_memory() {
    let (_base, root) = setup();
    let mut t = Tar::new();
    let huge = vec![b'v'; 8 << 20];
    t.b.append_pax_extensions([("SCHILY.xattr.user.big", &huge[..])])
        .unwrap();
    t.file("f", 0o644, b"x");
    let err = extract_layer(&t.finish()[..], &root).unwrap_err();
    assert!(
        err.to_string().contains("headers of one entry exceed"),
        "{err}"
    );

    // A PAX record of normal size, and unused data of a symlink entry, pass.
    let (_base, root) = setup();
    let mut t = Tar::new();
    t.b.append_pax_extensions([("SCHILY.xattr.user.small", &[b'v'; 1024][..])])
        .unwrap();
    t.file("f", 0o644, b"x");
    let mut h = t.raw(EntryType::Symlink, "s", Some("f"), 0o777, &[0u8; 8192]);
    h.set_size(8192);
    t.add(h, &[0u8; 8192]);
    t.file("g", 0o644, b"y");
    extract_layer(&t.finish()[..], &root).unwrap();
    assert!(root.join("g").is_file());
}
