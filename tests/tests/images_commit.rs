//! New images from containers: diff, commit (whiteouts and opaque
//! directories carried), save/rmi/load/run round trip, export/import,
//! mount/umount, and a large committed layer pushed in chunks.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{busybox, world};
use rpod_tests::{run_with_timeout, unique_name};
use serde_json::Value;

#[test]
fn diff_commit_save_rmi_load_run_round_trip() {
    let (w, img) = busybox();
    let env = &w.env;
    let name = unique_name("changed");
    env.ok(&[
        "run",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo hi > /new.txt; echo extra >> /etc/group; rm /etc/passwd; \
         rm -rf /home/tester; mkdir /home/tester; echo n > /home/tester/f",
    ]);
    let diff = env.ok(&["diff", &name]);
    for line in [
        "A /new.txt",
        "C /etc",
        "C /etc/group",
        "D /etc/passwd",
        "C /home/tester",
        "A /home/tester/f",
    ] {
        assert!(
            diff.lines().any(|l| l == line),
            "{line} missing in:\n{diff}"
        );
    }
    let json: Value = serde_json::from_str(&env.ok(&["diff", "--format", "json", &name])).unwrap();
    assert!(json["added"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == "/new.txt"));

    // Podman 5: a message needs the docker format.
    let (code, err) = env.fails(&["commit", "-q", "-m", "my message", &name, "committed:v0"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: messages are only compatible with the docker image format (-f docker)\n"
    );
    let out = env.ok(&[
        "commit",
        "-q",
        "--change",
        "CMD [\"cat\", \"/new.txt\"]",
        "--change",
        "ENV COMMITTED=yes",
        "--format",
        "docker",
        "-m",
        "my message",
        "--author",
        "Tester <t@example.com>",
        &name,
        "committed:v1",
    ]);
    let id = out.trim().to_string();
    assert_eq!(id.len(), 64, "{out}");
    let inspect: Value =
        serde_json::from_str(&env.ok(&["image", "inspect", "committed:v1"])).unwrap();
    assert_eq!(inspect[0]["Author"], "Tester <t@example.com>");
    assert_eq!(
        inspect[0]["Config"]["Cmd"],
        serde_json::json!(["cat", "/new.txt"])
    );
    assert!(env.ok(&["history", "committed:v1"]).contains("my message"));
    // The committed layer is the container's change set.
    let idiff = env.ok(&["diff", "committed:v1"]);
    assert!(idiff.lines().any(|l| l == "D /etc/passwd"), "{idiff}");

    let archive = env.dir().join("committed.tar");
    env.ok(&["save", "-o", archive.to_str().unwrap(), "committed:v1"]);
    // skopeo reads it.
    let mut cmd = Command::new("skopeo");
    cmd.arg("inspect")
        .arg(format!("docker-archive:{}", archive.display()))
        .stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.ok(&["rm", &name]);
    env.ok(&["rmi", "-a"]);
    assert_eq!(env.ok(&["images", "-q"]), "");
    env.ok(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(env.ok(&["run", "--rm", "committed:v1"]).trim(), "hi");
    let check = env.ok(&[
        "run",
        "--rm",
        "committed:v1",
        "sh",
        "-c",
        "test ! -e /etc/passwd && tail -n1 /etc/group && ls /home/tester && echo $COMMITTED",
    ]);
    assert_eq!(check, "extra\nf\nyes\n");
}

#[test]
fn export_import_and_mount() {
    let (w, img) = busybox();
    let env = &w.env;
    let name = unique_name("exp");
    env.ok(&["create", "--name", &name, &img, "true"]);
    let path = env.ok(&["mount", &name]).trim().to_string();
    assert!(std::path::Path::new(&path).join("bin/busybox").exists());
    std::fs::write(std::path::Path::new(&path).join("marker"), "m\n").unwrap();
    let listed = env.ok(&["mount"]);
    assert!(listed.contains(&path), "{listed}");
    assert_eq!(env.ok(&["umount", &name]).trim(), name);
    assert!(!env.ok(&["mount"]).contains(&path));

    let tarball = env.dir().join("rootfs.tar");
    env.ok(&["export", "-o", tarball.to_str().unwrap(), &name]);
    assert!(
        !env.ok(&["mount"]).contains(&path),
        "export leaves it unmounted"
    );
    let out = env.ok(&[
        "import",
        "-q",
        "--change",
        "CMD [\"cat\", \"/marker\"]",
        "-m",
        "imported",
        tarball.to_str().unwrap(),
        "imported:v1",
    ]);
    assert!(out.trim().starts_with("sha256:"), "{out}");
    assert_eq!(env.ok(&["run", "--rm", "imported:v1"]).trim(), "m");
    // From stdin, gzip-compressed.
    let gz = env.dir().join("rootfs.tar.gz");
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", tarball.display(), gz.display()))
        .status()
        .unwrap();
    assert!(st.success());
    let out = env
        .cmd(&["import", "-q", "-", "fromstdin"])
        .stdin(std::fs::File::open(&gz).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        env.ok(&["run", "--rm", "fromstdin", "cat", "/marker"])
            .trim(),
        "m"
    );
    let (code, err) = env.fails(&["import", env.dir().join("nope.tar").to_str().unwrap()]);
    assert_eq!(code, 125);
    assert!(err.contains("nope.tar"), "{err}");
}

#[test]
fn image_diff_shows_whiteouts_of_the_top_layer() {
    let w = world(&["multilayer"]);
    w.env.ok(&["pull", "-q", &w.images[0]]);
    let diff = w.env.ok(&["diff", &w.images[0]]);
    assert!(diff.lines().any(|l| l == "D /data/gone.txt"), "{diff}");
    assert!(diff.lines().any(|l| l == "A /opaque/new"), "{diff}");
}

#[test]
fn commit_paused_running_container_and_push_a_large_layer_in_chunks() {
    let (w, img) = busybox();
    let env = &w.env;
    let name = unique_name("big");
    env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "head -c 12000000 /dev/urandom > /big; touch /ready; sleep 60",
    ]);
    rpod_tests::wait_until(Duration::from_secs(30), "the big file", || {
        env.run(&["exec", &name, "test", "-e", "/ready"])
            .status
            .success()
    });
    env.ok(&["commit", "-q", "--pause", &name, "big:v1"]);
    assert_eq!(common::state_of(env, &name), "running", "unpaused again");
    let dest = format!("{}/big:v1", w.registry.addr());
    env.ok(&["push", "-q", "big:v1", &dest]);
    let digest = env
        .ok(&["image", "inspect", "--format", "{{.Digest}}", "big:v1"])
        .trim()
        .to_string();
    let mut cmd = Command::new("skopeo");
    cmd.args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
        .arg(format!("docker://{dest}"))
        .stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), digest);
    env.ok(&["rm", "-f", "-t", "0", &name]);
    env.ok(&["rmi", "-a"]);
    env.ok(&["pull", "-q", &dest]);
    let size = env.ok(&["run", "--rm", &dest, "sh", "-c", "wc -c < /big"]);
    assert_eq!(size.trim(), "12000000");
}

#[test]
fn commit_keeps_the_containers_settings_and_change_overrides_them() {
    let (w, img) = busybox();
    let c = unique_name("cfg");
    w.env.ok(&[
        "run",
        "--name",
        &c,
        "-e",
        "GREETING=hello world",
        "-w",
        "/tmp",
        "-u",
        "1000",
        "-l",
        "tier=web",
        &img,
        "sh",
        "-c",
        "echo $GREETING > /tmp/out",
    ]);
    let committed = format!("localhost/{}:v1", unique_name("committed"));
    w.env.ok(&["commit", "-q", "-c", "USER 0", &c, &committed]);
    let config = |field: &str| {
        w.env
            .ok(&[
                "image",
                "inspect",
                "--format",
                &format!("{{{{json .Config.{field}}}}}"),
                &committed,
            ])
            .trim()
            .to_owned()
    };
    assert!(
        config("Env").contains("\"GREETING=hello world\""),
        "{}",
        config("Env")
    );
    assert_eq!(config("WorkingDir"), "\"/tmp\"");
    assert_eq!(config("Cmd"), r#"["sh","-c","echo $GREETING > /tmp/out"]"#);
    assert_eq!(
        config("User"),
        "\"0\"",
        "--change wins over the container's user"
    );
    assert!(
        config("Labels").contains("\"tier\":\"web\""),
        "{}",
        config("Labels")
    );
    // The committed command runs by default.
    let out = w.env.ok(&["run", "--rm", &committed, "cat", "/tmp/out"]);
    assert_eq!(out, "hello world\n");
}

/// `container runlabel`: the label's command, with `podman` as this rpod,
/// NAME, IMAGE and `$OPTn` substituted, is shown with `--display` and run
/// on the same store; a missing label is Podman's error.
#[test]
fn runlabel_displays_and_runs_the_labels_command() {
    let (w, img) = busybox();
    let env = &w.env;
    let src = unique_name("rl-src");
    env.ok(&["create", "--name", &src, &img, "true"]);
    env.ok(&[
        "commit",
        "-q",
        "--change",
        "LABEL INSTALL=\"podman run --rm ${OPT1} --name NAME -e IMAGE=IMAGE IMAGE echo ${OPT2} installed\"",
        &src,
        "runlabel_image",
    ]);
    let out = env.ok(&[
        "container",
        "runlabel",
        "--opt2=hello",
        "--name",
        "rl-one",
        "--display",
        "install",
        "runlabel_image",
    ]);
    let bin = rpod_tests::rpod_bin();
    assert_eq!(
        out.trim(),
        format!(
            "command: {} run --rm --name rl-one -e IMAGE=localhost/runlabel_image:latest localhost/runlabel_image:latest echo hello installed",
            bin.display()
        )
    );
    // Without --name: the image's name; without --opt2: nothing there.
    let out = env.ok(&[
        "container",
        "runlabel",
        "--display",
        "install",
        "runlabel_image",
    ]);
    assert!(out.contains("--name runlabel_image -e"), "{out}");
    assert!(out.trim().ends_with("latest echo installed"), "{out}");
    // Run: the nested rpod works on this store (the container is gone
    // again: --rm).
    let out = env.ok(&[
        "container",
        "runlabel",
        "--opt2=ran",
        "install",
        "runlabel_image",
    ]);
    assert_eq!(out.trim(), "ran installed");
    assert_eq!(
        env.ok(&["ps", "-aq"]).lines().count(),
        1,
        "only the source container"
    );
    let (code, err) = env.fails(&["container", "runlabel", "run", "runlabel_image"]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: cannot find the value of label: run in image: runlabel_image"
    );
    let (code, err) = env.fails(&[
        "container",
        "runlabel",
        "--authfile",
        "/nonexistent/auth.json",
        "install",
        "runlabel_image",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("credential file is not accessible"), "{err}");
}
