//! Property tests of the layer extractor with generated hostile archives:
//! whatever the entries (traversal, absolute names, symlinks and hardlinks
//! pointing anywhere, whiteouts, replacements), extraction never panics,
//! never changes anything outside the layer root, and a successful
//! extraction reports the digest of exactly the bytes it read.
//!
//! `PROPTEST_CASES=N` raises the number of cases (default 64 here, as
//! each case unpacks into a fresh directory).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

use super::extract::extract_layer_limited;
use super::limits::{ImageBudget, UnpackLimits};
use super::StorageError;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Dir,
    File(Vec<u8>),
    Symlink(String),
    Hardlink(String),
    Fifo,
    Char,
}

const PARTS: &[&str] = &["a", "b", "..", ".", ".wh.a", ".wh..wh..opq", "canary", "x"];

/// Symlink targets; `@CANARY@` is replaced by the canary directory's host path.
const TARGETS: &[&str] = &[
    "a", "/", "..", "../..", "../../..", "/a/b", "@CANARY@", "a/../..", "/..", ".",
];

fn name() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        proptest::collection::vec(proptest::sample::select(PARTS), 1..5),
    )
        .prop_map(|(abs, parts)| {
            let joined = parts.join("/");
            if abs {
                format!("/{joined}")
            } else {
                joined
            }
        })
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Dir),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Kind::File),
        proptest::sample::select(TARGETS).prop_map(|t| Kind::Symlink(t.to_string())),
        name().prop_map(Kind::Hardlink),
        Just(Kind::Fifo),
        Just(Kind::Char),
    ]
}

fn build(entries: &[(String, Kind)], canary: &Path) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, kind) in entries {
        let mut h = Header::new_gnu();
        h.set_mode(0o4755);
        h.set_mtime(1_000_000);
        let (ty, data, link): (EntryType, &[u8], Option<String>) = match kind {
            Kind::Dir => (EntryType::Directory, b"", None),
            Kind::File(d) => (EntryType::Regular, d, None),
            Kind::Symlink(t) => (
                EntryType::Symlink,
                b"",
                Some(t.replace("@CANARY@", canary.to_str().unwrap())),
            ),
            Kind::Hardlink(t) => (EntryType::Link, b"", Some(t.clone())),
            Kind::Fifo => (EntryType::Fifo, b"", None),
            Kind::Char => (EntryType::Char, b"", None),
        };
        h.set_entry_type(ty);
        h.set_size(data.len() as u64);
        let old = h.as_old_mut();
        let n = path.len().min(old.name.len());
        old.name[..n].copy_from_slice(&path.as_bytes()[..n]);
        if let Some(l) = link {
            let n = l.len().min(old.linkname.len());
            old.linkname[..n].copy_from_slice(&l.as_bytes()[..n]);
        }
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

/// Everything below `dir` except `skip`: path → (mode, size, content hash).
fn snapshot(dir: &Path, skip: &Path) -> BTreeMap<String, (u32, u64, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p == skip {
                continue;
            }
            let m = fs::symlink_metadata(&p).unwrap();
            let content = if m.is_file() {
                Sha256::digest(fs::read(&p).unwrap()).to_vec()
            } else {
                Vec::new()
            };
            out.insert(
                p.display().to_string(),
                (m.mode(), m.len() * u64::from(!m.is_dir()), content),
            );
            if m.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn nothing_outside_the_root_changes(
        entries in proptest::collection::vec((name(), kind()), 1..24)
    ) {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("root");
        let canary = base.path().join("canary");
        fs::create_dir(&root).unwrap();
        fs::create_dir(&canary).unwrap();
        fs::write(canary.join("x"), b"canary").unwrap();
        fs::write(base.path().join("a"), b"beside the root").unwrap();
        let before = snapshot(base.path(), &root);

        let data = build(&entries, &canary);
        let limits = UnpackLimits { max_path_depth: 16, ..UnpackLimits::default() };
        let res = extract_layer_limited(&data[..], &root, &limits, &ImageBudget::default());

        prop_assert_eq!(&before, &snapshot(base.path(), &root));
        match res {
            Ok(out) => {
                prop_assert_eq!(out.diff_id, format!("sha256:{}", hex::encode(Sha256::digest(&data))));
                prop_assert_eq!(out.size, data.len() as u64);
            }
            Err(StorageError::InvalidPath(p)) => {
                // Only names whose `..` climbs above the root are refused so.
                prop_assert!(!p.starts_with('/') && p.contains(".."), "{}", p);
            }
            Err(StorageError::Entry { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error: {}", other),
        }
    }
}
