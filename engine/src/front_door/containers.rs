//! [`rpod_api::front_door::Containers`] for the local engine.

use async_trait::async_trait;
use rpod_api::front_door::Containers;
use rpod_api::Result;

use super::LocalEngine;

#[async_trait]
impl Containers for LocalEngine {
    async fn container_rename(&self, name_or_id: &str, new_name: &str) -> Result<()> {
        let handle = self.engine().container(name_or_id)?;
        Ok(handle.rename(new_name.to_owned()).await?)
    }
}
