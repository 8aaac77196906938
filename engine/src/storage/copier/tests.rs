use std::fs;
use std::io::Read;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;

use super::*;
use crate::storage::in_root::InRoot;

#[test]
fn renames_apply_to_the_item_and_below_it() {
    let r = Rename {
        from: "tmp".into(),
        to: "dest".into(),
    };
    assert_eq!(r.apply("tmp"), "dest");
    assert_eq!(r.apply("tmp/"), "dest/");
    assert_eq!(r.apply("tmp/a/b"), "dest/a/b");
    assert_eq!(r.apply("tmpx/a"), "tmpx/a");
    assert_eq!(base_name("/a/b/"), "b");
    assert_eq!(base_name(""), ".");
}

#[test]
fn resolve_stays_in_the_root_and_keeps_missing_parts() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    fs::create_dir_all(root.join("tmp/d")).unwrap();
    symlink("/tmp/nonesuch", root.join("tmp/d/x")).unwrap();
    symlink("../../../../..", root.join("tmp/up")).unwrap();
    symlink("/", root.join("escape")).unwrap();
    let t = InRoot::new(&root).unwrap();
    let r = |p: &str, f| t.resolve(Path::new(p), f).unwrap();
    assert_eq!(r("/tmp/d/x", true), Path::new("/tmp/nonesuch"));
    assert_eq!(r("/tmp/d/x", false), Path::new("/tmp/d/x"));
    assert_eq!(r("/tmp/up/etc", true), Path::new("/etc"));
    assert_eq!(r("/escape/escape/tmp/./d/..", true), Path::new("/tmp"));
}

/// `/dir` of `tree` archived under its own name.
fn get_dir(tree: &InRoot) -> Vec<u8> {
    let o = GetOptions {
        keep_directory_names: true,
        ..GetOptions::default()
    };
    get(tree, Path::new("/dir"), &o, Vec::new()).unwrap()
}

/// A tree copied out with `get` and into another root with `put`: names,
/// modes, owners and symlinks as copier keeps them; a symlinked parent in
/// the destination leads inside the destination root, never outside.
#[test]
fn get_then_put_round_trips_inside_the_roots() {
    let base = tempfile::tempdir().unwrap();
    let src = base.path().join("src");
    fs::create_dir_all(src.join("dir/sub")).unwrap();
    fs::write(src.join("dir/sub/f"), "content").unwrap();
    std::os::unix::fs::chown(src.join("dir/sub/f"), Some(77), Some(88)).unwrap();
    fs::set_permissions(src.join("dir/sub/f"), fs::Permissions::from_mode(0o4751)).unwrap();
    symlink("/etc/passwd", src.join("dir/link")).unwrap();
    let outside = base.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    let dst = base.path().join("dst");
    fs::create_dir_all(&dst).unwrap();
    symlink(&outside, dst.join("target")).unwrap();

    let s = InRoot::new(&src).unwrap();
    let tar = get_dir(&s);
    let d = InRoot::new(&dst).unwrap();
    put(
        &d,
        Path::new("/target/in"),
        &PutOptions::default(),
        &tar[..],
    )
    .unwrap();
    // `/target` is a symlink to a host path: inside the root it is missing,
    // so the directories are made in the root, not in `outside`.
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    let landed = dst.join(outside.strip_prefix("/").unwrap()).join("in/dir");
    let mut got = String::new();
    fs::File::open(landed.join("sub/f"))
        .unwrap()
        .read_to_string(&mut got)
        .unwrap();
    assert_eq!(got, "content");
    let m = fs::metadata(landed.join("sub/f")).unwrap();
    assert_eq!((m.mode() & 0o7777, m.uid(), m.gid()), (0o4751, 77, 88));
    assert_eq!(
        fs::read_link(landed.join("link")).unwrap(),
        Path::new("/etc/passwd")
    );

    // Owners forced, a file never replaces a directory unless asked.
    fs::create_dir_all(dst.join("over/sub")).unwrap();
    let file_tar = get(
        &s,
        Path::new("/dir/sub/f"),
        &GetOptions::default(),
        Vec::new(),
    )
    .unwrap();
    let to_sub = PutOptions {
        owner: Some((5, 6)),
        no_overwrite_dir_non_dir: true,
        no_overwrite_non_dir_dir: true,
        rename: Some(Rename {
            from: "f".into(),
            to: "sub".into(),
        }),
        ..PutOptions::default()
    };
    let err = put(&d, Path::new("/over"), &to_sub, &file_tar[..]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("copier: put: error creating \"/over/sub\""),
        "{err}"
    );
    assert!(err.to_string().ends_with("file exists"), "{err}");
    let replace = PutOptions {
        no_overwrite_dir_non_dir: false,
        ..to_sub
    };
    put(&d, Path::new("/over"), &replace, &file_tar[..]).unwrap();
    let m = fs::metadata(dst.join("over/sub")).unwrap();
    assert!(m.is_file());
    assert_eq!((m.uid(), m.gid()), (5, 6));
}

/// Copier's extended attributes (`user.*`, `security.capability`) go
/// through `get` and `put`, owners changed or not; `user.overlay.*` and
/// other namespaces stay behind.
#[test]
fn extended_attributes_are_kept() {
    let base = tempfile::tempdir().unwrap();
    let src = base.path().join("src");
    fs::create_dir_all(src.join("dir")).unwrap();
    fs::write(src.join("dir/f"), "x").unwrap();
    let set = |p: &Path, n: &str, v: &[u8]| {
        rustix::fs::setxattr(p, n, v, rustix::fs::XattrFlags::empty()).unwrap()
    };
    set(&src.join("dir"), "user.dirattr", b"d");
    set(&src.join("dir/f"), "user.fileattr", b"f\0binary");
    set(&src.join("dir/f"), "user.overlay.x", b"no");
    // cap_net_bind_service+ep, as setcap writes it (VFS_CAP_REVISION_2).
    let cap = [
        0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    set(&src.join("dir/f"), "security.capability", &cap);
    let tar = get_dir(&InRoot::new(&src).unwrap());
    let dst = base.path().join("dst");
    fs::create_dir_all(&dst).unwrap();
    let o = PutOptions {
        owner: Some((5, 6)),
        ..PutOptions::default()
    };
    put(&InRoot::new(&dst).unwrap(), Path::new("/"), &o, &tar[..]).unwrap();
    let get_attr = |p: &Path, n: &str| {
        let mut buf = vec![0u8; 256];
        rustix::fs::getxattr(p, n, &mut buf[..])
            .ok()
            .map(|len| buf[..len].to_vec())
    };
    assert_eq!(get_attr(&dst.join("dir"), "user.dirattr").unwrap(), b"d");
    let f = dst.join("dir/f");
    assert_eq!(get_attr(&f, "user.fileattr").unwrap(), b"f\0binary");
    assert_eq!(get_attr(&f, "security.capability").unwrap(), cap);
    assert!(get_attr(&f, "user.overlay.x").is_none());
    assert_eq!(fs::metadata(&f).unwrap().uid(), 5);
}
