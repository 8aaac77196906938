//! Secret rows: a secret's metadata (its data lives with its driver).

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Row};

use super::db::{to_json, Db, StateError};

/// One secret as the database records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretRecord {
    /// 25 hex digits.
    pub id: String,
    pub name: String,
    pub driver: String,
    pub driver_options: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// Nanoseconds since the epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(SecretRecord, String, String)> {
    Ok((
        SecretRecord {
            id: r.get("id")?,
            name: r.get("name")?,
            driver: r.get("driver")?,
            driver_options: BTreeMap::new(),
            labels: BTreeMap::new(),
            created_at: r.get("created_at")?,
            updated_at: r.get("updated_at")?,
        },
        r.get("driver_options")?,
        r.get("labels")?,
    ))
}

fn decode(
    (mut s, opts, labels): (SecretRecord, String, String),
) -> Result<SecretRecord, StateError> {
    let corrupt = |what: String| StateError::Corrupt {
        id: s.id.clone(),
        what,
    };
    s.driver_options =
        serde_json::from_str(&opts).map_err(|e| corrupt(format!("driver options: {e}")))?;
    s.labels = serde_json::from_str(&labels).map_err(|e| corrupt(format!("labels: {e}")))?;
    Ok(s)
}

impl Db {
    /// Inserts a secret, first deleting the row with ID `replaces` (one
    /// transaction, so a replaced secret is never missing); `Ok(false)` if
    /// the name is taken.
    pub fn insert_secret(
        &self,
        s: &SecretRecord,
        replaces: Option<&str>,
    ) -> Result<bool, StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let Some(old) = replaces {
            tx.execute("DELETE FROM secrets WHERE id = ?1", params![old])?;
        }
        let res = tx.execute(
            "INSERT INTO secrets (id, name, driver, driver_options, labels, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                s.id,
                s.name,
                s.driver,
                to_json(&s.driver_options),
                to_json(&s.labels),
                s.created_at,
                s.updated_at
            ],
        );
        match res {
            Ok(_) => {
                tx.commit()?;
                Ok(true)
            }
            Err(rusqlite::Error::SqliteFailure(e, Some(msg)))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
                    && msg.contains("secrets.name") =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn delete_secret(&self, id: &str) -> Result<(), StateError> {
        self.conn()
            .execute("DELETE FROM secrets WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// The secret whose name or ID is exactly `key`.
    pub fn secret_exact(&self, key: &str) -> Result<Option<SecretRecord>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT * FROM secrets WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC",
        )?;
        let raw = stmt.query_row(params![key], from_row).optional()?;
        raw.map(decode).transpose()
    }

    /// Every secret, oldest first.
    pub fn list_secrets(&self) -> Result<Vec<SecretRecord>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT * FROM secrets ORDER BY created_at, id")?;
        let rows: Vec<_> = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
        rows.into_iter().map(decode).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_rows() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let s = SecretRecord {
            id: "a".repeat(25),
            name: "pw".into(),
            driver: "file".into(),
            labels: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
            created_at: 1,
            updated_at: 1,
            ..Default::default()
        };
        assert!(db.insert_secret(&s, None).unwrap());
        let mut dup = s.clone();
        dup.id = "b".repeat(25);
        assert!(!db.insert_secret(&dup, None).unwrap(), "names are unique");
        assert!(db.insert_secret(&dup, Some(&s.id)).unwrap(), "replaced");
        assert_eq!(db.secret_exact("pw").unwrap().unwrap().id, dup.id);
        assert_eq!(db.secret_exact(&dup.id).unwrap().unwrap().labels["k"], "v");
        assert!(db.secret_exact(&s.id).unwrap().is_none());
        assert_eq!(db.list_secrets().unwrap().len(), 1);
        db.delete_secret(&dup.id).unwrap();
        assert!(db.list_secrets().unwrap().is_empty());
    }
}
