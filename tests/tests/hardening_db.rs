//! A damaged database is never silently replaced: rpod refuses with the
//! file, the SQLite cause and the recovery command; `system check --repair`
//! moves it aside and rebuilds the containers from their snapshots and
//! run-root state without losing a running one; a layer a mounted container
//! uses is never deleted, whatever the database says.

mod common;

use std::path::Path;

use common::{alive, busybox, inspect, World};

fn pid_of(w: &World, name: &str) -> i64 {
    inspect(&w.env, name)["State"]["Pid"].as_i64().unwrap()
}

fn layer_dirs(w: &World) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(w.env.root().join("storage/layers"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn corrupt_copies(root: &Path) -> usize {
    std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("db.sqlite.corrupt-") && !n.ends_with("-wal") && !n.ends_with("-shm")
        })
        .count()
}

type Damage = fn(&Path);

fn truncate(p: &Path) {
    std::fs::write(p, b"").unwrap();
}

fn zero(p: &Path) {
    let len = std::fs::metadata(p).unwrap().len() as usize;
    std::fs::write(p, vec![0u8; len]).unwrap();
}

fn garble(p: &Path) {
    let mut raw = std::fs::read(p).unwrap();
    for (i, b) in raw.iter_mut().enumerate().take(512) {
        *b = (i as u8).wrapping_mul(131) ^ 0xa5;
    }
    std::fs::write(p, raw).unwrap();
}

fn garble_tables(p: &Path) {
    let mut raw = std::fs::read(p).unwrap();
    for page in (4096..raw.len()).step_by(4096) {
        for (i, b) in raw[page + 8..page + 808].iter_mut().enumerate() {
            *b = [0xde, 0xad, 0xbe, 0xef][i % 4];
        }
    }
    std::fs::write(p, raw).unwrap();
}

#[test]
fn damaged_database_is_refused_then_repaired_without_losing_containers() {
    let (w, img) = busybox();
    w.env
        .ok(&["run", "-d", "--name", "keep", &img, "sleep", "1000"]);
    w.env.ok(&["create", "--name", "made", &img, "true"]);
    w.env.ok(&["pod", "create", "--name", "pp"]);
    w.env.ok(&[
        "run", "-d", "--pod", "pp", "--name", "member", &img, "sleep", "1000",
    ]);
    let db = w.env.root().join("db.sqlite");
    let cases: [(&str, Damage, &str); 4] = [
        ("truncated", truncate, "the file is empty"),
        ("zeroed", zero, "file is not a database"),
        ("garbled", garble, "file is not a database"),
        // A readable header over broken tables: found by the first query.
        (
            "page-garbled",
            garble_tables,
            "database disk image is malformed",
        ),
    ];
    for (round, (what, damage, cause)) in cases.into_iter().enumerate() {
        let pid = pid_of(&w, "keep");
        let layers = layer_dirs(&w);
        damage(&db);
        let damaged = std::fs::read(&db).unwrap();

        let mut commands = vec![&["ps", "-a"][..], &["rmi", "-a", "-f"]];
        if what != "page-garbled" {
            // Refused at open; with a readable header, `images` (the store,
            // not the database) still answers.
            commands.push(&["images"]);
        }
        for args in commands {
            let (code, err) = w.env.fails(args);
            assert_eq!(code, 125, "{what}: {args:?}: {err}");
            assert!(
                err.contains(&db.display().to_string())
                    && err.contains(cause)
                    && err.contains("rpod system check --repair"),
                "{what}: {args:?}: {err}"
            );
        }
        assert_eq!(
            std::fs::read(&db).unwrap(),
            damaged,
            "{what}: file rewritten"
        );
        assert_eq!(layer_dirs(&w), layers, "{what}: layers deleted");
        assert!(alive(pid), "{what}: workload killed");

        let out = w.env.run(&["system", "check"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(125), "{what}: {out:?}");
        assert!(
            stdout.contains("Damaged database") && stdout.contains(cause),
            "{what}: {stdout}"
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("damage detected in local storage"),
            "{what}: {out:?}"
        );
        if what == "truncated" {
            // Podman's shape: the item, then Go's multierror list.
            assert_eq!(
                stdout,
                format!(
                    "Damaged database {}:\n1 error occurred:\n\t* the file is empty\n\n",
                    db.display()
                )
            );
        }

        let repaired = w.env.ok(&["system", "check", "--repair"]);
        assert!(
            repaired.contains("Rebuilt container") && repaired.contains("keep"),
            "{what}: {repaired}"
        );
        assert_eq!(corrupt_copies(&w.env.root()), round + 1, "{what}");
        w.env.ok(&["system", "check"]);

        let ps = w.env.ok(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
        assert!(ps.contains("keep running"), "{what}: {ps}");
        assert!(ps.contains("made created"), "{what}: {ps}");
        assert!(ps.contains("member running"), "{what}: {ps}");
        let pods = w
            .env
            .ok(&["pod", "ps", "--format", "{{.Name}} {{.Status}}"]);
        assert_eq!(pods.trim(), "pp Running", "{what}");
        assert_eq!(pid_of(&w, "keep"), pid, "{what}: another process");
        assert!(alive(pid), "{what}: workload killed");
    }
    // The rebuilt pod and containers are fully managed again.
    w.env.ok(&["pod", "rm", "-f", "-t", "0", "pp"]);
    assert!(
        !w.env.root().join("pods").exists()
            || std::fs::read_dir(w.env.root().join("pods"))
                .unwrap()
                .next()
                .is_none()
    );
    let pid = pid_of(&w, "keep");
    w.env.ok(&["rm", "-f", "-t", "0", "keep"]);
    assert!(!alive(pid));
    assert!(
        common::mounts(&w.env).is_empty(),
        "{:?}",
        common::mounts(&w.env)
    );
}

#[test]
fn a_fresh_root_initialises_silently_and_a_deleted_database_is_refused() {
    let (w, _img) = busybox();
    w.env.ok(&["ps", "-a"]);
    std::fs::remove_file(w.env.root().join("db.sqlite")).unwrap();
    let (code, err) = w.env.fails(&["ps", "-a"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("the file is missing") && err.contains("system check --repair"),
        "{err}"
    );
    assert!(!w.env.root().join("db.sqlite").exists(), "re-created");
}

/// Deletes every container row behind rpod's back (a database that lost
/// them), with Python's sqlite3 module.
fn forget_containers(db: &Path) {
    let script = format!(
        "import sqlite3; c = sqlite3.connect({:?}); c.execute('DELETE FROM containers'); c.commit()",
        db.display().to_string()
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn layers_of_a_mounted_container_survive_rmi_whatever_the_database_says() {
    let (w, img) = busybox();
    w.env
        .ok(&["run", "-d", "--name", "keep", &img, "sleep", "1000"]);
    let pid = pid_of(&w, "keep");
    let layers = layer_dirs(&w);
    assert!(!layers.is_empty());
    forget_containers(&w.env.root().join("db.sqlite"));
    assert!(w
        .env
        .ok(&["ps", "-a", "--format", "{{.Names}}"])
        .trim()
        .is_empty());

    // The database no longer protects the image: it goes, its layers stay.
    let out = w.env.run(&["rmi", "-a", "-f"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in use by the mount"),
        "{out:?}"
    );
    assert_eq!(
        layer_dirs(&w),
        layers,
        "layers of a mounted container deleted"
    );
    assert!(alive(pid));
    assert!(
        Path::new(&format!("/proc/{pid}/root/bin/sh")).exists(),
        "the container's root filesystem lost its content"
    );

    // `system check` finds the lost container; `--repair` rebuilds it but
    // cannot bring its image back, so damage remains (exit 125).
    let out = w.env.run(&["system", "check"]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("container is missing from the database"),
        "{out:?}"
    );
    let out = w.env.run(&["system", "check", "--repair"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Rebuilt container"), "{out:?}");
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("damage in local storage still present after repair attempt"),
        "{out:?}"
    );
    let out = w.env.run(&["system", "check"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("image missing"),
        "{out:?}"
    );
    // Mounted layers are never "unreferenced", even with --max 0.
    let out = w.env.run(&["system", "check", "-m", "0", "-r"]);
    assert_eq!(layer_dirs(&w), layers, "{out:?}");

    // Removing the container unmounts it; then the layers are unreferenced
    // and `--repair --max 0` deletes them.
    w.env.ok(&["rm", "-f", "-t", "0", "keep"]);
    assert!(!alive(pid));
    w.env.ok(&["system", "check"]);
    let out = w.env.run(&["system", "check", "-m", "0"]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("layer not referenced"),
        "{out:?}"
    );
    let repaired = w.env.ok(&["system", "check", "-m", "0", "-r"]);
    assert!(repaired.contains("Deleted damaged layer"), "{repaired}");
    assert!(layer_dirs(&w).is_empty(), "{:?}", layer_dirs(&w));
    w.env.ok(&["system", "check", "-m", "0"]);
}

#[test]
fn a_running_container_that_cannot_be_rebuilt_is_reported_and_removed_only_with_force() {
    let (w, img) = busybox();
    let id = w
        .env
        .ok(&["run", "-d", "--name", "lost", &img, "sleep", "1000"])
        .trim()
        .to_owned();
    let pid = pid_of(&w, "lost");
    forget_containers(&w.env.root().join("db.sqlite"));
    std::fs::remove_file(
        w.env
            .root()
            .join("containers")
            .join(&id)
            .join("container.json"),
    )
    .unwrap();

    let out = w.env.run(&["system", "check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        stdout.contains(&format!("Damaged container {id}"))
            && stdout.contains("is missing from the database and cannot be rebuilt"),
        "{stdout}"
    );
    // Without --force a running workload is never touched.
    let out = w.env.run(&["system", "check", "--repair"]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(alive(pid));
    // With it, everything of the container goes.
    let out = w.env.ok(&["system", "check", "--repair", "--force"]);
    assert!(
        out.contains(&format!("Deleted damaged container: {id}")),
        "{out}"
    );
    rpod_tests::wait_until(std::time::Duration::from_secs(10), "workload gone", || {
        !alive(pid)
    });
    assert!(
        common::mounts(&w.env).is_empty(),
        "{:?}",
        common::mounts(&w.env)
    );
    assert!(!w.env.runroot().join("containers").join(&id).exists());
    assert!(!w.env.root().join("storage/containers").join(&id).exists());
    w.env.ok(&["system", "check"]);
    // The image and its layers are intact and usable.
    w.env.ok(&["run", "--rm", &img, "true"]);
}

/// The image id of `img` (full, without `sha256:`).
fn image_id(w: &World, img: &str) -> String {
    w.env
        .ok(&["image", "inspect", "--format", "{{.Id}}", img])
        .trim()
        .trim_start_matches("sha256:")
        .to_owned()
}

#[test]
fn system_check_reports_and_repairs_store_damage_like_podman() {
    // Podman's 331-system-check "storage image layer missing": reported,
    // kept by --repair while a container uses the image, removed with -f.
    let (w, img) = busybox();
    let id = image_id(&w, &img);
    w.env.ok(&["create", "--name", "user", &img, "true"]);
    w.env.ok(&["system", "check"]);
    let layer = layer_dirs(&w).pop().unwrap();
    std::fs::remove_dir_all(w.env.root().join("storage/layers").join(&layer)).unwrap();
    let out = w.env.run(&["system", "check"]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("Damaged image {id}:"))
            && stdout.contains("image layer is missing"),
        "{stdout}"
    );
    let out = w.env.run(&["system", "check", "-r"]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(w
        .env
        .ok(&["ps", "-a", "--format", "{{.Names}}"])
        .contains("user"));
    let out = w.env.ok(&["system", "check", "-r", "-f"]);
    assert!(
        out.contains(&format!("Deleted damaged image: {id}"))
            && out.contains("Deleted damaged container:"),
        "{out}"
    );
    assert!(w.env.ok(&["ps", "-a", "-q"]).trim().is_empty());
    w.env.ok(&["system", "check"]);

    // "storage container image missing": the image's record is gone.
    w.env.ok(&["pull", "-q", &img]);
    let id = image_id(&w, &img);
    let cid = w.env.ok(&["create", &img, "true"]).trim().to_owned();
    std::fs::remove_dir_all(w.env.root().join("storage/images").join(&id)).unwrap();
    let out = w.env.run(&["system", "check", "-m", "0"]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("layer not referenced"),
        "{out:?} {:?}",
        layer_dirs(&w)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!(
            "Damaged container {cid}:\n1 error occurred:\n\t* image missing"
        )),
        "{out:?}"
    );
    // --repair deletes the unreferenced layers but keeps the container.
    let out = w.env.run(&["system", "check", "-r", "-m", "0"]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Deleted damaged layer:"),
        "{out:?}"
    );
    assert!(layer_dirs(&w).is_empty());
    assert!(w.env.ok(&["ps", "-a", "-q", "--no-trunc"]).contains(&cid));
    let out = w.env.ok(&["system", "check", "-r", "-f", "-m", "0"]);
    assert!(
        out.contains(&format!("Deleted damaged container: {cid}")),
        "{out}"
    );
    w.env.ok(&["system", "check", "-m", "0"]);
    assert!(layer_dirs(&w).is_empty());
}

#[test]
fn repair_gives_a_rebuilt_database_its_volumes_back() {
    let (w, img) = busybox();
    let env = &w.env;
    env.ok(&["volume", "create", "--label", "team=data", "labelled"]);
    env.ok(&["volume", "create", "-o", "uid=1234", "old"]);
    let script = "echo kept > /data/f; sleep 1000";
    let mut user: Vec<&str> = "run -d --name user -v labelled:/data -v /anon"
        .split(' ')
        .collect();
    user.extend([img.as_str(), "sh", "-c", script]);
    env.ok(&user);
    let vols = |env: &rpod_tests::TestEnv| {
        let mut v: Vec<String> = env
            .ok(&[
                "volume",
                "ls",
                "--format",
                "{{.Name}} {{.Anonymous}} {{.Labels}}",
            ])
            .lines()
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    };
    let before = vols(env);
    assert_eq!(before.len(), 3, "{before:?}");
    // A volume made before volumes had snapshots: back as a plain one.
    std::fs::remove_file(env.root().join("volumes/old/volume.json")).unwrap();

    truncate(&env.root().join("db.sqlite"));
    let repaired = env.ok(&["system", "check", "--repair"]);
    for name in ["labelled", "old"] {
        assert!(
            repaired.contains(&format!("Rebuilt volume: {name}\n")),
            "{repaired}"
        );
    }
    env.ok(&["system", "check"]);
    assert_eq!(vols(env), before);
    assert_eq!(
        env.ok(&["volume", "inspect", "--format", "{{.Options}}", "old"])
            .trim(),
        "map[]"
    );
    // In use again by the rebuilt container, its data untouched.
    let (code, err) = env.fails(&["volume", "rm", "labelled"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        env.ok(&[
            "run",
            "--rm",
            "-v",
            "labelled:/data",
            &img,
            "cat",
            "/data/f"
        ]),
        "kept\n"
    );
    env.ok(&["rm", "-f", "-v", "-t", "0", "user"]);
    assert_eq!(env.ok(&["volume", "ls", "-q"]).lines().count(), 2);
}

#[test]
fn a_create_ended_by_a_closed_stdout_still_leaves_the_containers_snapshot() {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::Stdio;

    let (w, img) = busybox();
    for i in 0..8 {
        let name = format!("piped{i}");
        // The reader is gone before rpod prints the new container's ID:
        // rpod ends by SIGPIPE, as Podman does, while the snapshot that
        // `system check --repair` rebuilds from may still be on its thread.
        // On one CPU that thread mostly waits for the main one to print.
        let mut cmd = w.env.cmd(&["create", "--name", &name, &img, "true"]);
        // SAFETY: the closure runs in the child between fork and exec and
        // makes only sched_setaffinity, an async-signal-safe system call,
        // on a set built on its own stack.
        unsafe {
            cmd.pre_exec(|| {
                let mut one: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(0, &mut one);
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?}");
        let id = inspect(&w.env, &name)["Id"].as_str().unwrap().to_owned();
        let snapshot = w
            .env
            .root()
            .join("containers")
            .join(&id)
            .join("container.json");
        let text = std::fs::read_to_string(&snapshot)
            .unwrap_or_else(|e| panic!("{}: {e}", snapshot.display()));
        assert!(text.contains(&id), "{text}");
    }
}
