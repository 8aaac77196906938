//! Self-tests: fixture layouts build from scratch and are reused from the cache.

use std::process::{Command, Stdio};
use std::time::Duration;

use rpod_tests::{fixtures, run_with_timeout, target_dir};

fn inspect_layout(layout: &std::path::Path) -> serde_json::Value {
    let mut cmd = Command::new("skopeo");
    cmd.arg("inspect")
        .arg(format!("oci:{}:latest", layout.display()))
        .stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "skopeo inspect {} failed: {}",
        layout.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("invalid JSON from skopeo")
}

#[test]
fn cold_build_produces_all_layouts() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("images");
    let took = fixtures::build_into(&out);
    eprintln!("timing: cold fixture build {took:?}");
    for name in fixtures::FIXTURES {
        let info = inspect_layout(&out.join(name));
        assert_eq!(info["Os"], "linux", "{name}");
    }
    // Fixed timestamps make rebuilds byte-identical, so cached digests stay valid.
    for name in fixtures::FIXTURES {
        let rebuilt = std::fs::read(out.join(name).join("index.json")).expect("index.json");
        let cached = std::fs::read(fixtures::layout(name).join("index.json")).expect("index.json");
        assert_eq!(rebuilt, cached, "{name} is not reproducible");
    }
}

#[test]
fn cache_lives_in_the_target_dir() {
    let dir = fixtures::fixtures_dir();
    assert!(
        dir.starts_with(target_dir().join("rpod-fixtures")),
        "{}",
        dir.display()
    );
    let exe = std::env::current_exe().expect("current exe");
    assert!(
        exe.starts_with(target_dir()),
        "{} not under {}",
        exe.display(),
        target_dir().display()
    );
    for name in fixtures::FIXTURES {
        assert!(
            fixtures::layout(name).join("oci-layout").is_file(),
            "{name}"
        );
        assert!(fixtures::digest(name).starts_with("sha256:"));
    }
}

#[test]
#[should_panic(expected = "unknown fixture")]
fn unknown_fixture_is_refused() {
    fixtures::layout("nginx");
}
