//! The container actors of one engine instance, with real containers: two
//! operations sent at once to one container are applied one after the
//! other, in the order sent; a change another process makes to the row is
//! seen by the actor's next transition. The other process is the `rpod`
//! CLI (`cargo build --workspace` first), working on the same root.
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use std::path::Path;
use std::time::Duration;

use rpod_tests::{Registry, TestEnv};

use crate::config::EngineConfig;
use crate::engine::Engine;

/// A registry holding the busybox fixture and an environment that trusts
/// it (cleaned up first, then the registry stops).
struct World {
    env: TestEnv,
    _registry: Registry,
}

/// The world with busybox pulled, and the image reference.
fn busybox() -> (World, String) {
    let registry = Registry::start();
    let img = registry.push_fixture("busybox");
    let env = TestEnv::with_registry(&registry);
    env.ok(&["pull", "-q", &img]);
    let w = World {
        env,
        _registry: registry,
    };
    (w, img)
}

/// The container's state as the CLI (another process) reports it.
fn state_of(env: &TestEnv, name: &str) -> String {
    env.ok(&["inspect", "--format", "{{.State.Status}}", name])
        .trim()
        .to_owned()
}

/// An engine in this process on the environment's root, as the CLI opens it.
fn open_engine(env: &TestEnv) -> Engine {
    // The monitors the engine spawns are found through RPOD_MONITOR, as for
    // the CLI the tests run (this binary does not live next to them).
    std::env::set_var("RPOD_MONITOR", rpod_tests::monitor_bin());
    let config = EngineConfig::load(Some(env.root()), Some(env.runroot()), None).unwrap();
    Engine::open(config, rpod_tests::rpod_bin()).unwrap()
}

/// A single-threaded runtime: an actor that blocked its thread (waiting
/// for a lock or a monitor) would stall everything else here.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn start_and_stop_sent_together_are_applied_in_the_order_sent() {
    let (w, img) = busybox();
    w.env.ok(&["create", "--name", "c", &img, "sleep", "1000"]);
    let rt = runtime();
    rt.block_on(async {
        let engine = open_engine(&w.env);
        let h = engine.container("c").unwrap();
        let lock_dir = engine.config().lock_dir();
        for round in 0..3 {
            // Held as another process would: both messages queue behind it.
            let held = crate::lock::lock_exclusive(&lock_dir, &h.id).unwrap();
            let (a, b) = (h.clone(), h.clone());
            let start = tokio::spawn(async move { a.start().await });
            tokio::time::sleep(Duration::from_millis(100)).await;
            let stop = tokio::spawn(async move { b.stop(Some(0)).await });
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(!start.is_finished() && !stop.is_finished(), "round {round}");
            drop(held);
            start.await.unwrap().unwrap();
            stop.await.unwrap().unwrap();
            // The stop saw the started container (never a half-started
            // one): it is stopped, with the start's run recorded.
            let rec = h.get().await.unwrap();
            assert_eq!(rec.state.as_str(), "exited", "round {round}");
            let (started, finished) = (rec.started_at.unwrap(), rec.finished_at.unwrap());
            assert!(finished >= started, "round {round}: {started} {finished}");
            // The other order: the stop finds nothing to stop, then the
            // container starts and stays up.
            let held = crate::lock::lock_exclusive(&lock_dir, &h.id).unwrap();
            let (a, b) = (h.clone(), h.clone());
            let stop = tokio::spawn(async move { a.stop(Some(0)).await });
            tokio::time::sleep(Duration::from_millis(100)).await;
            let start = tokio::spawn(async move { b.start().await });
            tokio::time::sleep(Duration::from_millis(100)).await;
            drop(held);
            stop.await.unwrap().unwrap();
            start.await.unwrap().unwrap();
            assert_eq!(h.get().await.unwrap().state.as_str(), "running");
            h.stop(Some(0)).await.unwrap();
        }
    });
    assert_eq!(state_of(&w.env, "c"), "exited");
    w.env.ok(&["rm", "-f", "c"]);
}

#[test]
fn the_actor_sees_what_another_process_did_to_the_row() {
    let (w, img) = busybox();
    w.env.ok(&["create", "--name", "c", &img, "sleep", "1000"]);
    let rt = runtime();
    rt.block_on(async {
        let engine = open_engine(&w.env);
        let db = &engine.ctx().db;
        let h = engine.container("c").unwrap();
        // The actor now holds the row (a created container: nothing to stop).
        h.stop(Some(0)).await.unwrap();
        let before = db.container_generation(&h.id).unwrap().unwrap();
        // Another process starts it and renames it.
        w.env.ok(&["start", "c"]);
        w.env.ok(&["rename", "c", "renamed"]);
        let after = db.container_generation(&h.id).unwrap().unwrap();
        assert!(after > before, "generation {before} -> {after}");
        // The actor's next transition acts on the running container (with
        // the row it held, stop would find a created one and do nothing)...
        h.stop(Some(0)).await.unwrap();
        // ... and writes over neither the start nor the new name.
        let rec = h.get().await.unwrap();
        assert_eq!(
            (rec.name.as_str(), rec.state.as_str()),
            ("renamed", "exited")
        );
        assert!(rec.started_at.is_some());
    });
    assert_eq!(state_of(&w.env, "renamed"), "exited");
    // And the other way: what the actor did, the CLI sees.
    rt.block_on(async {
        let engine = open_engine(&w.env);
        engine
            .container("renamed")
            .unwrap()
            .rename("again".into())
            .await
            .unwrap();
    });
    assert_eq!(state_of(&w.env, "again"), "exited");
    w.env.ok(&["rm", "again"]);
}

/// A container command whose PID 1 records the SIGTERM it gets as the file
/// `/m/<name>` and ignores it: it exits only once `/m/go` exists.
fn stubborn(name: &str) -> [&str; 4] {
    [
        "sh",
        "-c",
        r#"trap "touch /m/$0" TERM; while [ ! -e /m/go ]; do sleep 0.1; done"#,
        name,
    ]
}

/// Whether every one of `names` has recorded its SIGTERM in `dir`.
fn all_signalled(dir: &Path, names: &[String]) -> bool {
    names.iter().all(|n| dir.join(n).exists())
}

#[test]
fn the_actors_of_many_containers_stop_them_side_by_side() {
    let (w, img) = busybox();
    const N: usize = 6;
    // Far longer than the test needs: a stop ends when its container exits
    // on its own (after `go`), never by the timeout.
    const TIMEOUT: u64 = 60;
    let marks = w.env.dir().join("marks");
    std::fs::create_dir(&marks).unwrap();
    let volume = format!("{}:/m", marks.display());
    let names: Vec<String> = (0..N).map(|i| format!("s{i}")).collect();
    for name in &names {
        let mut args = vec!["run", "-d", "--name", name, "-v", &volume, &img];
        args.extend(stubborn(name));
        w.env.ok(&args);
    }
    let rt = runtime();
    rt.block_on(async {
        let engine = open_engine(&w.env);
        let handles: Vec<_> = names.iter().map(|n| engine.container(n).unwrap()).collect();
        let stops: Vec<_> = handles
            .into_iter()
            .map(|h| tokio::spawn(async move { h.stop(Some(TIMEOUT)).await }))
            .collect();
        // One after the other, no container would get its SIGTERM before
        // the stop before it had finished; side by side, on one executor
        // thread, all of them get it while every stop is still waiting.
        while !all_signalled(&marks, &names) {
            let done = stops.iter().filter(|s| s.is_finished()).count();
            assert_eq!(done, 0, "a stop finished before all had signalled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            stops.iter().all(|s| !s.is_finished()),
            "a stop finished before all had signalled"
        );
        std::fs::write(marks.join("go"), b"").unwrap();
        for s in stops {
            s.await.unwrap().unwrap();
        }
    });
    for name in &names {
        assert_eq!(state_of(&w.env, name), "exited");
    }
    w.env.ok(&["rm", "-a"]);
}
