//! User namespaces with id mappings for root: `--uidmap`/`--gidmap`, the
//! id-shifted (idmapped) root filesystem, new named volumes owned by the
//! container's root, `--userns=auto` ranges from /etc/subuid's
//! `containers` entry, and a user namespace with a bridge network.

mod common;

use std::os::unix::fs::MetadataExt;

use common::{busybox, inspect};

/// The `containers` entry of /etc/subuid and /etc/subgid for the test:
/// added when missing, and the files restored afterwards.
struct SubIds {
    saved: Vec<(&'static str, Option<String>)>,
}

const RANGE: &str = "containers:3000000000:100000\n";

impl SubIds {
    fn ensure() -> SubIds {
        let mut saved = Vec::new();
        for f in ["/etc/subuid", "/etc/subgid"] {
            let old = std::fs::read_to_string(f).ok();
            let has = old
                .as_deref()
                .is_some_and(|t| t.lines().any(|l| l.starts_with("containers:")));
            if !has {
                let mut text = old.clone().unwrap_or_default();
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(RANGE);
                std::fs::write(f, text).unwrap();
                saved.push((f, old));
            }
        }
        SubIds { saved }
    }
}

impl Drop for SubIds {
    fn drop(&mut self) {
        for (f, old) in &self.saved {
            match old {
                Some(t) => {
                    let _ = std::fs::write(f, t);
                }
                None => {
                    let _ = std::fs::remove_file(f);
                }
            }
        }
    }
}

#[test]
fn uidmap_shifts_the_root_filesystem_and_new_volumes() {
    let (w, img) = busybox();
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "m1",
        "--network",
        "none",
        "--uidmap",
        "0:200000:5000",
        "-v",
        "uvol:/data",
        &img,
        "sleep",
        "1000",
    ]);
    let c = inspect(&w.env, "m1");
    assert_eq!(c["HostConfig"]["UsernsMode"], "private");
    assert_eq!(
        c["HostConfig"]["IDMappings"]["UidMap"],
        serde_json::json!(["0:200000:5000"])
    );
    // --gidmap defaults to --uidmap, as Podman.
    assert_eq!(
        c["HostConfig"]["IDMappings"]["GidMap"],
        serde_json::json!(["0:200000:5000"])
    );
    let pid = c["State"]["Pid"].as_i64().unwrap();
    let map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
    assert_eq!(
        map.split_whitespace().collect::<Vec<_>>(),
        ["0", "200000", "5000"]
    );
    let st = std::fs::metadata(format!("/proc/{pid}")).unwrap();
    assert_eq!(st.uid(), 200000, "the process runs as host uid 200000");
    // Inside: root, and the image's files are root's.
    assert_root_owns_its_files(&w.env, "m1");
    // This kernel idmaps the layers: no chowned copy was made.
    assert!(shifted_copies(&w.env).is_empty());
    // A file the container's root writes to a new named volume is the
    // host's uid 200000.
    w.env.ok(&[
        "exec",
        "m1",
        "sh",
        "-c",
        "echo hi > /data/f; chown 7:8 /data",
    ]);
    let mp = w
        .env
        .ok(&["volume", "inspect", "--format", "{{.Mountpoint}}", "uvol"]);
    let f = std::fs::metadata(format!("{}/f", mp.trim())).unwrap();
    assert_eq!((f.uid(), f.gid()), (200000, 200000));
    let d = std::fs::metadata(mp.trim()).unwrap();
    assert_eq!((d.uid(), d.gid()), (200007, 200008));
    w.env.ok(&["rm", "-f", "-t", "0", "m1"]);

    // Bad maps: one-line errors, nothing created.
    for bad in [["--uidmap", "0:1"], ["--uidmap", "x:1:2"]] {
        let (code, err) = w.env.fails(&["create", bad[0], bad[1], &img, "true"]);
        assert_eq!(code, 125, "{err}");
        assert!(err.starts_with("Error: "), "{err}");
    }
    let (code, err) = w.env.fails(&[
        "create", "--userns", "keep-id", "--uidmap", "0:1:2", &img, "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("mutually exclusive"), "{err}");
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]).trim(), "");
}

#[test]
fn root_unmapped_in_the_namespace() {
    // As Podman's "current user not mapped in the userns".
    let (w, img) = busybox();
    for flags in [
        ["--uidmap", "0:1:1000", "--gidmap", "0:1:1000"],
        ["--uidmap", "0:1:1000", "--gidmap", "0:0:1000"],
        ["--uidmap", "0:0:1000", "--gidmap", "0:1:1000"],
    ] {
        let mut args = vec!["run", "--rm", "--network", "none"];
        args.extend_from_slice(&flags);
        args.extend_from_slice(&[&img, "true"]);
        w.env.ok(&args);
    }
}

#[test]
fn auto_namespaces_get_disjoint_ranges_from_subuid() {
    let _subids = SubIds::ensure();
    let (w, img) = busybox();
    for name in ["a1", "a2"] {
        w.env.ok(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "none",
            "--userns=auto:size=2000",
            &img,
            "sleep",
            "1000",
        ]);
    }
    let range = |name: &str| -> (u64, u64) {
        let c = inspect(&w.env, name);
        assert_eq!(c["HostConfig"]["UsernsMode"], "private");
        let pid = c["State"]["Pid"].as_i64().unwrap();
        let map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
        let f: Vec<u64> = map.split_whitespace().map(|n| n.parse().unwrap()).collect();
        assert_eq!((f[0], f[2]), (0, 2000), "{map}");
        (f[1], f[1] + f[2])
    };
    let (a, b) = (range("a1"), range("a2"));
    assert!(a.1 <= b.0 || b.1 <= a.0, "{a:?} and {b:?} overlap");
    let subuid = std::fs::read_to_string("/etc/subuid").unwrap();
    let (start, count): (u64, u64) = subuid
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f[0] == "containers").then(|| (f[1].parse().unwrap(), f[2].parse().unwrap()))
        })
        .unwrap();
    for r in [a, b] {
        assert!(r.0 >= start && r.1 <= start + count, "{r:?}");
    }
    // The image's files are the container root's.
    let out = w
        .env
        .ok(&["exec", "a1", "stat", "-c", "%u:%g", "/bin/busybox"]);
    assert_eq!(out.trim(), "0:0");
    w.env.ok(&["rm", "-f", "-t", "0", "a1", "a2"]);
    let (code, err) = w
        .env
        .fails(&["create", "--userns=auto:size=0", &img, "true"]);
    assert_eq!(code, 125, "{err}");

    // Without `size`, the namespace is sized from the image as Podman's:
    // at least 1024, one past the highest id of its files and of its
    // /etc/passwd and /etc/group; more than 65536 is refused.
    let size_of = |image: &str| -> String {
        w.env
            .ok(&["create", "--name", "sz", "--userns=auto", image, "true"]);
        let c = inspect(&w.env, "sz");
        w.env.ok(&["rm", "sz"]);
        let map = c["HostConfig"]["IDMappings"]["UidMap"][0]
            .as_str()
            .unwrap()
            .to_owned();
        map.rsplit(':').next().unwrap().to_owned()
    };
    assert_eq!(size_of(&img), "1024");
    w.env.ok(&[
        "run",
        "--name",
        "mk",
        "--network",
        "none",
        &img,
        "sh",
        "-c",
        "echo svc:x:3000:3000::/:/bin/sh >> /etc/passwd",
    ]);
    w.env.ok(&["commit", "-q", "mk", "localhost/auto-users"]);
    assert_eq!(size_of("localhost/auto-users"), "3001");
    w.env.ok(&[
        "run",
        "--name",
        "mk2",
        "--network",
        "none",
        &img,
        "sh",
        "-c",
        "touch /big && chown 70000:1 /big",
    ]);
    w.env.ok(&["commit", "-q", "mk2", "localhost/auto-big"]);
    let (code, err) = w
        .env
        .fails(&["create", "--userns=auto", "localhost/auto-big", "true"]);
    assert_eq!(code, 125, "{err}");
    assert_eq!(
        err.trim(),
        "Error: the container needs a user namespace with size 70001 that is bigger than the maximum value allowed with userns=auto 65536"
    );
    w.env.ok(&[
        "create",
        "--userns=auto:size=2000",
        "localhost/auto-big",
        "true",
    ]);
}

#[test]
fn user_namespace_with_a_bridge_network() {
    let (mut w, img) = busybox();
    w.env.use_bridge_by_default();
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "b1",
        "--userns=keep-id",
        &img,
        "sleep",
        "1000",
    ]);
    // exec joins the user namespace, then the network namespace it owns.
    let out = w
        .env
        .ok(&["exec", "b1", "sh", "-c", "id -u; ip -4 -o addr show eth0"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "0");
    assert!(lines.get(1).is_some_and(|l| l.contains("inet")), "{out}");
    // Joining it by path on a bridge network: the new network namespace
    // is owned by the joined user namespace.
    let c = inspect(&w.env, "b1");
    let pid = c["State"]["Pid"].as_i64().unwrap();
    let own = w.env.ok(&["exec", "b1", "readlink", "/proc/self/ns/user"]);
    let joined = w.env.ok(&[
        "run",
        "--rm",
        &format!("--userns=ns:/proc/{pid}/ns/user"),
        &img,
        "readlink",
        "/proc/self/ns/user",
    ]);
    assert_eq!(joined, own);
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "b2",
        "--uidmap",
        "0:300000:2000",
        &img,
        "sleep",
        "1000",
    ]);
    let out = w
        .env
        .ok(&["exec", "b2", "ip", "-4", "-o", "addr", "show", "eth0"]);
    assert!(out.contains("inet"), "{out}");
    w.env.ok(&["rm", "-f", "-t", "0", "b1", "b2"]);
}

#[test]
fn pod_user_namespace_is_joined_by_members() {
    let (w, img) = busybox();
    w.env.ok(&[
        "pod",
        "create",
        "--name",
        "up",
        "--network",
        "none",
        "--uidmap",
        "0:210000:3000",
    ]);
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--pod",
        "up",
        &img,
        "sh",
        "-c",
        "id -u; cat /proc/self/uid_map; stat -c %u /bin/busybox",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "0", "{out}");
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["0", "210000", "3000"]
    );
    assert_eq!(lines[2], "0", "the image's files are the member's root's");
    let infra = w
        .env
        .ok(&["pod", "inspect", "--format", "{{.InfraContainerID}}", "up"]);
    let maps = w.env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.IDMappings.UIDMap}}",
        infra.trim(),
    ]);
    assert_eq!(maps.trim(), "[0:210000:3000]");
    w.env.ok(&["pod", "rm", "-f", "up"]);
    // keep-id on the default (bridge) network.
    w.env
        .ok(&["pod", "create", "--name", "uk", "--userns", "keep-id"]);
    assert_eq!(
        w.env
            .ok(&["run", "--rm", "--pod", "uk", &img, "id", "-u"])
            .trim(),
        "0"
    );
    w.env.ok(&["pod", "rm", "-f", "uk"]);
}

/// Inside `ctr`: root, the image's files root's, and a new file too.
fn assert_root_owns_its_files(env: &rpod_tests::TestEnv, ctr: &str) {
    let out = env.ok(&[
        "exec",
        ctr,
        "sh",
        "-c",
        "id -u; stat -c %u:%g /bin/busybox /etc/passwd; touch /etc/newfile && stat -c %u /etc/newfile",
    ]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["0", "0:0", "0:0", "0"],
        "{out}"
    );
}

/// The chowned copies in the store (`storage/shifted/<key>`), each with
/// its users.
fn shifted_copies(env: &rpod_tests::TestEnv) -> Vec<(std::path::PathBuf, Vec<String>)> {
    let dir = env.root().join("storage/shifted");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if !e.file_type().unwrap().is_dir() {
            continue;
        }
        let mut users: Vec<String> = std::fs::read_dir(e.path().join("users"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|u| u.file_name().to_string_lossy().into_owned())
            .collect();
        users.sort();
        out.push((e.path(), users));
    }
    out
}

/// rpod.conf `[storage] id_shift = "copy"` (what a kernel or filesystem
/// without idmapped mounts gets): the image as a chowned copy, one per
/// image and mapping, shared by its containers and removed with the last;
/// a start cut off while copying leaves no copy behind.
#[test]
fn chowned_copy_per_mapping_removed_with_its_last_container() {
    let (mut w, img) = busybox();
    w.env.add_rpod_conf("[storage]\nid_shift = \"copy\"\n");
    let run = |name: &str, map: &str| {
        let out = w.env.ok(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "none",
            "--uidmap",
            map,
            &img,
            "sleep",
            "1000",
        ]);
        out.trim().to_owned()
    };
    let id1 = run("k1", "0:200000:70000");
    assert_root_owns_its_files(&w.env, "k1");
    let copies = shifted_copies(&w.env);
    assert_eq!(copies.len(), 1, "{copies:?}");
    let (copy, users) = &copies[0];
    assert_eq!(users, std::slice::from_ref(&id1));
    let bin = std::fs::symlink_metadata(copy.join("tree/bin/busybox")).unwrap();
    assert_eq!((bin.uid(), bin.gid()), (200000, 200000));
    // Its overlay's only lower layer is the copy, no idmapped mount.
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        mountinfo.contains(&format!("lowerdir={}/tree", copy.display())),
        "{mountinfo}"
    );
    // The same image and mapping share the copy; another mapping has its own.
    let id2 = run("k2", "0:200000:70000");
    let id3 = run("k3", "0:300000:70000");
    let copies = shifted_copies(&w.env);
    assert_eq!(copies.len(), 2, "{copies:?}");
    let mut both = vec![id1.clone(), id2.clone()];
    both.sort();
    assert!(copies.iter().any(|(_, u)| *u == both), "{copies:?}");
    assert!(
        copies.iter().any(|(_, u)| *u == [id3.clone()]),
        "{copies:?}"
    );
    // A stop keeps it (the container still uses it); removals release it.
    w.env.ok(&["stop", "-t", "0", "k1"]);
    w.env.ok(&["start", "k1"]);
    w.env.ok(&["rm", "-f", "-t", "0", "k1"]);
    assert_eq!(shifted_copies(&w.env).len(), 2);
    w.env.ok(&["rm", "-f", "-t", "0", "k2"]);
    let copies = shifted_copies(&w.env);
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(copies[0].1, [id3]);
    w.env.ok(&["rm", "-f", "-t", "0", "k3"]);
    assert!(shifted_copies(&w.env).is_empty());

    // Killed after copying, before the copy is in place: nothing of it
    // is left once the next command has run.
    let out = w
        .env
        .cmd(&[
            "run",
            "-d",
            "--name",
            "k4",
            "--network",
            "none",
            "--uidmap",
            "0:400000:70000",
            &img,
            "true",
        ])
        .env("RPOD_FAULT", "shift.after-copy")
        .output()
        .unwrap();
    assert!(!out.status.success());
    w.env.ok(&["rm", "-f", "-t", "0", "k4"]);
    assert!(shifted_copies(&w.env).is_empty());
    let tmp = w.env.root().join("storage/tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
