//! Secrets.

use async_trait::async_trait;

use crate::secret::{SecretCreateOptions, SecretInfoReport, SecretRmOptions, SecretRmReport};
use crate::Result;

/// Podman's `Secret*` operations.
#[async_trait]
pub trait Secrets: Send + Sync {
    /// `secret create`: stores `data` under `name`; the secret's ID.
    async fn secret_create(
        &self,
        name: &str,
        data: Vec<u8>,
        options: SecretCreateOptions,
    ) -> Result<String>;

    /// `secret inspect`: each secret found (by name, ID or unique ID
    /// prefix; with its data when `show_secret`), and an error for each
    /// that is not a secret.
    async fn secret_inspect(
        &self,
        names: &[String],
        show_secret: bool,
    ) -> Result<(Vec<SecretInfoReport>, Vec<crate::Error>)>;

    /// `secret ls`: the secrets the `--filter` values (`name=`, `id=`,
    /// `label=`) pick, oldest first.
    async fn secret_list(&self, filters: &[String]) -> Result<Vec<SecretInfoReport>>;

    /// `secret rm`: removes the named secrets, or with `all` every one.
    async fn secret_remove(
        &self,
        names: &[String],
        options: SecretRmOptions,
    ) -> Result<Vec<SecretRmReport>>;

    /// `secret exists`.
    async fn secret_exists(&self, name: &str) -> Result<bool>;
}
