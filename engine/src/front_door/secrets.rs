//! [`rpod_api::front_door::Secrets`] for the local engine: the requests on
//! [`crate::secret`]'s store, its records as Podman's reports.

use async_trait::async_trait;
use rpod_api::front_door::Secrets;
use rpod_api::secret::{
    SecretCreateOptions, SecretDriverSpec, SecretInfoReport, SecretRmOptions, SecretRmReport,
    SecretSpec,
};
use rpod_api::time::GoTime;
use rpod_api::{Error, Result};

use super::LocalEngine;
use crate::secret::filter::SecretFilters;
use crate::secret::store::{NewSecret, SecretStore};
use crate::secret::{SecretError, FILE_DRIVER};
use crate::state::SecretRecord;

#[async_trait]
impl Secrets for LocalEngine {
    async fn secret_create(
        &self,
        name: &str,
        data: Vec<u8>,
        o: SecretCreateOptions,
    ) -> Result<String> {
        let store = SecretStore::new(self.engine().ctx());
        let driver = if o.driver.is_empty() {
            FILE_DRIVER.to_owned()
        } else {
            o.driver
        };
        let mut driver_options = o.driver_opts;
        if driver == FILE_DRIVER && !driver_options.contains_key("path") {
            // Podman records where the file driver keeps the data.
            let dir = crate::secret::driver::data_dir(
                &self.engine().ctx().config.root,
                &driver,
                &driver_options,
            )?;
            driver_options.insert("path".into(), dir.display().to_string());
        }
        Ok(store.create(
            NewSecret {
                name: name.to_owned(),
                driver,
                driver_options,
                labels: o.labels,
                replace: o.replace,
                ignore: o.ignore,
            },
            &data,
        )?)
    }

    async fn secret_inspect(
        &self,
        names: &[String],
        show_secret: bool,
    ) -> Result<(Vec<SecretInfoReport>, Vec<Error>)> {
        let store = SecretStore::new(self.engine().ctx());
        let mut found = Vec::new();
        let mut errs = Vec::new();
        for name in names {
            match store.lookup(name) {
                Ok(s) => {
                    let mut r = report(&s);
                    if show_secret {
                        r.secret_data = String::from_utf8_lossy(&store.data(&s)?).into_owned();
                    }
                    found.push(r);
                }
                Err(e @ SecretError::NotFound(_)) => errs.push(e.into()),
                Err(e) => return Err(e.into()),
            }
        }
        Ok((found, errs))
    }

    async fn secret_list(&self, filters: &[String]) -> Result<Vec<SecretInfoReport>> {
        let store = SecretStore::new(self.engine().ctx());
        let filters = SecretFilters::parse(filters)?;
        Ok(store
            .list()?
            .iter()
            .filter(|s| filters.matches(s))
            .map(report)
            .collect())
    }

    async fn secret_remove(
        &self,
        names: &[String],
        o: SecretRmOptions,
    ) -> Result<Vec<SecretRmReport>> {
        let store = SecretStore::new(self.engine().ctx());
        let targets: Vec<String> = if o.all {
            store.list()?.into_iter().map(|s| s.id).collect()
        } else {
            names.to_vec()
        };
        let mut out = Vec::with_capacity(targets.len());
        for key in targets {
            match store.remove(&key) {
                Ok(id) => out.push(SecretRmReport { id, err: None }),
                Err(SecretError::NotFound(_)) if o.ignore => {}
                Err(e) => out.push(SecretRmReport {
                    id: String::new(),
                    err: Some(e.into()),
                }),
            }
        }
        Ok(out)
    }

    async fn secret_exists(&self, name: &str) -> Result<bool> {
        match SecretStore::new(self.engine().ctx()).lookup(name) {
            Ok(_) => Ok(true),
            Err(SecretError::NotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// Podman's report of one secret, without its data.
fn report(s: &SecretRecord) -> SecretInfoReport {
    SecretInfoReport {
        id: s.id.clone(),
        created_at: GoTime::from_unix_nanos(s.created_at),
        updated_at: GoTime::from_unix_nanos(s.updated_at),
        spec: SecretSpec {
            name: s.name.clone(),
            driver: SecretDriverSpec {
                name: s.driver.clone(),
                options: s.driver_options.clone(),
            },
            labels: s.labels.clone(),
        },
        secret_data: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front_door::test_engine;

    #[tokio::test]
    async fn create_inspect_list_remove() {
        let dir = tempfile::tempdir().unwrap();
        let fd = test_engine(dir.path());
        let id = fd
            .secret_create("pw", b"hunter2".to_vec(), SecretCreateOptions::default())
            .await
            .unwrap();
        assert_eq!(id.len(), 25);
        let dup = fd
            .secret_create("pw", b"x".to_vec(), SecretCreateOptions::default())
            .await
            .unwrap_err();
        assert_eq!(dup.message, "pw: secret name in use");
        let (found, errs) = fd
            .secret_inspect(&["pw".into(), "nope".into()], false)
            .await
            .unwrap();
        assert_eq!(found[0].id, id);
        assert!(found[0].secret_data.is_empty());
        assert_eq!(
            errs[0].message,
            "no secret with name or id \"nope\": no such secret"
        );
        let (shown, _) = fd
            .secret_inspect(&[id[..5].to_owned()], true)
            .await
            .unwrap();
        assert_eq!(shown[0].secret_data, "hunter2");
        let replaced = fd
            .secret_create(
                "pw",
                b"new".to_vec(),
                SecretCreateOptions {
                    replace: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_ne!(replaced, id);
        assert!(!fd.secret_exists(&id).await.unwrap());
        assert_eq!(fd.secret_list(&[]).await.unwrap().len(), 1);
        let rm = fd
            .secret_remove(&["pw".into()], SecretRmOptions::default())
            .await
            .unwrap();
        assert_eq!(rm[0].id, replaced);
        assert!(fd.secret_list(&[]).await.unwrap().is_empty());
        let data_dir = dir.path().join("root/secrets/filedriver");
        assert_eq!(
            std::fs::read_dir(&data_dir).unwrap().count(),
            0,
            "data removed"
        );
        let empty = fd
            .secret_create("e", Vec::new(), SecretCreateOptions::default())
            .await
            .unwrap_err();
        assert_eq!(
            empty.message,
            "secret data must be larger than 0 and less than 512000 bytes"
        );
    }
}
