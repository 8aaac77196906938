//! `kube generate`, `kube play`, `kube down` end to end: the round trip
//! of a pod with two containers, a named volume and a published port;
//! ConfigMaps and Secrets as environment and files; init containers and
//! liveness probes; `--replace`; bad YAML that creates nothing. Every YAML
//! `kube generate` writes here validates against the Kubernetes 1.33
//! schema with `kubernetes-validate` (PyPI).

mod common;

use std::time::Duration;

use common::busybox;
use common::kube::{nothing_left, pod_ports, PodGuard};
use common::net::{free_port, http_get};
use rpod_tests::{unique_name, wait_until, TestEnv};

/// The Kubernetes version the generated YAML is checked against (the
/// k8s-openapi feature the engine is built with).
const KUBE_VERSION: &str = "1.33.0";

/// `kubernetes-validate --strict` of the YAML file.
fn validate(path: &std::path::Path) {
    let out = std::process::Command::new("kubernetes-validate")
        .args(["--strict", "-k", KUBE_VERSION])
        .arg(path)
        .output()
        .expect("kubernetes-validate (pip install kubernetes-validate; packaging/install-deps.sh)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{}: {text}\n{}",
        path.display(),
        std::fs::read_to_string(path).unwrap_or_default()
    );
    assert!(!text.contains("ERROR"), "{text}");
}

fn write(env: &TestEnv, name: &str, text: &str) -> String {
    let p = env.dir().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn generate_rm_play_down_round_trip() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let pod = unique_name("kpod");
    let vol = unique_name("kvol");
    let port = free_port();
    env.ok(&[
        "pod",
        "create",
        "--name",
        &pod,
        "--network",
        "podman",
        "-p",
        &format!("127.0.0.1:{port}:80"),
    ]);
    env.ok(&["volume", "create", &vol]);
    let web = format!("{pod}-web");
    env.ok(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--name",
        &web,
        "-v",
        &format!("{vol}:/www"),
        &img,
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ]);
    env.ok(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--name",
        &format!("{pod}-side"),
        &img,
        "sleep",
        "1000",
    ]);
    env.ok(&[
        "exec",
        &web,
        "sh",
        "-c",
        "echo kube-round-trip > /www/index.html",
    ]);
    wait_until(Duration::from_secs(20), "httpd answers", || {
        http_get(port).contains("kube-round-trip")
    });

    let yaml_path = env.dir().join("pod.yaml");
    env.ok(&["kube", "generate", "-f", &yaml_path.to_string_lossy(), &pod]);
    let yaml = std::fs::read_to_string(&yaml_path).unwrap();
    assert!(yaml.contains(&format!("claimName: {vol}")), "{yaml}");
    assert!(yaml.contains(&format!("hostPort: {port}")), "{yaml}");
    validate(&yaml_path);
    // -f refuses to overwrite.
    let (code, err) = env.fails(&["kube", "generate", "-f", &yaml_path.to_string_lossy(), &pod]);
    assert_eq!(code, 125);
    assert!(err.contains("file exists"), "{err}");

    env.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    assert!(http_get(port).is_empty());

    let out = env.ok(&[
        "kube",
        "play",
        "--network",
        "podman",
        &yaml_path.to_string_lossy(),
    ]);
    assert!(out.starts_with("Pod:\n"), "{out}");
    assert!(out.contains("Containers:\n"), "{out}");
    wait_until(Duration::from_secs(20), "the played pod answers", || {
        http_get(port).contains("kube-round-trip")
    });
    // Playing it again: the pod exists.
    let (code, err) = env.fails(&[
        "kube",
        "play",
        "--network",
        "podman",
        &yaml_path.to_string_lossy(),
    ]);
    assert_eq!(code, 125, "{err}");

    let out = env.ok(&["kube", "down", "--force", &yaml_path.to_string_lossy()]);
    assert!(out.starts_with("Pods stopped:\n"), "{out}");
    assert!(out.contains(&format!("Volumes removed:\n{vol}")), "{out}");
    nothing_left(env);
    assert_eq!(env.ok(&["volume", "ls", "-q"]).trim(), "");
    assert!(http_get(port).is_empty());
}

const APP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: @CM@
data:
  color: blue
  app.conf: "mode=fast\n"
---
apiVersion: v1
kind: Secret
metadata:
  name: @SEC@
stringData:
  password: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: @DEP@
spec:
  replicas: 2
  selector:
    matchLabels:
      app: @DEP@
  template:
    metadata:
      labels:
        app: @DEP@
    spec:
      initContainers:
      - name: init
        image: @IMG@
        command: ["sh", "-c", "echo init-ran > /shared/init"]
        volumeMounts:
        - name: shared
          mountPath: /shared
      containers:
      - name: app
        image: @IMG@
        command: ["sh", "-c"]
        args: ["echo @VERSION@; sleep 1000"]
        workingDir: /tmp
        env:
        - name: COLOR
          valueFrom:
            configMapKeyRef:
              name: @CM@
              key: color
        - name: PASSWORD
          valueFrom:
            secretKeyRef:
              name: @SEC@
              key: password
        envFrom:
        - configMapRef:
            name: @CM@
          prefix: CM_
        livenessProbe:
          exec:
            command: ["true"]
          periodSeconds: 30
        volumeMounts:
        - name: conf
          mountPath: /etc/app
        - name: secret
          mountPath: /etc/secret
          readOnly: true
        - name: shared
          mountPath: /shared
        - name: scratch
          mountPath: /scratch
      volumes:
      - name: conf
        configMap:
          name: @CM@
      - name: secret
        secret:
          secretName: @SEC@
      - name: shared
        hostPath:
          path: @SHARED@
          type: DirectoryOrCreate
      - name: scratch
        emptyDir: {}
"#;

fn app_yaml(env: &TestEnv, img: &str, dep: &str, cm: &str, sec: &str, version: &str) -> String {
    APP.replace("@SHARED@", &env.dir().join("shared").to_string_lossy())
        .replace("@IMG@", img)
        .replace("@DEP@", dep)
        .replace("@CM@", cm)
        .replace("@SEC@", sec)
        .replace("@VERSION@", version)
}

#[test]
fn deployment_with_configmap_secret_init_container_and_probe() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let dep = unique_name("kdep");
    let cm = unique_name("kcm");
    let sec = unique_name("ksec");
    let path = write(env, "app.yaml", &app_yaml(env, &img, &dep, &cm, &sec, "v1"));
    let out = env.run(&["kube", "play", "--network", "none", &path]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("Limiting replica count to 1"), "{stderr}");
    assert!(stdout.starts_with("Secrets:\n"), "{stdout}");
    let pod = format!("{dep}-pod");
    let app = format!("{pod}-app");
    wait_until(Duration::from_secs(20), "the app logs", || {
        env.ok(&["logs", &app]).contains("v1")
    });
    let env_out = env.ok(&["exec", &app, "env"]);
    assert!(env_out.contains("COLOR=blue"), "{env_out}");
    assert!(env_out.contains("PASSWORD=hunter2"), "{env_out}");
    assert!(env_out.contains("CM_color=blue"), "{env_out}");
    assert_eq!(
        env.ok(&["exec", &app, "cat", "/etc/app/app.conf"]),
        "mode=fast\n"
    );
    assert_eq!(
        env.ok(&["exec", &app, "cat", "/etc/secret/password"]),
        "hunter2"
    );
    assert_eq!(env.ok(&["exec", &app, "cat", "/shared/init"]), "init-ran\n");
    assert_eq!(env.ok(&["exec", &app, "pwd"]).trim(), "/tmp");
    env.ok(&["exec", &app, "touch", "/scratch/f"]);
    let hc = env.ok(&[
        "inspect",
        "--format",
        "{{.Config.Healthcheck.Test}} {{.Config.HealthcheckOnFailureAction}}",
        &app,
    ]);
    assert_eq!(hc.trim(), "[CMD true] restart");

    // --replace swaps it for the new version.
    let path2 = write(
        env,
        "app2.yaml",
        &app_yaml(env, &img, &dep, &cm, &sec, "v2"),
    );
    env.ok(&["kube", "play", "--replace", "--network", "none", &path2]);
    wait_until(Duration::from_secs(20), "the new app logs", || {
        env.ok(&["logs", &app]).contains("v2")
    });
    assert_eq!(env.ok(&["pod", "ps", "-q"]).lines().count(), 1);

    let out = env.ok(&["kube", "down", "--force", &path2]);
    assert!(out.contains("Secrets removed:\n"), "{out}");
    nothing_left(env);
    assert_eq!(env.ok(&["secret", "ls", "-q"]).trim(), "");
    assert_eq!(env.ok(&["volume", "ls", "-q"]).trim(), "");
}

#[test]
fn start_false_and_publish_and_restart_policy() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let pod = unique_name("kst");
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\nspec:\n  restartPolicy: OnFailure\n  containers:\n  - name: c\n    image: {img}\n    command: [\"sleep\", \"1000\"]\n    ports:\n    - containerPort: 80\n"
    );
    let path = write(env, "p.yaml", &yaml);
    let port = free_port();
    env.ok(&[
        "kube",
        "play",
        "--start=false",
        "--network",
        "podman",
        "--publish",
        &format!("127.0.0.1:{port}:80"),
        &path,
    ]);
    let ctr = format!("{pod}-c");
    let state = env.ok(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{.HostConfig.RestartPolicy.Name}}",
        &ctr,
    ]);
    assert_eq!(state.trim(), "created on-failure");
    let ports = pod_ports(env, &pod);
    assert!(ports.contains(&port.to_string()), "{ports}");
    env.ok(&["kube", "down", &path]);
    nothing_left(env);
}

#[test]
fn bad_yaml_gives_one_line_errors_and_creates_nothing() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let cases = [
        ("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n".to_owned(),
         "YAML document does not contain any supported kube kind"),
        (format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {}\nstringData:\n  k: v\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\nspec:\n  containers:\n  - name: c\n", unique_name("s")),
         "container \"c\" of pod \"p1\" has no image"),
        (format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p2\nspec:\n  containers:\n  - name: c\n    image: {img}\n    ports:\n    - containerPort: 99999\n", unique_name("v")),
         "invalid containerPort 99999"),
        ("kind: Pod\napiVersion: v1\nmetadata:\n  name: p3\nspec:\n  containers: {}\n".to_owned(),
         "unable to read YAML as Kube Pod"),
        ("a: [\n".to_owned(), "multi doc yaml could not be split"),
    ];
    for (i, (yaml, want)) in cases.iter().enumerate() {
        let path = write(env, &format!("bad{i}.yaml"), yaml);
        let (code, err) = env.fails(&["kube", "play", "--network", "none", &path]);
        assert_eq!(code, 125, "{err}");
        assert!(err.contains(want), "{want}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        nothing_left(env);
        assert_eq!(env.ok(&["volume", "ls", "-q"]).trim(), "");
        assert_eq!(env.ok(&["secret", "ls", "-q"]).trim(), "");
    }
}

#[test]
fn generate_container_kinds_service_and_pvc_validate() {
    let (w, img) = busybox();
    let env = &w.env;
    let ctr = unique_name("kgen");
    let vol = unique_name("kgvol");
    let port = free_port();
    env.ok(&["volume", "create", &vol]);
    env.ok(&[
        "create",
        "--name",
        &ctr,
        "--network",
        "podman",
        "-p",
        &format!("{port}:80"),
        "--cap-drop",
        "fowner",
        "-m",
        "64m",
        "--cpus",
        "0.5",
        "-e",
        "K=V",
        "-v",
        &format!("{vol}:/data"),
        "-v",
        &format!("{}:/host", env.dir().display()),
        "--tmpfs",
        "/scratch:ro",
        "--label",
        "io.containers.autoupdate=local",
        &img,
        "sleep",
        "100",
    ]);
    let out = env.ok(&["kube", "generate", &ctr]);
    // Auto-update labels as annotations, as Podman's: KEY/CONTAINER.
    assert!(
        out.contains(&format!("io.containers.autoupdate/{ctr}: local\n")),
        "{out}"
    );
    // A tmpfs mount: Podman's in-memory emptyDir.
    assert!(
        out.contains("- emptyDir:\n      medium: Memory\n    name: tmp-2\n"),
        "{out}"
    );
    assert!(
        out.contains("- mountPath: /scratch\n      name: tmp-2\n      readOnly: true\n"),
        "{out}"
    );
    assert!(out.contains(&format!("name: {ctr}-pod")), "{out}");
    assert!(
        out.contains("memory: 64Mi") && out.contains("cpu: 500m"),
        "{out}"
    );
    assert!(out.contains("CAP_FOWNER"), "{out}");
    for (i, args) in [
        vec!["kube", "generate", "-s", &ctr, &vol],
        vec![
            "generate",
            "kube",
            "--type",
            "deployment",
            "--replicas",
            "2",
            &ctr,
        ],
        vec!["kube", "generate", "--type", "daemonset", &ctr],
        vec!["kube", "generate", "--type", "job", &ctr],
    ]
    .into_iter()
    .enumerate()
    {
        let path = env.dir().join(format!("g{i}.yaml"));
        let p = path.to_string_lossy().into_owned();
        let mut args = args;
        args.extend(["-f", &p]);
        env.ok(&args);
        validate(&path);
    }
    let s = std::fs::read_to_string(env.dir().join("g0.yaml")).unwrap();
    assert!(
        s.contains("kind: PersistentVolumeClaim") && s.contains("kind: Service"),
        "{s}"
    );
    assert!(s.contains("type: NodePort"), "{s}");
    let (code, err) = env.fails(&["kube", "generate", "--replicas", "2", &ctr]);
    assert_eq!(code, 125);
    assert!(
        err.contains("--replicas can only be set when --type is set to deployment"),
        "{err}"
    );
    let (code, err) = env.fails(&["kube", "generate", "nosuchthing"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("name or ID \"nosuchthing\" not found"),
        "{err}"
    );
    env.ok(&["rm", &ctr]);
}
