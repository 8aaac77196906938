//! [`rpod_api::front_door::Builds`] for the local engine: `build` through
//! Buildah (see [`crate::build`]).

use std::sync::Arc;

use async_trait::async_trait;
use rpod_api::front_door::build::{BuildContext, BuildOptions, BuildOutcome, BuildSink};
use rpod_api::front_door::Builds;
use rpod_api::{Error, Result};

use super::images::names::normalize_name;
use super::LocalEngine;

#[async_trait]
impl Builds for LocalEngine {
    async fn image_build(
        &self,
        context: BuildContext,
        options: BuildOptions,
        sink: Arc<dyn BuildSink>,
    ) -> Result<BuildOutcome> {
        let names = options
            .tags
            .iter()
            .map(|t| normalize_name(t))
            .collect::<Result<Vec<_>>>()?;
        let engine = self.engine().clone();
        tokio::task::spawn_blocking(move || {
            crate::build::build(&engine, context, &options, &names, sink)
        })
        .await
        .map_err(|e| Error::other(format!("build task failed: {e}")))?
        .map_err(|e| Error::other(e.to_string()))
    }
}
