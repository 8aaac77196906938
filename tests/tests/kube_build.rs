//! `kube play --build` through the real Buildah: an image whose name
//! matches a directory holding a Containerfile (in the current directory
//! or `--context-dir`) is built when missing, always with `--build`, never
//! with `--build=false`; a failing build leaves nothing behind.

mod common;

use std::path::Path;
use std::time::Duration;

use common::busybox;
use common::kube::{nothing_left, PodGuard};
use rpod_tests::{run_with_timeout, unique_name, TestEnv};

/// `rpod args` run in directory `cwd`: (exit code, stdout, stderr).
fn run_in(env: &TestEnv, cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = env.cmd(args);
    cmd.current_dir(cwd).stdin(std::process::Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(300));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn image_id(env: &TestEnv, name: &str) -> String {
    env.ok(&["image", "inspect", "--format", "{{.Id}}", name])
        .trim()
        .to_owned()
}

/// Waits until the container printed `text` (the image's `/built` and
/// its `BUILT` variable).
fn wait_output(env: &TestEnv, ctr: &str, text: &str) {
    rpod_tests::wait_until(Duration::from_secs(20), "the container's output", || {
        env.ok(&["logs", ctr]) == format!("{text}\n{text}\n")
    });
}

#[test]
fn build_when_missing_always_with_build_never_with_build_false() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let name = unique_name("kbimg");
    let pod = unique_name("kbpod");
    let ctx = env.dir().join("ctx");
    let dir = ctx.join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let containerfile =
        |v: &str| format!("FROM {img}\nENV BUILT={v}\nRUN echo {v} > /built\nUSER 1000\n");
    std::fs::write(dir.join("Containerfile"), containerfile("one")).unwrap();
    // The YAML names the image as Podman's tests do: registry/path:tag;
    // the directory is its last component. The pull policy keeps any
    // registry out of it.
    let image = format!("localhost/kube/{name}:latest");
    let yaml = env.dir().join("build.yaml");
    std::fs::write(
        &yaml,
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\nspec:\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: {image}\n    imagePullPolicy: Never\n    command: [\"sh\", \"-c\", \"cat /built; echo $BUILT\"]\n"
        ),
    )
    .unwrap();
    let yaml = yaml.to_string_lossy().into_owned();
    let ctr = format!("{pod}-c");
    let elsewhere = env.dir();
    let ctx_arg = format!("--context-dir={}", ctx.display());

    // --context-dir wants --build.
    let (code, _, err) = run_in(
        env,
        elsewhere,
        &["kube", "play", "--network", "none", &ctx_arg, &yaml],
    );
    assert_eq!(code, 125, "{err}");
    assert_eq!(
        err.trim(),
        "Error: --build must be specified when using --context-dir option"
    );

    // Missing and no directory of its name here: not built, not pulled.
    let (code, _, err) = run_in(
        env,
        elsewhere,
        &["kube", "play", "--network", "none", "--start=false", &yaml],
    );
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("image not known"), "{err}");
    nothing_left(env);

    // Missing, and its directory is in the current directory: built.
    let (code, out, err) = run_in(env, &ctx, &["kube", "play", "--network", "none", &yaml]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("STEP 1/4: FROM"), "{err}");
    let first = image_id(env, &image);
    wait_output(env, &ctr, "one");
    // As Podman's, the container is created with the image's user.
    let user = env.ok(&["inspect", "--format", "{{.Config.User}}", &ctr]);
    assert_eq!(user.trim(), "1000");

    // Present: not built again without --build.
    std::fs::write(dir.join("Containerfile"), containerfile("two")).unwrap();
    let (code, out, err) = run_in(
        env,
        &ctx,
        &["kube", "play", "--network", "none", "--replace", &yaml],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("STEP"), "{err}");
    assert_eq!(image_id(env, &image), first);
    wait_output(env, &ctr, "one");

    // --build with --context-dir from elsewhere: built again.
    let (code, out, err) = run_in(
        env,
        elsewhere,
        &[
            "kube",
            "play",
            "--network",
            "none",
            "--replace",
            "--build",
            &ctx_arg,
            &yaml,
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_ne!(image_id(env, &image), first);
    wait_output(env, &ctr, "two");
    // -q: the build's output is not shown either.
    let (code, out, err) = run_in(
        env,
        &ctx,
        &[
            "kube",
            "play",
            "--network",
            "none",
            "-q",
            "--replace",
            "--build",
            &yaml,
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("STEP"), "{err}");

    // --build=false never builds, even a missing image.
    env.ok(&["kube", "down", &yaml]);
    env.ok(&["rmi", &image]);
    let (code, _, err) = run_in(
        env,
        &ctx,
        &["kube", "play", "--network", "none", "--build=false", &yaml],
    );
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("image not known"), "{err}");
    assert!(!err.contains("STEP"), "{err}");
    nothing_left(env);

    // A failing build: Buildah's error, nothing left.
    std::fs::write(
        dir.join("Containerfile"),
        format!("FROM {img}\nRUN exit 3\n"),
    )
    .unwrap();
    let (code, _, err) = run_in(env, &ctx, &["kube", "play", "--network", "none", &yaml]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.lines().last().unwrap_or("").starts_with("Error: "),
        "{err}"
    );
    nothing_left(env);
    let images = env.ok(&["images", "--format", "{{.Repository}}"]);
    assert!(!images.contains(&name), "{images}");
}

#[test]
fn dockerfile_and_image_volumes_are_built_too() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let name = unique_name("kbvol");
    let pod = unique_name("kbvpod");
    let ctx = env.dir().join("ctx");
    let dir = ctx.join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM {img}\nRUN mkdir /data && echo from-build > /data/f\n"),
    )
    .unwrap();
    let yaml = env.dir().join("vol.yaml");
    std::fs::write(
        &yaml,
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\nspec:\n  containers:\n  - name: c\n    image: {img}\n    imagePullPolicy: Never\n    command: [\"sleep\", \"1000\"]\n    volumeMounts:\n    - name: v\n      mountPath: /mnt\n      subPath: data\n  volumes:\n  - name: v\n    image:\n      reference: {name}\n      pullPolicy: Never\n"
        ),
    )
    .unwrap();
    let yaml = yaml.to_string_lossy().into_owned();
    let (code, out, err) = run_in(env, &ctx, &["kube", "play", "--network", "none", &yaml]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("STEP 1/2: FROM"), "{err}");
    assert_eq!(
        env.ok(&["exec", &format!("{pod}-c"), "cat", "/mnt/f"]),
        "from-build\n"
    );
    env.ok(&["kube", "down", &yaml]);
    nothing_left(env);
}

#[test]
fn authfile_for_pulls_and_builds_from_a_private_registry() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let htpasswd = env.dir().join("htpasswd");
    let out = std::process::Command::new("htpasswd")
        .args(["-Bbn", "kuser", "kpass"])
        .output()
        .expect("htpasswd (apache2-utils)");
    assert!(out.status.success());
    std::fs::write(&htpasswd, &out.stdout).unwrap();
    let private = rpod_tests::Registry::start_with_config(&format!(
        "auth:\n  htpasswd:\n    realm: rpod\n    path: {}\n",
        htpasswd.display()
    ));
    let authfile = env.dir().join("private-auth.json");
    let auth = authfile.to_string_lossy().into_owned();
    let addr = private.addr();
    env.ok(&[
        "login",
        "--tls-verify=false",
        "--authfile",
        &auth,
        "-u",
        "kuser",
        "-p",
        "kpass",
        &addr,
    ]);
    let base = format!("{addr}/{}:1", unique_name("kauth"));
    env.ok(&["tag", &img, &base]);
    env.ok(&[
        "push",
        "-q",
        "--tls-verify=false",
        "--authfile",
        &auth,
        &base,
    ]);
    env.ok(&["rmi", &base]);

    // The container's image comes from the private registry.
    let pod = unique_name("kapod");
    let yaml = env.dir().join("auth.yaml");
    let pod_yaml = |image: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\nspec:\n  containers:\n  - name: c\n    image: {image}\n    command: [\"sleep\", \"1000\"]\n"
        )
    };
    std::fs::write(&yaml, pod_yaml(&base)).unwrap();
    let yaml = yaml.to_string_lossy().into_owned();
    let play = ["kube", "play", "--network", "none", "--tls-verify=false"];
    let (code, err) = env.fails(&[&play[..], &[&yaml]].concat());
    assert_eq!(code, 125, "{err}");
    nothing_left(env);
    assert!(!env
        .ok(&["images", "-q", &base])
        .contains(|c: char| c.is_ascii_hexdigit()));
    env.ok(&[&play[..], &["--authfile", &auth, &yaml]].concat());
    assert_eq!(
        env.ok(&["inspect", "--format", "{{.ImageName}}", &format!("{pod}-c")])
            .trim(),
        base
    );
    env.ok(&["kube", "down", &yaml]);
    env.ok(&["rmi", &base]);

    // A build whose base image is in the private registry.
    let name = unique_name("kauthb");
    let ctx = env.dir().join("ctx");
    std::fs::create_dir_all(ctx.join(&name)).unwrap();
    std::fs::write(
        ctx.join(&name).join("Containerfile"),
        format!("FROM {base}\nRUN echo built > /built\n"),
    )
    .unwrap();
    std::fs::write(&yaml, pod_yaml(&name)).unwrap();
    let ctx_arg = format!("--context-dir={}", ctx.display());
    let (code, err) = env.fails(&[&play[..], &["--build", &ctx_arg, &yaml]].concat());
    assert_eq!(code, 125, "{err}");
    nothing_left(env);
    env.ok(&[
        &play[..],
        &["--build", &ctx_arg, "--authfile", &auth, &yaml],
    ]
    .concat());
    assert_eq!(
        env.ok(&["exec", &format!("{pod}-c"), "cat", "/built"]),
        "built\n"
    );
    env.ok(&["kube", "down", &yaml]);
    nothing_left(env);
}
