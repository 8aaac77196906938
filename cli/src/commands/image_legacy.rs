//! Engine-typed image helpers that commands outside the image area still call
//! (`run`'s pull policy and `--rmi`, `diff`, `system prune`) until they go
//! through the front door themselves; the logic lives in the engine's
//! `front_door::images`. Delete this file once nothing uses it.

use std::io::IsTerminal;
use std::sync::Arc;

use rpod_api::front_door::images::{ImagePullOptions, ProgressSink, RegistryOptions};
use rpod_engine::front_door::images::{remove, transfer};
use rpod_engine::Engine;

use super::progress_bars::StderrProgress;
use crate::cli_error::CliResult;

/// Pulls `image` with default options; returns the image id.
pub async fn pull_image(
    engine: &Engine,
    image: &str,
    tls_verify: Option<bool>,
    quiet: bool,
) -> CliResult<String> {
    let bars = !quiet && std::io::stderr().is_terminal();
    let options = ImagePullOptions {
        registry: RegistryOptions {
            tls_verify,
            ..Default::default()
        },
        quiet,
        blob_progress: bars,
        ..Default::default()
    };
    let sink = (!quiet).then(|| StderrProgress::new(bars) as Arc<dyn ProgressSink>);
    Ok(transfer::pull(engine, image, &options, sink).await?)
}

/// `run --rmi`: removes `name`'s image unless a container still uses it.
pub fn remove_unused(engine: &Engine, name: &str) {
    remove::remove_unused(engine, name)
}
