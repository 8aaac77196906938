//! Opening the database and reading/writing container rows.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::integrity::{self, DB_FILE, REPAIR_COMMAND};
use super::records::{ContainerRecord, ContainerState, ExitInfo};
use super::schema::MIGRATIONS;
use super::snapshot;
use crate::background::Background;
use crate::lock;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// A database that existed is missing, empty or unreadable: never
    /// re-created implicitly.
    #[error("database {} is damaged ({cause}): rpod does not re-create a database that existed; run '{REPAIR_COMMAND}' to move it aside and rebuild it from the run root and the store", path.display())]
    Damaged { path: PathBuf, cause: String },
    #[error("database: {0}{hint}", hint = integrity::damage_hint(.0))]
    Sql(#[from] rusqlite::Error),
    #[error("database schema version {found} is newer than this rpod supports ({supported}): upgrade rpod")]
    TooNew { found: i64, supported: i64 },
    /// Podman's (containers/storage's) message, naming the holder.
    #[error("creating container storage: the container name \"{name}\" is already in use by {holder}. You have to remove that container to be able to reuse that name: that name is already in use")]
    NameInUse { name: String, holder: String },
    #[error("more than one result for container \"{0}\"")]
    Ambiguous(String),
    #[error("name \"{0}\" is in use: pod already exists")]
    PodNameInUse(String),
    #[error("more than one result for pod \"{0}\"")]
    AmbiguousPod(String),
    #[error("IPAM error: the requested address is already allocated on network {network}")]
    AddressTaken { network: String },
    #[error("container {container} is already connected to network {network}: network is already connected")]
    AlreadyAttached { container: String, network: String },
    #[error("corrupt row for container {id}: {what}")]
    Corrupt { id: String, what: String },
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error("creating {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes the snapshot of `c`; a failure is only logged (the row holds
/// the container; the snapshot serves a repair).
fn write_snapshot_of(root: &Path, c: &ContainerRecord) {
    if let Err(e) = snapshot::write(root, c) {
        tracing::warn!(container = %c.id, "writing the container's recovery snapshot: {e}");
    }
}

/// The state database. One connection per engine instance, shared by its
/// actors behind a mutex (every statement is short).
pub struct Db {
    conn: Mutex<Connection>,
    /// rpod's root, where container snapshots are kept.
    root: PathBuf,
    /// The snapshots of new containers, written on a thread beside the
    /// start that follows, one at a time (see [`Db::settle_snapshots`]);
    /// waited for when the database is dropped.
    snapshots: Background,
}

impl Db {
    /// Opens (creating and migrating if needed) the database in `root`.
    /// Creation and migration run under an exclusive file lock so several
    /// CLIs starting at once on a fresh root do not race. A database that
    /// existed (see [`integrity`]) and is now missing, empty or unreadable
    /// is refused with [`StateError::Damaged`], never re-created.
    pub fn open(root: &Path) -> Result<Db, StateError> {
        Self::open_inner(root, false)
    }

    /// Creates a new, empty database where the previous one was moved
    /// aside (`system check --repair`).
    pub(crate) fn recreate(root: &Path) -> Result<Db, StateError> {
        Self::open_inner(root, true)
    }

    fn open_inner(root: &Path, recreate: bool) -> Result<Db, StateError> {
        std::fs::create_dir_all(root).map_err(|source| StateError::Dir {
            path: root.to_owned(),
            source,
        })?;
        let path = root.join(DB_FILE);
        let existed = !recreate && integrity::database_existed(root);
        let damaged = |cause: String| StateError::Damaged {
            path: path.clone(),
            cause,
        };
        if existed {
            match std::fs::metadata(&path) {
                Ok(m) if m.len() == 0 => return Err(damaged("the file is empty".into())),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(damaged("the file is missing".into()))
                }
                Err(e) => return Err(damaged(e.to_string())),
            }
        }
        let open_err = |source: rusqlite::Error| {
            if integrity::is_damage(&source) {
                damaged(source.to_string())
            } else {
                StateError::Open {
                    path: path.clone(),
                    source,
                }
            }
        };
        let mut conn = Connection::open(&path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(open_err)?;
        // Reads the schema page: a garbled file fails here, not mid-command.
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(open_err)?;
        if existed && (version == 0 || tables == 0) {
            return Err(damaged("it holds no rpod tables".into()));
        }
        if version != MIGRATIONS.len() as i64 {
            let _guard = lock::lock_exclusive(root, "db")?;
            migrate(&mut conn).map_err(|e| match e {
                StateError::Sql(source) => open_err(source),
                other => other,
            })?;
        }
        integrity::write_marker(root).map_err(|source| StateError::Dir {
            path: root.join(integrity::MARKER_FILE),
            source,
        })?;
        Ok(Db {
            conn: Mutex::new(conn),
            root: root.to_owned(),
            snapshots: Background::new("snapshot", 1),
        })
    }

    /// `PRAGMA quick_check`: what SQLite finds wrong ("ok" means nothing).
    pub(crate) fn quick_check(&self) -> Result<Vec<String>, StateError> {
        let rows = self.name_damage((|| {
            let conn = self.conn();
            let mut stmt = conn.prepare("PRAGMA quick_check")?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })())?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Turns a SQLite error that means damage into [`StateError::Damaged`],
    /// naming the file (the first query a command runs is where damage
    /// beyond the header shows).
    fn name_damage<T>(&self, res: Result<T, StateError>) -> Result<T, StateError> {
        res.map_err(|e| match e {
            StateError::Sql(source) if integrity::is_damage(&source) => StateError::Damaged {
                path: self.root.join(DB_FILE),
                cause: source.to_string(),
            },
            other => other,
        })
    }

    /// rpod's root (where snapshots are kept).
    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    /// Keeps the container's snapshot (for `system check --repair`) in step.
    fn write_snapshot(&self, c: &ContainerRecord) {
        self.settle_snapshots();
        write_snapshot_of(&self.root, c);
    }

    /// The first snapshot of a new container, written on a thread: its
    /// file and directory syncs (about 1 ms) overlap the monitor's start
    /// and the mount of a `run` instead of delaying them. The row is in
    /// the database already; the snapshot only serves a repair, which
    /// reads it after [`Db::settle_snapshots`]. One at a time: a repair
    /// inserting many rows waits for each.
    fn write_first_snapshot(&self, c: &ContainerRecord) {
        let root = self.root.clone();
        let rec = c.clone();
        self.snapshots.push(move || write_snapshot_of(&root, &rec));
    }

    /// Waits for the snapshots being written: before a snapshot is
    /// written again or read, before a container's directory is removed,
    /// and when the database closes.
    pub(crate) fn settle_snapshots(&self) {
        self.snapshots.settle();
    }

    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (every
        // write is a transaction), so a poisoned mutex is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn insert_container(&self, c: &ContainerRecord) -> Result<(), StateError> {
        let conn = self.conn();
        let res = conn.execute(
            "INSERT INTO containers (id, name, image_id, image_name, options, command, state,
                created_at, started_at, finished_at, exit_code, exit_signal, oom_killed, pid,
                monitor_pid, runtime, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                c.id,
                c.name,
                c.image_id,
                c.image_name,
                to_json(&c.options),
                to_json(&c.command),
                c.state.as_str(),
                c.created_at,
                c.started_at,
                c.finished_at,
                c.exit_code,
                c.exit_signal,
                c.oom_killed,
                c.pid,
                c.monitor_pid,
                c.runtime,
                c.error,
            ],
        );
        drop(conn);
        self.name_conflict(res, &c.name)?;
        self.write_first_snapshot(c);
        Ok(())
    }

    /// Writes every mutable field of `c` and bumps the row's generation;
    /// `c.generation` becomes the new one (the row as written).
    pub fn update_container(&self, c: &mut ContainerRecord) -> Result<(), StateError> {
        let conn = self.conn();
        let old_name: Option<String> = conn
            .prepare_cached("SELECT name FROM containers WHERE id = ?1")?
            .query_row(params![c.id], |r| r.get(0))
            .optional()?;
        let res = conn
            .prepare_cached(
                "UPDATE containers SET name = ?2, state = ?3, started_at = ?4, finished_at = ?5,
                    exit_code = ?6, exit_signal = ?7, oom_killed = ?8, pid = ?9, monitor_pid = ?10,
                    error = ?11, command = ?12, generation = generation + 1
                 WHERE id = ?1
                 RETURNING generation",
            )
            .and_then(|mut stmt| {
                stmt.query_row(
                    params![
                        c.id,
                        c.name,
                        c.state.as_str(),
                        c.started_at,
                        c.finished_at,
                        c.exit_code,
                        c.exit_signal,
                        c.oom_killed,
                        c.pid,
                        c.monitor_pid,
                        c.error,
                        to_json(&c.command),
                    ],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
            });
        drop(conn);
        match res {
            Ok(Some(generation)) => c.generation = generation,
            // No such row: nothing written, nothing to mirror.
            Ok(None) => c.generation = ContainerRecord::UNSAVED,
            Err(e) => {
                c.generation = ContainerRecord::UNSAVED;
                self.name_conflict(Err(e), &c.name)?;
            }
        }
        if old_name.is_some_and(|n| n != c.name) {
            self.write_snapshot(c);
        }
        Ok(())
    }

    /// Writes the container's options (`update`), bumping its generation.
    pub fn update_container_options(&self, c: &mut ContainerRecord) -> Result<(), StateError> {
        let generation: Option<i64> = self
            .conn()
            .prepare_cached(
                "UPDATE containers SET options = ?2, generation = generation + 1
                 WHERE id = ?1 RETURNING generation",
            )?
            .query_row(params![c.id, to_json(&c.options)], |r| r.get(0))
            .optional()?;
        c.generation = generation.unwrap_or(ContainerRecord::UNSAVED);
        self.write_snapshot(c);
        Ok(())
    }

    /// The generation of container `id`'s row (`None`: no such row). One
    /// indexed read: how an actor checks that the row it holds is current.
    pub fn container_generation(&self, id: &str) -> Result<Option<i64>, StateError> {
        self.name_damage((|| {
            let conn = self.conn();
            let mut stmt =
                conn.prepare_cached("SELECT generation FROM containers WHERE id = ?1")?;
            Ok(stmt.query_row(params![id], |r| r.get(0)).optional()?)
        })())
    }

    /// Records an exit only if the row still says the container has a live
    /// process, so two observers of the same exit never disagree.
    pub fn record_exit(&self, id: &str, exit: &ExitInfo) -> Result<bool, StateError> {
        let n = self.conn().execute(
            "UPDATE containers SET state = 'exited', finished_at = ?2, exit_code = ?3,
                exit_signal = ?4, oom_killed = ?5, pid = 0, generation = generation + 1
             WHERE id = ?1 AND state IN ('initialized', 'running', 'paused', 'stopping')",
            params![
                id,
                exit.finished_at,
                exit.code,
                exit.signal,
                exit.oom_killed
            ],
        )?;
        Ok(n == 1)
    }

    /// Deletes the row and the container's network attachments (its
    /// addresses are free again) in one transaction.
    pub fn delete_container(&self, id: &str) -> Result<(), StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM network_attachments WHERE container_id = ?1",
            params![id],
        )?;
        tx.execute("DELETE FROM containers WHERE id = ?1", params![id])?;
        tx.commit()?;
        Ok(())
    }

    pub fn container_by_id(&self, id: &str) -> Result<Option<ContainerRecord>, StateError> {
        self.name_damage((|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(concat!(
                "SELECT ",
                container_columns!(),
                " FROM containers WHERE id = ?1"
            ))?;
            let raw = stmt.query_row(params![id], RawRow::from_row).optional()?;
            raw.map(RawRow::into_record).transpose()
        })())
    }

    /// Podman's lookup order: full id, exact name, unique id prefix.
    pub fn find_container(&self, name_or_id: &str) -> Result<Option<ContainerRecord>, StateError> {
        self.name_damage((|| {
            if name_or_id.is_empty() {
                return Ok(None);
            }
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(concat!(
                "SELECT ",
                container_columns!(),
                " FROM containers WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1"
            ))?;
            if let Some(raw) = stmt
                .query_row(params![name_or_id], RawRow::from_row)
                .optional()?
            {
                return raw.into_record().map(Some);
            }
            if !name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(None);
            }
            let mut stmt = conn.prepare_cached(concat!(
                "SELECT ",
                container_columns!(),
                " FROM containers WHERE id LIKE ?1 || '%' LIMIT 2"
            ))?;
            let rows: Vec<RawRow> = stmt
                .query_map(params![name_or_id.to_ascii_lowercase()], RawRow::from_row)?
                .collect::<Result<_, _>>()?;
            match rows.len() {
                0 => Ok(None),
                1 => rows.into_iter().next().map(RawRow::into_record).transpose(),
                _ => Err(StateError::Ambiguous(name_or_id.to_owned())),
            }
        })())
    }

    /// All containers, oldest first.
    pub fn list_containers(&self) -> Result<Vec<ContainerRecord>, StateError> {
        self.name_damage((|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(concat!(
                "SELECT ",
                container_columns!(),
                " FROM containers ORDER BY created_at"
            ))?;
            let rows: Vec<RawRow> = stmt
                .query_map([], RawRow::from_row)?
                .collect::<Result<_, _>>()?;
            rows.into_iter().map(RawRow::into_record).collect()
        })())
    }

    /// Ids of containers whose image is `image_id`.
    pub fn containers_using_image(&self, image_id: &str) -> Result<Vec<String>, StateError> {
        self.name_damage((|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached("SELECT id FROM containers WHERE image_id = ?1")?;
            let ids = stmt
                .query_map(params![image_id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            Ok(ids)
        })())
    }
}

impl Db {
    /// Maps a unique-name violation to `NameInUse`, naming the container
    /// that holds the name.
    fn name_conflict(&self, res: rusqlite::Result<usize>, name: &str) -> Result<(), StateError> {
        match res {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, Some(msg)))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
                    && msg.contains("containers.name") =>
            {
                let holder: Option<String> = self
                    .conn()
                    .prepare_cached("SELECT id FROM containers WHERE name = ?1")?
                    .query_row(params![name], |r| r.get(0))
                    .optional()?;
                Err(StateError::NameInUse {
                    name: name.to_owned(),
                    holder: holder.unwrap_or_default(),
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StateError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(StateError::TooNew {
            found: version,
            supported,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tracing::debug!(to = i + 1, "migrating state database");
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", supported)?;
    tx.commit()?;
    Ok(())
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing plain data structs to JSON cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

/// A row as stored, before its JSON columns are decoded.
pub(super) struct RawRow {
    id: String,
    name: String,
    image_id: String,
    image_name: String,
    options: String,
    command: String,
    state: String,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    exit_code: Option<i32>,
    exit_signal: Option<i32>,
    oom_killed: bool,
    pid: i32,
    monitor_pid: i32,
    runtime: String,
    error: String,
    generation: i64,
}

impl RawRow {
    /// A row of a query selecting [`container_columns!`] (by position: a
    /// lookup by name per column and row costs more than the rest of the
    /// read when `ps` lists many containers).
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
        Ok(RawRow {
            id: r.get(0)?,
            name: r.get(1)?,
            image_id: r.get(2)?,
            image_name: r.get(3)?,
            options: r.get(4)?,
            command: r.get(5)?,
            state: r.get(6)?,
            created_at: r.get(7)?,
            started_at: r.get(8)?,
            finished_at: r.get(9)?,
            exit_code: r.get(10)?,
            exit_signal: r.get(11)?,
            oom_killed: r.get(12)?,
            pid: r.get(13)?,
            monitor_pid: r.get(14)?,
            runtime: r.get(15)?,
            error: r.get(16)?,
            generation: r.get(17)?,
        })
    }

    pub(super) fn into_record(self) -> Result<ContainerRecord, StateError> {
        let corrupt = |what: String| StateError::Corrupt {
            id: self.id.clone(),
            what,
        };
        let options =
            serde_json::from_str(&self.options).map_err(|e| corrupt(format!("options: {e}")))?;
        let command =
            serde_json::from_str(&self.command).map_err(|e| corrupt(format!("command: {e}")))?;
        let state = ContainerState::parse(&self.state)
            .ok_or_else(|| corrupt(format!("unknown state {:?}", self.state)))?;
        Ok(ContainerRecord {
            id: self.id,
            name: self.name,
            image_id: self.image_id,
            image_name: self.image_name,
            options,
            command,
            state,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            exit_code: self.exit_code,
            exit_signal: self.exit_signal,
            oom_killed: self.oom_killed,
            pid: self.pid,
            monitor_pid: self.monitor_pid,
            runtime: self.runtime,
            error: self.error,
            generation: self.generation,
        })
    }
}

/// Narrow updates used by lock-free reconciliation and crash recovery:
/// each applies only to rows still in the state it expects, so a
/// concurrent transition always wins.
impl Db {
    /// A monitor restarted the process: new pid and start time.
    pub fn record_restart(&self, id: &str, pid: i32, started_at: i64) -> Result<bool, StateError> {
        let n = self.conn().execute(
            "UPDATE containers SET pid = ?2, started_at = ?3, generation = generation + 1
             WHERE id = ?1 AND state IN ('running', 'stopping')",
            params![id, pid, started_at],
        )?;
        Ok(n == 1)
    }

    /// An interrupted `stop` that never ended the process: running again.
    pub fn revert_stopping(&self, id: &str) -> Result<bool, StateError> {
        let n = self.conn().execute(
            "UPDATE containers SET state = 'running', generation = generation + 1
             WHERE id = ?1 AND state = 'stopping'",
            params![id],
        )?;
        Ok(n == 1)
    }

    /// An interrupted `start` whose `runtime start` did run.
    pub fn promote_started(&self, id: &str, started_at: i64) -> Result<bool, StateError> {
        let n = self.conn().execute(
            "UPDATE containers SET state = 'running', started_at = ?2, finished_at = NULL,
                exit_code = NULL, exit_signal = NULL, oom_killed = 0, generation = generation + 1
             WHERE id = ?1 AND state = 'initialized'",
            params![id, started_at],
        )?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::ContainerOptions;

    fn record(id: &str, name: &str) -> ContainerRecord {
        ContainerRecord {
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
        }
    }

    #[test]
    fn a_new_containers_snapshot_is_written_by_the_time_it_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let snap = |id: &str| {
            dir.path()
                .join("containers")
                .join(id)
                .join("container.json")
        };
        let db = Db::open(dir.path()).unwrap();
        db.insert_container(&record("abcdef01", "one")).unwrap();
        db.settle_snapshots();
        assert_eq!(db.snapshots.pending(), 0);
        let (read, bad) = snapshot::read_all(dir.path());
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].name, "one");
        // Closing the database waits for the ones still being written.
        db.insert_container(&record("abcdef02", "two")).unwrap();
        drop(db);
        assert!(snap("abcdef02").is_file());
    }

    #[test]
    fn insert_find_and_duplicate_name() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        db.insert_container(&record("abcdef01", "one")).unwrap();
        db.insert_container(&record("abcdef02", "two")).unwrap();
        assert_eq!(db.find_container("one").unwrap().unwrap().id, "abcdef01");
        assert_eq!(db.find_container("abcdef02").unwrap().unwrap().name, "two");
        assert!(matches!(
            db.find_container("abcdef"),
            Err(StateError::Ambiguous(_))
        ));
        assert_eq!(db.find_container("abcdef01").unwrap().unwrap().name, "one");
        assert!(db.find_container("nope").unwrap().is_none());
        let err = db.insert_container(&record("ff", "one")).unwrap_err();
        assert!(matches!(err, StateError::NameInUse { .. }), "{err}");
        assert!(err.to_string().contains(" is already in use by "), "{err}");
        assert_eq!(db.list_containers().unwrap().len(), 2);
    }

    #[test]
    fn exit_is_recorded_once_and_only_for_live_states() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let mut c = record("aa", "a");
        db.insert_container(&c).unwrap();
        let exit = ExitInfo {
            code: 42,
            signal: None,
            finished_at: 5,
            oom_killed: false,
        };
        assert!(
            !db.record_exit("aa", &exit).unwrap(),
            "created containers have no exit"
        );
        c.state = ContainerState::Running;
        db.update_container(&mut c).unwrap();
        assert!(db.record_exit("aa", &exit).unwrap());
        assert!(!db.record_exit("aa", &exit).unwrap());
        let got = db.container_by_id("aa").unwrap().unwrap();
        assert_eq!(
            (got.state, got.exit_code),
            (ContainerState::Exited, Some(42))
        );
    }

    #[test]
    fn a_database_from_before_generations_opens_and_gains_them() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO containers (id, name, image_id, image_name, options, command, state,
                created_at, runtime)
             VALUES ('aa', 'old', 'img', 'busybox', '{\"image\":\"busybox\"}', '[\"sh\"]',
                'created', 1, 'runc')",
            [],
        )
        .unwrap();
        drop(conn);
        let db = Db::open(dir.path()).unwrap();
        let mut old = db.container_by_id("aa").unwrap().unwrap();
        assert_eq!((old.name.as_str(), old.generation), ("old", 1));
        db.update_container(&mut old).unwrap();
        assert_eq!(old.generation, 2);
        let exit = ExitInfo {
            code: 1,
            signal: None,
            finished_at: 2,
            oom_killed: false,
        };
        old.state = ContainerState::Running;
        db.update_container(&mut old).unwrap();
        assert!(db.record_exit("aa", &exit).unwrap());
        assert_eq!(db.container_generation("aa").unwrap(), Some(4));
        drop(db);
        // Reopening (marker written, schema current) keeps it all.
        let db = Db::open(dir.path()).unwrap();
        assert_eq!(db.container_by_id("aa").unwrap().unwrap().generation, 4);
    }

    #[test]
    fn reopening_keeps_data_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        Db::open(dir.path())
            .unwrap()
            .insert_container(&record("aa", "a"))
            .unwrap();
        let db = Db::open(dir.path()).unwrap();
        assert_eq!(db.list_containers().unwrap().len(), 1);
    }

    fn damaged_after(damage: impl Fn(&Path)) -> StateError {
        let dir = tempfile::tempdir().unwrap();
        Db::open(dir.path())
            .unwrap()
            .insert_container(&record("aa", "a"))
            .unwrap();
        let path = dir.path().join(DB_FILE);
        damage(&path);
        let before = std::fs::read(&path).ok();
        let err = match Db::open(dir.path()) {
            Ok(_) => panic!("a damaged database was opened"),
            Err(e) => e,
        };
        // Refusing never writes: the damaged file is left as found.
        assert_eq!(std::fs::read(&path).ok(), before);
        err
    }

    #[test]
    fn a_database_that_existed_is_never_recreated() {
        let truncated = damaged_after(|p| std::fs::write(p, b"").unwrap());
        assert!(
            matches!(truncated, StateError::Damaged { .. }),
            "{truncated}"
        );
        assert!(truncated.to_string().contains("the file is empty"));
        let zeroed = damaged_after(|p| {
            let len = std::fs::metadata(p).unwrap().len() as usize;
            std::fs::write(p, vec![0u8; len]).unwrap()
        });
        assert!(
            zeroed.to_string().contains("file is not a database"),
            "{zeroed}"
        );
        let garbled = damaged_after(|p| {
            let mut raw = std::fs::read(p).unwrap();
            for (i, b) in raw.iter_mut().enumerate().take(100) {
                *b = (i as u8).wrapping_mul(37) ^ 0x5a;
            }
            std::fs::write(p, raw).unwrap()
        });
        assert!(
            garbled.to_string().contains("file is not a database"),
            "{garbled}"
        );
        let missing = damaged_after(|p| std::fs::remove_file(p).unwrap());
        assert!(missing.to_string().contains("the file is missing"));
        for e in [truncated, zeroed, garbled, missing] {
            let msg = e.to_string();
            assert!(
                msg.contains(DB_FILE) && msg.contains(REPAIR_COMMAND),
                "{msg}"
            );
        }
    }

    #[test]
    fn recreate_starts_over_where_the_old_file_was_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        Db::open(dir.path()).unwrap();
        std::fs::write(dir.path().join(DB_FILE), b"").unwrap();
        assert!(Db::open(dir.path()).is_err());
        integrity::quarantine(dir.path()).unwrap();
        let db = Db::recreate(dir.path()).unwrap();
        assert!(db.list_containers().unwrap().is_empty());
        drop(db);
        Db::open(dir.path()).unwrap();
    }
}
