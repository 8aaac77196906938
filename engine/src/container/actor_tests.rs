//! The actor without an OCI runtime: rows inserted directly, transitions
//! that need no process (rename, stop and remove of a created container).

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::config::{EngineConfig, StorageConf};
use crate::container::ContainerOptions;
use crate::engine::Engine;
use crate::state::Db;

fn engine(dir: &Path) -> Engine {
    let config = EngineConfig::load_with_storage(
        Some(dir.join("root")),
        Some(dir.join("run")),
        Some(dir.join("rpod.conf")),
        StorageConf::default(),
    )
    .unwrap();
    Engine::open(config, "/bin/false".into()).unwrap()
}

fn insert(engine: &Engine, id: &str, name: &str) {
    let rec = ContainerRecord {
        image_id: "img".into(),
        image_name: "busybox".into(),
        ..ContainerRecord::new_created(
            id.into(),
            name.into(),
            ContainerOptions {
                image: "busybox".into(),
                ..Default::default()
            },
            vec!["sh".into()],
            "runc".into(),
            1,
        )
    };
    engine.ctx().db.insert_container(&rec).unwrap();
}

/// Another process's view of the same database: its own connection.
fn other_process(dir: &Path) -> Db {
    Db::open(&dir.join("root")).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn one_actor_per_container_and_it_leaves_when_the_container_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    insert(&engine, "aa01", "one");
    insert(&engine, "bb02", "two");
    let h1 = engine.container("one").unwrap();
    let h1_again = engine.container("aa01").unwrap();
    assert!(h1.tx.same_channel(&h1_again.tx), "one actor per container");
    let h2 = engine.container("two").unwrap();
    assert!(!h1.tx.same_channel(&h2.tx));
    assert_eq!(engine.ctx().actors.len(), 2);
    h1.rename("uno".into()).await.unwrap();
    h1.remove(false, None).await.unwrap();
    assert_eq!(
        engine.ctx().actors.len(),
        1,
        "the removed container's actor left"
    );
    // A handle kept by a caller still answers, from the row: gone.
    let err = h1_again.rename("x".into()).await.unwrap_err();
    assert!(matches!(err, ContainerError::NotFound(_)), "{err}");
    // Removed by another process: its actor leaves at its next message.
    h2.rename("dos".into()).await.unwrap();
    other_process(dir.path()).delete_container("bb02").unwrap();
    let err = h2.rename("tres".into()).await.unwrap_err();
    assert!(matches!(err, ContainerError::NotFound(_)), "{err}");
    assert_eq!(engine.ctx().actors.len(), 0);
}

#[test]
fn every_write_bumps_the_generation_and_the_actor_rereads_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let engine = engine(dir.path());
    let ctx = engine.ctx();
    insert(&engine, "aa01", "one");
    let g0 = ctx.db.container_generation("aa01").unwrap().unwrap();
    let mut rec = ctx.db.container_by_id("aa01").unwrap().unwrap();
    assert_eq!(rec.generation, g0);
    // Unchanged row: the record held is used as it is (a marker only the
    // held copy carries proves it was not read again).
    let mut held = rec.clone();
    held.image_name = "held copy".into();
    assert_eq!(
        revalidate(ctx, "aa01", Some(held)).unwrap().image_name,
        "held copy"
    );
    // Another process writes: new generation, the row is read again.
    let other = other_process(dir.path());
    rec.error = "written elsewhere".into();
    other.update_container(&mut rec).unwrap();
    assert!(rec.generation > g0);
    assert_eq!(
        ctx.db.container_generation("aa01").unwrap(),
        Some(rec.generation)
    );
    let mut stale = ctx.db.container_by_id("aa01").unwrap().unwrap();
    stale.generation = g0;
    stale.error.clear();
    let fresh = revalidate(ctx, "aa01", Some(stale)).unwrap();
    assert_eq!(
        (fresh.error.as_str(), fresh.generation),
        ("written elsewhere", rec.generation)
    );
    // The actor's next transition sees the other process's change: a
    // rename writes the whole row from what the actor holds, and keeps it.
    let _rt = rt.enter();
    let h = engine.container("one").unwrap();
    rt.block_on(h.rename("first".into())).unwrap();
    let mut theirs = other.container_by_id("aa01").unwrap().unwrap();
    theirs.error = "changed again elsewhere".into();
    theirs.exit_code = Some(42);
    other.update_container(&mut theirs).unwrap();
    rt.block_on(h.rename("second".into())).unwrap();
    let row = other.container_by_id("aa01").unwrap().unwrap();
    assert_eq!(row.name, "second");
    assert_eq!(row.error, "changed again elsewhere");
    assert_eq!(row.exit_code, Some(42));
    assert!(row.generation > theirs.generation);
    // A narrow update that applies to no row changes nothing.
    assert!(!other.revert_stopping("aa01").unwrap());
    assert_eq!(
        other.container_generation("aa01").unwrap(),
        Some(row.generation),
        "an update that applied to no row changes nothing"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn transitions_wait_for_the_lock_off_the_executor_in_mailbox_order() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    insert(&engine, "aa01", "one");
    let h = engine.container("one").unwrap();
    // Another process holds the container's lock.
    let held = lock::lock_exclusive(&engine.config().lock_dir(), "aa01").unwrap();
    let mut pending = Vec::new();
    for name in ["two", "three", "four"] {
        let h = h.clone();
        pending.push(tokio::spawn(async move { h.rename(name.to_owned()).await }));
        // This single executor thread keeps running while the actor waits
        // for the lock: the wait is not on it (else this sleep never ends).
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(pending.iter().all(|p| !p.is_finished()));
    let other = other_process(dir.path());
    assert_eq!(other.container_by_id("aa01").unwrap().unwrap().name, "one");
    let mut row = other.container_by_id("aa01").unwrap().unwrap();
    row.error = "while locked".into();
    other.update_container(&mut row).unwrap();
    drop(held);
    for p in pending {
        p.await.unwrap().unwrap();
    }
    let row = other.container_by_id("aa01").unwrap().unwrap();
    // Applied one at a time, in the order sent, each on the row as the
    // previous one left it.
    assert_eq!(
        (row.name.as_str(), row.error.as_str()),
        ("four", "while locked")
    );
    assert_eq!(row.generation, 2 + 3);
}
