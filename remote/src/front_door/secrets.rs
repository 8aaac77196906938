//! `Secrets` over the libpod API.

use hyper::Method;
use rpod_api::secret::{SecretCreateOptions, SecretInfoReport, SecretRmOptions, SecretRmReport};
use rpod_api::{ErrorKind, Result};

use async_trait::async_trait;
use rpod_api::front_door::Secrets;

use crate::ops::{filter_list_json, seg};
use crate::query::with_query;
use crate::transport::decode;
use crate::RemoteEngine;

/// A map as the JSON query value libpod takes.
fn map_json(m: &std::collections::BTreeMap<String, String>) -> String {
    serde_json::to_string(m).unwrap_or_else(|_| "{}".to_owned())
}

#[async_trait]
impl Secrets for RemoteEngine {
    async fn secret_create(
        &self,
        name: &str,
        data: Vec<u8>,
        o: SecretCreateOptions,
    ) -> Result<String> {
        let mut q = vec![("name", name.to_owned())];
        if !o.driver.is_empty() {
            q.push(("driver", o.driver.clone()));
        }
        if !o.driver_opts.is_empty() {
            q.push(("driveropts", map_json(&o.driver_opts)));
        }
        if !o.labels.is_empty() {
            q.push(("labels", map_json(&o.labels)));
        }
        q.push(("replace", o.replace.to_string()));
        q.push(("ignore", o.ignore.to_string()));
        #[derive(serde::Deserialize)]
        struct Id {
            #[serde(rename = "ID")]
            id: String,
        }
        let (_, bytes) = self
            .transport
            .call(Method::POST, &with_query("/secrets/create", &q), Some(data))
            .await?;
        Ok(decode::<Id>(&bytes)?.id)
    }

    async fn secret_inspect(
        &self,
        names: &[String],
        show_secret: bool,
    ) -> Result<(Vec<SecretInfoReport>, Vec<rpod_api::Error>)> {
        let mut found = Vec::new();
        let mut errors = Vec::new();
        let q = [("showsecret", show_secret.to_string())];
        for n in names {
            let path = with_query(&format!("/secrets/{}/json", seg(n)), &q);
            match self.transport.get(&path).await {
                Ok(v) => found.push(v),
                Err(e) if e.kind == ErrorKind::NoSuchSecret => errors.push(e),
                Err(e) => return Err(e),
            }
        }
        Ok((found, errors))
    }

    async fn secret_list(&self, filters: &[String]) -> Result<Vec<SecretInfoReport>> {
        let q = if filters.is_empty() {
            Vec::new()
        } else {
            vec![("filters", filter_list_json(filters))]
        };
        self.transport.get(&with_query("/secrets/json", &q)).await
    }

    async fn secret_remove(
        &self,
        names: &[String],
        o: SecretRmOptions,
    ) -> Result<Vec<SecretRmReport>> {
        let names = if o.all {
            self.secret_list(&[])
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect()
        } else {
            names.to_vec()
        };
        let mut out = Vec::new();
        for n in names {
            let path = format!("/secrets/{}", seg(&n));
            match self.transport.call(Method::DELETE, &path, None).await {
                Ok(_) => out.push(SecretRmReport { id: n, err: None }),
                Err(e) if o.ignore && e.kind == ErrorKind::NoSuchSecret => {}
                Err(e) => out.push(SecretRmReport {
                    id: n,
                    err: Some(e),
                }),
            }
        }
        Ok(out)
    }

    async fn secret_exists(&self, name: &str) -> Result<bool> {
        let path = format!("/secrets/{}/exists", seg(name));
        match self.transport.call(Method::GET, &path, None).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NoSuchSecret || e.kind == ErrorKind::NoSuchContainer => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}
