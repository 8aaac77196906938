//! Versioned schema. Migrations run in order inside one exclusive
//! transaction; the version lives in SQLite's `user_version`.

/// Each entry migrates from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 0 -> 1: containers.
    "CREATE TABLE containers (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        image_id      TEXT NOT NULL,
        image_name    TEXT NOT NULL,
        options       TEXT NOT NULL,
        command       TEXT NOT NULL,
        state         TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        started_at    INTEGER,
        finished_at   INTEGER,
        exit_code     INTEGER,
        exit_signal   INTEGER,
        oom_killed    INTEGER NOT NULL DEFAULT 0,
        pid           INTEGER NOT NULL DEFAULT 0,
        monitor_pid   INTEGER NOT NULL DEFAULT 0,
        runtime       TEXT NOT NULL,
        error         TEXT NOT NULL DEFAULT ''
    );",
];
