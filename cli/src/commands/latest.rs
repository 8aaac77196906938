//! `-l/--latest`: the most recently created container (for the commands that
//! still resolve it in the CLI: exec, attach, start; the front door resolves
//! `latest` itself).

use rpod_engine::Engine;

use crate::cli_error::{CliError, CliResult};

/// The ID of the container created last; Podman's `no such container`
/// when there is none.
pub fn latest_container(engine: &Engine) -> CliResult<String> {
    engine
        .containers()?
        .into_iter()
        .max_by_key(|c| c.created_at)
        .map(|c| c.id)
        .ok_or_else(|| CliError::usage("no such container"))
}
