//! Pod rows, and the queries that relate containers to pods.

use rusqlite::{params, OptionalExtension, Row};

use super::db::{to_json, Db, RawRow, StateError};
use super::records::ContainerRecord;
use crate::pod::{PodRecord, PodTransition};

fn pod_from_row(r: &Row<'_>) -> rusqlite::Result<(PodRecord, String, String)> {
    let options: String = r.get("options")?;
    let state: String = r.get("state")?;
    let infra: String = r.get("infra_id")?;
    Ok((
        PodRecord {
            id: r.get("id")?,
            name: r.get("name")?,
            options: Default::default(),
            infra_id: (!infra.is_empty()).then_some(infra),
            transition: PodTransition::Idle,
            created_at: r.get("created_at")?,
        },
        options,
        state,
    ))
}

fn decode((mut rec, options, state): (PodRecord, String, String)) -> Result<PodRecord, StateError> {
    let corrupt = |what: String| StateError::Corrupt {
        id: rec.id.clone(),
        what,
    };
    rec.options = serde_json::from_str(&options).map_err(|e| corrupt(format!("options: {e}")))?;
    rec.transition = PodTransition::parse(&state)
        .ok_or_else(|| corrupt(format!("unknown pod state {state:?}")))?;
    Ok(rec)
}

impl Db {
    /// Inserts a new pod; its name must be unused by other pods.
    pub fn insert_pod(&self, p: &PodRecord) -> Result<(), StateError> {
        let res = self.conn().execute(
            "INSERT INTO pods (id, name, options, infra_id, state, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                p.id,
                p.name,
                to_json(&p.options),
                p.infra_id.clone().unwrap_or_default(),
                p.transition.as_str(),
                p.created_at
            ],
        );
        match res {
            Ok(_) => {
                self.write_pod_snapshot(p);
                Ok(())
            }
            Err(rusqlite::Error::SqliteFailure(e, Some(msg)))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
                    && msg.contains("pods.name") =>
            {
                Err(StateError::PodNameInUse(p.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Records the pod's infra container.
    pub fn set_pod_infra(&self, pod_id: &str, infra_id: &str) -> Result<(), StateError> {
        self.conn().execute(
            "UPDATE pods SET infra_id = ?2 WHERE id = ?1",
            params![pod_id, infra_id],
        )?;
        if let Some(p) = self.pod_by_id(pod_id)? {
            self.write_pod_snapshot(&p);
        }
        Ok(())
    }

    /// Records the operation in progress on the pod.
    pub fn set_pod_transition(&self, pod_id: &str, t: PodTransition) -> Result<(), StateError> {
        self.conn().execute(
            "UPDATE pods SET state = ?2 WHERE id = ?1",
            params![pod_id, t.as_str()],
        )?;
        Ok(())
    }

    pub fn pod_by_id(&self, id: &str) -> Result<Option<PodRecord>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT * FROM pods WHERE id = ?1")?;
        let raw = stmt.query_row(params![id], pod_from_row).optional()?;
        raw.map(decode).transpose()
    }

    /// Podman's lookup order: full id, exact name, unique id prefix.
    pub fn find_pod(&self, name_or_id: &str) -> Result<Option<PodRecord>, StateError> {
        if name_or_id.is_empty() {
            return Ok(None);
        }
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT * FROM pods WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1",
        )?;
        if let Some(raw) = stmt
            .query_row(params![name_or_id], pod_from_row)
            .optional()?
        {
            return decode(raw).map(Some);
        }
        if !name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let mut stmt = conn.prepare_cached("SELECT * FROM pods WHERE id LIKE ?1 || '%' LIMIT 2")?;
        let rows: Vec<_> = stmt
            .query_map(params![name_or_id.to_ascii_lowercase()], pod_from_row)?
            .collect::<Result<_, _>>()?;
        match rows.len() {
            0 => Ok(None),
            1 => rows.into_iter().next().map(decode).transpose(),
            _ => Err(StateError::AmbiguousPod(name_or_id.to_owned())),
        }
    }

    /// All pods, oldest first.
    pub fn list_pods(&self) -> Result<Vec<PodRecord>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT * FROM pods ORDER BY created_at")?;
        let rows: Vec<_> = stmt
            .query_map([], pod_from_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter().map(decode).collect()
    }

    /// The pod's containers (infra included), oldest first.
    pub fn pod_members(&self, pod_id: &str) -> Result<Vec<ContainerRecord>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(concat!(
            "SELECT ",
            container_columns!(),
            " FROM containers WHERE pod_id = ?1 ORDER BY created_at"
        ))?;
        let rows: Vec<RawRow> = stmt
            .query_map(params![pod_id], RawRow::from_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter().map(RawRow::into_record).collect()
    }

    /// Ids of the containers that `--requires` container `id`.
    pub fn dependents_of(&self, id: &str) -> Result<Vec<String>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT c.id FROM containers c, json_each(c.dependencies) d
             WHERE d.value = ?1 ORDER BY c.created_at",
        )?;
        let ids = stmt
            .query_map(params![id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// Deletes the pod's row, only if no container belongs to it any more.
    /// Returns whether it was deleted.
    pub fn delete_pod(&self, id: &str) -> Result<bool, StateError> {
        let n = self.conn().execute(
            "DELETE FROM pods WHERE id = ?1
               AND NOT EXISTS (SELECT 1 FROM containers WHERE pod_id = ?1)",
            params![id],
        )?;
        if n == 1 {
            super::snapshot::remove_pod(self.root(), id);
        }
        Ok(n == 1)
    }

    fn write_pod_snapshot(&self, p: &PodRecord) {
        if let Err(e) = super::snapshot::write_pod(self.root(), p) {
            tracing::warn!(pod = %p.id, "writing the pod's recovery snapshot: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{ContainerOptions, PodMembership};
    use crate::pod::PodOptions;

    fn pod(id: &str, name: &str) -> PodRecord {
        PodRecord {
            id: id.into(),
            name: name.into(),
            options: PodOptions {
                infra: true,
                share: vec!["net".into()],
                ..Default::default()
            },
            infra_id: None,
            transition: PodTransition::Idle,
            created_at: 1,
        }
    }

    fn ctr(id: &str, pod_id: Option<&str>, requires: &[&str]) -> ContainerRecord {
        ContainerRecord {
            image_id: "img".into(),
            image_name: "busybox".into(),
            ..ContainerRecord::new_created(
                id.into(),
                format!("n{id}"),
                ContainerOptions {
                    image: "busybox".into(),
                    pod: pod_id.map(|p| PodMembership {
                        pod_id: p.into(),
                        ..Default::default()
                    }),
                    requires: requires.iter().map(|s| s.to_string()).collect(),
                    ..Default::default()
                },
                vec![],
                "runc".into(),
                1,
            )
        }
    }

    #[test]
    fn pods_members_dependents_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        db.insert_pod(&pod("aa11", "p1")).unwrap();
        assert!(matches!(
            db.insert_pod(&pod("bb22", "p1")),
            Err(StateError::PodNameInUse(_))
        ));
        db.insert_pod(&pod("aa22", "p2")).unwrap();
        assert_eq!(db.find_pod("p2").unwrap().unwrap().id, "aa22");
        assert!(matches!(
            db.find_pod("aa"),
            Err(StateError::AmbiguousPod(_))
        ));
        db.set_pod_transition("aa11", PodTransition::Starting)
            .unwrap();
        db.set_pod_infra("aa11", "c1").unwrap();
        let p = db.pod_by_id("aa11").unwrap().unwrap();
        assert_eq!(p.transition, PodTransition::Starting);
        assert_eq!(p.infra_id.as_deref(), Some("c1"));
        assert!(p.options.shares("net"));

        db.insert_container(&ctr("c1", Some("aa11"), &[])).unwrap();
        db.insert_container(&ctr("c2", Some("aa11"), &["c1"]))
            .unwrap();
        db.insert_container(&ctr("c3", None, &["c1", "c2"]))
            .unwrap();
        let members: Vec<_> = db
            .pod_members("aa11")
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(members, ["c1", "c2"]);
        assert_eq!(db.dependents_of("c1").unwrap(), ["c2", "c3"]);
        assert_eq!(db.dependents_of("c2").unwrap(), ["c3"]);
        assert!(!db.delete_pod("aa11").unwrap(), "pod with members stays");
        db.delete_container("c1").unwrap();
        db.delete_container("c2").unwrap();
        assert!(db.delete_pod("aa11").unwrap());
        assert_eq!(db.list_pods().unwrap().len(), 1);
    }
}
