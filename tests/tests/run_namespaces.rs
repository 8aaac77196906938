//! `--ipc`, `--pid`, `--uts`, `--cgroupns` on `run`: the namespaces a
//! container gets (its own, the host's, another container's, one named by
//! path), as /proc/self/ns shows them from inside real containers, their
//! inspect names, /dev/shm per IPC mode, and Podman's refusals.

mod common;

use common::{busybox, inspect};

fn host_ns(name: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{name}"))
        .unwrap()
        .display()
        .to_string()
}

/// `readlink /proc/self/ns/<name>` in a new container run with `flags`.
fn ns_of_run(w: &common::World, img: &str, flags: &[&str], name: &str) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    let path = format!("/proc/self/ns/{name}");
    args.extend_from_slice(&[img, "readlink", &path]);
    w.env.ok(&args).trim().to_owned()
}

#[test]
fn host_private_and_joined_namespaces() {
    let (w, img) = busybox();
    for (name, flag) in [
        ("ipc", "--ipc"),
        ("pid", "--pid"),
        ("uts", "--uts"),
        ("cgroup", "--cgroupns"),
    ] {
        let host = host_ns(name);
        assert_eq!(ns_of_run(&w, &img, &[flag, "host"], name), host, "{flag}");
        let own = ns_of_run(&w, &img, &[flag, "private"], name);
        assert_ne!(own, host, "{flag} private");
        // A running container's namespace, joined by name.
        let donor = format!("donor-{name}");
        let mode = if name == "ipc" {
            "shareable"
        } else {
            "private"
        };
        w.env.ok(&[
            "run", "-d", "--name", &donor, flag, mode, &img, "sleep", "1000",
        ]);
        let donor_ns = w
            .env
            .ok(&["exec", &donor, "readlink", &format!("/proc/self/ns/{name}")])
            .trim()
            .to_owned();
        assert_ne!(donor_ns, host, "{flag} {mode}");
        let joined = format!("container:{donor}");
        assert_eq!(ns_of_run(&w, &img, &[flag, &joined], name), donor_ns);
        // The same namespace by path.
        let pid = inspect(&w.env, &donor)["State"]["Pid"].as_i64().unwrap();
        let path = format!("ns:/proc/{pid}/ns/{name}");
        assert_eq!(ns_of_run(&w, &img, &[flag, &path], name), donor_ns);
        w.env.ok(&["rm", "-f", "-t", "0", &donor]);
    }
    // A container joining one that uses the host's network namespace.
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "hostnet",
        "--network",
        "host",
        &img,
        "sleep",
        "1000",
    ]);
    let net = ns_of_run(&w, &img, &["--network", "container:hostnet"], "net");
    assert_eq!(net, host_ns("net"));
    w.env.ok(&["rm", "-f", "-t", "0", "hostnet"]);
}

#[test]
fn inspect_shows_the_modes() {
    let (w, img) = busybox();
    w.env
        .ok(&["create", "--name", "dflt", &img, "sleep", "1000"]);
    let hc = &inspect(&w.env, "dflt")["HostConfig"];
    assert_eq!(hc["IpcMode"], "shareable");
    assert_eq!(hc["PidMode"], "private");
    assert_eq!(hc["UTSMode"], "private");
    let id = inspect(&w.env, "dflt")["Id"].as_str().unwrap().to_owned();
    // The test's own (the host's) UTS namespace, by path.
    let uts = format!("ns:/proc/{}/ns/uts", std::process::id());
    w.env.ok(&[
        "create",
        "--name",
        "modes",
        "--ipc",
        "container:dflt",
        "--pid",
        "host",
        "--uts",
        &uts,
        "--cgroupns",
        "private",
        &img,
        "true",
    ]);
    let data = inspect(&w.env, "modes");
    let hc = &data["HostConfig"];
    assert_eq!(hc["IpcMode"], format!("container:{id}"));
    assert_eq!(hc["PidMode"], "host");
    assert_eq!(hc["UTSMode"], uts);
    assert_eq!(hc["CgroupMode"], "private");
    // The donor is a dependency: it cannot be removed under its joiner.
    let (code, err) = w.env.fails(&["rm", "dflt"]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("dependent containers"), "{err}");
    // Starting the joiner starts the donor first.
    w.env.ok(&["start", "modes"]);
    assert_eq!(common::state_of(&w.env, "dflt"), "running");
    w.env.ok(&["rm", "-f", "-t", "0", "modes"]);
    w.env.ok(&["rm", "-f", "-t", "0", "dflt"]);
}

#[test]
fn dev_shm_follows_the_ipc_mode() {
    let (w, img) = busybox();
    let (code, out) = w
        .env
        .fails(&["run", "--rm", "--ipc", "none", &img, "ls", "/dev/shm"]);
    assert_eq!(code, 1);
    assert!(out.contains("No such file or directory"), "{out}");
    // A shareable container's /dev/shm is the one its joiners see.
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "shm",
        &img,
        "sh",
        "-c",
        "echo hi > /dev/shm/f; sleep 1000",
    ]);
    let seen = w.env.ok(&[
        "run",
        "--rm",
        "--ipc",
        "container:shm",
        &img,
        "sh",
        "-c",
        "while [ ! -e /dev/shm/f ]; do sleep 0.1; done; cat /dev/shm/f",
    ]);
    assert_eq!(seen.trim(), "hi");
    let private = w
        .env
        .ok(&["run", "--rm", "--ipc", "private", &img, "ls", "/dev/shm"]);
    assert_eq!(private.trim(), "");
    w.env.ok(&["rm", "-f", "-t", "0", "shm"]);
    // The shm mount goes with the container.
    let leftover: Vec<_> = common::mounts(&w.env)
        .into_iter()
        .filter(|m| m.ends_with("shm"))
        .collect();
    assert!(leftover.is_empty(), "{leftover:?}");
}

#[test]
fn bad_modes_are_refused_and_nothing_is_created() {
    let (w, img) = busybox();
    let (code, err) = w.env.fails(&["run", "--rm", "--pid=bogus", &img, "true"]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: unrecognized namespace mode bogus passed"
    );
    let (code, err) = w
        .env
        .fails(&["run", "--rm", "--ipc", "container:missing", &img, "true"]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: looking up container to share ipc namespace with: no container with name or ID \"missing\" found: no such container"
    );
    let (code, _) = w.env.fails(&["run", "--rm", "--uts", "none", &img, "true"]);
    assert_eq!(code, 125);
    w.env
        .ok(&["create", "--name", "priv", "--ipc", "private", &img, "true"]);
    let id = inspect(&w.env, "priv")["Id"].as_str().unwrap().to_owned();
    let (code, err) = w
        .env
        .fails(&["run", "--rm", "--ipc", "container:priv", &img, "true"]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        format!("Error: joining IPC of container {id} is not allowed: non-shareable IPC (hint: use IpcMode:shareable for the donor container)")
    );
    let (code, err) = w.env.fails(&["create", "--pid", "pod", &img, "true"]);
    assert_eq!(code, 125, "{err}");
    let ids = w.env.ok(&["ps", "-a", "-q", "--no-trunc"]);
    assert_eq!(ids.trim(), id);
}

#[test]
fn pod_members_join_what_the_pod_shares_unless_told_otherwise() {
    let (w, img) = busybox();
    w.env
        .ok(&["pod", "create", "--share", "+pid", "--name", "pp"]);
    let shared = w
        .env
        .ok(&["pod", "inspect", "pp", "--format", "{{.SharedNamespaces}}"]);
    for ns in ["ipc", "net", "uts", "pid"] {
        assert!(shared.contains(ns), "{shared}");
    }
    w.env.ok(&[
        "run", "-d", "--pod", "pp", "--name", "m1", &img, "sleep", "1000",
    ]);
    let infra = w
        .env
        .ok(&["pod", "inspect", "pp", "--format", "{{.InfraContainerID}}"])
        .trim()
        .to_owned();
    let infra_pid = inspect(&w.env, &infra)["State"]["Pid"].as_i64().unwrap();
    let infra_pidns = std::fs::read_link(format!("/proc/{infra_pid}/ns/pid")).unwrap();
    let m1_pidns = w.env.ok(&["exec", "m1", "readlink", "/proc/self/ns/pid"]);
    assert_eq!(m1_pidns.trim(), infra_pidns.display().to_string());
    assert_eq!(
        inspect(&w.env, "m1")["HostConfig"]["PidMode"],
        format!("container:{infra}")
    );
    // A member's own mode wins over the pod's sharing.
    let own = ns_of_run(&w, &img, &["--pod", "pp", "--pid", "private"], "pid");
    assert_ne!(own, infra_pidns.display().to_string());
    w.env.ok(&["pod", "rm", "-f", "-t", "0", "pp"]);

    // --share-parent=false: members' cgroups are not below the pod's.
    let (code, err) = w
        .env
        .fails(&["pod", "create", "--share", "cgroup", "--name", "pc"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("cannot define the pod as the cgroup parent"),
        "{err}"
    );
    w.env
        .ok(&["pod", "create", "--share-parent=false", "--name", "pc"]);
    let pod_id = w.env.ok(&["pod", "inspect", "pc", "--format", "{{.ID}}"]);
    let cg = w.env.ok(&[
        "run",
        "--rm",
        "--pod",
        "pc",
        &img,
        "cat",
        "/proc/self/cgroup",
    ]);
    assert!(!cg.contains(pod_id.trim()), "{cg}");
    w.env.ok(&["pod", "create", "--name", "pd"]);
    let pod_id = w.env.ok(&["pod", "inspect", "pd", "--format", "{{.ID}}"]);
    let cg = w.env.ok(&[
        "run",
        "--rm",
        "--pod",
        "pd",
        &img,
        "cat",
        "/proc/self/cgroup",
    ]);
    assert!(cg.contains(pod_id.trim()), "{cg}");
    w.env.ok(&["pod", "rm", "-f", "-t", "0", "pc", "pd"]);
}

/// Removes the cgroup directory `rel` from every hierarchy (children first).
fn remove_cgroup_dirs(rel: &str) {
    fn rm_tree(dir: &std::path::Path) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    rm_tree(&e.path());
                }
            }
        }
        let _ = std::fs::remove_dir(dir);
    }
    let mut roots = vec![std::path::PathBuf::from("/sys/fs/cgroup")];
    if let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup") {
        roots.extend(
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path()),
        );
    }
    for r in roots {
        rm_tree(&r.join(rel));
    }
}

#[test]
fn cgroup_parent_and_cgroups_modes() {
    let (w, img) = busybox();
    let parent = format!("rpod-test-parent-{}", std::process::id());
    let abs = format!("/{parent}");
    w.env.ok(&[
        "create",
        "--name",
        "cp",
        "--cgroup-parent",
        &abs,
        "--cgroups",
        "no-conmon",
        &img,
        "cat",
        "/proc/self/cgroup",
    ]);
    let id = inspect(&w.env, "cp")["Id"].as_str().unwrap().to_owned();
    assert_eq!(inspect(&w.env, "cp")["HostConfig"]["CgroupParent"], abs);
    let out = w.env.ok(&["start", "-a", "cp"]);
    w.env.ok(&["rm", "cp"]);
    remove_cgroup_dirs(&parent);
    assert!(
        out.lines().any(|l| l.ends_with(&format!("{abs}/{id}"))),
        "{out}"
    );
    // Default: no CgroupParent shown (Podman leaves its default out).
    w.env.ok(&["create", "--name", "dc", &img, "true"]);
    assert_eq!(inspect(&w.env, "dc")["HostConfig"]["CgroupParent"], "");
    w.env.ok(&["rm", "dc"]);

    let (code, err) = w
        .env
        .fails(&["create", "--cgroups", "disabled", &img, "true"]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: requested OCI runtime runc is not compatible with NoCgroups: invalid argument"
    );
    let (code, err) = w.env.fails(&["create", "--cgroups", "bogus", &img, "true"]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: invalid cgroup mode \"bogus\": invalid argument"
    );
    let (code, err) = w
        .env
        .fails(&["create", "--cgroup-parent", "machine.slice", &img, "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("systemd slice received as cgroup parent"),
        "{err}"
    );
    let (code, err) = w
        .env
        .fails(&["create", "--cgroup-conf", "nokey", &img, "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("--cgroup-conf must be formatted KEY=VALUE"),
        "{err}"
    );
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]).trim(), "");
}

#[test]
fn user_namespaces_for_root() {
    let (w, img) = busybox();
    let net = ["--network", "none"];
    let run = |flags: &[&str], cmd: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(&net);
        args.extend_from_slice(flags);
        args.push(&img);
        args.extend_from_slice(cmd);
        w.env.ok(&args)
    };
    // keep-id: a user namespace of its own with root's identity mapping,
    // running as root.
    let out = run(
        &["--userns=keep-id"],
        &[
            "sh",
            "-c",
            "id -u; readlink /proc/self/ns/user; cat /proc/self/uid_map",
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "0");
    assert_ne!(lines[1], host_ns("user"));
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["0", "0", "4294967295"]
    );
    // Joined by container and by path; exec enters it too.
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "u1",
        "--network",
        "none",
        "--userns=keep-id",
        &img,
        "sleep",
        "1000",
    ]);
    assert_eq!(inspect(&w.env, "u1")["HostConfig"]["UsernsMode"], "private");
    let own = w.env.ok(&["exec", "u1", "readlink", "/proc/self/ns/user"]);
    assert_ne!(own.trim(), host_ns("user"));
    assert_eq!(
        run(
            &["--userns=container:u1"],
            &["readlink", "/proc/self/ns/user"]
        ),
        own
    );
    let pid = inspect(&w.env, "u1")["State"]["Pid"].as_i64().unwrap();
    let path = format!("--userns=ns:/proc/{pid}/ns/user");
    assert_eq!(run(&[&path], &["readlink", "/proc/self/ns/user"]), own);
    w.env.ok(&["rm", "-f", "-t", "0", "u1"]);

    // keep-id's options for root, as Podman: the host's mappings, the
    // process as uid:gid unless `--user` names another; `size` changes
    // nothing for root.
    let out = run(
        &["--userns=keep-id:uid=1000,gid=100,size=10"],
        &["sh", "-c", "id -u; id -g; cat /proc/self/uid_map"],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["1000", "100"]);
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["0", "0", "4294967295"]
    );
    assert_eq!(
        run(&["--userns=keep-id:gid=5", "--user", "7"], &["id", "-u"]).trim(),
        "7"
    );
    w.env
        .ok(&["create", "--name", "u2", "--userns=keep-id:uid=9", &img]);
    assert_eq!(inspect(&w.env, "u2")["Config"]["User"], "9:0");
    w.env.ok(&["rm", "u2"]);
    for (opt, want) in [
        ("keep-id:uid", "Error: invalid option specified: \"uid\""),
        (
            "keep-id:bogus=1",
            "Error: unknown option specified: \"bogus\"",
        ),
        (
            "keep-id:uid=x",
            "Error: strconv.ParseUint: parsing \"x\": invalid syntax",
        ),
    ] {
        let flag = format!("--userns={opt}");
        let (code, err) = w.env.fails(&["create", &flag, &img, "true"]);
        assert_eq!((code, err.trim()), (125, want));
    }

    // Refused: nomap for root (Podman's words).
    let (code, err) = w
        .env
        .fails(&["run", "--rm", "--userns=nomap", &img, "true"]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: nomap is only supported in rootless mode"
    );
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]).trim(), "");
}
