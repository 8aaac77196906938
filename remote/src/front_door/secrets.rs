//! `Secrets` over the libpod API.

use rpod_api::secret::{SecretCreateOptions, SecretInfoReport, SecretRmOptions, SecretRmReport};
use rpod_api::Result;

use async_trait::async_trait;
use rpod_api::front_door::Secrets;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl Secrets for RemoteEngine {
    async fn secret_create(
        &self,
        _name: &str,
        _data: Vec<u8>,
        _options: SecretCreateOptions,
    ) -> Result<String> {
        Err(unsupported("secret create"))
    }

    async fn secret_inspect(
        &self,
        _names: &[String],
        _show_secret: bool,
    ) -> Result<(Vec<SecretInfoReport>, Vec<rpod_api::Error>)> {
        Err(unsupported("secret inspect"))
    }

    async fn secret_list(&self, _filters: &[String]) -> Result<Vec<SecretInfoReport>> {
        Err(unsupported("secret list"))
    }

    async fn secret_remove(
        &self,
        _names: &[String],
        _options: SecretRmOptions,
    ) -> Result<Vec<SecretRmReport>> {
        Err(unsupported("secret remove"))
    }

    async fn secret_exists(&self, _name: &str) -> Result<bool> {
        Err(unsupported("secret exists"))
    }
}
