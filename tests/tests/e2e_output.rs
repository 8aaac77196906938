//! Output shapes that scripts rely on: tables, JSON, Go templates, YAML,
//! log options, attach and detach.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::{busybox, inspect};
use rpod_tests::{unique_name, wait_until};
use serde_json::Value;

#[test]
fn ps_table_json_and_templates() {
    let (w, img) = busybox();
    let name = unique_name("fmt");
    let id = w.env.ok(&[
        "run", "-d", "--name", &name, "-l", "tier=web", &img, "sleep", "300",
    ]);
    let id = id.trim();

    let table = w.env.ok(&["ps"]);
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    for col in [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let row = lines.next().unwrap();
    assert!(row.starts_with(&id[..12]), "{row}");
    assert_eq!(
        header.find("IMAGE"),
        row.find(&img[..]),
        "columns align:\n{table}"
    );
    assert!(row.ends_with(&name), "{row}");

    let json: Value = serde_json::from_str(&w.env.ok(&["ps", "--format", "json"])).unwrap();
    let c = &json[0];
    assert_eq!(c["Id"], id);
    assert_eq!(c["Names"][0], name.as_str());
    assert_eq!(c["State"], "running");
    assert_eq!(c["Command"], serde_json::json!(["sleep", "300"]));
    assert_eq!(c["Labels"]["tier"], "web");

    let t = w.env.ok(&[
        "ps",
        "--no-trunc",
        "--format",
        "{{.ID}}|{{.Names}}|{{.State}}|{{index .Labels \"tier\"}}|{{upper .State}}",
    ]);
    assert_eq!(t, format!("{id}|{name}|running|web|RUNNING\n"));
    // A template that starts with dashes is the flag's value, as in Podman.
    let t = w.env.ok(&["ps", "--format", "--{{.Names}}--"]);
    assert_eq!(t, format!("--{name}--\n"));
    let t = w.env.ok(&["ps", "--format", "table {{.ID}}\t{{.Names}}"]);
    assert_eq!(
        t.lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["CONTAINER", "ID", "NAMES"]
    );
    assert_eq!(w.env.ok(&["ps", "-q"]).trim(), &id[..12]);
    assert_eq!(w.env.ok(&["ps", "-q", "--no-trunc"]).trim(), id);
    // `id=`: hex digits are a prefix in any case, anything else a regex.
    for filter in [
        id[..3].to_owned(),
        id[..3].to_ascii_uppercase(),
        format!("^{}", &id[..3]),
        format!("{}$", &id[60..]),
    ] {
        let out = w.env.ok(&[
            "ps",
            "--filter",
            &format!("id={filter}"),
            "--format",
            "{{.Names}}",
        ]);
        assert_eq!(out.trim(), name, "id={filter}");
    }
    let out = w.env.ok(&["ps", "--filter", &format!("id=^x{}", &id[..3])]);
    assert_eq!(out.lines().count(), 1, "header only: {out}");

    let (code, err) = w.env.fails(&["ps", "--format", "{{.Nope}}"]);
    assert_eq!(code, 125);
    assert!(err.contains("can't evaluate field Nope"), "{err}");
    let (code, err) = w.env.fails(&["ps", "--format", "{{.ID"]);
    assert_eq!(code, 125);
    assert!(err.starts_with("Error: template:"), "{err}");
}

#[test]
fn inspect_has_podmans_shape() {
    let (w, img) = busybox();
    let name = unique_name("insp");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "-e",
        "A=b",
        "--read-only",
        &img,
        "sleep",
        "300",
    ]);
    let c = inspect(&w.env, &name);
    assert_eq!(c["Name"], name.as_str());
    assert_eq!(c["Path"], "sleep");
    assert_eq!(c["Args"], serde_json::json!(["300"]));
    assert_eq!(c["State"]["Status"], "running");
    assert_eq!(c["State"]["Running"], true);
    assert_eq!(c["State"]["OOMKilled"], false);
    let pid = c["State"]["Pid"].as_i64().unwrap();
    let monitor = c["State"]["ConmonPid"].as_i64().unwrap();
    assert!(common::alive(pid) && common::alive(monitor));
    let exe = std::fs::read_link(format!("/proc/{monitor}/exe")).unwrap();
    assert!(exe.ends_with("pod-monitor"), "{exe:?}");
    assert_eq!(c["HostConfig"]["ReadonlyRootfs"], true);
    assert_eq!(c["HostConfig"]["NetworkMode"], "none");
    let mountpoint = c["GraphDriver"]["Data"]["MergedDir"].as_str().unwrap();
    assert!(
        std::path::Path::new(mountpoint)
            .join("bin/busybox")
            .exists(),
        "{mountpoint}"
    );
    assert!(c["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "A=b"));

    let f = w.env.ok(&[
        "inspect",
        "--format",
        "{{.State.Pid}} {{.Name}} {{json .State.Running}}",
        &name,
    ]);
    assert_eq!(f, format!("{pid} {name} true\n"));
    // Raw output uses Podman's indentation.
    let raw = w.env.ok(&["container", "inspect", &name]);
    assert!(
        raw.starts_with("[\n     {\n          \"Id\": "),
        "{}",
        &raw[..60.min(raw.len())]
    );

    let image: Value = serde_json::from_str(&w.env.ok(&["image", "inspect", &img])).unwrap();
    assert_eq!(image[0]["RepoTags"][0], img.as_str());
    assert_eq!(image[0]["Os"], "linux");
    assert!(image[0]["Digest"].as_str().unwrap().starts_with("sha256:"));
    let (code, err) = w.env.fails(&["inspect", "nothing-here"]);
    assert_eq!(code, 125);
    assert!(err.contains("no such object"), "{err}");
}

#[test]
fn images_info_and_version() {
    let (w, img) = busybox();
    let images = w.env.ok(&["images"]);
    let header = images.lines().next().unwrap();
    assert!(
        header.starts_with("REPOSITORY") && header.contains("IMAGE ID") && header.ends_with("SIZE"),
        "{header}"
    );
    let (repo, tag) = img.rsplit_once(':').unwrap();
    assert_eq!(
        w.env
            .ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
            .trim(),
        format!("{repo}:{tag}")
    );
    let json: Value = serde_json::from_str(&w.env.ok(&["images", "--format", "json"])).unwrap();
    assert_eq!(json[0]["Names"][0], img.as_str());

    let info = w.env.ok(&["info"]);
    for key in [
        "host:",
        "  ociRuntime:",
        "    name: runc",
        "  conmon:",
        "store:",
        "  graphDriverName: overlay",
        "  graphRoot: ",
        "  runRoot: ",
    ] {
        assert!(
            info.lines().any(|l| l.starts_with(key)),
            "missing {key:?} in\n{info}"
        );
    }
    let root = w.env.ok(&["info", "--format", "{{.Store.GraphRoot}}"]);
    assert_eq!(
        root.trim(),
        w.env.root().join("storage").display().to_string()
    );
    let j: Value = serde_json::from_str(&w.env.ok(&["info", "--format", "json"])).unwrap();
    assert_eq!(j["store"]["imageStore"]["number"], 1);
    assert!(j["host"]["conmon"]["path"]
        .as_str()
        .unwrap()
        .ends_with("pod-monitor"));
    // host.security and the cgroup controllers, read from this host.
    let sec = &j["host"]["security"];
    assert_eq!(sec["rootless"], false);
    assert_eq!(sec["seccompEnabled"], true, "{sec}");
    assert!(
        sec["capabilities"]
            .as_str()
            .unwrap()
            .starts_with("CAP_CHOWN,CAP_DAC_OVERRIDE,"),
        "{sec}"
    );
    let controllers: Vec<&str> = j["host"]["cgroupControllers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        controllers.contains(&"memory") && controllers.contains(&"pids"),
        "{controllers:?}"
    );
    assert_eq!(j["host"]["cgroupManager"], "cgroupfs");
    let tmpl = "{{.Host.Security.SECCOMPEnabled}} {{.Host.CgroupsVersion}}";
    let out = w.env.ok(&["info", "--format", tmpl]);
    let version = if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        "v2"
    } else {
        "v1"
    };
    assert_eq!(out.trim(), format!("true {version}"));

    let v = w.env.ok(&["version", "--format", "{{.Client.Version}}"]);
    assert_eq!(v.trim(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn logs_tail_since_timestamps_and_follow() {
    let (w, img) = busybox();
    let name = unique_name("logs");
    w.env.ok(&[
        "run",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "for i in 1 2 3 4 5; do echo l$i; done; printf partial",
    ]);
    assert_eq!(w.env.ok(&["logs", &name]), "l1\nl2\nl3\nl4\nl5\npartial");
    assert_eq!(
        w.env.ok(&["logs", "--tail", "2", &name]),
        "l5\npartial",
        "a trailing partial line counts"
    );
    let errs = unique_name("stderr");
    w.env
        .ok(&["run", "--name", &errs, &img, "sh", "-c", "echo e >&2"]);
    let out = w.env.run(&["logs", &errs]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "e\n");
    let ts = w.env.ok(&["logs", "-t", "--tail", "3", &name]);
    let first = ts.lines().next().unwrap();
    let (stamp, text) = first.split_once(' ').unwrap();
    assert!(chrono_like(stamp), "{first}");
    assert_eq!(text, "l4");
    assert_eq!(
        w.env.ok(&["logs", "--since", "1h", &name]).lines().count(),
        6,
        "5 lines and the partial one"
    );
    assert_eq!(
        w.env
            .ok(&["logs", "--until", "2000-01-01T00:00:00Z", &name]),
        ""
    );

    // -f follows a running container until it exits.
    let f = unique_name("follow");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &f,
        &img,
        "sh",
        "-c",
        "for i in 1 2 3; do echo f$i; sleep 0.3; done",
    ]);
    let out = w.env.ok(&["logs", "-f", &f]);
    assert_eq!(out, "f1\nf2\nf3\n");
}

fn chrono_like(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[4] == b'-' && s.contains('T')
}

#[test]
fn attach_and_detach_keys() {
    let (w, img) = busybox();
    let name = unique_name("att");
    w.env.ok(&[
        "run",
        "-d",
        "-i",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "while read l; do echo got:$l; done; echo eof",
    ]);
    let mut child = w
        .env
        .cmd(&["attach", &name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"one\n").unwrap();
    wait_until(Duration::from_secs(10), "echo of the input", || {
        w.env.ok(&["logs", &name]).contains("got:one")
    });
    // ctrl-p ctrl-q, typed key by key, detaches and leaves the container
    // running (the keys inside a longer read are data, as in Podman).
    stdin.write_all(&[0x10]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stdin.write_all(&[0x11]).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("got:one"));
    assert_eq!(common::state_of(&w.env, &name), "running");

    // A second attach whose input ends closes the container's stdin.
    let mut child = w
        .env
        .cmd(&["attach", &name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"two\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "attach returns the container's exit code"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("got:two\neof\n"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    common::wait_state(&w.env, &name, "exited");

    let (code, err) = w.env.fails(&["attach", &name]);
    assert_eq!(code, 125);
    assert!(
        err.contains("you can only attach to running containers"),
        "{err}"
    );
}

#[test]
fn config_env_is_the_configured_environment_and_absent_image_fields_are_zero() {
    let (w, img) = busybox();
    // The container's whole configured environment, as Podman's create-time
    // spec: its defaults, the image's (busybox sets PATH), the user's; TERM
    // only with a terminal.
    let plain = unique_name("envplain");
    w.env
        .ok(&["create", "--name", &plain, "-e", "FOO=bar", &img, "true"]);
    let env = w
        .env
        .ok(&["inspect", "--format", "{{.Config.Env}}", &plain]);
    assert_eq!(
        env.trim(),
        "[PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin container=podman FOO=bar]"
    );
    let tty = unique_name("envtty");
    w.env.ok(&[
        "create",
        "--name",
        &tty,
        "-t",
        "-e",
        "PATH=/x",
        "--unsetenv",
        "container",
        &img,
        "true",
    ]);
    let env = w.env.ok(&["inspect", "--format", "{{.Config.Env}}", &tty]);
    assert_eq!(env.trim(), "[PATH=/x TERM=xterm]");
    // An image without Env, Cmd or Labels (imported from a plain tar):
    // templates read Go's zero values, JSON leaves them out.
    let dir = w.env.dir().join("imp");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), "x").unwrap();
    let tar = w.env.dir().join("imp.tar");
    let made = std::process::Command::new("tar")
        .arg("-C")
        .arg(&dir)
        .arg("-cf")
        .arg(&tar)
        .arg("f")
        .status()
        .unwrap();
    assert!(made.success());
    let name = format!("localhost/{}:1", unique_name("noenv"));
    w.env.ok(&["import", &tar.display().to_string(), &name]);
    let out = w.env.ok(&[
        "image",
        "inspect",
        "--format",
        "{{.Config.Env}}|{{.Config.Cmd}}|{{.Config.Labels}}|{{.Config.User}}|{{json .Config}}",
        &name,
    ]);
    assert_eq!(out.trim(), "[]|[]|map[]||{}");
}
