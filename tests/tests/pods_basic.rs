//! Pods end to end: shared namespaces, ordering, removal without leaks,
//! crash safety of `pod start`, exit policy, bad input.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use common::{busybox, state_of, wait_state};
use rpod_tests::{run_with_timeout, unique_name, wait_until, TestEnv};
use serde_json::Value;

/// Removes every pod (and so its cgroup parent) before the environment's
/// own cleanup runs; declared after the environment, so dropped first.
struct PodGuard<'a>(&'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
    }
}

fn pod_inspect(env: &TestEnv, pod: &str) -> Value {
    let out = env.ok(&["pod", "inspect", pod]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v[0].clone()
}

/// Cgroup directories of the pod's parent, in every hierarchy.
fn pod_cgroups(pod_id: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let p = e.path().join(format!("rpod/pod-{pod_id}"));
        if p.exists() {
            found.push(p);
        }
    }
    let v2 = std::path::PathBuf::from(format!("/sys/fs/cgroup/rpod/pod-{pod_id}"));
    if v2.exists() {
        found.push(v2);
    }
    found
}

#[test]
fn members_share_the_network_and_the_hostname() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pod");
    let pod_id = w
        .env
        .ok(&["pod", "create", "--name", &pod])
        .trim()
        .to_owned();
    assert_eq!(pod_id.len(), 64);
    let srv = unique_name("srv");
    w.env.ok(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--name",
        &srv,
        &img,
        "sh",
        "-c",
        // stdin kept open: busybox nc may quit on stdin EOF before it
        // has read the connection.
        "sleep 60 | nc -l -p 5555",
    ]);
    let out = w.env.ok(&[
        "run", "--rm", "--pod", &pod, &img, "sh", "-c",
        "hostname; for i in $(seq 100); do echo ping-over-loopback | nc 127.0.0.1 5555 && exit 0; sleep 0.1; done; exit 1",
    ]);
    assert_eq!(out.lines().next(), Some(pod.as_str()), "UTS shared: {out}");
    wait_until(Duration::from_secs(10), "server got the message", || {
        w.env.ok(&["logs", &srv]).contains("ping-over-loopback")
    });
    assert_eq!(w.env.ok(&["exec", &srv, "hostname"]).trim(), pod);

    // The infra container is listed with its pod, like Podman's.
    let infra = format!("{}-infra", &pod_id[..12]);
    let ps = w.env.ok(&[
        "ps",
        "--pod",
        "--format",
        "{{.Names}} {{.PodName}} {{.IsInfra}}",
    ]);
    assert!(ps.contains(&format!("{infra} {pod} true")), "{ps}");
    assert!(ps.contains(&format!("{srv} {pod} false")), "{ps}");
    let pods = w.env.ok(&[
        "pod",
        "ps",
        "--format",
        "{{.Name}} {{.Status}} {{.NumberOfContainers}}",
    ]);
    assert_eq!(pods.trim(), format!("{pod} Running 2"));
    let insp = pod_inspect(&w.env, &pod);
    assert_eq!(insp["Hostname"], pod.as_str());
    assert_eq!(insp["CgroupPath"], format!("/rpod/pod-{pod_id}"));
    assert_eq!(w.env.ok(&["pod", "exists", &pod]), "");
    assert!(
        !pod_cgroups(&pod_id).is_empty(),
        "members live below the pod cgroup"
    );
    let top = w.env.ok(&["pod", "top", &pod]);
    assert!(
        top.contains("catatonit") && top.contains("sleep 60"),
        "{top}"
    );
    // psgo's descriptors; each container's processes as it sees them.
    let top = w.env.ok(&["pod", "top", &pod, "pid,args", "seccomp"]);
    let lines: Vec<Vec<&str>> = top
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["PID", "COMMAND", "SECCOMP"], "{top}");
    assert!(
        lines.iter().filter(|l| l.first() == Some(&"1")).count() >= 2,
        "PID 1 of each container: {top}"
    );
    assert!(
        lines.iter().any(|l| l[1..] == ["sleep", "60", "filter"]),
        "{top}"
    );
    let (code, err) = w.env.fails(&["pod", "top", &pod, "bogus"]);
    assert_eq!(code, 125);
    assert!(err.contains("'bogus': unknown descriptor"), "{err}");
    let logs = w.env.ok(&["pod", "logs", "--names", &pod]);
    assert!(
        logs.contains(&format!("{srv} ping-over-loopback")),
        "{logs}"
    );
}

#[test]
fn requires_and_init_containers_order_start_and_stop() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let marks = tempfile::tempdir().unwrap();
    let vol = format!("{}:/m", marks.path().display());
    let pod = unique_name("pod");
    w.env.ok(&["pod", "create", "--name", &pod]);
    let member = |name: &str| {
        format!(
            "echo start-{name} >> /m/log; trap 'echo stop-{name} >> /m/log; exit 0' TERM; while true; do sleep 0.1; done"
        )
    };
    let (a, b, c) = (unique_name("a"), unique_name("b"), unique_name("c"));
    w.env.ok(&[
        "create",
        "--pod",
        &pod,
        "--name",
        &a,
        "-v",
        &vol,
        &img,
        "sh",
        "-c",
        &member("a"),
    ]);
    w.env.ok(&[
        "create",
        "--pod",
        &pod,
        "--name",
        &b,
        "--requires",
        &a,
        "-v",
        &vol,
        &img,
        "sh",
        "-c",
        &member("b"),
    ]);
    w.env.ok(&[
        "create",
        "--pod",
        &pod,
        "--name",
        &c,
        "--requires",
        &b,
        "-v",
        &vol,
        &img,
        "sh",
        "-c",
        &member("c"),
    ]);
    // Created last, runs first (to completion).
    w.env.ok(&[
        "create",
        "--pod",
        &pod,
        "--init-ctr",
        "always",
        "-v",
        &vol,
        &img,
        "sh",
        "-c",
        "sleep 0.3; echo init >> /m/log",
    ]);
    let log = marks.path().join("log");
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    w.env.ok(&["pod", "start", &pod]);
    wait_until(Duration::from_secs(10), "three starts", || {
        read().lines().count() == 4
    });
    assert_eq!(read(), "init\nstart-a\nstart-b\nstart-c\n");
    w.env.ok(&["pod", "stop", "-t", "5", &pod]);
    assert_eq!(
        read(),
        "init\nstart-a\nstart-b\nstart-c\nstop-c\nstop-b\nstop-a\n",
        "stop runs in reverse"
    );
    assert_eq!(pod_inspect(&w.env, &pod)["State"], "Exited");

    // Starting one member starts what it requires first (infra, a, b).
    std::fs::remove_file(&log).unwrap();
    w.env.ok(&["start", &c]);
    wait_until(Duration::from_secs(10), "chain started", || {
        read().lines().count() == 3
    });
    assert_eq!(read(), "start-a\nstart-b\nstart-c\n");
    assert_eq!(state_of(&w.env, &a), "running");
}

#[test]
fn pod_rm_force_leaves_no_member_mount_process_or_cgroup() {
    let (w, img) = busybox();
    let g = PodGuard(&w.env);
    let pod = unique_name("pod");
    let pod_id = w
        .env
        .ok(&["pod", "create", "--name", &pod])
        .trim()
        .to_owned();
    for _ in 0..2 {
        w.env
            .ok(&["run", "-d", "--pod", &pod, &img, "sleep", "600"]);
    }
    assert_eq!(
        w.env.ok(&["ps", "-q"]).lines().count(),
        3,
        "two members + infra"
    );
    assert!(!common::mounts(&w.env).is_empty());
    assert_eq!(
        w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod]).trim(),
        pod_id
    );
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]), "");
    let (code, _) = w.env.fails(&["pod", "exists", &pod]);
    assert_eq!(code, 1);
    assert!(
        common::mounts(&w.env).is_empty(),
        "{:?}",
        common::mounts(&w.env)
    );
    assert!(
        pod_cgroups(&pod_id).is_empty(),
        "{:?}",
        pod_cgroups(&pod_id)
    );
    wait_until(Duration::from_secs(10), "no process left", || {
        rpod_tests::cleanup::processes_under(w.env.dir()).is_empty()
    });
    drop(g);
}

#[test]
fn sigkill_during_pod_start_is_completed_by_the_next_command() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pod");
    // Sharing its PID namespace, the pod's members start once its infra
    // runs (`pod-start.after-infra`; members of a pod whose namespaces are
    // pinned start beside the infra instead).
    let share = ["--share", "pid,ipc,net,uts"];
    w.env
        .ok(&[&["pod", "create", "--name", &pod][..], &share].concat());
    let m = unique_name("m");
    w.env
        .ok(&["create", "--pod", &pod, "--name", &m, &img, "sleep", "600"]);
    let killed = |args: &[&str]| {
        let mut cmd = w.env.cmd(args);
        cmd.env("RPOD_FAULT", "pod-start.after-infra");
        let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
        assert_eq!(out.status.signal(), Some(9), "{out:?}");
    };
    killed(&["pod", "start", &pod]);
    let insp = pod_inspect(&w.env, &pod);
    assert_eq!(insp["Transition"], "starting");
    assert_eq!(insp["State"], "Degraded", "infra up, member not: {insp}");
    assert_eq!(state_of(&w.env, &m), "created");
    w.env.ok(&["pod", "start", &pod]);
    let insp = pod_inspect(&w.env, &pod);
    assert_eq!(
        (insp["State"].as_str(), insp["Transition"].as_str()),
        (Some("Running"), Some(""))
    );

    // A removal cut off after the first member: the pod is marked, start
    // refuses it, and the next `pod rm -f` finishes the job.
    let mut cmd = w.env.cmd(&["pod", "rm", "-f", "-t", "0", &pod]);
    cmd.env("RPOD_FAULT", "pod-rm.after-member");
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert_eq!(out.status.signal(), Some(9), "{out:?}");
    assert_eq!(pod_inspect(&w.env, &pod)["Transition"], "removing");
    let (_, err) = w.env.fails(&["pod", "start", &pod]);
    assert!(err.contains("is being removed"), "{err}");
    w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");

    let pod_id = w
        .env
        .ok(&[&["pod", "create", "--name", &pod][..], &share].concat())
        .trim()
        .to_owned();
    w.env.ok(&["create", "--pod", &pod, &img, "sleep", "600"]);
    killed(&["pod", "start", &pod]);
    w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
    assert!(common::mounts(&w.env).is_empty());
    assert!(pod_cgroups(&pod_id).is_empty());
}

#[test]
fn exit_policy_stop_stops_the_pod_after_its_last_member() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pod");
    w.env
        .ok(&["pod", "create", "--exit-policy", "stop", "--name", &pod]);
    let m = unique_name("m");
    w.env.ok(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--name",
        &m,
        &img,
        "sh",
        "-c",
        "sleep 0.5",
    ]);
    wait_state(&w.env, &m, "exited");
    wait_until(Duration::from_secs(20), "pod to exit", || {
        pod_inspect(&w.env, &pod)["State"] == "Exited"
    });
}

#[test]
fn bad_input_is_refused_and_leaves_nothing() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let (code, err) = w
        .env
        .fails(&["create", "--pod", "no-such-pod", &img, "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("no pod with name or ID no-such-pod found: no such pod"),
        "{err}"
    );
    let (_, err) = w.env.fails(&["create", "--init-ctr", "once", &img, "true"]);
    assert!(err.contains("--pod"), "{err}");
    let (_, err) = w.env.fails(&["pod", "create", "--share", "bogus"]);
    assert!(
        err.contains("invalid kernel namespace to share: bogus"),
        "{err}"
    );

    let pod = unique_name("pod");
    w.env.ok(&["pod", "create", "--name", &pod]);
    let (code, err) = w.env.fails(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--network",
        "host",
        &img,
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(
        err.contains("network cannot be configured when it is shared with a pod"),
        "{err}"
    );
    let (_, err) = w
        .env
        .fails(&["create", "--pod", &pod, "--hostname", "x", &img, "true"]);
    assert!(
        err.contains("cannot set hostname when joining the pod UTS namespace"),
        "{err}"
    );
    let (_, err) = w
        .env
        .fails(&["create", "--pod", &pod, "--requires", "nope", &img, "true"]);
    assert!(
        err.contains("no container with name or ID \"nope\" found"),
        "{err}"
    );
    assert_eq!(
        w.env.ok(&["ps", "-aq"]).lines().count(),
        1,
        "only the infra container"
    );

    w.env
        .ok(&["run", "-d", "--pod", &pod, &img, "sleep", "600"]);
    let (code, err) = w.env.fails(&["pod", "rm", &pod]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("running or paused containers cannot be removed without force"),
        "{err}"
    );
    assert_eq!(pod_inspect(&w.env, &pod)["State"], "Running", "untouched");
    let (code, _) = w.env.fails(&["pod", "rm", "no-such-pod"]);
    assert_eq!(code, 1);
}

#[test]
fn infra_container_goes_only_with_its_pod() {
    let (w, _img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pod");
    let pod_id = w
        .env
        .ok(&["pod", "create", "--name", &pod])
        .trim()
        .to_owned();
    let infra = format!("{}-infra", &pod_id[..12]);
    let (code, err) = w.env.fails(&["rm", "-f", &infra]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("cannot be removed without removing the pod"),
        "{err}"
    );
    w.env.ok(&["rm", "-af"]);
    assert_eq!(
        w.env.ok(&["ps", "-aq"]).lines().count(),
        1,
        "rm -a leaves the infra"
    );
    // No image (Podman 5): an overlay over an empty directory with the
    // host's catatonit bound in; nothing appears in `images`.
    let img = w.env.ok(&["inspect", "--format", "{{.ImageName}}", &infra]);
    assert_eq!(img.trim(), "", "{img}");
    let ep = w
        .env
        .ok(&["inspect", "--format", "{{.Config.Entrypoint}}", &infra]);
    assert_eq!(ep.trim(), "[/catatonit -P]");
    assert_eq!(w.env.ok(&["images", "-q"]).lines().count(), 1);
    w.env.ok(&["pod", "start", &pod]);
    let top = w.env.ok(&["pod", "top", &pod]);
    assert!(top.contains("/catatonit -P"), "{top}");
    let ps = w
        .env
        .ok(&["ps", "--format", "{{.Image}}|{{.Command}}|{{.Names}}"]);
    assert_eq!(
        ps.trim(),
        format!("||{infra}"),
        "ps shows no image or command"
    );
}

#[test]
fn infra_image_and_removal_with_its_pod() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    // `--infra-image` pulls a missing image; its entrypoint is replaced by
    // `--infra-command`.
    w.env.ok(&["rmi", &img]);
    let pod = unique_name("pod");
    w.env.ok(&[
        "pod",
        "create",
        "--name",
        &pod,
        "--infra-image",
        &img,
        "--infra-command",
        "sleep",
    ]);
    let infra = w
        .env
        .ok(&["pod", "inspect", "--format", "{{.InfraContainerID}}", &pod])
        .trim()
        .to_owned();
    let shown = w.env.ok(&["inspect", "--format", "{{.ImageName}}", &infra]);
    assert_eq!(shown.trim(), img);
    let member = w
        .env
        .ok(&["create", "--pod", &pod, &img, "true"])
        .trim()
        .to_owned();
    let other = w.env.ok(&["create", &img, "true"]).trim().to_owned();
    // In use by the infra container: refused without --force (exit 2).
    let (code, err) = w.env.fails(&["rmi", &img]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("image is in use by a container"), "{err}");

    // `rm --depend` of the infra container removes the pod with its members.
    let out = w.env.ok(&["rm", "--depend", &infra]);
    assert!(out.contains(&infra) && out.contains(&member), "{out}");
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]).trim(), "");
    assert_eq!(w.env.ok(&["ps", "-aq", "--no-trunc"]).trim(), other);

    // `rmi -f` of an infra image removes the pod and its members too.
    let pod2 = unique_name("pod");
    w.env
        .ok(&["pod", "create", "--name", &pod2, "--infra-image", &img]);
    w.env.ok(&["create", "--pod", &pod2, &img, "true"]);
    w.env.ok(&["rm", &other]);
    w.env.ok(&["rmi", "-f", &img]);
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]).trim(), "");
    assert_eq!(w.env.ok(&["ps", "-aq"]).trim(), "");

    // A missing infra image that cannot be pulled: the registry's error,
    // and no pod left behind.
    let (code, err) = w
        .env
        .fails(&["pod", "create", "--infra-image", "127.0.0.1:9/none:x"]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("initializing source docker://127.0.0.1:9/none:x"),
        "{err}"
    );
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]).trim(), "");
}

#[test]
fn pod_new_pause_kill_restart_prune_and_filters() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pod");
    let c = unique_name("c");
    let spec = format!("new:{pod}");
    w.env.ok(&[
        "run", "-d", "--pod", &spec, "--name", &c, "-l", "x=y", &img, "sleep", "600",
    ]);
    let status = |env: &TestEnv| pod_inspect(env, &pod)["State"].as_str().unwrap().to_owned();
    assert_eq!(status(&w.env), "Running");
    let once = unique_name("once");
    w.env.ok(&[
        "create",
        "--pod",
        &pod,
        "--init-ctr",
        "once",
        "--name",
        &once,
        &img,
        "true",
    ]);

    w.env.ok(&["pod", "pause", &pod]);
    assert_eq!(status(&w.env), "Paused");
    w.env.ok(&["pod", "unpause", &pod]);
    assert_eq!(status(&w.env), "Running");
    w.env.ok(&["pod", "kill", "-s", "KILL", &pod]);
    wait_state(&w.env, &c, "exited");
    // Restart runs the `once` init container, which then goes away.
    w.env.ok(&["pod", "restart", "-t", "0", &pod]);
    assert_eq!(state_of(&w.env, &c), "running");
    let (code, _) = w.env.fails(&["container", "inspect", &once]);
    assert_eq!(code, 125, "the once init container was removed");

    let other = unique_name("other");
    w.env
        .ok(&["pod", "create", "--name", &other, "-l", "team=a"]);
    let names = |filter: &str| {
        w.env
            .ok(&["pod", "ps", "--filter", filter, "--format", "{{.Name}}"])
            .trim()
            .to_owned()
    };
    assert_eq!(names("status=running"), pod);
    assert_eq!(names("label=team=a"), other);
    assert_eq!(names(&format!("ctr-names={c}")), pod);
    // id and ctr-ids: a hex value is a prefix, anything else a regular
    // expression; the values of one key are alternatives (Podman's).
    let pod_id = w.env.ok(&["pod", "inspect", "--format", "{{.ID}}", &pod]);
    let other_id = w.env.ok(&["pod", "inspect", "--format", "{{.ID}}", &other]);
    assert_eq!(names(&format!("id={}", &pod_id[..4])), pod);
    assert_eq!(names(&format!("id=^{}.*", &other_id[..3])), other);
    let both = w.env.ok(&[
        "pod",
        "ps",
        "--filter",
        &format!("id={}", &pod_id[..6]),
        "--filter",
        &format!("id={}", &other_id[..6]),
        "--format",
        "{{.Name}}",
    ]);
    assert_eq!(both.lines().count(), 2, "{both}");
    let cid = w
        .env
        .ok(&["container", "inspect", "--format", "{{.Id}}", &c]);
    assert_eq!(names(&format!("ctr-ids=^{}", &cid[..3])), pod);
    assert_eq!(names(&format!("name=^{}$", &other)), other);
    let (code, err) = w.env.fails(&["pod", "ps", "--filter", "bogus=1"]);
    assert_eq!(code, 125, "{err}");
    let ps = w.env.ok(&[
        "pod",
        "ps",
        "--ctr-names",
        "--no-trunc",
        "--format",
        "{{.Name}} {{.ContainerNames}}",
    ]);
    assert!(ps.contains(&format!("{pod} ")) && ps.contains(&c), "{ps}");

    // Prune removes only pods without running containers.
    let pruned = w.env.ok(&["pod", "prune", "-f"]);
    assert_eq!(pruned.lines().count(), 1, "{pruned}");
    assert_eq!(
        w.env.ok(&["pod", "ps", "--format", "{{.Name}}"]).trim(),
        pod
    );
}

/// `pod create --restart`: the infra container and every member created
/// without its own `--restart` take the pod's policy; a member's own wins;
/// init containers keep none; a bad value creates nothing.
#[test]
fn pod_restart_policy_is_inherited_by_members() {
    let (w, img) = busybox();
    let env = &w.env;
    let _guard = PodGuard(env);
    let pod = unique_name("prestart");
    env.ok(&["pod", "create", "--restart=on-failure", "--name", &pod]);
    assert_eq!(pod_inspect(env, &pod)["RestartPolicy"], "on-failure");
    let policy = |c: &str| {
        env.ok(&[
            "container",
            "inspect",
            "--format",
            "{{.HostConfig.RestartPolicy.Name}}",
            c,
        ])
        .trim()
        .to_owned()
    };
    let infra = env.ok(&["pod", "inspect", "--format", "{{.InfraContainerID}}", &pod]);
    assert_eq!(policy(infra.trim()), "on-failure");
    let member = unique_name("prestart-m");
    env.ok(&["create", "--name", &member, "--pod", &pod, &img, "true"]);
    assert_eq!(policy(&member), "on-failure", "container inherits from pod");
    env.ok(&[
        "create",
        "--replace",
        "--restart=always",
        "--name",
        &member,
        "--pod",
        &pod,
        &img,
        "true",
    ]);
    assert_eq!(
        policy(&member),
        "always",
        "container overrides the pod's policy"
    );
    let init = unique_name("prestart-i");
    env.ok(&[
        "create",
        "--init-ctr",
        "once",
        "--name",
        &init,
        "--pod",
        &pod,
        &img,
        "true",
    ]);
    assert_eq!(policy(&init), "no", "init containers keep none");

    let bad = unique_name("prestart-bad");
    let (code, err) = env.fails(&["pod", "create", "--restart=sometimes", "--name", &bad]);
    assert_eq!(code, 125);
    assert_eq!(err.trim(), "Error: invalid restart policy: sometimes");
    assert_eq!(env.fails(&["pod", "exists", &bad]).0, 1);
}
