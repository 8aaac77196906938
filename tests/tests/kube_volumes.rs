//! `kube play` with images as volumes: `image` volume sources (read-only,
//! with `subPath`, pulled as `pullPolicy` says) and Podman's automount
//! annotation, which mounts the volumes an image declares into one
//! container.

mod common;

use common::busybox;
use rpod_tests::{unique_name, TestEnv};

struct PodGuard<'a>(&'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
    }
}

/// An image declaring volume `/vol`, holding `/vol/f`.
fn volume_image(env: &TestEnv, img: &str, text: &str) -> String {
    let name = format!("localhost/{}:1", unique_name("kvimg"));
    let ctr = unique_name("kvsrc");
    env.ok(&[
        "run",
        "--name",
        &ctr,
        img,
        "sh",
        "-c",
        &format!("mkdir -p /vol/sub && echo {text} > /vol/f && echo deep > /vol/sub/g"),
    ]);
    env.ok(&["commit", "-q", "--change", "VOLUME=/vol", &ctr, &name]);
    env.ok(&["rm", &ctr]);
    name
}

#[test]
fn image_volumes_and_automount() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let first = volume_image(env, &img, "first");
    let second = volume_image(env, &img, "second");
    let pod = unique_name("kiv");
    let yaml = format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {pod}
  annotations:
    io.podman.annotations.kube.image.volumes.mount/a: {first};{second}
spec:
  restartPolicy: Never
  containers:
  - name: a
    image: {img}
    command: ["sleep", "1000"]
    volumeMounts:
    - name: iv
      mountPath: /image
    - name: iv
      mountPath: /deep
      subPath: vol/sub
  - name: b
    image: {img}
    command: ["sleep", "1000"]
  volumes:
  - name: iv
    image:
      reference: {first}
      pullPolicy: Never
"#
    );
    let path = env.dir().join("iv.yaml");
    std::fs::write(&path, yaml).unwrap();
    let path = path.to_string_lossy().into_owned();
    env.ok(&["kube", "play", "--network", "none", &path]);
    let a = format!("{pod}-a");
    // The automount: the later image wins at the same path.
    assert_eq!(env.ok(&["exec", &a, "cat", "/vol/f"]).trim(), "second");
    assert_eq!(env.ok(&["exec", &a, "cat", "/image/vol/f"]).trim(), "first");
    assert_eq!(env.ok(&["exec", &a, "cat", "/deep/g"]).trim(), "deep");
    for target in ["/vol/x", "/image/x"] {
        let (code, err) = env.fails(&["exec", &a, "touch", target]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("Read-only file system"), "{err}");
    }
    let ls = env.ok(&["exec", &format!("{pod}-b"), "ls", "/"]);
    assert!(!ls.contains("vol") && !ls.contains("image"), "{ls}");
    env.ok(&["kube", "down", &path]);

    // pullPolicy Never of an image that is not stored: nothing is made.
    let missing = std::fs::read_to_string(&path).unwrap().replace(
        &format!("reference: {first}"),
        "reference: localhost/no-such-kube-image:1",
    );
    std::fs::write(&path, missing).unwrap();
    let (code, err) = env.fails(&["kube", "play", "--network", "none", &path]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("localhost/no-such-kube-image:1: image not known"),
        "{err}"
    );
    assert_eq!(env.ok(&["pod", "ps", "-q"]).trim(), "");
    assert_eq!(env.ok(&["ps", "-aq"]).trim(), "");

    // An automounted image that is not stored.
    let plain = env.dir().join("plain.yaml");
    std::fs::write(
        &plain,
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\nspec:\n  containers:\n  - name: b\n    image: {img}\n    command: [\"sleep\", \"1000\"]\n"
        ),
    )
    .unwrap();
    let (code, err) = env.fails(&[
        "kube",
        "play",
        "--network",
        "none",
        "--annotation",
        "io.podman.annotations.kube.image.volumes.mount/b=localhost/no-such-kube-image:2",
        &plain.to_string_lossy(),
    ]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("image localhost/no-such-kube-image:2 from container b does not exist in local storage, cannot automount"),
        "{err}"
    );
    assert_eq!(env.ok(&["pod", "ps", "-q"]).trim(), "");
    env.ok(&["rmi", &first, &second]);
}
