//! `rpod build` through the real Buildah: multi-stage Containerfiles with
//! local base images (never fetched from a registry), tags, --iidfile, -q,
//! --target, the --layers cache, contexts on stdin, .containerignore,
//! Buildah's errors and exit codes, and no temp files left behind.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::busybox;
use rpod_tests::{run_with_timeout, TestEnv};
use serde_json::Value;

/// A context directory holding `files` (name, content).
fn context(env: &TestEnv, name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = env.dir().join(name);
    for (f, content) in files {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
    }
    dir
}

fn image_id(env: &TestEnv, name: &str) -> String {
    env.ok(&["image", "inspect", "--format", "{{.Id}}", name])
        .trim()
        .to_string()
}

/// Buildah's temp area under the root is empty between builds.
fn assert_no_temp_left(env: &TestEnv) {
    let tmp = env.root().join("buildah").join("tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left in {}: {left:?}", tmp.display());
}

fn run_with_stdin(env: &TestEnv, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut cmd = env.cmd(args);
    cmd.stdin(Stdio::piped());
    let input = input.to_vec();
    let path = env.dir().join(format!("stdin-{}", input.len()));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&input)
        .unwrap();
    cmd.stdin(std::fs::File::open(&path).unwrap());
    run_with_timeout(&mut cmd, std::time::Duration::from_secs(300))
}

#[test]
fn multi_stage_build_with_local_base_runs() {
    let (w, img) = busybox();
    let env = &w.env;
    let containerfile = format!(
        "ARG BASE={img}\n\
         FROM $BASE AS builder\n\
         ARG GREETING=hello\n\
         RUN echo \"$GREETING from builder\" > /built.txt\n\
         FROM {img}\n\
         LABEL org.example.built=yes\n\
         ENV APP_MODE=test\n\
         WORKDIR /app\n\
         COPY --from=builder /built.txt /app/built.txt\n\
         COPY . /app/ctx/\n\
         EXPOSE 8080\n\
         CMD [\"sh\", \"-c\", \"cat /app/built.txt; ls /app/ctx; echo $APP_MODE; pwd\"]\n"
    );
    let dir = context(
        env,
        "ctx-multi",
        &[
            ("Containerfile", &containerfile),
            ("kept.txt", "kept\n"),
            ("secret.key", "do not copy\n"),
            (".containerignore", "secret.key\n"),
        ],
    );
    let iidfile = env.dir().join("iid");
    let out = env.ok(&[
        "build",
        "--pull=never",
        "--build-arg",
        "GREETING=hi",
        "-t",
        "built-one",
        "-t",
        "localhost/built-two:v2",
        "--iidfile",
        iidfile.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    assert!(out.contains("[1/2] STEP 1/3: FROM "), "{out}");
    assert!(out.contains("COMMIT built-one"), "{out}");
    let iid = std::fs::read_to_string(&iidfile).unwrap();
    let id = image_id(env, "built-one");
    assert_eq!(iid, format!("sha256:{id}"));
    assert_eq!(out.lines().last().unwrap(), id, "the ID comes last:\n{out}");
    assert_eq!(image_id(env, "built-two:v2"), id);
    let names = env.ok(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
    assert!(
        names.contains(&format!("localhost/built-one:latest {}", &id[..12])),
        "{names}"
    );
    assert!(
        names.contains(&format!("localhost/built-two:v2 {}", &id[..12])),
        "{names}"
    );
    let inspect: Value = serde_json::from_str(&env.ok(&["image", "inspect", &id])).unwrap();
    assert_eq!(inspect[0]["Labels"]["org.example.built"], "yes");
    assert_eq!(inspect[0]["Config"]["WorkingDir"], "/app");
    let history = env.ok(&["history", "--format", "{{.CreatedBy}}", &id]);
    assert!(history.contains("WORKDIR /app"), "{history}");
    let run = env.ok(&["run", "--rm", &id]);
    assert_eq!(
        run, "hi from builder\nContainerfile\nkept.txt\ntest\n/app\n",
        "secret.key is ignored"
    );
    assert_no_temp_left(env);

    // system reset takes Buildah's store (and cache) with the root.
    env.ok(&["system", "reset", "-f"]);
    assert!(!env.root().join("buildah").exists());
}

#[test]
fn layers_cache_target_quiet_and_no_cache() {
    let (w, img) = busybox();
    let env = &w.env;
    let containerfile = format!(
        "FROM {img} AS first\n\
         RUN cat /proc/sys/kernel/random/uuid > /stamp\n\
         FROM first AS second\n\
         RUN echo second > /second\n"
    );
    let dir = context(env, "ctx-cache", &[("Containerfile", &containerfile)]);
    let dir = dir.to_str().unwrap();
    let first = env.ok(&["build", "-q", "-t", "cached", dir]);
    let id = first.trim();
    assert_eq!(first, format!("{id}\n"), "-q prints the ID only");
    assert_eq!(id.len(), 64);
    assert_eq!(image_id(env, "cached"), id);
    let stamp = env.ok(&["run", "--rm", "cached", "cat", "/stamp"]);
    // system df counts Buildah's cache images too, as Podman's one store does.
    let df = env.ok(&["system", "df", "--format", "{{.Type}} {{.Total}}"]);
    let total: usize = df
        .lines()
        .find_map(|l| l.strip_prefix("Images "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("system df: {df}"));
    let listed = env.ok(&["images", "-q", "--no-trunc"]).lines().count();
    assert!(
        total > listed,
        "df counts {total} images, rpod lists {listed}"
    );

    // The second build takes every step from Buildah's cache.
    let second = env.ok(&["build", "--layers", "-t", "cached", dir]);
    assert!(second.contains("--> Using cache"), "{second}");
    assert_eq!(second.lines().last().unwrap(), id);
    assert_eq!(env.ok(&["run", "--rm", "cached", "cat", "/stamp"]), stamp);

    // --target stops at the stage.
    env.ok(&["build", "-q", "--target", "first", "-t", "stage-one", dir]);
    let (code, _) = env.fails(&["run", "--rm", "stage-one", "cat", "/second"]);
    assert_eq!(code, 1);
    assert_eq!(
        env.ok(&["run", "--rm", "stage-one", "cat", "/stamp"]),
        stamp
    );

    // --no-cache runs the RUN steps again.
    let fresh = env.ok(&["build", "-q", "--no-cache", "-t", "fresh", dir]);
    assert_ne!(fresh.trim(), id);
    assert_ne!(env.ok(&["run", "--rm", "fresh", "cat", "/stamp"]), stamp);

    // rmi and image prune reach the build cache, as in Podman's one store.
    env.ok(&["rmi", "-f", "cached", "stage-one", "fresh"]);
    env.ok(&["image", "prune", "-f"]);
    let again = env.ok(&["build", "-t", "cached", dir]);
    assert!(!again.contains("Using cache"), "{again}");
    assert_no_temp_left(env);
}

/// A tar of `dir`'s files.
fn tar_of(dir: &Path) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.append_dir_all(".", dir).unwrap();
    b.into_inner().unwrap()
}

#[test]
fn contexts_and_containerfiles_from_stdin() {
    let (w, img) = busybox();
    let env = &w.env;
    let dir = context(
        env,
        "ctx-stdin",
        &[
            (
                "Containerfile",
                &format!("FROM {img}\nCOPY data.txt /data.txt\n"),
            ),
            ("data.txt", "from the tarball\n"),
        ],
    );
    let tarball = tar_of(&dir);
    let out = run_with_stdin(env, &["build", "-q", "-t", "from-tar", "-"], &tarball);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        env.ok(&["run", "--rm", "from-tar", "cat", "/data.txt"]),
        "from the tarball\n"
    );

    // -f - with a context directory: the Containerfile comes from stdin.
    let text = format!("FROM {img}\nCOPY data.txt /copy.txt\n");
    let out = run_with_stdin(
        env,
        &[
            "build",
            "-q",
            "-t",
            "from-stdin-file",
            "-f",
            "-",
            dir.to_str().unwrap(),
        ],
        text.as_bytes(),
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        env.ok(&["run", "--rm", "from-stdin-file", "cat", "/copy.txt"]),
        "from the tarball\n"
    );
    assert_no_temp_left(env);
}

#[test]
fn bad_containerfiles_fail_as_podman() {
    let (w, img) = busybox();
    let env = &w.env;
    let dir = context(
        env,
        "ctx-bad",
        &[
            ("Unknown", &format!("FROM {img}\nFROBNICATE now\n")),
            ("Failing", &format!("FROM {img}\nRUN exit 42\n")),
        ],
    );
    let file = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let (code, err) = env.fails(&["build", "-f", &file("Unknown"), dir.to_str().unwrap()]);
    assert_eq!(code, 125);
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("Error: building at STEP \"FROBNICATE now\"")
            || last.contains("Unknown instruction: \"FROBNICATE\""),
        "{err}"
    );
    let (code, err) = env.fails(&["build", "-f", &file("Failing"), dir.to_str().unwrap()]);
    assert_eq!(code, 42, "{err}");
    assert_eq!(
        err.lines().last().unwrap(),
        "Error: building at STEP \"RUN exit 42\": while running runtime: exit status 42"
    );
    let (code, err) = env.fails(&["build", env.dir().join("nowhere").to_str().unwrap()]);
    assert_eq!(code, 125);
    assert!(
        err.starts_with("Error: context must be a directory: "),
        "{err}"
    );
    let (code, err) = env.fails(&["build", "--all-platforms", dir.to_str().unwrap()]);
    assert_eq!(code, 125);
    assert!(err.contains("--all-platforms is not supported"), "{err}");
    assert_eq!(
        env.ok(&["images", "-q"]).lines().count(),
        1,
        "no image was added"
    );
    assert_no_temp_left(env);
}

#[test]
fn missing_buildah_names_the_package() {
    let env = TestEnv::new();
    let dir = context(
        &env,
        "ctx-nobuildah",
        &[("Containerfile", "FROM scratch\n")],
    );
    let mut cmd = env.cmd(&["build", dir.to_str().unwrap()]);
    cmd.env("PATH", env.dir()).stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, std::time::Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: buildah is not installed: rpod build runs Buildah, install the \"buildah\" package\n"
    );
}

#[test]
fn build_manifest_adds_each_platform_to_the_list() {
    let (w, _) = busybox();
    let env = &w.env;
    let dir = context(
        env,
        "ctx-manifest",
        &[(
            "Containerfile",
            "FROM scratch\nARG TARGETARCH\nCOPY Containerfile /i-am-${TARGETARCH}\n",
        )],
    );
    let ctx = dir.to_str().unwrap();
    for arch in ["amd64", "arm64"] {
        env.ok(&[
            "build",
            "-q",
            "--layers=false",
            "--platform",
            &format!("linux/{arch}"),
            "-t",
            &format!("bm-{arch}"),
            "--manifest",
            "bm-list",
            ctx,
        ]);
    }
    let list: Value = serde_json::from_str(&env.ok(&["manifest", "inspect", "bm-list"])).unwrap();
    let mut arches: Vec<&str> = list["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    arches.sort();
    assert_eq!(arches, ["amd64", "arm64"]);
    let digest = env.ok(&["image", "inspect", "--format", "{{.Digest}}", "bm-arm64"]);
    assert!(
        list["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["digest"] == digest.trim()),
        "the built image's digest is in the list: {list}"
    );
    assert_no_temp_left(env);
}
