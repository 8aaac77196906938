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
    // 1 -> 2: pods; a container's pod and dependencies, derived from its
    // options so they can never disagree with them.
    "CREATE TABLE pods (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        options     TEXT NOT NULL,
        infra_id    TEXT NOT NULL DEFAULT '',
        state       TEXT NOT NULL DEFAULT '',
        created_at  INTEGER NOT NULL
    );
    ALTER TABLE containers ADD COLUMN pod_id TEXT
        GENERATED ALWAYS AS (json_extract(options, '$.pod.pod_id')) VIRTUAL;
    ALTER TABLE containers ADD COLUMN dependencies TEXT
        GENERATED ALWAYS AS (coalesce(json_extract(options, '$.requires'), '[]')) VIRTUAL;
    CREATE INDEX containers_pod_id ON containers (pod_id);",
    // 2 -> 3: a generation per container row, bumped by every write, so an
    // actor holding the row knows cheaply whether another process changed it.
    "ALTER TABLE containers ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;",
    // 3 -> 4: a container's attachments to networks, with the addresses
    // rpod's IPAM gave it there (one address per family and network is
    // unique, so two processes can never hand out the same one).
    "CREATE TABLE network_attachments (
        container_id  TEXT NOT NULL,
        network       TEXT NOT NULL,
        interface     TEXT NOT NULL,
        ipv4          TEXT,
        ipv6          TEXT,
        mac           TEXT,
        aliases       TEXT NOT NULL DEFAULT '[]',
        static_ip     INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (container_id, network)
    );
    CREATE INDEX network_attachments_network ON network_attachments (network);
    CREATE UNIQUE INDEX network_attachments_ipv4 ON network_attachments (network, ipv4)
        WHERE ipv4 IS NOT NULL;
    CREATE UNIQUE INDEX network_attachments_ipv6 ON network_attachments (network, ipv6)
        WHERE ipv6 IS NOT NULL;",
    // 4 -> 5: named volumes.
    VOLUMES,
    // 5 -> 6: secrets.
    SECRETS,
];

/// Named volumes (self-contained, so it can be renumbered). `lock_number`
/// is Podman's LockNumber: a stable small number per volume. `mount_count`
/// counts the containers that mounted a volume whose driver options need a
/// mount (Podman's MountCount); `copied_up` is Podman's internal CopiedUp.
/// A container's volumes are in its options (`$.volumes[*].name`).
const VOLUMES: &str = "CREATE TABLE volumes (
        lock_number   INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT NOT NULL UNIQUE,
        driver        TEXT NOT NULL,
        labels        TEXT NOT NULL,
        options       TEXT NOT NULL,
        anonymous     INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        needs_copy_up INTEGER NOT NULL DEFAULT 1,
        needs_chown   INTEGER NOT NULL DEFAULT 1,
        copied_up     INTEGER NOT NULL DEFAULT 0,
        mount_count   INTEGER NOT NULL DEFAULT 0
    );";

/// Secrets' metadata (Podman keeps it in secrets.json): the ID is 25 hex
/// digits; the data lives with the driver (the file driver: one 0600 file
/// per secret under `<root>/secrets/filedriver`), never in the database.
const SECRETS: &str = "CREATE TABLE secrets (
        id             TEXT PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        driver         TEXT NOT NULL,
        driver_options TEXT NOT NULL,
        labels         TEXT NOT NULL,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
    );";
