//! `run/create --rootfs PATH[:O]`: a directory as the container's root
//! filesystem (no image), written directly or through an overlay (`:O`)
//! that leaves it untouched; no command is the runtime's exit 127.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{busybox, inspect, mounts};
use rpod_tests::{unique_name, TestEnv};

/// A copy of the busybox image's files in a directory of the test's own.
fn exploded(env: &TestEnv, img: &str) -> PathBuf {
    let src = env.ok(&["image", "mount", img]).trim().to_owned();
    let dir = env.dir().join("exploded");
    let status = Command::new("cp")
        .args(["-a", &src])
        .arg(&dir)
        .status()
        .expect("cp");
    assert!(status.success(), "cp -a {src}");
    env.ok(&["image", "umount", img]);
    assert!(dir.join("bin/busybox").exists());
    dir
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn directory_is_the_root_written_directly() {
    let (w, img) = busybox();
    let env = &w.env;
    let dir = exploded(env, &img);
    let out = env.ok(&[
        "run",
        "--rm",
        "--rootfs",
        &s(&dir),
        "sh",
        "-c",
        "echo direct > /direct; cat /direct",
    ]);
    assert_eq!(out, "direct\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("direct")).unwrap(),
        "direct\n"
    );
}

#[test]
fn overlay_leaves_the_directory_untouched_and_rm_unmounts() {
    let (w, img) = busybox();
    let env = &w.env;
    let dir = exploded(env, &img);
    let name = unique_name("rfs");
    let arg = format!("{}:O", s(&dir));
    let out = env.ok(&[
        "run",
        "--name",
        &name,
        "--rootfs",
        &arg,
        "sh",
        "-c",
        "echo up > /upper; rm /bin/ls && cat /upper",
    ]);
    assert_eq!(out, "up\n");
    assert!(!dir.join("upper").exists(), "the directory was written");
    assert!(dir.join("bin/ls").exists(), "the directory lost a file");
    let v = inspect(env, &name);
    assert_eq!(v["Image"], "");
    assert_eq!(v["ImageName"], "");
    assert_eq!(v["ImageDigest"], "");
    assert_eq!(v["Rootfs"], s(&dir));
    // The container's changes survive a restart (its own upper layer).
    env.ok(&["start", &name]);
    env.ok(&["wait", &name]);
    let (code, _) = env.fails(&["start", "-a", &name]);
    assert_eq!(
        code, 1,
        "rm /bin/ls fails the second time: the upper layer kept it"
    );
    let image = env.ok(&[
        "ps",
        "-a",
        "--filter",
        &format!("name={name}"),
        "--format",
        "{{.Image}}|{{.ImageID}}",
    ]);
    assert_eq!(image, "|\n");
    let (code, err) = env.fails(&["commit", &name, "rootfs-commit"]);
    assert_eq!(code, 125);
    assert!(err.contains("--rootfs container is not supported"), "{err}");
    env.ok(&["rm", "-f", &name]);
    assert!(
        !mounts(env)
            .iter()
            .any(|m| m.to_string_lossy().contains("merged")),
        "{:?}",
        mounts(env)
    );
    assert!(dir.join("bin/ls").exists());
}

#[test]
fn no_command_is_the_runtime_exit_127() {
    let (w, img) = busybox();
    let env = &w.env;
    let dir = exploded(env, &img);
    let (code, err) = env.fails(&["run", "--rm", "--rootfs", &s(&dir)]);
    assert_eq!(code, 127, "{err}");
    assert!(
        err.contains(r#"exec: "": executable file not found in $PATH"#),
        "{err}"
    );
    // Podman's getOCIRuntimeError form: runtime name first, class last.
    assert!(err.starts_with("Error: runc: "), "{err}");
    assert!(
        err.trim_end()
            .ends_with(": OCI runtime attempted to invoke a command that was not found"),
        "{err}"
    );
}

#[test]
fn bad_rootfs_arguments_are_refused() {
    let (w, img) = busybox();
    let env = &w.env;
    let dir = exploded(env, &img);
    let missing = s(&dir.join("missing"));
    let (code, err) = env.fails(&["create", "--rootfs", &missing, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("no such file or directory"), "{err}");
    let idmap = format!("{}:idmap", s(&dir));
    let (code, err) = env.fails(&["create", "--rootfs", &idmap, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("not supported"), "{err}");
    let (code, err) = env.fails(&[
        "create",
        "--uidmap",
        "0:1000:1000",
        "--rootfs",
        &s(&dir),
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("--rootfs with a user namespace"), "{err}");
    assert_eq!(env.ok(&["ps", "-aq"]), "");
}
