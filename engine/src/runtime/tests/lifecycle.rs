//! The runtime wrapper against real runc with a private `--root`.
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use std::time::Duration;

use super::support::{unique_id, wait_exit, Bundle};
use crate::container::options::ContainerOptions;
use crate::runtime::{cgroup_mode, CgroupMode, OciRuntime, RuntimeError};

const SLEEPER: &str = r#"{"config":{"Cmd":["sleep","1000"]}}"#;

#[tokio::test]
async fn create_start_pause_resume_kill_delete() {
    let b = Bundle::new("life", &ContainerOptions::default(), SLEEPER);
    let rt = &b.runtime;
    let pid = b.create();

    let st = rt.state(&b.id).await.unwrap();
    assert_eq!(st.status, "created");
    assert_eq!(st.pid, pid);
    assert_eq!(st.bundle, b.bundle().to_string_lossy());

    rt.start(&b.id).await.unwrap();
    assert_eq!(rt.state(&b.id).await.unwrap().status, "running");

    rt.pause(&b.id).await.unwrap();
    assert_eq!(rt.state(&b.id).await.unwrap().status, "paused");
    rt.resume(&b.id).await.unwrap();
    assert_eq!(rt.state(&b.id).await.unwrap().status, "running");

    rt.kill(&b.id, libc::SIGKILL, false).await.unwrap();
    wait_exit(pid, Duration::from_secs(30)).await;
    assert_eq!(rt.state(&b.id).await.unwrap().status, "stopped");

    rt.delete(&b.id, false).await.unwrap();
    assert!(matches!(
        rt.state(&b.id).await,
        Err(RuntimeError::NotFound { .. })
    ));
}

#[tokio::test]
async fn kill_all_and_force_delete_of_a_running_container() {
    let b = Bundle::new("force", &ContainerOptions::default(), SLEEPER);
    let rt = &b.runtime;
    let pid = b.create();
    rt.start(&b.id).await.unwrap();
    // Deleting a running container without --force is refused, with runc's stderr.
    match rt.delete(&b.id, false).await {
        Err(RuntimeError::Failed { stderr, .. }) => assert!(stderr.contains("running"), "{stderr}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    // SIGKILL: a pid-1 `sleep` has no handler, so SIGTERM would be ignored.
    rt.kill(&b.id, libc::SIGKILL, true).await.unwrap();
    wait_exit(pid, Duration::from_secs(30)).await;
    rt.delete(&b.id, true).await.unwrap();
    assert!(matches!(
        rt.delete(&b.id, false).await,
        Err(RuntimeError::NotFound { .. })
    ));
}

#[tokio::test]
async fn missing_container_is_not_found() {
    let root = tempfile::tempdir().unwrap();
    let rt = OciRuntime::select(Some("runc"), Some(root.path().to_path_buf())).unwrap();
    let id = unique_id("missing");
    for res in [
        rt.delete(&id, false).await,
        rt.start(&id).await,
        rt.kill(&id, libc::SIGKILL, false).await,
        rt.pause(&id).await,
    ] {
        match res {
            Err(RuntimeError::NotFound {
                id: got, stderr, ..
            }) => {
                assert_eq!(got, id);
                assert!(stderr.contains("container does not exist"), "{stderr}");
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
    assert!(matches!(
        rt.state(&id).await,
        Err(RuntimeError::NotFound { .. })
    ));
}

#[tokio::test]
async fn select_and_version() {
    let rt = OciRuntime::select(None, None).unwrap();
    if cgroup_mode() != CgroupMode::Unified {
        assert_eq!(rt.name, "runc", "v1/hybrid hosts must get runc");
    }
    assert!(rt.path.is_absolute());
    assert!(rt.runtime_args().is_empty());

    let runc = OciRuntime::select(Some("runc"), None).unwrap();
    let v = runc.version().await.unwrap();
    assert!(v.starts_with("runc version "), "{v}");
    assert!(v.contains("commit:"), "{v}");

    let err = OciRuntime::select(Some("nonexistent"), None).unwrap_err();
    assert!(matches!(err, RuntimeError::NoBinary { .. }));
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "could not find a working binary (configured options: [/usr/bin/nonexistent"
        ),
        "{msg}"
    );
    assert!(OciRuntime::select(Some("/nonexistent/runc"), None).is_err());
}
