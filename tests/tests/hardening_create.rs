//! Everything `create`/`run` is given is validated before anything is
//! created: a refused flag leaves no container, no cidfile and never
//! reaches the runtime.

mod common;

use common::busybox;

fn containers(w: &common::World) -> String {
    w.env.ok(&["ps", "-a", "--format", "{{.Names}}"])
}

#[test]
fn refused_flags_leave_no_container() {
    let (w, img) = busybox();
    let dir = w.env.dir().to_path_buf();
    let missing = dir.join("missing/dir/cid");
    let missing = missing.to_str().unwrap();
    let env_file = dir.join("bad.env");
    std::fs::write(&env_file, "GOOD=1\n=oops\n").unwrap();
    let env_file = env_file.to_str().unwrap();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--cidfile", missing],
            format!("creating idfile: open {missing}: no such file or directory"),
        ),
        (vec!["-e", "=x"], "invalid variable: \"=x\"".into()),
        (vec!["-e", "="], "invalid variable: \"=\"".into()),
        (
            vec!["--env-file", env_file],
            format!("parsing file {env_file:?}: invalid variable: \"=oops\""),
        ),
        (
            vec!["--restart", "bogus"],
            "invalid restart policy: bogus".into(),
        ),
        (
            vec!["--stop-signal", "BOGUS"],
            "invalid signal: BOGUS".into(),
        ),
    ];
    for (flags, want) in cases {
        for verb in ["create", "run"] {
            let mut args = vec![verb, "--name", "never"];
            args.extend(&flags);
            args.extend([img.as_str(), "true"]);
            let (code, err) = w.env.fails(&args);
            assert_eq!(code, 125, "{args:?}: {err}");
            assert_eq!(err.trim(), format!("Error: {want}"), "{args:?}");
            assert!(
                containers(&w).trim().is_empty(),
                "{args:?} left a container"
            );
        }
    }
    assert!(!std::path::Path::new(missing).exists());
}

#[test]
fn cidfile_is_written_and_a_failed_create_removes_only_what_it_created() {
    let (w, img) = busybox();
    let cid = w.env.dir().join("cid");
    let cid_s = cid.to_str().unwrap();
    let id = w.env.ok(&["create", "--cidfile", cid_s, &img, "true"]);
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id.trim());

    // An existing file is overwritten (Podman 5), whatever it held.
    std::fs::write(&cid, "x".repeat(200)).unwrap();
    let id2 = w.env.ok(&["create", "--cidfile", cid_s, &img, "true"]);
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id2.trim());

    // A create that fails later (unknown image, never pulled) leaves an
    // existing file as it was and removes a new one.
    let fresh = w.env.dir().join("cid-new");
    let fresh_s = fresh.to_str().unwrap();
    let (code, _) = w.env.fails(&[
        "create",
        "--pull",
        "never",
        "--cidfile",
        fresh_s,
        "no-such-image",
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(!fresh.exists(), "cidfile of a failed create left behind");
    w.env.fails(&[
        "create",
        "--pull",
        "never",
        "--cidfile",
        cid_s,
        "no-such-image",
        "true",
    ]);
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id2.trim());
    assert_eq!(containers(&w).lines().count(), 2);
}
