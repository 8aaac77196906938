//! Creating, finding and removing secrets. Every change happens under one
//! lock file (`secrets.lock`); data is written before the row that makes
//! it visible and removed after the row is gone, so a cut-off command
//! never leaves a secret without its data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{check_name, driver, new_id, SecretError, MAX_SECRET_SIZE, SECRET_ID_LEN};
use crate::config::EngineConfig;
use crate::engine::EngineCtx;
use crate::lock::{self, LockGuard};
use crate::state::{Db, SecretRecord};

/// What `secret create` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewSecret {
    pub name: String,
    pub driver: String,
    pub driver_options: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// `--replace`: an existing secret of that name is replaced.
    pub replace: bool,
    /// `--ignore`: an existing secret of that name is the result.
    pub ignore: bool,
}

/// The secrets of one engine.
pub(crate) struct SecretStore<'a> {
    db: &'a Db,
    config: &'a EngineConfig,
    root: &'a Path,
    lock_dir: PathBuf,
}

impl<'a> SecretStore<'a> {
    pub fn new(ctx: &'a EngineCtx) -> Self {
        SecretStore {
            db: &ctx.db,
            config: &ctx.config,
            root: &ctx.config.root,
            lock_dir: ctx.config.lock_dir(),
        }
    }

    fn lock(&self) -> Result<LockGuard, SecretError> {
        Ok(lock::lock_exclusive(&self.lock_dir, "secrets")?)
    }

    /// Stores a secret; its ID.
    pub fn create(&self, new: NewSecret, data: &[u8]) -> Result<String, SecretError> {
        check_name(&new.name)?;
        if data.is_empty() || data.len() >= MAX_SECRET_SIZE {
            return Err(SecretError::DataSize);
        }
        if new.replace && new.ignore {
            return Err(SecretError::Invalid(
                "ignoreIfExists and replace cannot be used together".into(),
            ));
        }
        let drv = driver::Driver::new(self.root, &new.driver, &new.driver_options)?;
        let _guard = self.lock()?;
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
        let existing = self.db.secret_exact(&new.name)?;
        let created_at = match &existing {
            Some(old) if new.ignore => return Ok(old.id.clone()),
            Some(old) if new.replace => old.created_at,
            Some(_) => return Err(SecretError::NameInUse(new.name)),
            None => now,
        };
        let mut id = new_id();
        while self.db.secret_exact(&id)?.is_some() {
            id = new_id();
        }
        drv.store(&id, data)?;
        let rec = SecretRecord {
            id: id.clone(),
            name: new.name.clone(),
            driver: new.driver,
            driver_options: new.driver_options,
            labels: new.labels,
            created_at,
            updated_at: now,
        };
        let inserted = self
            .db
            .insert_secret(&rec, existing.as_ref().map(|o| o.id.as_str()));
        match inserted {
            Ok(true) => {}
            Ok(false) => {
                let _ = drv.delete(&id);
                return Err(SecretError::NameInUse(new.name));
            }
            Err(e) => {
                let _ = drv.delete(&id);
                return Err(e.into());
            }
        }
        if let Some(old) = existing {
            if let Err(e) = self.delete_data(&old) {
                tracing::warn!("removing the data of replaced secret {}: {e}", old.id);
            }
        }
        crate::events::secret_event(self.config, &id, "create");
        Ok(id)
    }

    /// The secret named `key`, or with ID (or unique ID prefix) `key`.
    pub fn lookup(&self, key: &str) -> Result<SecretRecord, SecretError> {
        if let Some(s) = self.db.secret_exact(key)? {
            return Ok(s);
        }
        if key.is_empty() || key.len() > SECRET_ID_LEN {
            return Err(SecretError::NotFound(key.to_owned()));
        }
        let mut found = self
            .db
            .list_secrets()?
            .into_iter()
            .filter(|s| s.id.starts_with(key));
        match (found.next(), found.next()) {
            (Some(s), None) => Ok(s),
            (Some(_), Some(_)) => Err(SecretError::Ambiguous(key.to_owned())),
            (None, _) => Err(SecretError::NotFound(key.to_owned())),
        }
    }

    pub fn list(&self) -> Result<Vec<SecretRecord>, SecretError> {
        Ok(self.db.list_secrets()?)
    }

    /// The secret's data.
    pub fn data(&self, s: &SecretRecord) -> Result<Vec<u8>, SecretError> {
        driver::Driver::new(self.root, &s.driver, &s.driver_options)?
            .lookup(&s.id)
            .map_err(|e| match e {
                SecretError::NotFound(_) => SecretError::NotFound(s.name.clone()),
                other => other,
            })
    }

    /// Removes a secret; its ID.
    pub fn remove(&self, key: &str) -> Result<String, SecretError> {
        let _guard = self.lock()?;
        let s = self.lookup(key)?;
        self.db.delete_secret(&s.id)?;
        self.delete_data(&s)?;
        crate::events::secret_event(self.config, &s.id, "remove");
        Ok(s.id)
    }

    fn delete_data(&self, s: &SecretRecord) -> Result<(), SecretError> {
        driver::Driver::new(self.root, &s.driver, &s.driver_options)?.delete(&s.id)
    }
}
