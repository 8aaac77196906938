//! Named volumes, anonymous volumes and tmpfs mounts against real
//! components: the `volume` commands, containers sharing data through a
//! volume, copy-up of image content, Podman's refusals and exit codes.

mod common;

use common::{busybox, inspect};
use rpod_tests::TestEnv;
use serde_json::Value;

fn volume_names(env: &TestEnv) -> Vec<String> {
    env.ok(&["volume", "ls", "-q"])
        .lines()
        .map(str::to_owned)
        .collect()
}

fn volume_json(env: &TestEnv, name: &str) -> Value {
    let out = env.ok(&["volume", "inspect", name]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v[0].clone()
}

#[test]
fn volume_commands_and_bad_input() {
    let env = TestEnv::new();
    assert_eq!(
        env.ok(&["volume", "create", "--label", "l=x", "v1"]).trim(),
        "v1"
    );
    assert_eq!(
        env.ok(&["volume", "create", "-d", "local", "v2"]).trim(),
        "v2"
    );
    let anon = env.ok(&["volume", "create"]).trim().to_owned();
    assert_eq!(anon.len(), 64, "{anon}");
    assert!(anon.bytes().all(|b| b.is_ascii_hexdigit()));

    let v1 = volume_json(&env, "v1");
    assert_eq!(v1["Driver"], "local");
    assert_eq!(v1["Scope"], "local");
    assert_eq!(v1["Labels"]["l"], "x");
    assert_eq!(v1["NeedsCopyUp"], true);
    assert_eq!(v1["NeedsChown"], true);
    assert_eq!(v1["MountCount"], 0);
    let mountpoint = env.root().join("volumes/v1/_data");
    assert_eq!(v1["Mountpoint"], mountpoint.display().to_string());
    assert!(mountpoint.is_dir());
    assert_eq!(
        env.ok(&[
            "volume",
            "inspect",
            "--format",
            "{{.Name}} {{.LockNumber}}",
            "v1"
        ])
        .trim(),
        format!("v1 {}", v1["LockNumber"])
    );

    let table = env.ok(&["volume", "ls"]);
    assert!(table.starts_with("DRIVER      VOLUME NAME\n"), "{table}");
    assert_eq!(
        env.ok(&[
            "volume",
            "ls",
            "--filter",
            "label=l=x",
            "--format",
            "{{.Name}}"
        ]),
        "v1\n"
    );
    assert_eq!(
        env.ok(&[
            "volume",
            "ls",
            "--filter",
            "name=v[12]",
            "--format",
            "{{.Name}}"
        ]),
        "v1\nv2\n"
    );
    assert_eq!(env.run(&["volume", "exists", "v1"]).status.code(), Some(0));
    assert_eq!(
        env.run(&["volume", "exists", "nope"]).status.code(),
        Some(1)
    );

    // Bad input: Podman's messages and codes, nothing created.
    let before = volume_names(&env);
    let (code, err) = env.fails(&["volume", "create", "v1"]);
    assert_eq!(
        (code, err.trim()),
        (
            125,
            "Error: volume with name v1 already exists: volume already exists"
        )
    );
    assert_eq!(env.ok(&["volume", "create", "--ignore", "v1"]).trim(), "v1");
    let (code, err) = env.fails(&["volume", "create", "bad/name"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"),
        "{err}"
    );
    let (code, err) = env.fails(&["volume", "create", "-o", "bogus=1", "v9"]);
    assert_eq!(
        (code, err.trim()),
        (
            125,
            "Error: invalid mount option bogus for driver 'local': invalid argument"
        )
    );
    let (code, err) = env.fails(&[
        "volume",
        "create",
        "-o",
        "type=bind",
        "-o",
        "device=/bogus-rpod",
        "v9",
    ]);
    assert_eq!(code, 125);
    assert!(
        err.contains("faccessat /bogus-rpod: no such file or directory"),
        "{err}"
    );
    let (code, err) = env.fails(&["volume", "rm", "bogus"]);
    assert_eq!(
        (code, err.trim()),
        (
            1,
            "Error: no volume with name \"bogus\" found: no such volume"
        )
    );
    let (code, err) = env.fails(&["volume", "inspect", "bogus"]);
    assert_eq!((code, err.trim()), (125, "Error: no such volume bogus"));
    assert_eq!(volume_names(&env), before);
    assert!(!env.root().join("volumes/v9").exists());

    // Export and import (tar), through a file and through stdin.
    std::fs::write(mountpoint.join("hello"), "hi\n").unwrap();
    std::fs::create_dir(mountpoint.join("sub")).unwrap();
    std::fs::write(mountpoint.join("sub/f"), "x").unwrap();
    let tar = env.dir().join("v1.tar");
    env.ok(&["volume", "export", "v1", "--output", tar.to_str().unwrap()]);
    // A device is written in place, never replaced.
    env.ok(&["volume", "export", "v1", "--output", "/dev/null"]);
    assert!(!std::path::Path::new("/dev/null").is_file());
    env.ok(&["volume", "import", "v2", tar.to_str().unwrap()]);
    let v2 = env.root().join("volumes/v2/_data");
    assert_eq!(std::fs::read_to_string(v2.join("hello")).unwrap(), "hi\n");
    assert_eq!(std::fs::read_to_string(v2.join("sub/f")).unwrap(), "x");
    let mut cmd = env.cmd(&["volume", "import", &anon, "-"]);
    cmd.stdin(std::fs::File::open(&tar).unwrap());
    let out = rpod_tests::run_with_timeout(&mut cmd, rpod_tests::DEFAULT_COMMAND_TIMEOUT);
    assert!(out.status.success(), "{out:?}");
    assert!(env
        .root()
        .join("volumes")
        .join(&anon)
        .join("_data/hello")
        .exists());

    // Prune: every volume no container uses; the label filter narrows it.
    assert_eq!(
        env.ok(&["volume", "prune", "--force", "--filter", "label=l=x"]),
        "v1\n"
    );
    let mut pruned: Vec<String> = env
        .ok(&["volume", "prune", "-f"])
        .lines()
        .map(str::to_owned)
        .collect();
    pruned.sort();
    let mut want = vec![anon.clone(), "v2".to_owned()];
    want.sort();
    assert_eq!(pruned, want);
    assert!(volume_names(&env).is_empty());
    assert_eq!(env.ok(&["volume", "prune", "-f"]), "");
    // system df counts volumes; system prune --volumes removes unused ones.
    env.ok(&["volume", "create", "unused"]);
    let df = env.ok(&["system", "df", "-v"]);
    assert!(
        df.lines()
            .any(|l| l.starts_with("unused ") && l.ends_with(" 0B")),
        "{df}"
    );
    let pruned = env.ok(&["system", "prune", "-f", "--volumes"]);
    assert!(pruned.contains("Deleted Volumes\nunused\n"), "{pruned}");
    assert!(volume_names(&env).is_empty());
    // The clean-up every Podman script runs.
    env.ok(&["volume", "create", "last"]);
    assert_eq!(env.ok(&["volume", "rm", "-a", "-f"]), "last\n");
    assert!(!env.root().join("volumes/last").exists());
}

#[test]
fn a_named_volume_outlives_its_containers_and_is_guarded_while_used() {
    let (w, img) = busybox();
    let env = &w.env;
    // Created on first use, as Podman does.
    env.ok(&[
        "run",
        "--name",
        "writer",
        "-v",
        "data:/data",
        &img,
        "sh",
        "-c",
        "echo persisted >/data/f",
    ]);
    assert_eq!(volume_names(env), ["data"]);
    let out = env.ok(&["run", "--rm", "-v", "data:/d:ro", &img, "cat", "/d/f"]);
    assert_eq!(out.trim(), "persisted");
    let (code, _) = env.fails(&["run", "--rm", "-v", "data:/d:ro", &img, "touch", "/d/x"]);
    assert_eq!(code, 1);

    // In use by a container (even a stopped one): refused, exit 2.
    let (code, err) = env.fails(&["volume", "rm", "data"]);
    let id = env
        .ok(&["inspect", "--format", "{{.Id}}", "writer"])
        .trim()
        .to_owned();
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        format!("Error: volume data is being used by the following container(s): {id}: volume is being used")
    );
    let pruned = env.ok(&["volume", "prune", "-f"]);
    assert_eq!(pruned, "");

    // inspect's Mounts and ps's.
    let c = inspect(env, "writer");
    let m = &c["Mounts"][0];
    assert_eq!(m["Type"], "volume");
    assert_eq!(m["Name"], "data");
    assert_eq!(m["Destination"], "/data");
    assert_eq!(m["Driver"], "local");
    assert_eq!(m["RW"], true);
    assert_eq!(m["Propagation"], "rprivate");
    assert_eq!(
        m["Source"],
        env.root().join("volumes/data/_data").display().to_string()
    );
    assert_eq!(
        env.ok(&["ps", "-a", "--format", "{{.Mounts}}"]).trim(),
        "[/data]"
    );
    assert_eq!(
        env.ok(&["ps", "-aq", "--no-trunc", "--filter", "volume=data"])
            .trim(),
        id
    );

    // Removing the container keeps the named volume.
    env.ok(&["rm", "-v", "writer"]);
    assert_eq!(volume_names(env), ["data"]);

    // --force removes the running user first.
    env.ok(&[
        "run",
        "-d",
        "--name",
        "user",
        "-v",
        "data:/data",
        &img,
        "sleep",
        "600",
    ]);
    let (code, _) = env.fails(&["volume", "rm", "data"]);
    assert_eq!(code, 2);
    assert_eq!(
        env.ok(&["volume", "rm", "-f", "-t", "0", "data"]).trim(),
        "data"
    );
    assert_eq!(
        env.run(&["container", "exists", "user"]).status.code(),
        Some(1)
    );
    assert!(volume_names(env).is_empty());
}

#[test]
fn anonymous_volumes_go_with_rm_v_and_run_rm() {
    let (w, img) = busybox();
    let env = &w.env;
    env.ok(&[
        "run",
        "--name",
        "a",
        "-v",
        "/scratch",
        &img,
        "sh",
        "-c",
        "echo x >/scratch/f",
    ]);
    let names = volume_names(env);
    assert_eq!(names.len(), 1);
    assert_eq!(names[0].len(), 64);
    let mp = env.ok(&[
        "volume",
        "inspect",
        "--format",
        "{{.Mountpoint}}",
        &names[0],
    ]);
    assert_eq!(
        std::fs::read_to_string(format!("{}/f", mp.trim())).unwrap(),
        "x\n"
    );
    let anonymous = volume_json(env, &names[0]);
    assert_eq!(anonymous["Anonymous"], true);
    // --volumes-from: the same volume on the same path; `ro` forces read-only.
    let out = env.ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "a",
        &img,
        "cat",
        "/scratch/f",
    ]);
    assert_eq!(out, "x\n");
    let (code, err) = env.fails(&[
        "run",
        "--rm",
        "--volumes-from",
        "a:ro",
        &img,
        "touch",
        "/scratch/g",
    ]);
    assert_eq!(code, 1, "{err}");
    let (code, err) = env.fails(&["create", "--volumes-from", "nosuch", &img]);
    assert_eq!(code, 125);
    assert!(
        err.contains("no container with name or ID \"nosuch\" found"),
        "{err}"
    );
    // `rm` without -v keeps it; with -v it goes.
    env.ok(&["create", "--name", "b", "-v", "/scratch", &img]);
    env.ok(&["rm", "b"]);
    assert_eq!(volume_names(env).len(), 2);
    env.ok(&["rm", "-v", "a"]);
    assert_eq!(volume_names(env).len(), 1);
    env.ok(&["volume", "prune", "-f"]);
    // --rm takes anonymous volumes, never named ones.
    env.ok(&[
        "run",
        "--rm",
        "-v",
        "/anon",
        "-v",
        "named:/named",
        &img,
        "true",
    ]);
    assert_eq!(volume_names(env), ["named"]);
}

#[test]
fn copy_up_fills_a_new_volume_from_the_image_unless_nocopy() {
    let (w, img) = busybox();
    let env = &w.env;
    env.ok(&["volume", "create", "etc"]);
    // An empty (missing) mount point copies nothing and leaves the flags.
    env.ok(&["run", "--rm", "-v", "etc:/nothing-here", &img, "true"]);
    assert_eq!(
        env.ok(&[
            "volume",
            "inspect",
            "--format",
            "{{.NeedsCopyUp}} {{.NeedsChown}}",
            "etc"
        ])
        .trim(),
        "true true"
    );
    env.ok(&["run", "--rm", "-v", "etc:/etc", &img, "ls", "/etc/passwd"]);
    assert_eq!(
        env.ok(&[
            "volume",
            "inspect",
            "--format",
            "{{.NeedsCopyUp}} {{.NeedsChown}}",
            "etc"
        ])
        .trim(),
        "false false"
    );
    assert!(env.root().join("volumes/etc/_data/passwd").is_file());
    env.ok(&["run", "--rm", "-v", "bare:/etc:nocopy", &img, "true"]);
    assert!(std::fs::read_dir(env.root().join("volumes/bare/_data"))
        .unwrap()
        .next()
        .is_none());

    // An image's VOLUME becomes an anonymous volume with the image's content.
    env.ok(&[
        "run",
        "--name",
        "base",
        &img,
        "sh",
        "-c",
        "mkdir /cache && echo seed >/cache/s",
    ]);
    env.ok(&[
        "commit",
        "-q",
        "--change",
        "VOLUME /cache",
        "base",
        "localhost/withvol",
    ]);
    let out = env.ok(&[
        "run",
        "--rm",
        "localhost/withvol",
        "sh",
        "-c",
        "cat /cache/s; mount | grep ' /cache '",
    ]);
    assert!(out.starts_with("seed\n"), "{out}");
    let out = env.ok(&[
        "run",
        "--rm",
        "--image-volume",
        "tmpfs",
        "localhost/withvol",
        "stat",
        "-f",
        "-c",
        "%T",
        "/cache",
    ]);
    assert_eq!(out.trim(), "tmpfs");
    assert_eq!(
        volume_names(env).len(),
        2,
        "--rm removed the image's anonymous volume"
    );
}

#[test]
fn tmpfs_mounts_and_volumes_with_mount_options() {
    let (w, img) = busybox();
    let env = &w.env;
    let out = env.ok(&[
        "run",
        "--rm",
        "--tmpfs",
        "/t:size=2M,mode=700",
        "--mount",
        "type=tmpfs,dst=/u,tmpfs-size=1M",
        &img,
        "sh",
        "-c",
        "stat -f -c %T /t; stat -c %a /t; mount | grep -E ' /(t|u) '",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "tmpfs");
    assert_eq!(lines[1], "700");
    let line = |m: &str| {
        lines
            .iter()
            .find(|l| l.contains(m))
            .copied()
            .unwrap_or_default()
    };
    assert!(
        line(" /t ").contains("size=2048k") && line(" /t ").contains("noexec"),
        "{out}"
    );
    assert!(line(" /u ").contains("size=1024k"), "{out}");
    let (code, err) = env.fails(&[
        "run", "--rm", "--tmpfs", "/t", "--tmpfs", "/t:ro", &img, "true",
    ]);
    assert_eq!(
        (code, err.trim()),
        (125, "Error: /t: duplicate mount destination")
    );
    let (code, err) = env.fails(&["run", "--rm", "-v", "a:/v", "-v", "b:/v", &img, "true"]);
    assert_eq!(
        (code, err.trim()),
        (125, "Error: /v: duplicate mount destination")
    );
    let (code, _) = env.fails(&["run", "--rm", "-v", "a:/v:bogus", &img, "true"]);
    assert_eq!(code, 125);
    assert!(
        volume_names(env).is_empty(),
        "refused runs created no volume"
    );

    // A volume that is a tmpfs of its own, mounted while used.
    env.ok(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "-o",
        "o=size=2M",
        "tv",
    ]);
    let out = env.ok(&[
        "run",
        "--rm",
        "-v",
        "tv:/vol",
        &img,
        "sh",
        "-c",
        "mount | grep ' /vol '",
    ]);
    assert!(
        out.contains("tmpfs on /vol type tmpfs") && out.contains("size=2048k"),
        "{out}"
    );
    env.ok(&[
        "run", "-d", "--name", "holder", "-v", "tv:/vol", &img, "sleep", "600",
    ]);
    assert_eq!(
        env.ok(&["volume", "inspect", "--format", "{{.MountCount}}", "tv"])
            .trim(),
        "1"
    );
    env.ok(&["rm", "-f", "-t", "0", "holder"]);
    assert_eq!(
        env.ok(&["volume", "inspect", "--format", "{{.MountCount}}", "tv"])
            .trim(),
        "0"
    );
    let mp = env.root().join("volumes/tv/_data");
    assert!(
        !common::mounts(env).contains(&mp),
        "unmounted after its last user"
    );
    // `--mount type=volume` with a read-only, noexec volume.
    env.ok(&[
        "run",
        "--rm",
        "--mount",
        "type=volume,src=mv,dst=/m",
        &img,
        "sh",
        "-c",
        "echo '#!/bin/sh' >/m/s; chmod +x /m/s",
    ]);
    let (code, _) = env.fails(&[
        "run",
        "--rm",
        "--mount",
        "type=volume,src=mv,dst=/m,noexec",
        &img,
        "/m/s",
    ]);
    assert_eq!(code, 126);
}

#[test]
fn volume_events_as_podman() {
    let env = TestEnv::new();
    env.ok(&["volume", "create", "evvol1"]);
    env.ok(&["volume", "rm", "evvol1"]);
    env.ok(&["volume", "create", "evvol2"]);
    env.ok(&["volume", "prune", "-f"]);
    let out = env.ok(&["events", "--stream=false", "--filter", "volume=evvol"]);
    let tails: Vec<String> = out
        .lines()
        .map(|l| l.split(" UTC ").nth(1).unwrap_or(l).to_owned())
        .collect();
    assert_eq!(
        tails,
        [
            "volume create evvol1",
            "volume remove evvol1",
            "volume create evvol2",
            "volume remove evvol2",
            "volume prune evvol2"
        ],
        "{out}"
    );
    let json = env.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "volume=evvol1",
        "--filter",
        "event=create",
        "--format",
        "{{.Type}} {{.Status}} {{.Name}}",
    ]);
    assert_eq!(json, "volume create evvol1\n");
}

/// `--volumepath` puts named volumes in another directory: created there,
/// written there by a container, reported by `info` and inspect, and the
/// exit cleanup of a `--rm` container (run by its monitor) finds them there.
#[test]
fn volumepath_moves_the_volumes_directory() {
    let (w, img) = busybox();
    let env = &w.env;
    let vols = env.dir().join("elsewhere");
    let vp = vols.display().to_string();
    let with = |args: &[&str]| {
        let mut all = vec!["--volumepath", vp.as_str()];
        all.extend_from_slice(args);
        env.ok(&all)
    };
    assert_eq!(
        with(&["info", "--format", "{{.Store.VolumePath}}"]).trim(),
        vp
    );
    with(&["volume", "create", "data"]);
    assert_eq!(
        with(&["volume", "inspect", "data", "--format", "{{.Mountpoint}}"]).trim(),
        format!("{vp}/data/_data")
    );
    with(&[
        "run",
        "--rm",
        "-v",
        "data:/d",
        "-v",
        "/anon",
        &img,
        "sh",
        "-c",
        "echo hi > /d/f",
    ]);
    assert_eq!(
        std::fs::read_to_string(vols.join("data/_data/f")).unwrap(),
        "hi\n"
    );
    // The anonymous volume was made there and removed with the container.
    let left: Vec<_> = std::fs::read_dir(&vols)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["data"], "{left:?}");
    assert!(!env.root().join("volumes/data").exists());
    // Without the flag the default directory is used: the volume is not there.
    assert_eq!(
        env.ok(&["info", "--format", "{{.Store.VolumePath}}"])
            .trim(),
        env.root().join("volumes").display().to_string()
    );
}
