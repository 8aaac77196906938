//! Volume rows, and the query that relates containers to volumes.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Row};

use super::db::{to_json, Db, StateError};
use crate::volume::VolumeRecord;

fn volume_from_row(r: &Row<'_>) -> rusqlite::Result<(VolumeRecord, String, String)> {
    Ok((
        VolumeRecord {
            name: r.get("name")?,
            driver: r.get("driver")?,
            labels: BTreeMap::new(),
            options: BTreeMap::new(),
            anonymous: r.get("anonymous")?,
            created_at: r.get("created_at")?,
            needs_copy_up: r.get("needs_copy_up")?,
            needs_chown: r.get("needs_chown")?,
            copied_up: r.get("copied_up")?,
            mount_count: r.get("mount_count")?,
            lock_number: r.get("lock_number")?,
        },
        r.get("labels")?,
        r.get("options")?,
    ))
}

fn decode(
    (mut v, labels, options): (VolumeRecord, String, String),
) -> Result<VolumeRecord, StateError> {
    let corrupt = |what: String| StateError::Corrupt {
        id: v.name.clone(),
        what,
    };
    v.labels = serde_json::from_str(&labels).map_err(|e| corrupt(format!("labels: {e}")))?;
    v.options = serde_json::from_str(&options).map_err(|e| corrupt(format!("options: {e}")))?;
    Ok(v)
}

impl Db {
    /// Inserts a new volume; `Ok(false)` if the name is taken. The record's
    /// `lock_number` becomes the one assigned.
    pub fn insert_volume(&self, v: &mut VolumeRecord) -> Result<bool, StateError> {
        let res = self.conn().query_row(
            "INSERT INTO volumes (name, driver, labels, options, anonymous, created_at,
                needs_copy_up, needs_chown, copied_up, mount_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             RETURNING lock_number",
            params![
                v.name,
                v.driver,
                to_json(&v.labels),
                to_json(&v.options),
                v.anonymous,
                v.created_at,
                v.needs_copy_up,
                v.needs_chown,
                v.copied_up,
                v.mount_count,
            ],
            |r| r.get::<_, u32>(0),
        );
        match res {
            Ok(n) => {
                v.lock_number = n;
                Ok(true)
            }
            Err(rusqlite::Error::SqliteFailure(e, Some(msg)))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
                    && msg.contains("volumes.name") =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the volume's mutable state (copy-up, chown, mount count).
    pub fn update_volume_state(&self, v: &VolumeRecord) -> Result<(), StateError> {
        self.conn().execute(
            "UPDATE volumes SET needs_copy_up = ?2, needs_chown = ?3, copied_up = ?4,
                mount_count = ?5
             WHERE name = ?1",
            params![
                v.name,
                v.needs_copy_up,
                v.needs_chown,
                v.copied_up,
                v.mount_count
            ],
        )?;
        Ok(())
    }

    pub fn delete_volume(&self, name: &str) -> Result<(), StateError> {
        self.conn()
            .execute("DELETE FROM volumes WHERE name = ?1", params![name])?;
        Ok(())
    }

    /// The volume named exactly `name`.
    pub fn volume(&self, name: &str) -> Result<Option<VolumeRecord>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT * FROM volumes WHERE name = ?1")?;
        let raw = stmt.query_row(params![name], volume_from_row).optional()?;
        raw.map(decode).transpose()
    }

    /// Every volume, oldest first.
    pub fn list_volumes(&self) -> Result<Vec<VolumeRecord>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT * FROM volumes ORDER BY lock_number")?;
        let rows: Vec<_> = stmt
            .query_map([], volume_from_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter().map(decode).collect()
    }

    /// Ids of the containers whose options name volume `name`, oldest first.
    pub fn containers_using_volume(&self, name: &str) -> Result<Vec<String>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT c.id FROM containers c, json_each(c.options, '$.volumes') v
             WHERE json_extract(v.value, '$.name') = ?1
             ORDER BY c.created_at",
        )?;
        let ids = stmt
            .query_map(params![name], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// Names of the volumes some container uses.
    pub fn volumes_in_use(&self) -> Result<Vec<String>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT json_extract(v.value, '$.name')
             FROM containers c, json_each(c.options, '$.volumes') v",
        )?;
        let names = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{ContainerOptions, VolumeMount};
    use crate::state::ContainerRecord;

    #[test]
    fn volumes_rows_and_their_users() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let mut v = VolumeRecord {
            name: "data".into(),
            driver: "local".into(),
            labels: BTreeMap::from([("a".to_owned(), "b".to_owned())]),
            needs_copy_up: true,
            ..Default::default()
        };
        assert!(db.insert_volume(&mut v).unwrap());
        assert!(v.lock_number > 0);
        let mut dup = v.clone();
        assert!(!db.insert_volume(&mut dup).unwrap(), "names are unique");
        let c = ContainerRecord::new_created(
            "c1".into(),
            "one".into(),
            ContainerOptions {
                image: "busybox".into(),
                volumes: vec![VolumeMount {
                    name: "data".into(),
                    destination: "/d".into(),
                    options: vec![],
                }],
                ..Default::default()
            },
            vec!["sh".into()],
            "runc".into(),
            1,
        );
        db.insert_container(&c).unwrap();
        assert_eq!(db.containers_using_volume("data").unwrap(), ["c1"]);
        assert_eq!(db.volumes_in_use().unwrap(), ["data"]);
        assert!(db.containers_using_volume("other").unwrap().is_empty());
        v.needs_copy_up = false;
        v.mount_count = 2;
        db.update_volume_state(&v).unwrap();
        assert_eq!(db.volume("data").unwrap().unwrap(), v);
        db.delete_container("c1").unwrap();
        assert!(db.volumes_in_use().unwrap().is_empty());
        db.delete_volume("data").unwrap();
        assert!(db.list_volumes().unwrap().is_empty());
    }
}
