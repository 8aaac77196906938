//! `rpod cri serve` driven by a gRPC client generated from the same CRI v1
//! protos, against real runc and the real CNI plugins (the cni backend, on
//! a network of the test's own: bridge `criN`, subnet 10.85.N.0/24).

#[allow(dead_code)]
mod bearer_util;
mod common;
mod cri_util;

use std::path::Path;
use std::time::Duration;

use common::world;
use cri_util::{container_config, sandbox_config, Client, CriServer};
use rpod_cri::proto as cri;
use rpod_tests::{unique_name, wait_until, TestEnv};

/// Removes the pods and the test's network before the environment's own
/// cleanup; declared after the environment, so dropped first.
struct Guard<'a> {
    env: &'a TestEnv,
    network: String,
}

impl<'a> Guard<'a> {
    fn new(env: &'a TestEnv, network: &str) -> Guard<'a> {
        Guard {
            env,
            network: network.to_owned(),
        }
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let _ = self.env.run(&["pod", "rm", "-af", "-t", "0"]);
        let _ = self.env.run(&["network", "rm", "-f", &self.network]);
    }
}

/// The test root's network slot (its bridge is `rptN`).
fn slot(env: &TestEnv) -> u16 {
    env.bridge()
        .trim_start_matches("rpt")
        .parse()
        .expect("slot of the test bridge")
}

/// A kubelet-style CNI configuration directory of the test's own (the cni
/// backend; bridge `criN`, subnet 10.85.N.0/24 from the test root's network
/// slot), with a file of another network after it: the directory, the
/// network's name and bridge.
fn cni_conf_dir(env: &mut TestEnv) -> (std::path::PathBuf, String, String) {
    env.add_network_conf("network_backend = \"cni\"\n");
    let slot = slot(env);
    let name = unique_name("crik8s");
    let bridge = format!("cri{slot}");
    let dir = env.dir().join("net.d");
    std::fs::create_dir(&dir).unwrap();
    let conflist = format!(
        r#"{{"cniVersion":"1.0.0","name":"{name}","plugins":[
            {{"type":"bridge","bridge":"{bridge}","isGateway":true,"ipMasq":true,"hairpinMode":true,
              "ipam":{{"type":"host-local","ranges":[[{{"subnet":"10.85.{slot}.0/24"}}]]}}}},
            {{"type":"portmap","capabilities":{{"portMappings":true}}}},
            {{"type":"firewall"}}]}}"#
    );
    std::fs::write(dir.join("10-k8s.conflist"), conflist).unwrap();
    std::fs::write(
        dir.join("20-flannel.conflist"),
        r#"{"name":"f","plugins":[{"type":"flannel"}]}"#,
    )
    .unwrap();
    (dir, name, bridge)
}

/// The test's CNI network (the cni backend; its bridge and subnet from the
/// test root's network slot), made with `network create`: its name and bridge.
fn cri_network(env: &mut TestEnv) -> (String, String) {
    env.add_network_conf("network_backend = \"cni\"\n");
    let slot = slot(env);
    let name = unique_name("crinet");
    let bridge = format!("cri{slot}");
    env.ok(&[
        "network",
        "create",
        "--interface-name",
        &bridge,
        "--subnet",
        &format!("10.85.{slot}.0/24"),
        &name,
    ]);
    (name, bridge)
}

/// `image` pulled, the test's CNI network, and `rpod cri serve` on it with
/// a client: the server, the client and the network's name.
fn serve_on_own_network(w: &mut common::World, image: &str) -> (CriServer, Client, String) {
    w.env.ok(&["pull", "-q", image]);
    let (network, _bridge) = cri_network(&mut w.env);
    let sock = w.env.dir().join("cri.sock");
    let server = CriServer::start(&w.env, &sock, &["--network", &network]);
    (server, Client::connect(&sock), network)
}

/// Interfaces enslaved to `bridge` (the sandboxes' host-side veths).
fn veths_on(bridge: &str) -> String {
    let out = std::process::Command::new("ip")
        .args(["-o", "link", "show", "master", bridge])
        .output()
        .expect("ip link");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn code<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> tonic::Code {
    r.expect_err("the call was expected to fail").code()
}

fn run_sandbox(c: &Client, name: &str, log_dir: &Path) -> String {
    c.call(c.rs().run_pod_sandbox(cri::RunPodSandboxRequest {
        config: Some(sandbox_config(name, log_dir)),
        runtime_handler: String::new(),
    }))
    .expect("RunPodSandbox")
    .pod_sandbox_id
}

fn create_container(c: &Client, sandbox: &str, name: &str, config: cri::ContainerConfig) -> String {
    assert_eq!(
        config.metadata.as_ref().map(|m| m.name.as_str()),
        Some(name)
    );
    c.call(c.rs().create_container(cri::CreateContainerRequest {
        pod_sandbox_id: sandbox.to_owned(),
        config: Some(config),
        sandbox_config: None,
    }))
    .expect("CreateContainer")
    .container_id
}

fn exec(
    c: &Client,
    id: &str,
    cmd: &[&str],
    timeout: i64,
) -> Result<cri::ExecSyncResponse, tonic::Status> {
    c.call(c.rs().exec_sync(cri::ExecSyncRequest {
        container_id: id.to_owned(),
        cmd: cmd.iter().map(|s| s.to_string()).collect(),
        timeout,
    }))
}

fn container_status(c: &Client, id: &str) -> cri::ContainerStatus {
    c.call(c.rs().container_status(cri::ContainerStatusRequest {
        container_id: id.to_owned(),
        verbose: false,
    }))
    .expect("ContainerStatus")
    .status
    .expect("a status")
}

fn sandbox_status(c: &Client, id: &str) -> Result<cri::PodSandboxStatus, tonic::Status> {
    c.call(c.rs().pod_sandbox_status(cri::PodSandboxStatusRequest {
        pod_sandbox_id: id.to_owned(),
        verbose: false,
    }))
    .map(|r| r.status.expect("a status"))
}

/// Whether every line of `log` is in CRI's format and `want` is among them
/// as a full line of `stream`.
fn cri_log_has(log: &Path, stream: &str, want: &str) -> bool {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut found = false;
    for line in text.lines() {
        let mut parts = line.splitn(4, ' ');
        let (ts, st, tag, msg) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        assert!(
            ts.contains('T') && matches!(st, "stdout" | "stderr") && matches!(tag, "F" | "P"),
            "not a CRI log line: {line:?}"
        );
        found |= st == stream && tag == "F" && msg == want;
    }
    found
}

#[test]
fn sandbox_container_exec_logs_and_nothing_left() {
    let mut w = world(&["busybox"]);
    let image = w.images[0].clone();
    let (conf_dir, network, bridge) = cni_conf_dir(&mut w.env);
    let _guard = Guard::new(&w.env, &network);
    let sock = w.env.dir().join("cri.sock");
    let conf_arg = conf_dir.display().to_string();
    let _server = CriServer::start(&w.env, &sock, &["--cni-config-dir", &conf_arg]);
    let c = Client::connect(&sock);

    let v = c
        .call(c.rs().version(cri::VersionRequest::default()))
        .unwrap();
    assert_eq!(v.runtime_name, "rpod");
    assert_eq!(v.runtime_api_version, "v1");
    let st = c
        .call(c.rs().status(cri::StatusRequest::default()))
        .unwrap();
    let conditions = st.status.unwrap().conditions;
    assert!(conditions.iter().all(|c| c.status), "{conditions:?}");

    // Images.
    let pulled = c
        .call(c.is().pull_image(cri::PullImageRequest {
            image: Some(cri::ImageSpec {
                image: image.clone(),
                ..Default::default()
            }),
            ..Default::default()
        }))
        .expect("PullImage")
        .image_ref;
    let status = c
        .call(c.is().image_status(cri::ImageStatusRequest {
            image: Some(cri::ImageSpec {
                image: image.clone(),
                ..Default::default()
            }),
            verbose: false,
        }))
        .unwrap();
    let img = status.image.expect("the pulled image");
    assert_eq!(img.id, pulled);
    assert!(img.repo_tags.contains(&image), "{:?}", img.repo_tags);
    let listed = c
        .call(c.is().list_images(cri::ListImagesRequest::default()))
        .unwrap();
    assert!(listed.images.iter().any(|i| i.id == pulled));
    let fs = c
        .call(c.is().image_fs_info(cri::ImageFsInfoRequest::default()))
        .unwrap();
    let mountpoint = &fs.image_filesystems[0].fs_id.as_ref().unwrap().mountpoint;
    assert!(
        Path::new(mountpoint).starts_with(w.env.root()),
        "{mountpoint}"
    );

    // The sandbox: an rpod pod with an address from the CNI network.
    let log_dir = w.env.dir().join("pod-logs");
    let sb = run_sandbox(&c, "web", &log_dir);
    let s = sandbox_status(&c, &sb).unwrap();
    assert_eq!(s.state, cri::PodSandboxState::SandboxReady as i32);
    assert_eq!(s.labels.get("app").map(String::as_str), Some("web"));
    assert_eq!(
        s.labels.len(),
        1,
        "internal labels are hidden: {:?}",
        s.labels
    );
    assert_eq!(s.annotations.get("note").map(String::as_str), Some("kept"));
    assert_eq!(s.metadata.as_ref().unwrap().uid, "uid-web");
    let ip = s.network.unwrap().ip;
    let slot = bridge.trim_start_matches("cri");
    assert!(
        ip.starts_with(&format!("10.85.{slot}.")),
        "sandbox ip {ip:?}"
    );
    assert!(
        !veths_on(&bridge).is_empty(),
        "the sandbox's veth is on {bridge}"
    );
    let pods = w
        .env
        .ok(&["pod", "ps", "--format", "{{.Name}} {{.Status}}"]);
    assert!(pods.contains("k8s_web_default_uid-web_0 Running"), "{pods}");
    let selector = cri::PodSandboxFilter {
        label_selector: [("app".to_owned(), "web".to_owned())].into(),
        ..Default::default()
    };
    let found = c
        .call(c.rs().list_pod_sandbox(cri::ListPodSandboxRequest {
            filter: Some(selector),
        }))
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].id, sb);

    // A container: rpod's, in the pod, logging in CRI's format.
    let script = "echo hello-cri; echo oops >&2; \
                  while true; do if [ -e /tmp/go ]; then echo after-reopen; rm /tmp/go; fi; sleep 0.2; done";
    let ctr = create_container(
        &c,
        &sb,
        "app",
        container_config("app", &image, script, "app/0.log"),
    );
    let st = container_status(&c, &ctr);
    assert_eq!(st.state, cri::ContainerState::ContainerCreated as i32);
    c.call(c.rs().start_container(cri::StartContainerRequest {
        container_id: ctr.clone(),
    }))
    .expect("StartContainer");
    let st = container_status(&c, &ctr);
    assert_eq!(st.state, cri::ContainerState::ContainerRunning as i32);
    assert_eq!(st.metadata.unwrap().name, "app");
    assert_eq!(st.labels.get("tier").map(String::as_str), Some("app"));
    assert_eq!(st.annotations.get("ann").map(String::as_str), Some("app"));
    let log = log_dir.join("app/0.log");
    assert_eq!(st.log_path, log.display().to_string());
    let ps = w.env.ok(&["ps", "--format", "{{.Names}} {{.PodName}}"]);
    assert!(
        ps.contains("k8s_app_web_default_uid-web_0 k8s_web_default_uid-web_0"),
        "{ps}"
    );
    let listed = c
        .call(c.rs().list_containers(cri::ListContainersRequest {
            filter: Some(cri::ContainerFilter {
                pod_sandbox_id: sb.clone(),
                ..Default::default()
            }),
        }))
        .unwrap();
    assert_eq!(
        listed.containers.len(),
        1,
        "the infra container is no CRI container"
    );
    assert_eq!(listed.containers[0].id, ctr);

    // ExecSync: output, exit code, the sandbox's network namespace.
    let r = exec(
        &c,
        &ctr,
        &["sh", "-c", "echo $FOO; echo err >&2; exit 3"],
        0,
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&r.stdout), "bar\n");
    assert_eq!(String::from_utf8_lossy(&r.stderr), "err\n");
    assert_eq!(r.exit_code, 3);
    let r = exec(&c, &ctr, &["ip", "-4", "-o", "addr", "show", "eth0"], 10).unwrap();
    assert!(
        String::from_utf8_lossy(&r.stdout).contains(&format!("{ip}/24")),
        "{r:?}"
    );
    assert_eq!(
        code(exec(&c, &ctr, &["sleep", "30"], 1)),
        tonic::Code::DeadlineExceeded
    );
    wait_until(
        Duration::from_secs(30),
        "the timed-out command to be killed",
        || {
            let ps = exec(&c, &ctr, &["ps", "-o", "args"], 10).unwrap();
            let ps = String::from_utf8_lossy(&ps.stdout);
            assert!(ps.contains("echo hello-cri"), "ps sees the container: {ps}");
            !ps.contains("sleep 30")
        },
    );

    // Stats from the container's cgroup.
    let stats = c
        .call(
            c.rs()
                .list_container_stats(cri::ListContainerStatsRequest::default()),
        )
        .unwrap()
        .stats;
    assert_eq!(stats.len(), 1, "{stats:?}");
    assert_eq!(stats[0].attributes.as_ref().unwrap().id, ctr);
    let mem = stats[0]
        .memory
        .as_ref()
        .unwrap()
        .usage_bytes
        .as_ref()
        .unwrap()
        .value;
    assert!(mem > 0, "{stats:?}");
    let one = c
        .call(c.rs().container_stats(cri::ContainerStatsRequest {
            container_id: ctr.clone(),
        }))
        .unwrap();
    assert!(one
        .stats
        .unwrap()
        .cpu
        .unwrap()
        .usage_core_nano_seconds
        .is_some());

    let pods = c
        .call(
            c.rs()
                .list_pod_sandbox_stats(cri::ListPodSandboxStatsRequest::default()),
        )
        .unwrap()
        .stats;
    assert_eq!(pods.len(), 1, "{pods:?}");
    assert_eq!(pods[0].attributes.as_ref().unwrap().id, sb);
    let linux = pods[0].linux.as_ref().unwrap();
    assert_eq!(linux.containers.len(), 1);
    // The pod's network namespace: its eth0 on the CNI network.
    let net = linux
        .network
        .as_ref()
        .unwrap_or_else(|| panic!("{linux:?}"));
    let eth0 = net.default_interface.as_ref().unwrap();
    assert_eq!(eth0.name, "eth0", "{net:?}");
    assert!(
        eth0.rx_bytes.is_some() && eth0.tx_bytes.is_some(),
        "{net:?}"
    );
    assert!(net.interfaces.iter().all(|i| i.name != "lo"), "{net:?}");
    // The infra container's catatonit and the container's shell at least.
    let procs = linux
        .process
        .as_ref()
        .unwrap()
        .process_count
        .as_ref()
        .unwrap()
        .value;
    assert!(procs >= 2, "{linux:?}");
    let pod_mem = linux
        .memory
        .as_ref()
        .unwrap()
        .usage_bytes
        .as_ref()
        .unwrap()
        .value;
    // The pod's total covers its container's usage of the same sample (an
    // earlier sample, such as `mem`, may have been larger).
    let in_pod = linux.containers[0]
        .memory
        .as_ref()
        .and_then(|m| m.usage_bytes.as_ref())
        .map(|u| u.value)
        .unwrap_or_else(|| panic!("{linux:?}"));
    assert!(mem > 0 && in_pod > 0 && pod_mem >= in_pod, "{linux:?}");

    // Logs in CRI's format at log_path; ReopenContainerLog after a rotation.
    wait_until(Duration::from_secs(30), "the CRI log lines", || {
        cri_log_has(&log, "stdout", "hello-cri") && cri_log_has(&log, "stderr", "oops")
    });
    let rotated = log_dir.join("app/0.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    c.call(c.rs().reopen_container_log(cri::ReopenContainerLogRequest {
        container_id: ctr.clone(),
    }))
    .expect("ReopenContainerLog");
    exec(&c, &ctr, &["touch", "/tmp/go"], 10).unwrap();
    wait_until(Duration::from_secs(30), "the new log file", || {
        cri_log_has(&log, "stdout", "after-reopen")
    });
    assert!(cri_log_has(&rotated, "stdout", "hello-cri"));
    assert!(!cri_log_has(&rotated, "stdout", "after-reopen"));
    assert!(w
        .env
        .ok(&["logs", "k8s_app_web_default_uid-web_0"])
        .contains("after-reopen"));

    // Stop and remove: the container, then the sandbox; nothing left.
    c.call(c.rs().stop_container(cri::StopContainerRequest {
        container_id: ctr.clone(),
        timeout: 0,
    }))
    .expect("StopContainer");
    let st = container_status(&c, &ctr);
    assert_eq!(st.state, cri::ContainerState::ContainerExited as i32);
    assert!(st.finished_at >= st.started_at && st.started_at > 0);
    assert_eq!(st.reason, "Error");
    c.call(c.rs().remove_container(cri::RemoveContainerRequest {
        container_id: ctr.clone(),
    }))
    .expect("RemoveContainer");
    c.call(c.rs().remove_container(cri::RemoveContainerRequest {
        container_id: ctr.clone(),
    }))
    .expect("RemoveContainer of a removed container is no error");
    assert_eq!(
        code(c.call(c.rs().container_status(cri::ContainerStatusRequest {
            container_id: ctr.clone(),
            verbose: false,
        }))),
        tonic::Code::NotFound
    );
    c.call(c.rs().stop_pod_sandbox(cri::StopPodSandboxRequest {
        pod_sandbox_id: sb.clone(),
    }))
    .expect("StopPodSandbox");
    assert_eq!(
        sandbox_status(&c, &sb).unwrap().state,
        cri::PodSandboxState::SandboxNotready as i32
    );
    assert_eq!(veths_on(&bridge), "", "the veth goes with the stop");
    c.call(c.rs().remove_pod_sandbox(cri::RemovePodSandboxRequest {
        pod_sandbox_id: sb.clone(),
    }))
    .expect("RemovePodSandbox");
    assert_eq!(code(sandbox_status(&c, &sb)), tonic::Code::NotFound);
    let left = c
        .call(
            c.rs()
                .list_pod_sandbox(cri::ListPodSandboxRequest::default()),
        )
        .unwrap();
    assert!(left.items.is_empty(), "{:?}", left.items);
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]), "");
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
    let mounts = common::mounts(&w.env);
    assert!(mounts.is_empty(), "mounts left: {mounts:?}");
    assert!(
        std::fs::read_dir(w.env.runroot().join("netns"))
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "network namespace files left"
    );

    // The image goes too.
    c.call(c.is().remove_image(cri::RemoveImageRequest {
        image: Some(cri::ImageSpec {
            image: image.clone(),
            ..Default::default()
        }),
    }))
    .expect("RemoveImage");
    let status = c
        .call(c.is().image_status(cri::ImageStatusRequest {
            image: Some(cri::ImageSpec {
                image,
                ..Default::default()
            }),
            verbose: false,
        }))
        .unwrap();
    assert!(status.image.is_none());
}

#[test]
fn bad_input_unimplemented_and_a_killed_server() {
    let mut w = world(&["busybox"]);
    let image = w.images[0].clone();
    let (mut server, c, network) = serve_on_own_network(&mut w, &image);
    let _guard = Guard::new(&w.env, &network);

    // A CNI configuration rpod cannot run, a missing directory, a bad socket
    // address: the server refuses to start, with the reason.
    let bad = w.env.dir().join("bad.d");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(
        bad.join("10-flannel.conflist"),
        r#"{"name":"f","plugins":[{"type":"flannel"}]}"#,
    )
    .unwrap();
    let other_sock = format!("unix://{}", w.env.dir().join("other.sock").display());
    let bad_arg = bad.display().to_string();
    let (rc, err) = w.env.fails(&[
        "cri",
        "serve",
        "--listen",
        &other_sock,
        "--cni-config-dir",
        &bad_arg,
    ]);
    assert_eq!(rc, 125);
    assert!(
        err.contains("CNI plugin type \"flannel\" is not supported"),
        "{err}"
    );
    let (_, err) = w.env.fails(&[
        "cri",
        "serve",
        "--listen",
        &other_sock,
        "--network",
        "no-such-net",
    ]);
    assert!(err.contains("no-such-net"), "{err}");
    let (rc, err) = w
        .env
        .fails(&["cri", "serve", "--listen", "tcp://127.0.0.1:1"]);
    assert_eq!(rc, 125);
    assert!(err.contains("only unix:///PATH"), "{err}");
    assert!(!w.env.dir().join("other.sock").exists());

    // Bad input: clear statuses, nothing created, the server keeps serving.
    let unknown = "0123456789abcdef0123456789abcdef";
    let cfg = container_config("x", &image, "true", "x.log");
    assert_eq!(
        code(c.call(c.rs().create_container(cri::CreateContainerRequest {
            pod_sandbox_id: unknown.to_owned(),
            config: Some(cfg.clone()),
            sandbox_config: None,
        }))),
        tonic::Code::NotFound
    );
    assert_eq!(code(sandbox_status(&c, unknown)), tonic::Code::NotFound);
    let mut no_metadata = sandbox_config("bad", w.env.dir());
    no_metadata.metadata = None;
    assert_eq!(
        code(c.call(c.rs().run_pod_sandbox(cri::RunPodSandboxRequest {
            config: Some(no_metadata),
            runtime_handler: String::new(),
        }))),
        tonic::Code::InvalidArgument
    );
    let missing = format!("{}/no/such:image", w.registry.addr());
    let pull = c.call(c.is().pull_image(cri::PullImageRequest {
        image: Some(cri::ImageSpec {
            image: missing,
            ..Default::default()
        }),
        ..Default::default()
    }));
    assert!(pull.is_err(), "{pull:?}");
    assert_eq!(
        code(c.call(c.rs().exec(cri::ExecRequest {
            container_id: unknown.to_owned(),
            cmd: vec!["true".into()],
            stdout: true,
            ..Default::default()
        }))),
        tonic::Code::NotFound
    );
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]), "");
    c.call(c.rs().version(cri::VersionRequest::default()))
        .expect("still serving");
    // The cgroup driver the kubelet must use: cgroupfs.
    let config = c
        .call(c.rs().runtime_config(cri::RuntimeConfigRequest {}))
        .expect("RuntimeConfig");
    assert_eq!(
        config.linux.map(|l| l.cgroup_driver),
        Some(cri::CgroupDriver::Cgroupfs as i32)
    );

    // A sandbox with one container, then the server is SIGKILLed.
    let log_dir = w.env.dir().join("pod-logs");
    let sb = run_sandbox(&c, "survivor", &log_dir);
    let ctr = create_container(
        &c,
        &sb,
        "main",
        container_config("main", &image, "echo up; sleep 1000", "main/0.log"),
    );
    // A container with an image that is not stored: NotFound-like failure,
    // nothing created.
    let absent = container_config(
        "absent",
        &format!("{}/absent:1", w.registry.addr()),
        "true",
        "a.log",
    );
    let r = c.call(c.rs().create_container(cri::CreateContainerRequest {
        pod_sandbox_id: sb.clone(),
        config: Some(absent),
        sandbox_config: None,
    }));
    assert!(r.is_err(), "{r:?}");
    c.call(c.rs().start_container(cri::StartContainerRequest {
        container_id: ctr.clone(),
    }))
    .expect("StartContainer");
    server.kill();
    drop(c);
    let sock = w.env.dir().join("cri.sock");
    let _server = CriServer::start(&w.env, &sock, &["--network", &network]);
    let c = Client::connect(&sock);
    let listed = c
        .call(
            c.rs()
                .list_containers(cri::ListContainersRequest::default()),
        )
        .unwrap();
    assert_eq!(listed.containers.len(), 1, "{:?}", listed.containers);
    assert_eq!(listed.containers[0].id, ctr);
    assert_eq!(
        listed.containers[0].state,
        cri::ContainerState::ContainerRunning as i32
    );
    let r = exec(&c, &ctr, &["echo", "still"], 10).unwrap();
    assert_eq!(String::from_utf8_lossy(&r.stdout), "still\n");
    assert_eq!(
        sandbox_status(&c, &sb).unwrap().state,
        cri::PodSandboxState::SandboxReady as i32
    );
    // Removing the sandbox takes its running container with it.
    c.call(c.rs().remove_pod_sandbox(cri::RemovePodSandboxRequest {
        pod_sandbox_id: sb.clone(),
    }))
    .expect("RemovePodSandbox");
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
    let mounts = common::mounts(&w.env);
    assert!(mounts.is_empty(), "mounts left: {mounts:?}");
}

/// `--log-opt path=` (the mechanism of CRI's log_path): the log is written
/// there, `logs` and inspect find it, and a bad option is refused.
#[test]
fn log_opt_path_writes_the_log_elsewhere() {
    let (w, image) = common::busybox();
    let log = w.env.dir().join("elsewhere/sub/c.log");
    let opt = format!("path={}", log.display());
    let name = unique_name("logpath");
    w.env.ok(&[
        "run",
        "--name",
        &name,
        "--log-opt",
        &opt,
        &image,
        "sh",
        "-c",
        "echo to-the-path",
    ]);
    let text = std::fs::read_to_string(&log).expect("the log at the path");
    assert!(text.contains(" stdout F to-the-path"), "{text}");
    assert_eq!(w.env.ok(&["logs", &name]), "to-the-path\n");
    let path = w.env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.LogConfig.Path}}",
        &name,
    ]);
    assert_eq!(path.trim(), log.display().to_string());
    let (rc, err) = w.env.fails(&["create", "--log-opt", "path=", &image]);
    assert_eq!(rc, 125);
    assert!(err.contains("unsupported --log-opt \"path=\""), "{err}");
}

/// A container config whose process is an interactive shell on a terminal.
fn tty_shell_config(name: &str, image: &str) -> cri::ContainerConfig {
    cri::ContainerConfig {
        command: vec!["sh".to_owned()],
        args: Vec::new(),
        tty: true,
        stdin: true,
        ..container_config(name, image, "", &format!("{name}/0.log"))
    }
}

fn exec_url(c: &Client, req: cri::ExecRequest) -> Result<String, tonic::Status> {
    c.call(c.rs().exec(req)).map(|r| r.url)
}

fn attach_url(c: &Client, id: &str, stdin: bool) -> String {
    c.call(c.rs().attach(cri::AttachRequest {
        container_id: id.to_owned(),
        stdin,
        tty: true,
        stdout: true,
        stderr: false,
    }))
    .expect("Attach")
    .url
}

/// The complete lines of `text` that are two numbers (`stty size`).
fn size_lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .map(str::trim)
        .filter(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            parts.len() == 2 && parts.iter().all(|n| n.parse::<u16>().is_ok())
        })
        .map(str::to_owned)
        .collect()
}

/// The status JSON on the error channel.
fn stream_status(all: &cri_util::ws::Channels) -> serde_json::Value {
    serde_json::from_slice(all.get(&3).expect("a status on the error channel"))
        .expect("the status is JSON")
}

/// The HTTP status line a SPDY client's upgrade request to `url` gets.
fn spdy_upgrade_status(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn streaming_exec_attach_and_port_forward() {
    use cri_util::ws::{text, Ws};

    let mut w = world(&["busybox"]);
    let image = w.images[0].clone();
    let (_server, c, network) = serve_on_own_network(&mut w, &image);
    let _guard = Guard::new(&w.env, &network);

    // UpdateRuntimeConfig: the pod CIDR is checked and kept; Status shows
    // it with the streaming server's address.
    let update = |cidr: &str| {
        c.call(
            c.rs()
                .update_runtime_config(cri::UpdateRuntimeConfigRequest {
                    runtime_config: Some(cri::RuntimeConfig {
                        network_config: Some(cri::NetworkConfig {
                            pod_cidr: cidr.to_owned(),
                        }),
                    }),
                }),
        )
    };
    update("10.85.0.0/16").expect("UpdateRuntimeConfig");
    assert_eq!(code(update("10.85.0.0/99")), tonic::Code::InvalidArgument);
    let info = c
        .call(c.rs().status(cri::StatusRequest { verbose: true }))
        .unwrap()
        .info;
    let config: serde_json::Value = serde_json::from_str(&info["config"]).unwrap();
    assert_eq!(config["podCIDR"], "10.85.0.0/16", "{config}");
    assert_eq!(config["network"], network.as_str());
    let stream_base = config["streamURL"].as_str().unwrap().to_owned();

    let log_dir = w.env.dir().join("pod-logs");
    let mut config = sandbox_config("stream", &log_dir);
    config.dns_config = Some(cri::DnsConfig {
        servers: vec!["10.85.0.53".into()],
        searches: vec!["cri.example".into()],
        options: vec!["ndots:3".into()],
    });
    let host_port = common::net::free_port();
    config.port_mappings = vec![cri::PortMapping {
        protocol: cri::Protocol::Tcp as i32,
        container_port: 8080,
        host_port: i32::from(host_port),
        host_ip: "127.0.0.1".into(),
    }];
    let sb = c
        .call(c.rs().run_pod_sandbox(cri::RunPodSandboxRequest {
            config: Some(config),
            runtime_handler: String::new(),
        }))
        .expect("RunPodSandbox")
        .pod_sandbox_id;
    let web_script =
        "mkdir -p /www && echo pf-ok > /www/index.html && exec httpd -f -p 8080 -h /www";
    let web = create_container(
        &c,
        &sb,
        "web",
        container_config("web", &image, web_script, "web/0.log"),
    );
    let term = create_container(&c, &sb, "term", tty_shell_config("term", &image));
    for id in [&web, &term] {
        c.call(c.rs().start_container(cri::StartContainerRequest {
            container_id: id.to_string(),
        }))
        .expect("StartContainer");
    }

    // Two containers of one sandbox: one network namespace (the shell
    // reaches the web server on 127.0.0.1) and IPC namespace, a PID
    // namespace each (the sandbox asks for CONTAINER pid mode).
    wait_until(
        Duration::from_secs(30),
        "httpd seen from the other container",
        || {
            exec(
                &c,
                &term,
                &["wget", "-q", "-O", "-", "http://127.0.0.1:8080/index.html"],
                10,
            )
            .map(|r| r.exit_code == 0 && r.stdout == b"pf-ok\n")
            .unwrap_or(false)
        },
    );
    let namespaces = |id: &str| {
        let r = exec(
            &c,
            id,
            &[
                "sh",
                "-c",
                "for n in net ipc pid; do readlink /proc/self/ns/$n; done",
            ],
            10,
        )
        .unwrap();
        let out = String::from_utf8(r.stdout).unwrap();
        out.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let (a, b) = (namespaces(&web), namespaces(&term));
    assert_eq!(a.len(), 3, "{a:?}");
    assert_eq!(a[0], b[0], "one network namespace");
    assert_eq!(a[1], b[1], "one IPC namespace");
    assert_ne!(a[2], b[2], "a PID namespace each");

    // Exec over v4: stdout, stderr, and the exit code in the status.
    let url = exec_url(
        &c,
        cri::ExecRequest {
            container_id: web.clone(),
            cmd: ["sh", "-c", "echo out; echo err >&2; exit 3"]
                .map(String::from)
                .to_vec(),
            stdout: true,
            stderr: true,
            ..Default::default()
        },
    )
    .expect("Exec");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(url.starts_with(&format!("{stream_base}/exec/")), "{url}");
    let mut ws = Ws::open(&url, "v4.channel.k8s.io").expect("opening the exec URL");
    assert_eq!(ws.protocol, "v4.channel.k8s.io");
    let (all, order) = ws.collect();
    assert_eq!(order[0], (1, 0), "the first message: empty, on stdout");
    assert_eq!(text(&all, 1), "out\n");
    assert_eq!(text(&all, 2), "err\n");
    let status = stream_status(&all);
    assert_eq!(status["status"], "Failure", "{status}");
    assert_eq!(status["reason"], "NonZeroExitCode", "{status}");
    assert_eq!(status["details"]["causes"][0]["reason"], "ExitCode");
    assert_eq!(status["details"]["causes"][0]["message"], "3");
    // A URL is good for one connection.
    let again = Ws::open(&url, "v4.channel.k8s.io");
    assert!(
        matches!(&again, Err(tungstenite::Error::Http(r)) if r.status() == 404),
        "{:?}",
        again.err()
    );

    // Exec over v5 with stdin: cat echoes it, ends when stdin is closed.
    let url = exec_url(
        &c,
        cri::ExecRequest {
            container_id: web.clone(),
            cmd: vec!["cat".to_owned()],
            stdin: true,
            stdout: true,
            ..Default::default()
        },
    )
    .expect("Exec");
    let mut ws = Ws::open(&url, "v5.channel.k8s.io, v4.channel.k8s.io").unwrap();
    assert_eq!(ws.protocol, "v5.channel.k8s.io");
    ws.send(0, b"ping from stdin\n");
    assert_eq!(ws.read_until(1, "\n"), "ping from stdin\n");
    ws.send(255, &[0]);
    let (all, _) = ws.collect();
    assert_eq!(stream_status(&all)["status"], "Success");

    // Exec on a terminal gets the client's first size, sent before the
    // process starts (no further resize).
    let url = exec_url(
        &c,
        cri::ExecRequest {
            container_id: web.clone(),
            // Output before the attach is up can be lost: the size is
            // printed after input from the client.
            cmd: ["sh", "-c", "read x; stty size"].map(String::from).to_vec(),
            tty: true,
            stdin: true,
            stdout: true,
            ..Default::default()
        },
    )
    .expect("Exec");
    let mut ws = Ws::open(&url, "v5.channel.k8s.io").unwrap();
    ws.send(4, br#"{"Width":120,"Height":40}"#);
    ws.send(0, b"go\n");
    let (all, _) = ws.collect();
    assert!(text(&all, 1).ends_with("40 120\r\n"), "{all:?}");
    assert_eq!(stream_status(&all)["status"], "Success");

    // Attach to the terminal: resize, input, output; leaving keeps it up.
    let mut ws = Ws::open(&attach_url(&c, &term, true), "v5.channel.k8s.io").unwrap();
    ws.send(4, br#"{"Width":100,"Height":30}"#);
    ws.send(0, b"echo attached-$((40+2))\n");
    ws.read_until(1, "attached-42");
    // The size goes to the monitor beside the input: ask until the shell's
    // `stty size` answers with it.
    let mut seen = String::new();
    let mut last = String::new();
    for _ in 0..20 {
        ws.send(0, b"stty size\n");
        let before = size_lines(&seen).len();
        while size_lines(&seen).len() == before {
            let (ch, data) = ws.recv().expect("terminal output");
            if ch == 1 {
                seen.push_str(&String::from_utf8_lossy(&data));
            }
        }
        last = size_lines(&seen).pop().unwrap_or_default();
        if last == "30 100" {
            break;
        }
    }
    assert_eq!(last, "30 100", "the terminal size: {seen:?}");
    ws.close();
    assert_eq!(
        container_status(&c, &term).state,
        cri::ContainerState::ContainerRunning as i32,
        "a client leaving an attach leaves the container running"
    );
    // Attached again: `exit` ends the shell, the attach ends with success.
    let mut ws = Ws::open(&attach_url(&c, &term, true), "v5.channel.k8s.io").unwrap();
    ws.send(0, b"exit\n");
    let (all, _) = ws.collect();
    assert_eq!(stream_status(&all)["status"], "Success");
    wait_until(Duration::from_secs(30), "the shell to exit", || {
        container_status(&c, &term).state == cri::ContainerState::ContainerExited as i32
    });

    // The sandbox's DNS configuration in its containers' resolv.conf.
    let resolv = exec(&c, &web, &["cat", "/etc/resolv.conf"], 10).unwrap();
    let resolv = String::from_utf8_lossy(&resolv.stdout);
    for want in [
        "nameserver 10.85.0.53",
        "search cri.example",
        "options ndots:3",
    ] {
        assert!(resolv.lines().any(|l| l == want), "{want} in {resolv}");
    }

    // List filters: state, id prefix; verbose statuses carry the inspect
    // JSON; UpdateContainerResources reaches the container.
    let listed = |filter: cri::ContainerFilter| -> Vec<String> {
        c.call(c.rs().list_containers(cri::ListContainersRequest {
            filter: Some(filter),
        }))
        .unwrap()
        .containers
        .into_iter()
        .map(|c| c.id)
        .collect()
    };
    let exited = cri::ContainerStateValue {
        state: cri::ContainerState::ContainerExited as i32,
    };
    assert_eq!(
        listed(cri::ContainerFilter {
            state: Some(exited),
            ..Default::default()
        }),
        vec![term.clone()]
    );
    assert_eq!(
        listed(cri::ContainerFilter {
            id: web[..12].to_owned(),
            ..Default::default()
        }),
        vec![web.clone()]
    );
    let sandboxes = |state: cri::PodSandboxState| {
        c.call(c.rs().list_pod_sandbox(cri::ListPodSandboxRequest {
            filter: Some(cri::PodSandboxFilter {
                state: Some(cri::PodSandboxStateValue {
                    state: state as i32,
                }),
                ..Default::default()
            }),
        }))
        .unwrap()
        .items
        .len()
    };
    assert_eq!(sandboxes(cri::PodSandboxState::SandboxReady), 1);
    assert_eq!(sandboxes(cri::PodSandboxState::SandboxNotready), 0);
    let info = c
        .call(c.rs().container_status(cri::ContainerStatusRequest {
            container_id: web.clone(),
            verbose: true,
        }))
        .unwrap()
        .info;
    let inspect: serde_json::Value = serde_json::from_str(&info["info"]).unwrap();
    assert_eq!(inspect["Id"], web.as_str());
    let info = c
        .call(c.rs().pod_sandbox_status(cri::PodSandboxStatusRequest {
            pod_sandbox_id: sb.clone(),
            verbose: true,
        }))
        .unwrap()
        .info;
    let inspect: serde_json::Value = serde_json::from_str(&info["info"]).unwrap();
    assert_eq!(inspect["Id"], sb.as_str());
    c.call(
        c.rs()
            .update_container_resources(cri::UpdateContainerResourcesRequest {
                container_id: web.clone(),
                linux: Some(cri::LinuxContainerResources {
                    memory_limit_in_bytes: 64 << 20,
                    ..Default::default()
                }),
                ..Default::default()
            }),
    )
    .expect("UpdateContainerResources");
    let memory = w
        .env
        .ok(&["inspect", "--format", "{{.HostConfig.Memory}}", &web]);
    assert_eq!(memory.trim(), (64u64 << 20).to_string());

    // The sandbox's port mapping publishes it on the host.
    wait_until(Duration::from_secs(30), "the mapped host port", || {
        common::net::http_get(host_port).contains("pf-ok")
    });

    // PortForward: 8080 inside the sandbox's network namespace.
    let url = c
        .call(c.rs().port_forward(cri::PortForwardRequest {
            pod_sandbox_id: sb.clone(),
            port: vec![8080],
        }))
        .expect("PortForward")
        .url;
    let mut ws = Ws::open(&format!("{url}?port=8080"), "v4.channel.k8s.io").unwrap();
    assert_eq!(ws.recv(), Some((0, 8080u16.to_le_bytes().to_vec())));
    assert_eq!(ws.recv(), Some((1, 8080u16.to_le_bytes().to_vec())));
    ws.send(0, b"GET /index.html HTTP/1.0\r\n\r\n");
    let (all, _) = ws.collect();
    let reply = text(&all, 0);
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    assert!(reply.ends_with("pf-ok\n"), "{reply}");
    assert_eq!(text(&all, 1), "", "no error");
    // A port nothing listens on: the reason on the error channel.
    let url = c
        .call(c.rs().port_forward(cri::PortForwardRequest {
            pod_sandbox_id: sb.clone(),
            port: vec![9],
        }))
        .unwrap()
        .url;
    let mut ws = Ws::open(&url, "v4.channel.k8s.io").unwrap();
    let (all, _) = ws.collect();
    let err = text(&all, 1);
    assert!(err.contains("error forwarding port 9 to pod"), "{err}");

    // Bad input: statuses as the kubelet's streaming library answers them,
    // SPDY and unknown subprotocols refused.
    let exec_true = |tty: bool, stdout: bool, stderr: bool| cri::ExecRequest {
        container_id: web.clone(),
        cmd: vec!["true".into()],
        tty,
        stdout,
        stderr,
        ..Default::default()
    };
    for (what, req) in [
        ("tty and stderr", exec_true(true, true, true)),
        ("no stream", exec_true(false, false, false)),
    ] {
        let e = exec_url(&c, req).expect_err(what);
        assert_eq!(e.code(), tonic::Code::InvalidArgument, "{what}: {e:?}");
    }
    assert_eq!(
        code(c.call(c.rs().port_forward(cri::PortForwardRequest {
            pod_sandbox_id: "0123456789abcdef".into(),
            port: vec![80],
        }))),
        tonic::Code::NotFound
    );
    let ok_req = exec_true(false, true, false);
    let url = exec_url(&c, ok_req.clone()).unwrap();
    let line = spdy_upgrade_status(&url);
    assert!(line.contains(" 400 "), "a SPDY upgrade is refused: {line}");
    let url = exec_url(&c, ok_req).unwrap();
    let refused = Ws::open(&url, "channel.k8s.io");
    assert!(
        matches!(&refused, Err(tungstenite::Error::Http(r)) if r.status() == 400),
        "{:?}",
        refused.err()
    );
    assert_eq!(
        code(c.call(c.rs().attach(cri::AttachRequest {
            container_id: term.clone(),
            stdout: true,
            ..Default::default()
        }))),
        tonic::Code::Unknown,
        "attach to an exited container"
    );
}

/// Removes the cgroup directories named `rel` in every hierarchy (the
/// kubelet's pod cgroup the test stands in for); dropped after the pods.
struct CgroupGuard(String);

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        for h in std::fs::read_dir("/sys/fs/cgroup")
            .into_iter()
            .flatten()
            .flatten()
        {
            let _ = std::fs::remove_dir(h.path().join(self.0.trim_start_matches('/')));
        }
    }
}

/// A capability bit of a `Cap*:` line of /proc/self/status.
fn has_cap(status: &str, line: &str, bit: u32) -> bool {
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix(line))
        .unwrap_or_else(|| panic!("no {line} in {status}"))
        .trim();
    (u64::from_str_radix(hex, 16).unwrap() >> bit) & 1 == 1
}

/// A container sleeping under security context `sc`.
fn secured(
    name: &str,
    image: &str,
    sc: cri::LinuxContainerSecurityContext,
) -> cri::ContainerConfig {
    cri::ContainerConfig {
        linux: Some(cri::LinuxContainerConfig {
            security_context: Some(sc),
            ..Default::default()
        }),
        ..container_config(name, image, "sleep 1000", &format!("{name}/0.log"))
    }
}

fn seccomp(kind: cri::security_profile::ProfileType) -> Option<cri::SecurityProfile> {
    Some(cri::SecurityProfile {
        profile_type: kind as i32,
        localhost_ref: String::new(),
    })
}

#[test]
fn security_context_and_cgroup_parent_apply() {
    let parent = format!("/{}", unique_name("cripods"));
    let _cgroups = CgroupGuard(parent.clone());
    let mut w = world(&["busybox"]);
    let image = w.images[0].clone();
    let (_server, c, network) = serve_on_own_network(&mut w, &image);
    let _guard = Guard::new(&w.env, &network);
    let log_dir = w.env.dir().join("pod-logs");
    let mut config = sandbox_config("secure", &log_dir);
    config.linux.as_mut().unwrap().cgroup_parent = parent.clone();
    // Privileged containers need a privileged sandbox (CRI-O's rule).
    config
        .linux
        .as_mut()
        .unwrap()
        .security_context
        .as_mut()
        .unwrap()
        .privileged = true;
    let sb = c
        .call(c.rs().run_pod_sandbox(cri::RunPodSandboxRequest {
            config: Some(config.clone()),
            runtime_handler: String::new(),
        }))
        .expect("RunPodSandbox")
        .pod_sandbox_id;
    let mut slice = config;
    slice.metadata.as_mut().unwrap().name = "sliced".into();
    slice.linux.as_mut().unwrap().cgroup_parent = "kubepods-pod1.slice".into();
    assert_eq!(
        code(c.call(c.rs().run_pod_sandbox(cri::RunPodSandboxRequest {
            config: Some(slice),
            runtime_handler: String::new(),
        }))),
        tonic::Code::InvalidArgument
    );

    // NET_RAW is bit 13, SYS_TIME 25, SYS_ADMIN 21.
    let limited = secured(
        "limited",
        &image,
        cri::LinuxContainerSecurityContext {
            capabilities: Some(cri::Capability {
                add_capabilities: vec!["SYS_TIME".into()],
                drop_capabilities: vec!["NET_RAW".into()],
                ..Default::default()
            }),
            run_as_user: Some(cri::Int64Value { value: 1000 }),
            run_as_group: Some(cri::Int64Value { value: 1001 }),
            readonly_rootfs: true,
            no_new_privs: true,
            seccomp: seccomp(cri::security_profile::ProfileType::RuntimeDefault),
            masked_paths: vec!["/proc/cmdline".into()],
            readonly_paths: vec!["/tmp".into()],
            ..Default::default()
        },
    );
    let privileged = secured(
        "privileged",
        &image,
        cri::LinuxContainerSecurityContext {
            privileged: true,
            seccomp: seccomp(cri::security_profile::ProfileType::Unconfined),
            ..Default::default()
        },
    );
    // A device the kubelet's device plugin would hand over, at its own
    // path (its cgroup rule adds nothing here: /dev/zero is allowed to
    // every container).
    let limited = cri::ContainerConfig {
        devices: vec![cri::Device {
            container_path: "/dev/czero".into(),
            host_path: "/dev/zero".into(),
            permissions: "r".into(),
        }],
        ..limited
    };
    let limited = create_container(&c, &sb, "limited", limited);
    let privileged = create_container(&c, &sb, "privileged", privileged);
    for id in [&limited, &privileged] {
        c.call(c.rs().start_container(cri::StartContainerRequest {
            container_id: id.to_string(),
        }))
        .expect("StartContainer");
    }
    let out = |id: &str, cmd: &[&str]| {
        let r = exec(&c, id, cmd, 10).unwrap();
        (r.exit_code, String::from_utf8_lossy(&r.stdout).into_owned())
    };

    // The limited one: its user, read-only root, capabilities, seccomp.
    assert_eq!(out(&limited, &["id", "-u"]), (0, "1000\n".to_owned()));
    assert_eq!(out(&limited, &["id", "-g"]), (0, "1001\n".to_owned()));
    let (_, mounts) = out(&limited, &["cat", "/proc/self/mounts"]);
    let root = mounts
        .lines()
        .find(|l| l.split(' ').nth(1) == Some("/"))
        .unwrap_or_else(|| panic!("{mounts}"));
    assert!(
        root.split(' ')
            .nth(3)
            .is_some_and(|o| o.split(',').any(|o| o == "ro")),
        "the root filesystem is read-only: {root}"
    );
    let (_, status) = out(&limited, &["cat", "/proc/self/status"]);
    assert!(has_cap(&status, "CapBnd:", 25), "SYS_TIME added: {status}");
    assert!(
        !has_cap(&status, "CapBnd:", 13),
        "NET_RAW dropped: {status}"
    );
    assert!(!has_cap(&status, "CapBnd:", 21), "no SYS_ADMIN: {status}");
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    assert!(
        status.contains("Seccomp:\t2"),
        "the default profile: {status}"
    );
    // The kubelet's masked path reads empty, its read-only path is so (the
    // read-only root's /tmp tmpfs is writable otherwise).
    assert_eq!(out(&limited, &["cat", "/proc/cmdline"]), (0, String::new()));
    assert_eq!(
        out(&limited, &["sh", "-c", "head -c 5 /dev/czero | wc -c"]),
        (0, "5\n".to_owned())
    );
    assert!(!std::fs::read_to_string("/proc/cmdline").unwrap().is_empty());
    assert_ne!(out(&limited, &["touch", "/tmp/x"]).0, 0);
    assert_eq!(out(&limited, &["touch", "/var/tmp/x"]).0, 0);

    // The privileged one: every capability, no seccomp filter.
    let (_, status) = out(&privileged, &["cat", "/proc/self/status"]);
    assert!(has_cap(&status, "CapEff:", 21), "SYS_ADMIN: {status}");
    assert!(status.contains("Seccomp:\t0"), "unconfined: {status}");
    assert_eq!(out(&privileged, &["touch", "/written"]).0, 0);

    // Both containers' cgroups are below the sandbox's cgroup parent.
    for id in [&limited, &privileged] {
        let pid = w.env.ok(&["inspect", "--format", "{{.State.Pid}}", id]);
        let cgroups = std::fs::read_to_string(format!("/proc/{}/cgroup", pid.trim())).unwrap();
        let memory = cgroups
            .lines()
            .find(|l| l.contains(":memory:"))
            .unwrap_or_else(|| panic!("{cgroups}"));
        assert!(
            memory.ends_with(&format!(":{parent}/{id}")),
            "{memory} below {parent}"
        );
        let shown = w
            .env
            .ok(&["inspect", "--format", "{{.HostConfig.CgroupParent}}", id]);
        assert_eq!(shown.trim(), parent);
    }
    c.call(
        c.rs()
            .remove_pod_sandbox(cri::RemovePodSandboxRequest { pod_sandbox_id: sb }),
    )
    .expect("RemovePodSandbox");
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
}

/// `PullImage` with credentials, from a registry whose token server grants
/// nothing to anonymous clients: refused without them, pulled with the
/// user name and password, and with them base64-encoded in `auth`.
#[test]
fn pull_image_with_credentials() {
    const USER: &str = "criuser";
    const PASSWORD: &str = "cri-Pa55";
    let tokens = bearer_util::TokenServer::start(USER, PASSWORD);
    let registry = rpod_tests::Registry::start_with_config(&tokens.registry_yaml());
    let env = TestEnv::with_registry(&registry);
    let image = format!("{}/team/busybox:v1", registry.addr());
    let layout = rpod_tests::fixtures::layout("busybox");
    let mut copy = std::process::Command::new("skopeo");
    copy.args([
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        "--dest-creds",
        &format!("{USER}:{PASSWORD}"),
        &format!("oci:{}:latest", layout.display()),
        &format!("docker://{image}"),
    ]);
    let out = rpod_tests::run_with_timeout(&mut copy, Duration::from_secs(60));
    assert!(out.status.success(), "{out:?}");
    let sock = env.dir().join("cri.sock");
    let _server = CriServer::start(&env, &sock, &[]);
    let c = Client::connect(&sock);
    let pull = |auth: Option<cri::AuthConfig>| {
        c.call(c.is().pull_image(cri::PullImageRequest {
            image: Some(cri::ImageSpec {
                image: image.clone(),
                ..Default::default()
            }),
            auth,
            sandbox_config: None,
        }))
    };
    let refused = pull(None).expect_err("an anonymous pull");
    assert!(refused.message().contains("unauthorized"), "{refused:?}");
    assert_eq!(env.ok(&["images", "-q"]), "");
    let by_name = pull(Some(cri::AuthConfig {
        username: USER.into(),
        password: PASSWORD.into(),
        ..Default::default()
    }))
    .expect("PullImage with a user name and password")
    .image_ref;
    assert!(env.ok(&["images", "-q", "--no-trunc"]).contains(&by_name));
    env.ok(&["rmi", &image]);
    let basic = bearer_util::b64(
        format!("{USER}:{PASSWORD}").as_bytes(),
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        true,
    );
    let by_auth = pull(Some(cri::AuthConfig {
        auth: basic,
        ..Default::default()
    }))
    .expect("PullImage with base64 credentials in auth")
    .image_ref;
    assert_eq!(by_auth, by_name);
}

/// The infra container's pid.
fn infra_pid(env: &TestEnv, sandbox: &str) -> String {
    let infra = env.ok(&[
        "pod",
        "inspect",
        "--format",
        "{{.InfraContainerID}}",
        sandbox,
    ]);
    env.ok(&["inspect", "--format", "{{.State.Pid}}", infra.trim()])
        .trim()
        .to_owned()
}

/// The value of `key:` in a /proc status text.
fn status_field<'a>(status: &'a str, key: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in {status}"))
        .trim()
}

/// A sandbox's security context runs its infra process (user, groups,
/// read-only root, seccomp), its sysctls reach the namespaces its
/// containers share, its resources and overhead limit the pod's cgroup,
/// a privileged container is refused in it, and bad sysctls are refused.
#[test]
fn sandbox_security_context_sysctls_and_limits() {
    let mut w = world(&["busybox"]);
    let image = w.images[0].clone();
    let (_server, c, network) = serve_on_own_network(&mut w, &image);
    let _guard = Guard::new(&w.env, &network);
    let log_dir = w.env.dir().join("pod-logs");
    let mut config = sandbox_config("guarded", &log_dir);
    {
        let linux = config.linux.as_mut().unwrap();
        let sc = linux.security_context.as_mut().unwrap();
        sc.run_as_user = Some(cri::Int64Value { value: 1000 });
        sc.run_as_group = Some(cri::Int64Value { value: 1001 });
        sc.supplemental_groups = vec![5000];
        sc.readonly_rootfs = true;
        sc.seccomp = seccomp(cri::security_profile::ProfileType::RuntimeDefault);
        linux.sysctls = [
            ("net.ipv4.tcp_keepalive_time".to_owned(), "1234".to_owned()),
            ("kernel.shmmni".to_owned(), "1234".to_owned()),
        ]
        .into();
        let limits = |memory: i64, quota: i64| cri::LinuxContainerResources {
            memory_limit_in_bytes: memory,
            cpu_period: 100_000,
            cpu_quota: quota,
            ..Default::default()
        };
        linux.resources = Some(limits(256 << 20, 50_000));
        linux.overhead = Some(limits(16 << 20, 10_000));
    }
    let run = |config: cri::PodSandboxConfig| {
        c.call(c.rs().run_pod_sandbox(cri::RunPodSandboxRequest {
            config: Some(config),
            runtime_handler: String::new(),
        }))
    };
    let sb = run(config.clone()).expect("RunPodSandbox").pod_sandbox_id;

    // The sandbox process: its user, groups, seccomp filter, read-only root.
    let pid = infra_pid(&w.env, &sb);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(
        status_field(&status, "Uid:").starts_with("1000\t"),
        "{status}"
    );
    assert!(
        status_field(&status, "Gid:").starts_with("1001\t"),
        "{status}"
    );
    assert!(
        status_field(&status, "Groups:")
            .split_whitespace()
            .any(|g| g == "5000"),
        "{status}"
    );
    assert_eq!(status_field(&status, "Seccomp:"), "2", "{status}");
    let mounts = std::fs::read_to_string(format!("/proc/{pid}/mounts")).unwrap();
    let root = mounts
        .lines()
        .find(|l| l.split(' ').nth(1) == Some("/"))
        .unwrap_or_else(|| panic!("{mounts}"));
    assert!(
        root.split(' ')
            .nth(3)
            .is_some_and(|o| o.split(',').any(|o| o == "ro")),
        "the infra root filesystem is read-only: {root}"
    );

    // Container events from here on.
    let mut events = c
        .call(c.rs().get_container_events(cri::GetEventsRequest {}))
        .expect("GetContainerEvents");

    // A container of the sandbox sees the sysctls through the shared
    // network and IPC namespaces, and keeps its own user.
    let app = create_container(
        &c,
        &sb,
        "app",
        container_config("app", &image, "sleep 1000", "app/0.log"),
    );
    c.call(c.rs().start_container(cri::StartContainerRequest {
        container_id: app.clone(),
    }))
    .expect("StartContainer");
    let out = |cmd: &[&str]| {
        let r = exec(&c, &app, cmd, 10).unwrap();
        assert_eq!(r.exit_code, 0, "{cmd:?}: {r:?}");
        String::from_utf8_lossy(&r.stdout).trim().to_owned()
    };
    assert_eq!(
        out(&["cat", "/proc/sys/net/ipv4/tcp_keepalive_time"]),
        "1234"
    );
    assert_eq!(out(&["cat", "/proc/sys/kernel/shmmni"]), "1234");
    assert_eq!(out(&["id", "-u"]), "0");
    // Its created and started events, with the sandbox's status and its.
    for want in [
        cri::ContainerEventType::ContainerCreatedEvent,
        cri::ContainerEventType::ContainerStartedEvent,
    ] {
        let e = next_event_of(&c, &mut events, &app);
        assert_eq!(e.container_event_type, want as i32, "{e:?}");
        assert!(e.created_at > 0);
        assert_eq!(
            e.pod_sandbox_status.as_ref().map(|s| s.id.as_str()),
            Some(sb.as_str())
        );
        assert!(e.containers_statuses.iter().any(|s| s.id == app), "{e:?}");
    }
    // The host's values are untouched.
    assert_ne!(
        std::fs::read_to_string("/proc/sys/kernel/shmmni")
            .unwrap()
            .trim(),
        "1234"
    );

    // The pod's cgroup, the container's parent, holds resources + overhead.
    let pod_cgroup = format!("/sys/fs/cgroup/memory/rpod/pod-{sb}");
    let limit = std::fs::read_to_string(format!("{pod_cgroup}/memory.limit_in_bytes")).unwrap();
    assert_eq!(limit.trim(), (272u64 << 20).to_string());
    let quota =
        std::fs::read_to_string(format!("/sys/fs/cgroup/cpu/rpod/pod-{sb}/cpu.cfs_quota_us"))
            .unwrap();
    assert_eq!(quota.trim(), "60000");
    let app_pid = w.env.ok(&["inspect", "--format", "{{.State.Pid}}", &app]);
    let cgroups = std::fs::read_to_string(format!("/proc/{}/cgroup", app_pid.trim())).unwrap();
    assert!(
        cgroups
            .lines()
            .any(|l| l.contains(":memory:") && l.ends_with(&format!("/rpod/pod-{sb}/{app}"))),
        "{cgroups}"
    );

    // A privileged container in this unprivileged sandbox: CRI-O's refusal.
    let privileged = secured(
        "privileged",
        &image,
        cri::LinuxContainerSecurityContext {
            privileged: true,
            ..Default::default()
        },
    );
    let refused = c
        .call(c.rs().create_container(cri::CreateContainerRequest {
            pod_sandbox_id: sb.clone(),
            config: Some(privileged),
            sandbox_config: None,
        }))
        .expect_err("a privileged container in an unprivileged sandbox");
    assert_eq!(refused.code(), tonic::Code::Unknown);
    assert_eq!(
        refused.message(),
        "no privileged container allowed in sandbox"
    );

    // Sysctls the kernel does not keep per namespace, or of a namespace
    // shared with the host: INVALID_ARGUMENT, nothing created.
    let pods_before = w.env.ok(&["pod", "ps", "-q"]);
    let mut bad = config.clone();
    bad.metadata.as_mut().unwrap().name = "global".into();
    bad.linux.as_mut().unwrap().sysctls =
        [("kernel.pid_max".to_owned(), "65536".to_owned())].into();
    let e = run(bad.clone()).expect_err("a sysctl of no namespace");
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(
        e.message().contains("kernel.pid_max not whitelisted"),
        "{}",
        e.message()
    );
    let linux = bad.linux.as_mut().unwrap();
    linux.sysctls = [("net.ipv4.tcp_keepalive_time".to_owned(), "99".to_owned())].into();
    linux
        .security_context
        .as_mut()
        .unwrap()
        .namespace_options
        .as_mut()
        .unwrap()
        .network = cri::NamespaceMode::Node as i32;
    assert_eq!(code(run(bad)), tonic::Code::InvalidArgument);
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]), pods_before);

    c.call(
        c.rs()
            .remove_pod_sandbox(cri::RemovePodSandboxRequest { pod_sandbox_id: sb }),
    )
    .expect("RemovePodSandbox");
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
    // The container stopped, then was removed with its sandbox.
    for want in [
        cri::ContainerEventType::ContainerStoppedEvent,
        cri::ContainerEventType::ContainerDeletedEvent,
    ] {
        let e = next_event_of(&c, &mut events, &app);
        assert_eq!(e.container_event_type, want as i32, "{e:?}");
    }
}

/// The next CRI container event about container `id`.
fn next_event_of(
    c: &Client,
    events: &mut tonic::Streaming<cri::ContainerEventResponse>,
    id: &str,
) -> cri::ContainerEventResponse {
    loop {
        let e = c
            .next(events, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("no further event of {id}"));
        if e.container_id == id {
            return e;
        }
    }
}

/// The kubelet's `userns_options` in mode POD (a pod with `hostUsers:
/// false`): the sandbox's infra container and its containers run in one
/// user namespace with the kubelet's mappings.
#[test]
fn sandbox_user_namespace_from_the_kubelet() {
    let mut w = world(&["busybox"]);
    let image = w.images[0].clone();
    let (_server, c, network) = serve_on_own_network(&mut w, &image);
    let _guard = Guard::new(&w.env, &network);
    // Host ids of this test's own, apart from other tests' (slot-based).
    let host = 3_000_000 + u32::from(slot(&w.env)) * 65_536;
    let log_dir = w.env.dir().join("pod-logs");
    let mut config = sandbox_config("mapped", &log_dir);
    let id = |h: u32| cri::IdMapping {
        container_id: 0,
        host_id: h,
        length: 65_536,
    };
    config
        .linux
        .as_mut()
        .unwrap()
        .security_context
        .as_mut()
        .unwrap()
        .namespace_options
        .as_mut()
        .unwrap()
        .userns_options = Some(cri::UserNamespace {
        mode: cri::NamespaceMode::Pod as i32,
        uids: vec![id(host)],
        gids: vec![id(host)],
    });
    let sb = c
        .call(c.rs().run_pod_sandbox(cri::RunPodSandboxRequest {
            config: Some(config),
            runtime_handler: String::new(),
        }))
        .expect("RunPodSandbox")
        .pod_sandbox_id;
    let want = format!("0 {host} 65536");
    let pid = infra_pid(&w.env, &sb);
    let map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
    assert_eq!(
        map.split_whitespace().collect::<Vec<_>>().join(" "),
        want,
        "the infra container's uid map"
    );

    let app = create_container(
        &c,
        &sb,
        "app",
        container_config("app", &image, "sleep 1000", "app/0.log"),
    );
    c.call(c.rs().start_container(cri::StartContainerRequest {
        container_id: app.clone(),
    }))
    .expect("StartContainer");
    let r = exec(
        &c,
        &app,
        &["cat", "/proc/self/uid_map", "/proc/self/gid_map"],
        10,
    )
    .unwrap();
    assert_eq!(r.exit_code, 0, "{r:?}");
    let maps = String::from_utf8_lossy(&r.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(maps, format!("{want} {want}"));
    let r = exec(&c, &app, &["id", "-u"], 10).unwrap();
    assert_eq!(String::from_utf8_lossy(&r.stdout).trim(), "0");
    // Root inside is the first mapped id outside.
    let app_pid = w.env.ok(&["inspect", "--format", "{{.State.Pid}}", &app]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", app_pid.trim())).unwrap();
    assert!(
        status_field(&status, "Uid:").starts_with(&format!("{host}\t")),
        "{status}"
    );
    // The sandbox's namespace is the same user namespace.
    let ns = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/user")).unwrap();
    assert_eq!(ns(&pid), ns(app_pid.trim()));

    c.call(
        c.rs()
            .remove_pod_sandbox(cri::RemovePodSandboxRequest { pod_sandbox_id: sb }),
    )
    .expect("RemovePodSandbox");
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
}
