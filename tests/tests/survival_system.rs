//! `container prune`, `system prune|df|reset|migrate`.

mod common;

use std::io::Write;

use common::busybox;
use rpod_tests::unique_name;

#[test]
fn prune_df_migrate_and_reset() {
    let (w, img) = busybox();
    let exited = unique_name("exited");
    let created = unique_name("created");
    let running = unique_name("running");
    w.env
        .ok(&["run", "--name", &exited, &img, "sh", "-c", "echo data > /f"]);
    let exited_id = common::inspect(&w.env, &exited)["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created_id = w
        .env
        .ok(&["create", "--name", &created, &img, "true"])
        .trim()
        .to_owned();
    w.env
        .ok(&["run", "-d", "--name", &running, &img, "sleep", "300"]);

    let df = w.env.ok(&["system", "df"]);
    let lines: Vec<&str> = df.lines().collect();
    assert!(lines[0].starts_with("TYPE"), "{df}");
    assert!(lines[0].contains("RECLAIMABLE"), "{df}");
    let fmt = w.env.ok(&[
        "system",
        "df",
        "--format",
        "{{.Type}} {{.Total}} {{.Active}}",
    ]);
    assert_eq!(fmt, "Images 1 1\nContainers 3 1\nLocal Volumes 0 0\n");

    // Declined: nothing happens.
    let mut cmd = w.env.cmd(&["container", "prune"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]).lines().count(), 3);

    // A pod that never ran: `container prune` takes its member but leaves
    // the infra container to the pod; `system prune` removes the pod.
    let pod = unique_name("prunepod");
    let pod_id = w
        .env
        .ok(&["pod", "create", "--name", &pod])
        .trim()
        .to_owned();
    let member_id = w
        .env
        .ok(&["create", "--pod", &pod, &img, "true"])
        .trim()
        .to_owned();
    let out = w.env.ok(&["container", "prune", "-f"]);
    let mut got: Vec<&str> = out.lines().collect();
    got.sort();
    let mut want = vec![exited_id.as_str(), created_id.as_str(), member_id.as_str()];
    want.sort();
    assert_eq!(got, want);
    let mut left: Vec<String> = w
        .env
        .ok(&["ps", "-a", "--format", "{{.Names}}"])
        .lines()
        .map(str::to_owned)
        .collect();
    left.sort();
    let mut want_left = vec![running.clone(), format!("{}-infra", &pod_id[..12])];
    want_left.sort();
    assert_eq!(left, want_left);

    // A dangling image (committed without a name) goes with plain prune;
    // the tagged one stays until `-a`.
    let dangling = w.env.ok(&["commit", "-q", &running]).trim().to_owned();
    let dangling = dangling
        .strip_prefix("sha256:")
        .unwrap_or(&dangling)
        .to_owned();
    // busybox and the dangling one (the pod's infra container has no image).
    assert_eq!(w.env.ok(&["images", "-q"]).lines().count(), 2);
    w.env.ok(&["stop", "-t", "0", &running]);
    let out = w.env.ok(&["system", "prune", "-f"]);
    assert!(
        out.starts_with(&format!("Deleted Pods\n{pod_id}\nDeleted Containers\n")),
        "{out}"
    );
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]), "");
    assert!(
        out.contains(&format!("Deleted Images\n{dangling}\n")),
        "{out}"
    );
    assert!(out.contains("Total reclaimed space: "), "{out}");
    assert!(!out.contains("Total reclaimed space: 0 B"), "{out}");
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]), "");
    assert_eq!(w.env.ok(&["images", "-q"]).lines().count(), 1);
    let out = w.env.ok(&["system", "prune", "-a", "-f"]);
    assert!(out.starts_with("Deleted Images\n"), "{out}");
    assert_eq!(w.env.ok(&["images", "-q"]), "");
    let df = w
        .env
        .ok(&["system", "df", "--format", "{{.Type}} {{.Total}} {{.Size}}"]);
    assert!(df.starts_with("Images 0 0B\n"), "{df}");
    w.env.ok(&["pull", "-q", &img]);

    w.env.ok(&["system", "migrate"]);

    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &unique_name("again"),
        &img,
        "sleep",
        "300",
    ]);
    w.env.ok(&["system", "reset", "-f"]);
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]), "");
    assert_eq!(w.env.ok(&["images", "-q"]), "");
    assert!(common::mounts(&w.env).is_empty());
    // Usable again afterwards.
    w.env.ok(&["pull", "-q", &img]);
    assert_eq!(w.env.ok(&["run", "--rm", &img, "echo", "ok"]), "ok\n");
}
