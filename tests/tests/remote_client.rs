//! `rpod --remote` (the remote client) against `rpod system service` on a
//! private unix socket, and over ssh:// to an sshd on 127.0.0.1 with a key
//! the test makes; `system connection` and its connections file.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::service::Service;
use common::World;
use rpod_tests::{rpod_bin, run_with_timeout, unique_name, wait_until};

const TIMEOUT: Duration = Duration::from_secs(180);

/// `rpod ARGS` in remote mode (no local store flags), with the test's own
/// config directory for connections.
fn remote_cmd(w: &World, args: &[&str]) -> Command {
    let mut cmd = Command::new(rpod_bin());
    cmd.args(args)
        .env("XDG_CONFIG_HOME", w.env.dir().join("config"))
        .env_remove("CONTAINER_HOST")
        .env_remove("CONTAINER_CONNECTION")
        .stdin(Stdio::null());
    cmd
}

fn remote(w: &World, args: &[&str]) -> Output {
    run_with_timeout(&mut remote_cmd(w, args), TIMEOUT)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn remote_ok(w: &World, args: &[&str]) -> String {
    let out = remote(w, args);
    assert!(
        out.status.success(),
        "`rpod {}` failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        args.join(" "),
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `rpod --url URL ARGS`.
fn with_url<'a>(url: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--url", url];
    v.extend_from_slice(args);
    v
}

fn sock_path(w: &World) -> PathBuf {
    w.env.dir().join("api").join("rpod.sock")
}

#[test]
fn remote_client_runs_execs_logs_stops_pulls_and_lists_over_a_unix_socket() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let r = |args: &[&str]| remote(&w, &with_url(&url, args));
    let ok = |args: &[&str]| remote_ok(&w, &with_url(&url, args));

    // Pull through the service from the loopback registry.
    let pulled = r(&["pull", &img]);
    assert!(pulled.status.success(), "{}", text(&pulled.stderr));
    assert!(
        text(&pulled.stderr).contains("Trying to pull"),
        "{}",
        text(&pulled.stderr)
    );
    let images = ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(images.lines().any(|l| l == img), "{images}");
    let local = w
        .env
        .ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(local.lines().any(|l| l == img), "{local}");

    // An attached run: output on both streams, the exit code passed on,
    // the --rm container gone.
    let name = unique_name("rc-att");
    let out = r(&[
        "run",
        "--rm",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo hello; echo oops >&2; exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello\n");
    assert!(text(&out.stderr).contains("oops"), "{}", text(&out.stderr));
    let all = w.env.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert!(!all.lines().any(|l| l == name), "{all}");

    // A run whose start fails exits as Podman's define.ExitCode: 127 for
    // something not found, else 126 (the local run's codes), attached or not.
    for (args, code) in [
        (vec!["run", "--rm", &img, "no-such-command"], 127),
        (vec!["run", "--rm", "-d", &img, "no-such-command"], 127),
        (
            vec!["run", "--rm", "--workdir", "/no/such/dir", &img, "pwd"],
            126,
        ),
    ] {
        let out = r(&args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // --rootfs: a directory on the service's host, no image pulled.
    let mnt = w.env.ok(&["image", "mount", &img]).trim().to_owned();
    let rootfs = w.env.dir().join("remote-rootfs");
    let cp = Command::new("cp")
        .arg("-a")
        .arg(&mnt)
        .arg(&rootfs)
        .status()
        .unwrap();
    assert!(cp.success());
    w.env.ok(&["image", "umount", &img]);
    let rootfs = rootfs.display().to_string();
    assert_eq!(
        ok(&[
            "run",
            "--rm",
            "--rootfs",
            &rootfs,
            "/bin/echo",
            "from-rootfs"
        ]),
        "from-rootfs\n"
    );
    let out = r(&["run", "--rm", "--rootfs", &rootfs]);
    assert_eq!(out.status.code(), Some(127), "{}", text(&out.stderr));

    // run --rmi: the image stays while another container uses it (a
    // warning, exit 0), as the local run.
    let keep = unique_name("rc-keep");
    ok(&["create", "--name", &keep, &img, "true"]);
    let out = r(&["run", "--rmi", "--rm", &img, "true"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("image is in use by a container"),
        "{}",
        text(&out.stderr)
    );
    ok(&["image", "exists", &img]);
    ok(&["rm", &keep]);

    // `start` of such a container is an ordinary error (125).
    let bad = unique_name("rc-bad");
    ok(&["create", "--name", &bad, &img, "no-such-command"]);
    let out = r(&["start", &bad]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    ok(&["rm", &bad]);

    // A detached run; ps, exec (output, exit code, stdin), logs -f.
    let name = unique_name("rc-det");
    let id = ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo one; sleep 1000",
    ]);
    assert_eq!(id.trim().len(), 64, "{id}");
    let ps = ok(&["ps", "--format", "{{.Names}} {{.State}}"]);
    assert!(ps.lines().any(|l| l == format!("{name} running")), "{ps}");
    assert_eq!(ok(&["exec", &name, "echo", "from-exec"]), "from-exec\n");
    let out = r(&["exec", &name, "sh", "-c", "exit 5"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let mut cmd = remote_cmd(&w, &with_url(&url, &["exec", "-i", &name, "cat"]));
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped in\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "piped in\n");

    let mut follow = remote_cmd(&w, &with_url(&url, &["logs", "-f", &name]));
    follow.stdout(Stdio::piped()).stderr(Stdio::piped());
    let follower = follow.spawn().unwrap();
    ok(&["exec", &name, "sh", "-c", "echo two > /proc/1/fd/1"]);
    let logs = ok(&["logs", &name]);
    assert_eq!(logs, "one\ntwo\n");

    let stopped = ok(&["stop", "-t", "0", &name]);
    assert_eq!(stopped.trim(), name);
    let followed = follower.wait_with_output().unwrap();
    assert!(followed.status.success(), "{}", text(&followed.stderr));
    assert_eq!(text(&followed.stdout), "one\ntwo\n");

    // A terminal's log with a partial record: the remote client prints the
    // records joined as the container wrote them (without -t it asks for
    // no times, so nothing comes between them); with -t each has its time.
    let tty = unique_name("rc-tty");
    w.env.ok(&["run", "--name", &tty, "-t", &img, "echo", "hi"]);
    let path = w.env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.LogConfig.Path}}",
        &tty,
    ]);
    let path = path.trim();
    let stamp = "2026-12-05T10:00:00.000000000+00:00";
    std::fs::remove_file(path).unwrap();
    std::fs::write(
        path,
        format!(
            "{stamp} stdout F one\r\n{stamp} stdout P two\n{stamp} stdout F \r\n{stamp} stdout F three\r\n"
        ),
    )
    .unwrap();
    assert_eq!(ok(&["logs", "--tail", "2", &tty]), "two\r\nthree\r\n");
    assert_eq!(
        ok(&["logs", "-t", "--tail", "1", &tty]),
        format!("{stamp} three\r\n")
    );
    ok(&["rm", &tty]);
    assert_eq!(common::state_of(&w.env, &name), "exited");
    assert_eq!(ok(&["rm", &name]).trim(), name);
    assert!(!w
        .env
        .ok(&["ps", "-a", "--format", "{{.Names}}"])
        .contains(&name));

    // create, start, wait; tag, inspect, rmi.
    let name = unique_name("rc-cw");
    ok(&["create", "--name", &name, &img, "sh", "-c", "exit 7"]);
    ok(&["start", &name]);
    assert_eq!(ok(&["wait", &name]).trim(), "7");
    ok(&["rm", &name]);
    let alias = format!("{img}-alias");
    ok(&["tag", &img, &alias]);
    let ids = ok(&["inspect", "--format", "{{.Id}}", &alias]);
    assert_eq!(ids, ok(&["image", "inspect", "--format", "{{.Id}}", &img]));
    let untagged = ok(&["rmi", &alias]);
    assert!(untagged.contains("Untagged"), "{untagged}");
    assert!(!w
        .env
        .ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .contains(&alias));

    // Pods.
    let pod = unique_name("rc-pod");
    let pod_id = ok(&["pod", "create", "--name", &pod]);
    assert_eq!(pod_id.trim().len(), 64, "{pod_id}");
    let pods = ok(&["pod", "ps", "--format", "{{.Name}}"]);
    assert!(pods.lines().any(|l| l == pod), "{pods}");
    assert_eq!(ok(&["pod", "rm", &pod]).trim(), pod_id.trim());
    let pod_id = ok(&["pod", "create"]);
    assert_eq!(ok(&["pod", "rm", "--all"]).trim(), pod_id.trim());
    assert_eq!(ok(&["pod", "ps", "-q"]), "");

    // info and version come from the service.
    assert_eq!(
        ok(&["info", "--format", "{{.Host.ServiceIsRemote}}"]).trim(),
        "true"
    );
    assert_eq!(
        ok(&[
            "info",
            "--format",
            "{{.Host.RemoteSocket.Path}} {{.Host.RemoteSocket.Exists}}"
        ])
        .trim(),
        format!("{url} true")
    );
    let server = ok(&["version", "--format", "{{.Server.Version}}"]);
    assert_eq!(server.trim(), env!("CARGO_PKG_VERSION"));

    // Errors: a missing container as Podman says it; what the API does not
    // carry yet refused clearly.
    let out = r(&["stop", "nosuchctr"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("no container with name or ID \"nosuchctr\" found"),
        "{}",
        text(&out.stderr)
    );
    let pidfile = w.env.dir().join("conmon.pid");
    let out = r(&[
        "run",
        "-d",
        "--conmon-pidfile",
        pidfile.to_str().unwrap(),
        &img,
        "true",
    ]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("not supported in remote mode yet"),
        "{}",
        text(&out.stderr)
    );
    let root = w.env.root();
    let out = r(&["--root", root.to_str().unwrap(), "ps"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("--root is not available in remote mode"),
        "{}",
        text(&out.stderr)
    );
    let out = r(&["network", "reload", "--all"]);
    assert!(
        text(&out.stderr).contains("not supported in remote mode yet"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn volumes_networks_secrets_pod_actions_and_units_over_the_socket() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    w.env.ok(&["pull", "-q", &img]);
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let r = |args: &[&str]| remote(&w, &with_url(&url, args));
    let ok = |args: &[&str]| remote_ok(&w, &with_url(&url, args));

    // Volumes: create (with a label), ls with a filter, inspect, exists, a
    // container using one, rm refused while in use, rm, prune.
    let vol = unique_name("rc-vol");
    assert_eq!(
        ok(&["volume", "create", "--label", "k=v", &vol]).trim(),
        vol
    );
    assert_eq!(
        ok(&["volume", "ls", "-q", "--filter", "label=k=v"]).trim(),
        vol
    );
    assert_eq!(
        ok(&[
            "volume",
            "inspect",
            "--format",
            "{{.Labels.k}} {{.Driver}}",
            &vol
        ])
        .trim(),
        "v local"
    );
    assert!(r(&["volume", "exists", &vol]).status.success());
    assert_eq!(r(&["volume", "exists", "rc-novol"]).status.code(), Some(1));
    let out = ok(&[
        "run",
        "--rm",
        "-v",
        &format!("{vol}:/data"),
        &img,
        "sh",
        "-c",
        "echo hi > /data/f && cat /data/f",
    ]);
    assert_eq!(out, "hi\n");
    let user = unique_name("rc-vuser");
    ok(&[
        "create",
        "--name",
        &user,
        "-v",
        &format!("{vol}:/data"),
        &img,
        "true",
    ]);
    let out = r(&["volume", "rm", &vol]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("is being used"),
        "{}",
        text(&out.stderr)
    );
    ok(&["rm", &user]);
    assert_eq!(ok(&["volume", "rm", &vol]).trim(), vol);
    // --force: a missing volume is no error and prints nothing.
    assert_eq!(ok(&["volume", "rm", "--force", "rc-no-such-volume"]), "");
    let out = r(&["volume", "inspect", &vol]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("no such volume"),
        "{}",
        text(&out.stderr)
    );
    let unused = unique_name("rc-vprune");
    ok(&[
        "volume",
        "create",
        "--label",
        &format!("prune={unused}"),
        &unused,
    ]);
    let pruned = ok(&[
        "volume",
        "prune",
        "-f",
        "--filter",
        &format!("label=prune={unused}"),
    ]);
    assert!(pruned.contains(&unused), "{pruned}");

    // Networks: create with a subnet and gateway, ls, inspect, exists, a
    // container on it, connect/disconnect, rm.
    let net = unique_name("rc-net");
    let created = ok(&[
        "network",
        "create",
        "--subnet",
        "10.85.7.0/24",
        "--gateway",
        "10.85.7.9",
        "--ip-range",
        "10.85.7.32/28",
        "--interface-name",
        "rem7",
        &net,
    ]);
    assert_eq!(created.trim(), net);
    let subnet = ok(&[
        "network", "inspect", "--format",
        "{{range .Subnets}}{{.Subnet}} {{.Gateway}} {{.LeaseRange.StartIP}}-{{.LeaseRange.EndIP}}{{end}}",
        &net,
    ]);
    assert_eq!(
        subnet.trim(),
        "10.85.7.0/24 10.85.7.9 10.85.7.33-10.85.7.46"
    );
    let ls = ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(ls.lines().any(|l| l == net), "{ls}");
    assert!(r(&["network", "exists", &net]).status.success());
    assert_eq!(r(&["network", "exists", "rc-nonet"]).status.code(), Some(1));
    let ip = ok(&[
        "run",
        "--rm",
        "--network",
        &net,
        &img,
        "sh",
        "-c",
        "ip -4 addr show eth0",
    ]);
    assert!(ip.contains("10.85.7."), "{ip}");
    let c = unique_name("rc-netc");
    ok(&[
        "run",
        "-d",
        "--network",
        &net,
        "--name",
        &c,
        &img,
        "sleep",
        "1000",
    ]);
    let nets_of = || {
        ok(&[
            "inspect",
            "--format",
            "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
            &c,
        ])
    };
    ok(&["network", "disconnect", &net, &c]);
    assert!(!nets_of().contains(&net));
    ok(&["network", "connect", &net, &c]);
    assert!(nets_of().contains(&net));
    ok(&["rm", "-f", "-t", "0", &c]);
    assert_eq!(ok(&["network", "rm", &net]).trim(), net);
    let out = r(&["network", "inspect", &net]);
    assert_eq!(out.status.code(), Some(125));

    // Secrets: create from stdin-less file, ls, inspect --showsecret, a
    // container reading it, rm.
    let secret = unique_name("rc-sec");
    let file = w.env.dir().join("secret-data");
    std::fs::write(&file, "s3cret").unwrap();
    let id = ok(&["secret", "create", &secret, file.to_str().unwrap()]);
    assert_eq!(id.trim().len(), 25, "{id}");
    let ls = ok(&["secret", "ls", "--format", "{{.Name}}"]);
    assert!(ls.lines().any(|l| l == secret), "{ls}");
    assert_eq!(
        ok(&[
            "secret",
            "inspect",
            "--showsecret",
            "--format",
            "{{.SecretData}}",
            &secret
        ])
        .trim(),
        "s3cret"
    );
    assert!(r(&["secret", "exists", &secret]).status.success());
    let out = ok(&[
        "run",
        "--rm",
        "--secret",
        &secret,
        &img,
        "cat",
        &format!("/run/secrets/{secret}"),
    ]);
    assert_eq!(out, "s3cret");
    ok(&["secret", "rm", &secret]);
    assert_eq!(r(&["secret", "exists", &secret]).status.code(), Some(1));

    // Pods: start, inspect, pause/unpause, stop, kill, prune.
    let pod = unique_name("rc-pact");
    let pod_id = ok(&["pod", "create", "--restart", "on-failure:3", "--name", &pod])
        .trim()
        .to_owned();
    let member = unique_name("rc-pm");
    ok(&[
        "create", "--pod", &pod, "--name", &member, &img, "sleep", "1000",
    ]);
    assert_eq!(ok(&["pod", "start", &pod]).trim(), pod_id);
    // `--restart` travels as the pod's `restart_policy`/`restart_tries`.
    let policy = ok(&[
        "container",
        "inspect",
        "--format",
        "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}",
        &member,
    ]);
    assert_eq!(policy.trim(), "on-failure 3");
    let state = |w: &World| {
        remote_ok(
            w,
            &with_url(&url, &["pod", "inspect", "--format", "{{.State}}", &pod]),
        )
        .trim()
        .to_owned()
    };
    assert_eq!(state(&w), "Running");
    ok(&["pod", "pause", &pod]);
    assert_eq!(state(&w), "Paused");
    ok(&["pod", "unpause", &pod]);
    ok(&["pod", "stop", "-t", "0", &pod]);
    assert_eq!(state(&w), "Exited");
    ok(&["pod", "restart", &pod]);
    ok(&["pod", "kill", &pod]);
    let out = r(&["pod", "start", "rc-nopod"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("no such pod"),
        "{}",
        text(&out.stderr)
    );
    let pruned = ok(&["pod", "prune", "-f"]);
    assert!(pruned.contains(&pod_id), "{pruned}");

    // pause, unpause, top, restart, rename.
    let c = unique_name("rc-ops");
    ok(&["run", "-d", "--name", &c, &img, "sleep", "1000"]);
    let status = |n: &str| {
        ok(&["inspect", "--format", "{{.State.Status}}", n])
            .trim()
            .to_owned()
    };
    assert_eq!(ok(&["pause", &c]).trim(), c);
    assert_eq!(status(&c), "paused");
    assert_eq!(ok(&["unpause", &c]).trim(), c);
    assert_eq!(status(&c), "running");
    let top = ok(&["top", &c]);
    assert!(
        top.lines().next().unwrap_or_default().contains("PID"),
        "{top}"
    );
    assert!(top.contains("sleep 1000"), "{top}");
    let pid = ok(&["inspect", "--format", "{{.State.Pid}}", &c]);
    ok(&["restart", "-t", "0", &c]);
    assert_ne!(ok(&["inspect", "--format", "{{.State.Pid}}", &c]), pid);
    let renamed = format!("{c}-new");
    ok(&["rename", &c, &renamed]);
    assert_eq!(status(&renamed), "running");
    ok(&["rm", "-f", "-t", "0", &renamed]);

    // system df comes from the service.
    let df = ok(&["system", "df", "--format", "{{.Type}} {{.Total}}"]);
    let local = w
        .env
        .ok(&["system", "df", "--format", "{{.Type}} {{.Total}}"]);
    assert_eq!(df, local);
    assert!(df.starts_with("Images "), "{df}");

    // run --pod new:, rm --force of a missing container, wait of one.
    let newpod = unique_name("rc-newpod");
    ok(&[
        "run",
        "--rm",
        "--pod",
        &format!("new:{newpod}"),
        &img,
        "true",
    ]);
    assert!(r(&["pod", "exists", &newpod]).status.success());
    ok(&["pod", "rm", "-f", &newpod]);
    assert_eq!(ok(&["rm", "--force", "rc-bogus"]), "");
    let out = r(&["wait", "rc-bogus"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr)
            .contains("no container with name or ID \"rc-bogus\" found: no such container"),
        "{}",
        text(&out.stderr)
    );

    // generate systemd: the units come from the service.
    let c = unique_name("rc-unit");
    ok(&["create", "--name", &c, &img, "sleep", "1"]);
    let unit = ok(&["generate", "systemd", "--name", &c]);
    assert!(
        unit.contains(&format!("Description=rpod container-{c}.service")),
        "{unit}"
    );
    assert!(unit.contains(&format!(" start {c}\n")), "{unit}");
    ok(&["rm", &c]);
}

#[test]
fn exec_with_a_tty_over_the_upgraded_connection() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    w.env.ok(&["pull", "-q", &img]);
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let name = unique_name("rc-tty");
    remote_ok(
        &w,
        &with_url(&url, &["run", "-d", "--name", &name, &img, "sleep", "1000"]),
    );
    // `script` gives the client a terminal, of 33 rows and 77 columns. The
    // process reads a line first: the size is set before input flows.
    let in_terminal = |args: &str| {
        let line = format!(
            "stty rows 33 cols 77; {} --url {url} {args}",
            rpod_bin().display()
        );
        let mut child = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env("XDG_CONFIG_HOME", w.env.dir().join("config"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
        let out = child.wait_with_output().unwrap();
        let got = text(&out.stdout);
        assert!(out.status.success(), "{got}\n{}", text(&out.stderr));
        got
    };
    let got = in_terminal(&format!(
        "exec -it {name} sh -c 'read x; tty; stty size; echo in-tty'"
    ));
    assert!(got.contains("/dev/pts/"), "{got}");
    assert!(got.contains("33 77\r\n"), "{got}");
    assert!(got.contains("in-tty\r\n"), "{got}");
    // run -t: the terminal gets the caller's size once started.
    let got = in_terminal(&format!("run -it --rm {img} sh -c 'read x; stty size'"));
    assert!(got.contains("33 77\r\n"), "{got}");
    remote_ok(&w, &with_url(&url, &["rm", "-f", "-t", "0", &name]));
}

#[test]
fn cp_over_the_archive_endpoints() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    w.env.ok(&["pull", "-q", &img]);
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let ok = |args: &[&str]| remote_ok(&w, &with_url(&url, args));
    let r = |args: &[&str]| remote(&w, &with_url(&url, args));
    let name = unique_name("rc-cp");
    let other = unique_name("rc-cp2");
    ok(&["run", "-d", "--name", &name, &img, "sleep", "1000"]);
    ok(&["create", "--name", &other, &img, "true"]);
    let host = w.env.dir().join("cp-host");
    std::fs::create_dir_all(host.join("d/sub")).unwrap();
    std::fs::write(host.join("f.txt"), "file\n").unwrap();
    std::fs::write(host.join("d/sub/x"), "deep\n").unwrap();
    let h = |p: &str| host.join(p).to_string_lossy().into_owned();
    let c = |p: &str| format!("{name}:{p}");

    // Host to container: into a directory, renamed, a directory's contents.
    ok(&["cp", &h("f.txt"), &c("/tmp")]);
    ok(&["cp", &h("f.txt"), &c("/tmp/renamed.txt")]);
    ok(&["cp", &h("d"), &c("/tmp/dd")]);
    ok(&["cp", &format!("{}/.", h("d")), &c("/srv")]);
    let got = ok(&[
        "exec",
        &name,
        "cat",
        "/tmp/f.txt",
        "/tmp/renamed.txt",
        "/tmp/dd/sub/x",
        "/srv/sub/x",
    ]);
    assert_eq!(got, "file\nfile\ndeep\ndeep\n");
    // Written by the container's user (root here), as locally.
    let owner = ok(&["exec", &name, "stat", "-c", "%u", "/tmp/dd/sub/x"]);
    assert_eq!(owner.trim(), "0");

    // Container to host: renamed, into a directory, onto a file.
    ok(&["cp", &c("/tmp/dd"), &h("back")]);
    assert_eq!(
        std::fs::read_to_string(host.join("back/sub/x")).unwrap(),
        "deep\n"
    );
    ok(&["cp", &c("/tmp/renamed.txt"), &h("d")]);
    assert_eq!(
        std::fs::read_to_string(host.join("d/renamed.txt")).unwrap(),
        "file\n"
    );
    std::fs::write(host.join("over"), "old").unwrap();
    ok(&["cp", &c("/tmp/f.txt"), &h("over")]);
    assert_eq!(
        std::fs::read_to_string(host.join("over")).unwrap(),
        "file\n"
    );

    // Between containers (the second never started), and via a stream.
    ok(&["cp", &c("/tmp/f.txt"), &format!("{other}:/copied")]);
    let out = w.env.ok(&["cp", &format!("{other}:/copied"), "-"]);
    let mut archive = tar::Archive::new(out.as_bytes());
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["copied"]);

    // Errors as the local cp words them, and nothing written.
    let out = r(&["cp", &c("/nonexistent"), &h("none")]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("\"/nonexistent\" could not be found on container"),
        "{}",
        text(&out.stderr)
    );
    assert!(!host.join("none").exists());
    let out = r(&["cp", &h("d"), &c("/tmp/f.txt")]);
    assert!(
        text(&out.stderr).contains("destination must be a directory when copying a directory"),
        "{}",
        text(&out.stderr)
    );
    let out = r(&["cp", &h("f.txt"), "nosuchctr:/tmp"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("nosuchctr"),
        "{}",
        text(&out.stderr)
    );
    ok(&["rm", "-f", "-t", "0", &name, &other]);
}

#[test]
fn events_over_the_service() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    w.env.ok(&["pull", "-q", &img]);
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let ok = |args: &[&str]| remote_ok(&w, &with_url(&url, args));
    let name = unique_name("rc-ev");
    let out = remote(
        &w,
        &with_url(&url, &["run", "--name", &name, &img, "sh", "-c", "exit 5"]),
    );
    assert_eq!(out.status.code(), Some(5));
    let filter = format!("container={name}");
    // The exit cleanup writes the last event after the run returned.
    wait_until(Duration::from_secs(30), "the cleanup event", || {
        w.env
            .ok(&["events", "--stream=false", "--filter", &filter])
            .contains(" cleanup ")
    });
    let remote_events = ok(&[
        "events",
        "--stream=false",
        "--filter",
        &filter,
        "--format",
        "{{.Status}} {{.Name}} {{.ContainerExitCode}}",
    ]);
    // The same as the local read of the same events.
    let local = w.env.ok(&[
        "events",
        "--stream=false",
        "--filter",
        &filter,
        "--format",
        "{{.Status}} {{.Name}} {{.ContainerExitCode}}",
    ]);
    assert_eq!(remote_events, local);
    assert!(
        remote_events.contains(&format!("died {name} 5")),
        "{remote_events}"
    );
    let json = ok(&[
        "events",
        "--stream=false",
        "--filter",
        &filter,
        "--format",
        "json",
    ]);
    let local = w.env.ok(&[
        "events",
        "--stream=false",
        "--filter",
        &filter,
        "--format",
        "json",
    ]);
    assert_eq!(json, local);
    let out = remote(
        &w,
        &with_url(&url, &["events", "--stream=false", "--since", "nonsense"]),
    );
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    ok(&["rm", &name]);
}

#[test]
fn stats_export_and_diff_over_the_service() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    w.env.ok(&["pull", "-q", &img]);
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let ok = |args: &[&str]| remote_ok(&w, &with_url(&url, args));
    let name = unique_name("rc-st");
    ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "touch /added; sleep 1000",
    ]);
    wait_until(Duration::from_secs(20), "the container's file", || {
        remote(&w, &with_url(&url, &["exec", &name, "ls", "/added"]))
            .status
            .success()
    });
    let got = ok(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.PIDs}}",
        &name,
    ]);
    assert_eq!(
        got,
        w.env.ok(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.PIDs}}",
            &name
        ])
    );
    let json = ok(&["stats", "--no-stream", "--format", "json", &name]);
    assert!(json.contains("\"mem_usage\""), "{json}");
    let out = remote(&w, &with_url(&url, &["stats", "--no-stream", "nosuchctr"]));
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));

    let diff = ok(&["diff", &name]);
    assert_eq!(diff, w.env.ok(&["diff", &name]));
    assert!(diff.lines().any(|l| l == "A /added"), "{diff}");

    let file = w.env.dir().join("exported.tar");
    ok(&["export", "-o", &file.to_string_lossy(), &name]);
    let data = std::fs::read(&file).unwrap();
    let mut archive = tar::Archive::new(&data[..]);
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.trim_start_matches("./") == "added"),
        "{names:?}"
    );
    ok(&["rm", "-f", "-t", "0", &name]);
}

#[test]
fn kube_play_generate_and_down_over_the_service() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    w.env.ok(&["pull", "-q", &img]);
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let ok = |args: &[&str]| remote_ok(&w, &with_url(&url, args));
    let pod = unique_name("rckube");
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\nspec:\n  containers:\n  - name: c\n    image: {img}\n    command: [\"sleep\", \"1000\"]\n"
    );
    let file = w.env.dir().join("pod.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let file = file.to_string_lossy().into_owned();
    let played = ok(&["kube", "play", &file]);
    assert!(played.contains("Pod:"), "{played}");
    let state = w
        .env
        .ok(&["pod", "inspect", "--format", "{{.State}}", &pod]);
    assert_eq!(state.trim(), "Running");
    let generated = ok(&["kube", "generate", &pod]);
    assert!(generated.contains("kind: Pod"), "{generated}");
    assert!(generated.contains(&img), "{generated}");
    assert_eq!(generated, w.env.ok(&["kube", "generate", &pod]));
    // A pod's container is refused with the local message.
    let ctr = format!("{pod}-c");
    let out = remote(&w, &with_url(&url, &["kube", "generate", &ctr]));
    assert!(
        text(&out.stderr).contains("use generate on the pod itself"),
        "{}",
        text(&out.stderr)
    );
    // Playing it again is refused as locally, unless --replace.
    let again = remote(&w, &with_url(&url, &["kube", "play", &file]));
    assert!(!again.status.success());
    ok(&["kube", "play", "--replace", &file]);
    let id = w.env.ok(&["pod", "inspect", "--format", "{{.ID}}", &pod]);
    let down = ok(&["kube", "down", &file]);
    assert!(down.contains("Pods removed:"), "{down}");
    assert!(down.contains(id.trim()), "{down}");
    let out = w.env.run(&["pod", "exists", &pod]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn system_connection_file_names_the_service() {
    let w = common::world(&["busybox"]);
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let conn = |args: &[&str]| {
        let mut v = vec!["system", "connection"];
        v.extend_from_slice(args);
        remote(&w, &v)
    };
    let conn_ok = |args: &[&str]| {
        let out = conn(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };

    conn_ok(&["add", "first", &url]);
    conn_ok(&["add", "second", "ssh://core@example.com:2222/run/x.sock"]);
    let ls = conn_ok(&["ls", "--format", "{{.Name}} {{.URI}} {{.Default}}"]);
    assert_eq!(
        ls,
        format!("first {url} true\nsecond ssh://core@example.com:2222/run/x.sock false\n")
    );
    let table = conn_ok(&["ls"]);
    let mut lines = table.lines();
    assert_eq!(
        lines
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["Name", "URI", "Identity", "Default", "ReadWrite"]),
        "{table}"
    );
    assert_eq!(
        lines
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["first", url.as_str(), "true", "true"]),
        "{table}"
    );
    let file = w.env.dir().join("config/rpod/rpod-connections.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["Connection"]["Default"], "first");
    assert_eq!(v["Connection"]["Connections"]["first"]["URI"], url.as_str());
    assert!(!w.env.dir().join("config/containers").exists());

    // The default connection is used by --remote; --connection names one.
    remote_ok(&w, &["--remote", "ps"]);
    remote_ok(&w, &["--connection", "first", "ps"]);
    let out = remote(&w, &["--connection", "nope", "ps"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("connection \"nope\" not found"),
        "{}",
        text(&out.stderr)
    );
    // Docker's spellings: --context names a connection ("default": the
    // usual choice), -H/--host a URL; --connection outranks --url.
    remote_ok(&w, &["--context", "first", "ps"]);
    remote_ok(&w, &["--context", "default", "ps"]);
    remote_ok(&w, &["-H", &url, "ps"]);
    remote_ok(
        &w,
        &[
            "--connection",
            "first",
            "--url",
            "unix:///nonexistent.sock",
            "ps",
        ],
    );
    let out = remote(&w, &["--context", "nope", "--url", &url, "ps"]);
    assert!(
        out.status.success(),
        "--url outranks --context: {}",
        text(&out.stderr)
    );
    let out = remote(&w, &["--context", "nope", "ps"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out.stderr).contains("connection \"nope\" not found"));
    let out = remote(&w, &["--context", "first", "--connection", "first", "ps"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr)
            .contains("use of --connection and --context at the same time is not allowed"),
        "{}",
        text(&out.stderr)
    );
    // Invoked as rpod-remote, rpod is remote without a flag.
    let link = w.env.dir().join("rpod-remote");
    std::os::unix::fs::symlink(rpod_bin(), &link).unwrap();
    let mut cmd = Command::new(&link);
    cmd.args(["ps", "-a"])
        .env("XDG_CONFIG_HOME", w.env.dir().join("config"))
        .stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, TIMEOUT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("CONTAINER ID"));
    // CONTAINER_HOST names the service directly.
    let mut cmd = remote_cmd(&w, &["ps"]);
    cmd.env("CONTAINER_HOST", &url);
    let out = run_with_timeout(&mut cmd, TIMEOUT);
    assert!(out.status.success(), "{}", text(&out.stderr));

    conn_ok(&["default", "second"]);
    conn_ok(&["rename", "second", "third"]);
    let ls = conn_ok(&["ls", "--format", "{{.Name}} {{.Default}}"]);
    assert_eq!(ls, "first false\nthird true\n");
    let out = conn(&["default", "nope"]);
    assert!(text(&out.stderr).contains("\"nope\" destination is not defined"));
    conn_ok(&["rm", "third"]);
    assert_eq!(conn_ok(&["ls", "-q"]), "first\n");
    conn_ok(&["rm", "--all"]);
    assert_eq!(conn_ok(&["ls", "-q"]), "");

    // Docker's spelling: `context create|ls|inspect|use|rm`.
    let ctx = |args: &[&str]| {
        let mut v = vec!["context"];
        v.extend_from_slice(args);
        let out = remote(&w, &v);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ctx(&["create", "--docker", &format!("host={url}"), "dctx"]);
    ctx(&["create", "--docker", "host=core@example.com", "sshctx"]);
    assert_eq!(ctx(&["ls", "-q"]), "dctx\nsshctx\n");
    let v: serde_json::Value = serde_json::from_str(&ctx(&["inspect", "sshctx"])).unwrap();
    assert_eq!(v[0]["URI"], "ssh://core@example.com");
    assert_eq!(v.as_array().map(Vec::len), Some(1));
    // The first context created is the default; `use` moves it.
    remote_ok(&w, &["--remote", "ps"]);
    ctx(&["use", "sshctx"]);
    assert_eq!(
        ctx(&["ls", "--format", "{{.Name}} {{.Default}}"]),
        "dctx false\nsshctx true\n"
    );
    ctx(&["rm", "sshctx"]);
    assert_eq!(conn_ok(&["ls", "-q"]), "dctx\n");
    let out = remote(&w, &["context", "create", "--docker", "tls=x", "bad"]);
    assert_eq!(out.status.code(), Some(125));
}

/// An sshd on 127.0.0.1 with keys made here; killed when dropped.
struct Sshd {
    child: Child,
    port: u16,
    client_key: PathBuf,
    ssh_config: PathBuf,
}

impl Sshd {
    fn start(dir: &Path) -> Sshd {
        let dir = dir.join("ssh");
        std::fs::create_dir_all(&dir).unwrap();
        let keygen = |path: &Path| {
            let out = run_with_timeout(
                Command::new("ssh-keygen")
                    .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                    .arg(path),
                TIMEOUT,
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
        };
        let host_key = dir.join("host_key");
        let client_key = dir.join("client_key");
        keygen(&host_key);
        keygen(&client_key);
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PidFile {}\nStrictModes no\nPermitRootLogin prohibit-password\nUsePAM no\n\
                 PasswordAuthentication no\nAllowStreamLocalForwarding yes\n",
                host_key.display(),
                dir.join("authorized_keys").display(),
                dir.join("sshd.pid").display()
            ),
        )
        .unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting sshd");
        let host_pub = std::fs::read_to_string(dir.join("host_key.pub")).unwrap();
        let known_hosts = dir.join("known_hosts");
        std::fs::write(&known_hosts, format!("[127.0.0.1]:{port} {host_pub}")).unwrap();
        let ssh_config = dir.join("ssh_config");
        std::fs::write(
            &ssh_config,
            format!(
                "UserKnownHostsFile {}\nStrictHostKeyChecking yes\n",
                known_hosts.display()
            ),
        )
        .unwrap();
        let sshd = Sshd {
            child,
            port,
            client_key,
            ssh_config,
        };
        wait_until(Duration::from_secs(30), "sshd to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        sshd
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Nothing listens: Podman's client words, exit 125, and the top-level
/// `info`/`version` print the client's own part first.
#[test]
fn unreachable_service_is_reported_as_podmans_client_does() {
    let w = common::world(&[]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("tcp://127.0.0.1:{port}");
    let out = remote(&w, &["--url", &url, "info"]);
    assert_eq!(out.status.code(), Some(125));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("OS: linux/"), "{stdout}");
    assert!(stdout.contains("\nversion: "), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("Cannot connect to rpod. Please verify"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "Error: unable to connect to rpod socket: failed to connect: dial tcp 127.0.0.1:{port}: connect: connection refused"
        )),
        "{stderr}"
    );
    let out = remote(&w, &["--url", &url, "version"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out.stdout).starts_with("Client:       rpod\n"));
    // Under `system`, and for other commands, only the error.
    for args in [&["system", "info"][..], &["ps"][..]] {
        let mut v = vec!["--url", url.as_str()];
        v.extend_from_slice(args);
        let out = remote(&w, &v);
        assert_eq!(out.status.code(), Some(125));
        assert_eq!(text(&out.stdout), "", "{args:?}");
        assert!(text(&out.stderr).contains("connect: connection refused"));
    }
    // An empty --tls-*= is no file (the suite passes unset variables so).
    let out = remote(
        &w,
        &[
            "system",
            "connection",
            "add",
            "empties",
            &url,
            "--tls-ca=",
            "--tls-cert=",
            "--tls-key=",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = remote(&w, &["--connection", "empties", "info"]);
    assert!(
        text(&out.stderr).contains("connect: connection refused"),
        "{}",
        text(&out.stderr)
    );
    let missing = w.env.dir().join("none.sock");
    let out = remote(
        &w,
        &["--url", &format!("unix://{}", missing.display()), "ps"],
    );
    assert!(
        text(&out.stderr).contains(&format!(
            "dial unix {}: connect: no such file or directory",
            missing.display()
        )),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn remote_client_over_ssh() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let sshd = Sshd::start(w.env.dir());
    let url = format!("ssh://root@127.0.0.1:{}{}", sshd.port, sock.display());
    let key = sshd.client_key.display().to_string();
    let ssh = |args: &[&str]| {
        let mut v = vec!["--url", url.as_str(), "--identity", key.as_str()];
        v.extend_from_slice(args);
        let mut cmd = remote_cmd(&w, &v);
        cmd.env("CONTAINERS_SSH_CONF", &sshd.ssh_config);
        let out = run_with_timeout(&mut cmd, TIMEOUT);
        assert!(
            out.status.success(),
            "`rpod {}` failed\n{}",
            v.join(" "),
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    ssh(&["pull", "-q", &img]);
    assert_eq!(
        ssh(&["run", "--rm", &img, "echo", "over-ssh"]),
        "over-ssh\n"
    );
    let name = unique_name("rc-ssh");
    ssh(&["run", "-d", "--name", &name, &img, "sleep", "1000"]);
    let ps = ssh(&["ps", "--format", "{{.Names}}"]);
    assert!(ps.lines().any(|l| l == name), "{ps}");
    ssh(&["rm", "-f", "-t", "0", &name]);
}

/// `openssl ARGS` in `dir`, which must succeed.
fn openssl(dir: &Path, args: &[&str]) {
    let out = run_with_timeout(Command::new("openssl").args(args).current_dir(dir), TIMEOUT);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        text(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, both
/// signed by the CA, and a second CA that signed nothing of the service's.
fn make_certificates(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for ca in ["ca", "other-ca"] {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN=rpod test {ca}"),
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
            ],
        );
    }
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (who, ca) in [("server", "ca"), ("client", "ca"), ("stranger", "other-ca")] {
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={who}"),
                "-keyout",
                &format!("{who}.key"),
                "-out",
                &format!("{who}.csr"),
            ],
        );
        let ext = if who == "server" {
            "server.ext"
        } else {
            "client.ext"
        };
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{who}.csr"),
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                ext,
                "-out",
                &format!("{who}.pem"),
            ],
        );
    }
}

#[test]
fn tcp_with_mutual_tls() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    w.env.ok(&["pull", "-q", &img]);
    let certs = w.env.dir().join("certs");
    make_certificates(&certs);
    let c = |f: &str| certs.join(f).display().to_string();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("tcp://127.0.0.1:{port}");

    // Flag checks come before anything listens.
    let out = w
        .env
        .run(&["system", "service", "--tls-cert", &c("server.pem"), &url]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("--tls-cert provided without --tls-key"),
        "{}",
        text(&out.stderr)
    );
    // Files that are not what their flag wants, in Podman's (Go's) words.
    let (cert, key, ca) = (c("server.pem"), c("server.key"), c("ca.pem"));
    let missing = c("no-such-file.pem");
    for (cert, key, ca, want) in [
        (
            &cert,
            &key,
            &missing,
            format!("reading cert bundle {missing}: open {missing}: no such file or directory"),
        ),
        (
            &cert,
            &missing,
            &ca,
            format!("open {missing}: no such file or directory"),
        ),
        (
            &cert,
            &cert,
            &ca,
            "tls: found a certificate rather than a key in the PEM for the private key".to_owned(),
        ),
        (
            &key,
            &key,
            &ca,
            "PEM inputs may have been switched".to_owned(),
        ),
        (
            &cert,
            &key,
            &key,
            "non-certificate type `PRIVATE KEY` PEM data found".to_owned(),
        ),
    ] {
        let out = w.env.run(&[
            "system",
            "service",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
            "--tls-client-ca",
            ca,
            &url,
        ]);
        assert_eq!(out.status.code(), Some(125), "{want}");
        assert!(
            text(&out.stderr).contains(&want),
            "{want}: {}",
            text(&out.stderr)
        );
    }
    let out = w.env.run(&["system", "service", "localhost:9"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains(
            "API Service endpoint scheme \"localhost\" is not supported. Try tcp://localhost:9 or unix://localhost:9"
        ),
        "{}",
        text(&out.stderr)
    );
    let sock = format!("unix://{}", w.env.dir().join("tls.sock").display());
    let out = w.env.run(&[
        "system",
        "service",
        "--tls-cert",
        &c("server.pem"),
        "--tls-key",
        &c("server.key"),
        &sock,
    ]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("only supported with tcp://"),
        "{}",
        text(&out.stderr)
    );

    let log = std::fs::File::create(w.env.dir().join("tls-service.log")).unwrap();
    let mut service = w
        .env
        .cmd(&[
            "system",
            "service",
            "--time",
            "0",
            "--tls-cert",
            &c("server.pem"),
            "--tls-key",
            &c("server.key"),
            "--tls-client-ca",
            &c("ca.pem"),
            &url,
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    struct Kill<'a>(&'a mut Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _guard = Kill(&mut service);
    let tls = |extra: &[&str], args: &[&str]| {
        let mut v: Vec<String> = vec!["--url".into(), url.clone()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v.extend(args.iter().map(|s| s.to_string()));
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        remote(&w, &v)
    };
    let full = [
        "--tls-ca",
        &c("ca.pem"),
        "--tls-cert",
        &c("client.pem"),
        "--tls-key",
        &c("client.key"),
    ];
    wait_until(Duration::from_secs(60), "the TLS service to answer", || {
        tls(&full, &["version"]).status.success()
    });

    // Mutual TLS: a run (its attach over the upgraded TLS connection), ps.
    let out = tls(&full, &["run", "--rm", &img, "echo", "over-tls"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "over-tls\n");
    let out = tls(&full, &["ps", "-a", "--format", "{{.ID}}"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // A connection records the TLS files.
    let out = remote(
        &w,
        &[
            "system",
            "connection",
            "add",
            "tlsconn",
            &url,
            "--tls-ca",
            &c("ca.pem"),
            "--tls-cert",
            &c("client.pem"),
            "--tls-key",
            &c("client.key"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ls = remote_ok(
        &w,
        &[
            "system",
            "connection",
            "ls",
            "--format",
            "{{.Name}} {{.TLSCA}}",
        ],
    );
    assert_eq!(ls, format!("tlsconn {}\n", c("ca.pem")));
    let table = remote_ok(&w, &["system", "connection", "ls", "--format", "tls"]);
    assert!(
        table.starts_with("Name") && table.contains("TLSCA") && table.contains("client.key"),
        "{table}"
    );
    let out = remote(&w, &["--connection", "tlsconn", "ps", "-a"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Refused: no client certificate, one from another CA, a server not
    // signed by the CA the client trusts, and plain TCP.
    let out = tls(&["--tls-ca", &c("ca.pem")], &["ps"]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    let out = tls(
        &[
            "--tls-ca",
            &c("ca.pem"),
            "--tls-cert",
            &c("stranger.pem"),
            "--tls-key",
            &c("stranger.key"),
        ],
        &["ps"],
    );
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    let out = tls(
        &[
            "--tls-ca",
            &c("other-ca.pem"),
            "--tls-cert",
            &c("client.pem"),
            "--tls-key",
            &c("client.key"),
        ],
        &["ps"],
    );
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("TLS handshake"),
        "{}",
        text(&out.stderr)
    );
    let out = tls(&[], &["ps"]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    // The client's own checks.
    let out = tls(
        &["--tls-ca", &c("ca.pem"), "--tls-cert", &c("client.pem")],
        &["ps"],
    );
    assert!(
        text(&out.stderr).contains("--tls-cert and --tls-key must be given together"),
        "{}",
        text(&out.stderr)
    );
    let out = remote(&w, &["--url", &sock, "--tls-ca", &c("ca.pem"), "ps"]);
    assert!(
        text(&out.stderr).contains("only supported with tcp:// URLs"),
        "{}",
        text(&out.stderr)
    );
}
