//! `--mount type=image|glob|ramfs|devpts`, tmpfs `noswap` and
//! containers.conf's `[containers] mounts` against real runc, with
//! Podman's refusals (one line, exit 125, nothing created).

mod common;

use common::{busybox, inspect};

fn out_err(o: &std::process::Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn image_mounts() {
    let (w, img) = busybox();
    let env = &w.env;
    let ro = format!("type=image,src={img},dst=/image-mount");
    assert_eq!(
        env.ok(&[
            "run",
            "--rm",
            "--mount",
            &ro,
            &img,
            "ls",
            "/image-mount/bin/busybox"
        ])
        .trim(),
        "/image-mount/bin/busybox"
    );
    let o = env.run(&[
        "run",
        "--rm",
        "--mount",
        &ro,
        &img,
        "touch",
        "/image-mount/x",
    ]);
    let (code, _, err) = out_err(&o);
    assert_eq!(code, 1);
    assert!(err.contains("Read-only file system"), "{err}");
    for rw in ["rw=true", "readwrite=true"] {
        env.ok(&[
            "run",
            "--rm",
            "--mount",
            &format!("{ro},{rw}"),
            &img,
            "touch",
            "/image-mount/x",
        ]);
    }
    env.ok(&[
        "run",
        "--name",
        "sub",
        "--mount",
        &format!("{ro},subpath=/bin"),
        &img,
        "ls",
        "/image-mount/busybox",
    ]);
    let c = inspect(env, "sub");
    assert_eq!(c["Mounts"][0]["Type"], "image");
    assert_eq!(c["Mounts"][0]["Source"], img.as_str());
    assert_eq!(c["Mounts"][0]["Destination"], "/image-mount");
    assert_eq!(c["Mounts"][0]["RW"], false);
    assert_eq!(c["Mounts"][0]["SubPath"], "/bin");
    env.ok(&["rm", "sub"]);
    // Every run released its mount of the image.
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    let storage = env.root().display().to_string();
    assert!(
        !mounts
            .lines()
            .any(|l| l.contains(&storage) && l.contains("image-mounts")),
        "stray image mount"
    );

    let (code, err) = env.fails(&[
        "run",
        "--name",
        "x",
        "--mount",
        "type=image,src=localhost/no-such-image,dst=/m",
        &img,
        "true",
    ]);
    assert_eq!(
        (code, err.trim()),
        (125, "Error: localhost/no-such-image: image not known")
    );
    let (code, err) = env.fails(&["run", "--mount", "type=image,src=a,dst=/m,bogus", &img]);
    assert_eq!(
        (code, err.trim()),
        (125, "Error: bogus: invalid mount option")
    );
    assert_eq!(env.ok(&["ps", "-a", "-q"]), "", "nothing was created");
}

#[test]
fn globs_ramfs_devpts_noswap() {
    let (w, img) = busybox();
    let env = &w.env;
    let d = env.dir().join("g");
    std::fs::create_dir_all(&d).unwrap();
    for f in ["v1a", "v1b", "v2"] {
        std::fs::write(d.join(f), f).unwrap();
    }
    let base = d.display().to_string();
    let glob = format!("type=glob,src={base}/v1*,ro");
    let ls = |paths: &[&str]| {
        let mut args = vec!["run", "--rm", "--mount", &glob, &img, "ls"];
        args.extend_from_slice(paths);
        out_err(&env.run(&args)).0
    };
    let (v1a, v1b, v2) = (
        format!("{base}/v1a"),
        format!("{base}/v1b"),
        format!("{base}/v2"),
    );
    assert_eq!(ls(&[&v1a, &v1b]), 0, "the matches are mounted");
    assert_eq!(ls(&[&v2]), 1, "v2 is not mounted");
    let listed = env.ok(&[
        "run",
        "--rm",
        "--mount",
        &format!("type=glob,src={base}/v1*,destination=/non/existing,ro"),
        &img,
        "ls",
        "/non/existing",
    ]);
    assert_eq!(listed, "v1a\nv1b\n");
    let (code, err) = env.fails(&[
        "run",
        "--rm",
        "--mount",
        &format!("type=glob,src={base}/v3*,ro"),
        &img,
        "true",
    ]);
    assert_eq!(
        (code, err.trim().to_owned()),
        (
            125,
            format!("Error: no file paths matching glob \"{base}/v3*\"")
        )
    );

    let fs_type = env.ok(&[
        "run",
        "--rm",
        "--mount",
        "type=ramfs,destination=/r",
        &img,
        "stat",
        "-f",
        "-c",
        "%T",
        "/r",
    ]);
    assert_eq!(fs_type.trim(), "ramfs");
    let pts = env.ok(&[
        "run",
        "--rm",
        "--mount",
        "type=devpts,destination=/dev/pts,mode=600",
        &img,
        "grep",
        " /dev/pts ",
        "/proc/mounts",
    ]);
    assert!(pts.contains("mode=600"), "{pts}");
    let t = env.ok(&[
        "run",
        "--rm",
        "--mount",
        "type=tmpfs,destination=/t,noswap",
        &img,
        "grep",
        " /t ",
        "/proc/mounts",
    ]);
    assert!(t.contains("noswap"), "{t}");
    let (code, err) = env.fails(&["run", "--mount", "type=ramfs,destination=/r,uid=1", &img]);
    assert_eq!(
        (code, err.trim()),
        (
            125,
            "Error: \"uid\" option not supported for \"ramfs\" mount types"
        )
    );
}

#[test]
fn containers_conf_mounts() {
    let (w, img) = busybox();
    let env = &w.env;
    let f1 = env.dir().join("one");
    let f2 = env.dir().join("two");
    std::fs::write(&f1, "first\n").unwrap();
    std::fs::write(&f2, "second\n").unwrap();
    let m1 = format!("type=bind,src={},destination=/conf-file,ro,Z", f1.display());
    let m2 = format!("type=bind,src={},destination=/conf-file,ro,Z", f2.display());
    let conf = env.dir().join("containers.conf");
    std::fs::write(&conf, format!("[containers]\nmounts = [ \"{m1}\", ]\n")).unwrap();
    let bad = env.dir().join("bad.conf");
    std::fs::write(
        &bad,
        format!(
            "[containers]\nmounts = [ \"type=bogus,src={},destination=/x\" ]\n",
            f2.display()
        ),
    )
    .unwrap();
    let with = |file: &std::path::Path, args: &[&str]| {
        let mut cmd = env.cmd(args);
        cmd.env("CONTAINERS_CONF_OVERRIDE", file);
        out_err(&cmd.output().unwrap())
    };
    let (code, out, _) = with(&conf, &["run", "--rm", &img, "cat", "/conf-file"]);
    assert_eq!((code, out.as_str()), (0, "first\n"));
    let (code, out, _) = with(
        &conf,
        &["run", "--rm", "--mount", &m2, &img, "cat", "/conf-file"],
    );
    assert_eq!(
        (code, out.as_str()),
        (0, "second\n"),
        "the user's mount wins"
    );
    let (code, _, err) = with(
        &conf,
        &[
            "run",
            "--mount",
            &m1,
            "--mount",
            &m2,
            &img,
            "cat",
            "/conf-file",
        ],
    );
    assert_eq!(
        (code, err.trim()),
        (125, "Error: /conf-file: duplicate mount destination")
    );
    let (code, _, err) = with(&bad, &["run", "--name", "b", &img, "true"]);
    assert_eq!(
        (code, err.trim()),
        (
            125,
            "Error: parsing containers.conf mounts: invalid filesystem type \"bogus\""
        )
    );
    assert_eq!(env.ok(&["ps", "-a", "-q"]), "", "nothing was created");
}

/// A new host directory `name` of the test holding `files` (path, content).
fn host_dir(env: &rpod_tests::TestEnv, name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = env.dir().join(name);
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// Every file under `dir` with its content, for comparing a host
/// directory before and after a container wrote to its overlay.
fn tree(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if p.is_dir() {
                out.push((rel, "<dir>".into()));
                todo.push(p);
            } else {
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn overlay_volumes_leave_the_host_directory_unchanged() {
    let (w, img) = busybox();
    let env = &w.env;
    let host = host_dir(
        env,
        "ovl-src",
        &[("keep", "host data\n"), ("sub/gone", "delete me\n")],
    );
    let before = tree(&host);
    let v = format!("{}:/data:O", host.display());
    // The container sees the host content, writes, changes and deletes.
    let script = "cat /data/keep && echo new > /data/new && echo changed > /data/keep \
                  && rm /data/sub/gone && cat /data/keep /data/new && ls /data/sub | wc -l";
    assert_eq!(
        env.ok(&["run", "--name", "ovl", "-v", &v, &img, "sh", "-c", script]),
        "host data\nchanged\nnew\n0\n"
    );
    assert_eq!(tree(&host), before);
    // The writes are discarded at the container's exit: a second run of
    // the same container starts from the host directory again.
    assert_eq!(
        env.ok(&["start", "-a", "ovl"]).lines().next(),
        Some("host data")
    );
    assert_eq!(tree(&host), before);
    env.ok(&["rm", "ovl"]);

    // upperdir/workdir given: the writes land (and stay) there.
    let upper = env.dir().join("ovl-upper");
    let work = env.dir().join("ovl-work");
    std::fs::create_dir_all(&upper).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let v = format!(
        "{}:/data:O,upperdir={},workdir={}",
        host.display(),
        upper.display(),
        work.display()
    );
    let run = |cmd: &[&str]| {
        let mut args = vec!["run", "--rm", "-v", &v, &img];
        args.extend(cmd);
        env.ok(&args)
    };
    run(&["sh", "-c", "echo kept > /data/up"]);
    assert_eq!(std::fs::read_to_string(upper.join("up")).unwrap(), "kept\n");
    assert_eq!(tree(&host), before);
    assert_eq!(run(&["cat", "/data/up", "/data/keep"]), "kept\nhost data\n");

    // A named volume under an overlay keeps its content too.
    env.ok(&["volume", "create", "ovlvol"]);
    env.ok(&[
        "run",
        "--rm",
        "-v",
        "ovlvol:/v",
        &img,
        "sh",
        "-c",
        "echo vol > /v/f",
    ]);
    assert_eq!(
        env.ok(&[
            "run",
            "--rm",
            "-v",
            "ovlvol:/v:O",
            &img,
            "sh",
            "-c",
            "echo over > /v/f && cat /v/f"
        ]),
        "over\n"
    );
    assert_eq!(
        env.ok(&["run", "--rm", "-v", "ovlvol:/v", &img, "cat", "/v/f"]),
        "vol\n"
    );

    // Podman's refusals: one line, exit 125, nothing created.
    for (opts, msg) in [
        ("O,ro", "can't use 'O' with other options"),
        ("O,upperdir=/x", "must set both `upperdir` and `workdir`"),
    ] {
        let v = format!("{}:/data:{opts}", host.display());
        let (code, err) = env.fails(&["create", "--name", "bad", "-v", &v, &img]);
        assert_eq!(code, 125);
        assert_eq!(err.trim(), format!("Error: {msg}"));
    }
    assert_eq!(env.ok(&["ps", "-aq"]), "");
}

#[test]
fn u_option_chowns_bind_sources_and_tmpfs() {
    use std::os::unix::fs::MetadataExt;
    let (w, img) = busybox();
    let env = &w.env;
    let host = host_dir(env, "chown-src", &[("d/f", "x")]);
    let v = format!("{}:/data:U", host.display());
    assert_eq!(
        env.ok(&[
            "run",
            "--rm",
            "-u",
            "123:456",
            "-v",
            &v,
            &img,
            "stat",
            "-c",
            "%u:%g",
            "/data/d/f"
        ]),
        "123:456\n"
    );
    for p in [host.clone(), host.join("d"), host.join("d/f")] {
        let m = std::fs::metadata(&p).unwrap();
        assert_eq!((m.uid(), m.gid()), (123, 456), "{}", p.display());
    }
    // Once the container ran, only a source whose own owner differs is
    // chowned again (Podman's first-creation rule).
    env.ok(&["run", "--name", "u", "-u", "9:9", "-v", &v, &img, "true"]);
    std::os::unix::fs::chown(host.join("d/f"), Some(1), Some(1)).unwrap();
    env.ok(&["start", "-a", "u"]);
    assert_eq!(std::fs::metadata(host.join("d/f")).unwrap().uid(), 1);
    std::os::unix::fs::chown(&host, Some(1), Some(1)).unwrap();
    env.ok(&["start", "-a", "u"]);
    assert_eq!(std::fs::metadata(host.join("d/f")).unwrap().uid(), 9);
    env.ok(&["rm", "u"]);
    assert_eq!(
        env.ok(&[
            "run",
            "--rm",
            "-u",
            "7:8",
            "--mount",
            "type=tmpfs,dst=/t,U",
            &img,
            "stat",
            "-c",
            "%u:%g",
            "/t"
        ]),
        "7:8\n"
    );
    let (code, err) = env.fails(&["run", "--rm", "-v", "/usr:/data:U", &img, "true"]);
    assert_eq!(code, 126, "{err}");
    assert!(
        err.contains("chowning host path \"/usr\" is not allowed"),
        "{err}"
    );
}

#[test]
fn read_only_tmpfs_false_leaves_every_directory_read_only() {
    let (w, img) = busybox();
    let env = &w.env;
    // (The fixture image has no /var/tmp: only the tmpfs set makes it.)
    let files = ["/tmp/a", "/dev/c", "/dev/shm/d", "/run/e"];
    let touch = |extra: &[&str]| {
        let mut args = vec!["run", "--rm", "--read-only"];
        args.extend_from_slice(extra);
        args.push(&img);
        args.push("touch");
        args.extend_from_slice(&files);
        env.run(&args)
    };
    for extra in [&[][..], &["--read-only-tmpfs"], &["--read-only-tmpfs=true"]] {
        let o = touch(extra);
        assert!(o.status.success(), "{extra:?}: {o:?}");
    }
    let (code, _, err) = out_err(&touch(&["--read-only-tmpfs=false"]));
    assert_eq!(code, 1);
    let want: Vec<String> = files
        .iter()
        .map(|f| format!("touch: {f}: Read-only file system"))
        .collect();
    assert_eq!(err.lines().collect::<Vec<_>>(), want);
    // Without --read-only it changes nothing.
    env.ok(&[
        "run",
        "--rm",
        "--read-only-tmpfs=false",
        &img,
        "touch",
        "/x",
    ]);
    // A tmpfs on /run still gets /run/.containerenv, as Podman.
    let size = ["stat", "-c", "%s", "/run/.containerenv"];
    for extra in [&["--tmpfs=/run"][..], &["--read-only"]] {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(extra);
        args.push(&img);
        args.extend_from_slice(&size);
        assert_eq!(env.ok(&args), "0\n", "{extra:?}");
    }
}
