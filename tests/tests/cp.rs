//! `cp` against real runc: files, directories and tar streams both ways,
//! running, created and stopped containers, volumes and bind mounts,
//! container to container, Podman's errors, and the symlink-swap race of
//! CVE-2018-15664 (host canaries never read nor written).

mod common;

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Stdio;

use common::busybox;
use rpod_tests::TestEnv;

fn exec_out(env: &TestEnv, ctr: &str, cmd: &str) -> String {
    env.ok(&["exec", ctr, "sh", "-c", cmd]).trim().to_owned()
}

/// Names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A host tree: `hostfile` (0751, owned 1234:5678), `dir/sub/f`, `dir./g`.
fn host_tree(base: &Path) {
    fs::write(base.join("hostfile"), "host content\n").unwrap();
    fs::set_permissions(base.join("hostfile"), fs::Permissions::from_mode(0o751)).unwrap();
    std::os::unix::fs::chown(base.join("hostfile"), Some(1234), Some(5678)).unwrap();
    fs::create_dir_all(base.join("dir/sub")).unwrap();
    fs::write(base.join("dir/sub/f"), "in dir\n").unwrap();
    fs::create_dir_all(base.join("dir.")).unwrap();
    fs::write(base.join("dir./g"), "in dir.\n").unwrap();
}

#[test]
fn cp_host_to_container_running_created_and_stopped() {
    let (w, img) = busybox();
    let env = &w.env;
    let host = env.dir().join("host");
    fs::create_dir_all(&host).unwrap();
    host_tree(&host);
    let h = |p: &str| host.join(p).display().to_string();

    env.ok(&[
        "run",
        "-d",
        "--name",
        "run1",
        "--workdir",
        "/tmp",
        &img,
        "sleep",
        "1000",
    ]);
    env.ok(&["exec", "run1", "mkdir", "-p", "/tmp/subdir"]);
    env.ok(&["cp", &h("hostfile"), "run1:/tmp"]);
    assert_eq!(exec_out(env, "run1", "cat /tmp/hostfile"), "host content");
    // Permissions kept, owner the container's user (--archive defaults true).
    assert_eq!(
        exec_out(env, "run1", "stat -c '%a %u:%g' /tmp/hostfile"),
        "751 0:0"
    );
    env.ok(&["cp", "--archive=false", &h("hostfile"), "run1:/tmp/kept"]);
    assert_eq!(
        exec_out(env, "run1", "stat -c '%a %u:%g' /tmp/kept"),
        "751 1234:5678"
    );
    // New name, relative destination from the working directory.
    env.ok(&["cp", &h("hostfile"), "run1:renamed.txt"]);
    assert_eq!(
        exec_out(env, "run1", "cat /tmp/renamed.txt"),
        "host content"
    );
    env.ok(&["cp", &h("hostfile"), "run1:subdir"]);
    assert_eq!(
        exec_out(env, "run1", "cat /tmp/subdir/hostfile"),
        "host content"
    );
    // Directories: dir → dir/sub; dir/. → contents; dir. is a name.
    env.ok(&["cp", &h("dir"), "run1:/"]);
    assert_eq!(exec_out(env, "run1", "cat /dir/sub/f"), "in dir");
    env.ok(&["cp", &format!("{}/.", h("dir")), "run1:/tmp/"]);
    assert_eq!(exec_out(env, "run1", "cat /tmp/sub/f"), "in dir");
    env.ok(&["cp", &h("dir."), "run1:/tmp"]);
    assert_eq!(exec_out(env, "run1", "cat /tmp/dir./g"), "in dir.");
    env.ok(&["cp", &h("dir"), "run1:/newdir"]);
    assert_eq!(exec_out(env, "run1", "cat /newdir/sub/f"), "in dir");
    // A directory onto a file, a file into a missing directory.
    let (code, err) = env.fails(&["cp", &h("dir"), "run1:/etc/hostname"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: destination must be a directory when copying a directory\n"
    );
    let (code, err) = env.fails(&["cp", &h("hostfile"), "run1:/IdoNotExist/"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: \"/IdoNotExist/\" could not be found on container run1: no such file or directory\n"
    );
    let (code, err) = env.fails(&["cp", &h("hostfile"), "run1:/no/such/parent/file"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("could not be found on container run1"),
        "{err}"
    );
    assert_eq!(
        exec_out(env, "run1", "test -e /no && echo yes || echo no"),
        "no"
    );
    // --overwrite: a file replaces a directory only when asked.
    env.ok(&["exec", "run1", "mkdir", "/tmp/hostfile2"]);
    fs::copy(host.join("hostfile"), host.join("hostfile2")).unwrap();
    let (code, err) = env.fails(&["cp", &h("hostfile2"), "run1:/tmp"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("error creating \"/tmp/hostfile2\"") && err.contains("file exists"),
        "{err}"
    );
    env.ok(&["cp", "--overwrite", &h("hostfile2"), "run1:/tmp"]);
    assert_eq!(exec_out(env, "run1", "cat /tmp/hostfile2"), "host content");

    // A container created and never started: the copy is there at start.
    env.ok(&["create", "--name", "new1", &img, "sleep", "1000"]);
    env.ok(&["cp", &h("hostfile"), "new1:/tmp/x"]);
    env.ok(&["cp", &h("dir"), "new1:/"]);
    env.ok(&["start", "new1"]);
    assert_eq!(
        exec_out(env, "new1", "cat /tmp/x /dir/sub/f"),
        "host content\nin dir"
    );

    // A stopped container.
    env.ok(&["stop", "-t", "0", "new1"]);
    env.ok(&["cp", &h("hostfile"), "new1:/tmp/y"]);
    env.ok(&["start", "new1"]);
    assert_eq!(exec_out(env, "new1", "cat /tmp/y"), "host content");
    env.ok(&["rm", "-f", "-t", "0", "run1", "new1"]);
}

#[test]
fn cp_container_to_host_and_between_containers() {
    let (w, img) = busybox();
    let env = &w.env;
    let out = env.dir().join("out");
    fs::create_dir_all(&out).unwrap();
    let o = |p: &str| out.join(p).display().to_string();
    env.ok(&[
        "run",
        "-d",
        "--name",
        "src",
        "--workdir",
        "/tmp",
        &img,
        "sh",
        "-c",
        "mkdir -p /srv/subdir; echo zero > /srv/subdir/f0; echo one > /srv/f1; \
         chmod 640 /srv/f1; chown 7:8 /srv/f1; mkdir /tmp/sub; ln -s .. /tmp/sub/up; \
         touch /srv/ready; sleep 1000",
    ]);
    rpod_tests::wait_until(std::time::Duration::from_secs(20), "src ready", || {
        env.run(&["exec", "src", "test", "-e", "/srv/ready"])
            .status
            .success()
    });
    env.ok(&["cp", "src:../srv/f1", &o("")]);
    assert_eq!(fs::read_to_string(out.join("f1")).unwrap(), "one\n");
    let m = fs::metadata(out.join("f1")).unwrap();
    // Mode kept; owned by the user running cp, as Podman does.
    assert_eq!((m.mode() & 0o7777, m.uid(), m.gid()), (0o640, 0, 0));
    env.ok(&["cp", "src:/srv/f1", &o("newname")]);
    assert_eq!(fs::read_to_string(out.join("newname")).unwrap(), "one\n");
    env.ok(&["cp", "src:/srv", &o("")]);
    assert_eq!(
        fs::read_to_string(out.join("srv/subdir/f0")).unwrap(),
        "zero\n"
    );
    env.ok(&["cp", "src:/srv/.", &o("contents")]);
    assert_eq!(
        fs::read_to_string(out.join("contents/subdir/f0")).unwrap(),
        "zero\n"
    );
    // A symlink is followed inside the container: /tmp/sub/up is /tmp.
    env.ok(&["cp", "src:/tmp/sub/up", &o("up")]);
    assert!(out.join("up/sub").is_dir());
    let (code, err) = env.fails(&["cp", "src:/srv", &o("f1")]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: destination must be a directory when copying a directory\n"
    );
    let (code, err) = env.fails(&["cp", "src:/srv/f1", "/dev/stdout"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: invalid destination: \"/dev/stdout\" must be a directory or a regular file\n"
    );

    // Container to container, running and created destinations.
    env.ok(&["run", "-d", "--name", "dst", &img, "sleep", "1000"]);
    env.ok(&["create", "--name", "dst2", &img, "sleep", "1000"]);
    env.ok(&["cp", "src:/srv/.", "dst:/copied"]);
    assert_eq!(exec_out(env, "dst", "cat /copied/subdir/f0"), "zero");
    env.ok(&["cp", "src:/srv/f1", "dst2:/f1"]);
    env.ok(&["start", "dst2"]);
    assert_eq!(
        exec_out(env, "dst2", "cat /f1; stat -c %u:%g /f1"),
        "one\n0:0"
    );

    // A stopped source.
    env.ok(&["stop", "-t", "0", "src"]);
    env.ok(&["cp", "src:/srv/f1", &o("fromstopped")]);
    assert_eq!(
        fs::read_to_string(out.join("fromstopped")).unwrap(),
        "one\n"
    );
    env.ok(&["rm", "-f", "-t", "0", "src", "dst", "dst2"]);
}

#[test]
fn cp_tar_streams_both_ways() {
    let (w, img) = busybox();
    let env = &w.env;
    env.ok(&["run", "-d", "--name", "t1", &img, "sleep", "1000"]);
    // A gzip-compressed tar on stdin, owners kept with --archive=false.
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    let mut hdr = tar::Header::new_gnu();
    hdr.set_size(6);
    hdr.set_mode(0o600);
    hdr.set_uid(1042);
    hdr.set_gid(1043);
    hdr.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut hdr, "a/b.txt", &b"hello\n"[..]).unwrap();
    let gz = b.into_inner().unwrap().finish().unwrap();
    let stdin_cp = |args: &[&str], data: &[u8]| {
        let mut child = env
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(data).unwrap();
        child.wait_with_output().unwrap()
    };
    let res = stdin_cp(&["cp", "-a=false", "-", "t1:/tmp"], &gz);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(
        exec_out(
            env,
            "t1",
            "cat /tmp/a/b.txt; stat -c '%a %u:%g' /tmp/a/b.txt"
        ),
        "hello\n600 1042:1043"
    );
    let res = stdin_cp(&["cp", "-", "t1:/tmp"], b"not a tar archive at all");
    assert_eq!(res.status.code(), Some(125));
    assert_eq!(
        String::from_utf8_lossy(&res.stderr),
        "Error: source must be a (compressed) tar archive when copying from stdin\n"
    );
    let res = stdin_cp(&["cp", "-", "t1:/tmp/a/b.txt"], &gz);
    assert_eq!(res.status.code(), Some(125));
    assert_eq!(
        String::from_utf8_lossy(&res.stderr),
        "Error: destination must be a directory when copying from stdin\n"
    );

    // `/dev/stdin` is a host path like any other (a file named `stdin`).
    let spooled = env.dir().join("stdin-file");
    fs::write(&spooled, "via /dev/stdin\n").unwrap();
    let res = env
        .cmd(&["cp", "/dev/stdin", "t1:/tmp"])
        .stdin(fs::File::open(&spooled).unwrap())
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(exec_out(env, "t1", "cat /tmp/stdin"), "via /dev/stdin");

    // A directory to stdout: a plain tar named after the directory.
    let out = env.run(&["cp", "t1:/tmp/a", "-"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ar = tar::Archive::new(&out.stdout[..]);
    let mut names = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().display().to_string();
        if name == "a/b.txt" {
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            assert_eq!(s, "hello\n");
            assert_eq!(e.header().mode().unwrap() & 0o777, 0o600);
        }
        names.push(name);
    }
    assert_eq!(names, ["a/", "a/b.txt"]);
    env.ok(&["rm", "-f", "-t", "0", "t1"]);
}

#[test]
fn cp_into_volumes_and_bind_mounts_of_a_created_container() {
    let (w, img) = busybox();
    let env = &w.env;
    let src = env.dir().join("src");
    let bind = env.dir().join("bind");
    fs::create_dir_all(&src).unwrap();
    fs::create_dir_all(&bind).unwrap();
    fs::write(src.join("hostfile"), "for the volume\n").unwrap();
    env.ok(&["volume", "create", "v1"]);
    env.ok(&["volume", "create", "v2"]);
    let bind_arg = format!("{}:/data/v1/bound", bind.display());
    env.ok(&[
        "create",
        "--name",
        "vc",
        "-v",
        "v1:/data/v1",
        "-v",
        "v2:/data/v1/sub",
        "-v",
        &bind_arg,
        &img,
        "sleep",
        "1000",
    ]);
    let file = src.join("hostfile").display().to_string();
    env.ok(&["cp", &file, "vc:/data/v1/sub"]);
    env.ok(&["cp", &file, "vc:/data/v1/bound/"]);
    let v1 = env.root().join("volumes/v1/_data");
    let v2 = env.root().join("volumes/v2/_data");
    assert_eq!(
        fs::read_to_string(v2.join("hostfile")).unwrap(),
        "for the volume\n"
    );
    assert_eq!(
        fs::read_to_string(bind.join("hostfile")).unwrap(),
        "for the volume\n"
    );
    assert!(!v1.join("hostfile").exists());
    // And through a running container's own view.
    env.ok(&["start", "vc"]);
    env.ok(&["cp", &file, "vc:/data/v1/running"]);
    assert_eq!(
        fs::read_to_string(v1.join("running")).unwrap(),
        "for the volume\n"
    );
    env.ok(&["rm", "-f", "-t", "0", "vc"]);
}

#[test]
fn cp_bad_input_changes_nothing() {
    let (w, img) = busybox();
    let env = &w.env;
    let dir = env.dir().join("bad");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("f"), "x").unwrap();
    let f = dir.join("f").display().to_string();
    env.ok(&["create", "--name", "b1", &img, "sleep", "1000"]);
    let (code, err) = env.fails(&["cp", &f, "nosuch:/tmp"]);
    assert_eq!(
        (code, err.as_str()),
        (125, "Error: container \"nosuch\" does not exist\n")
    );
    let missing = dir.join("missing").display().to_string();
    let (code, err) = env.fails(&["cp", &missing, "b1:/tmp"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        format!("Error: {missing:?} could not be found on the host: no such file or directory\n")
    );
    let (code, err) = env.fails(&["cp", "b1:/no/such/file", &dir.display().to_string()]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: \"/no/such/file\" could not be found on container b1: no such file or directory\n"
    );
    let (code, err) = env.fails(&["cp", "b1:/tmp/*", &dir.display().to_string()]);
    assert_eq!(code, 125);
    assert!(
        err.starts_with("Error: \"/tmp/*\" could not be found on container b1"),
        "{err}"
    );
    let (code, _) = env.fails(&["cp", &f, "b1:/missing/parent/f"]);
    assert_eq!(code, 125);
    let (code, err) = env.fails(&["container", "cp", &f]);
    assert_eq!(
        (code, err.as_str()),
        (125, "Error: accepts 2 arg(s), received 1\n")
    );
    let (code, err) = env.fails(&["cp", "b1:", &f]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        format!("Error: invalid arguments \"b1:\", {f:?}: you must specify paths\n")
    );
    // Neither side a container: Podman looks up a container named "".
    let (code, err) = env.fails(&["cp", &f, &missing]);
    assert_eq!(
        (code, err.as_str()),
        (125, "Error: name or ID cannot be empty\n")
    );
    let (code, err) = env.fails(&["cp", &f, ":/tmp"]);
    assert_eq!(
        (code, err.as_str()),
        (125, "Error: name or ID cannot be empty\n")
    );
    assert_eq!(listing(&dir), ["f"]);
    env.ok(&["start", "b1"]);
    assert_eq!(
        exec_out(env, "b1", "test -e /missing && echo yes || echo no"),
        "no"
    );
    env.ok(&["rm", "-f", "-t", "0", "b1"]);
}

/// CVE-2018-15664: the container swaps `/w` between a symlink to its own
/// directory and a symlink to a host path (and has `/escape -> /`) while
/// `cp` runs, many times (removing whatever else a copy left at `/w`). A resolver
/// that looked paths up on the host would read the host canary or write
/// into the host directory; `cp` must only ever see the container's tree.
#[test]
fn cp_never_leaves_the_root_while_links_are_swapped() {
    let (w, img) = busybox();
    let env = &w.env;
    let canary_dir = env.dir().join("canary");
    fs::create_dir_all(&canary_dir).unwrap();
    fs::write(canary_dir.join("secret"), "HOST SECRET\n").unwrap();
    let cd = canary_dir.display().to_string();
    let script = format!(
        "ln -s / /escape; mkdir -p /w.dir; echo container > /w.dir/secret; \
         while :; do rm -rf /w; ln -s /w.dir /w; rm -rf /w; ln -s {cd} /w; done"
    );
    env.ok(&["run", "-d", "--name", "race", &img, "sh", "-c", &script]);
    let out = env.dir().join("out");
    fs::create_dir_all(&out).unwrap();
    let payload = env.dir().join("payload");
    fs::write(&payload, "PAYLOAD\n").unwrap();
    let payload_s = payload.display().to_string();
    let escape_src = format!("race:/escape{cd}/secret");
    let escape_dst = format!("race:/escape{cd}/");
    let mut copied = 0;
    for i in 0..150 {
        let target = out.join(format!("r{i}"));
        let res = env.run(&["cp", "race:/w/secret", &target.display().to_string()]);
        if res.status.success() {
            copied += 1;
            let got = fs::read_to_string(&target).unwrap();
            assert_eq!(got, "container\n", "round {i} read outside the container");
        }
        // Writes race the same swap: never into the host directory.
        let _ = env.run(&["cp", &payload_s, "race:/w/"]);
        let _ = env.run(&["cp", &payload_s, "race:/w/dropped"]);
        // `/escape` is `/` of the container, never of the host.
        assert!(!env
            .run(&["cp", &escape_src, &target.display().to_string()])
            .status
            .success());
        let _ = env.run(&["cp", &payload_s, &escape_dst]);
        assert_eq!(
            listing(&canary_dir),
            ["secret"],
            "round {i} wrote outside the container"
        );
    }
    assert_eq!(
        fs::read_to_string(canary_dir.join("secret")).unwrap(),
        "HOST SECRET\n"
    );
    // Reads that won the race are checked above; keep trying until one did,
    // so the check is never vacuous (bounded by a count, never a time).
    for i in 0..2000 {
        if copied > 0 {
            break;
        }
        let target = out.join(format!("extra{i}"));
        if env
            .run(&["cp", "race:/w/secret", &target.display().to_string()])
            .status
            .success()
        {
            copied += 1;
            assert_eq!(fs::read_to_string(&target).unwrap(), "container\n");
        }
    }
    assert!(copied > 0, "no copy out of the racing container succeeded");
    // A tar stream out of the racing container holds only its own data.
    for _ in 0..30 {
        let res = env.run(&["cp", "race:/w", "-"]);
        assert!(!String::from_utf8_lossy(&res.stdout).contains("HOST SECRET"));
    }
    env.ok(&["rm", "-f", "-t", "0", "race"]);
}

/// `command` (`bzip2 -c`, `xz -c`) run over `data`.
fn filter(command: &[&str], data: &[u8]) -> Vec<u8> {
    let mut child = std::process::Command::new(command[0])
        .args(&command[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) {
    use std::os::unix::ffi::OsStrExt;
    let p = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    let n = std::ffi::CString::new(name).unwrap();
    // SAFETY: both strings are NUL-terminated and live across the call; the
    // value pointer and length describe `value`.
    let rc = unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
}

fn get_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let p = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    let n = std::ffi::CString::new(name).unwrap();
    let mut buf = vec![0u8; 1024];
    // SAFETY: NUL-terminated strings; the buffer pointer and length
    // describe `buf`, which the call fills at most to its length.
    let rc = unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (rc >= 0).then(|| buf[..rc as usize].to_vec())
}

#[test]
fn cp_compressed_streams_and_extended_attributes() {
    let (w, img) = busybox();
    let env = &w.env;
    env.ok(&["run", "-d", "--name", "cz", &img, "sleep", "1000"]);
    let mut b = tar::Builder::new(Vec::new());
    let mut hdr = tar::Header::new_gnu();
    hdr.set_size(3);
    hdr.set_mode(0o644);
    hdr.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut hdr, "z.txt", &b"zz\n"[..]).unwrap();
    let plain = b.into_inner().unwrap();
    for (dir, cmd) in [
        ("bz", &["bzip2", "-c"][..]),
        ("xz", &["xz", "-c"][..]),
        ("zst", &["zstd", "-q", "-c"][..]),
    ] {
        env.ok(&["exec", "cz", "mkdir", &format!("/tmp/{dir}")]);
        let mut child = env
            .cmd(&["cp", "-", &format!("cz:/tmp/{dir}")])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&filter(cmd, &plain))
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{dir}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(exec_out(env, "cz", &format!("cat /tmp/{dir}/z.txt")), "zz");
    }

    // user.* attributes go into the container and back out.
    let src = env.dir().join("xattr-src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("d/f"), "x").unwrap();
    set_xattr(&src.join("d"), "user.dir", b"on dir");
    set_xattr(&src.join("d/f"), "user.file", b"on file");
    env.ok(&["cp", &format!("{}/d", src.display()), "cz:/tmp/"]);
    let back = env.dir().join("xattr-back");
    fs::create_dir_all(&back).unwrap();
    env.ok(&["cp", "cz:/tmp/d", &back.display().to_string()]);
    assert_eq!(get_xattr(&back.join("d"), "user.dir").unwrap(), b"on dir");
    assert_eq!(
        get_xattr(&back.join("d/f"), "user.file").unwrap(),
        b"on file"
    );
    env.ok(&["rm", "-f", "-t", "0", "cz"]);
}
