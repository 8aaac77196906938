//! `diff`: files added (A), changed (C) and deleted (D) in a container
//! or in an image's top layer.

use clap::Args;
use rpod_engine::container::ContainerError;
use serde_json::json;

use super::common::{open_engine, Globals};
use super::tag::find_image;
use crate::cli_error::{CliError, CliResult};

/// Paths the engine itself creates or mounts over in every container;
/// Podman leaves them out of a container's diff.
const INIT_INODES: &[&str] = &[
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/proc",
    "/run",
    "/run/notify",
    "/run/.containerenv",
    "/run/secrets",
    "/sys",
    "/etc/mtab",
];

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Change the output format (json)
    #[arg(long)]
    format: Option<String>,
    /// Act on the latest container rpod is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Container or image
    name: Option<String>,
}

pub async fn run(g: &Globals, a: DiffArgs) -> CliResult {
    if a.format.as_deref().is_some_and(|f| f != "json") {
        return Err(CliError::usage(format!(
            "only json is supported as --format, not {:?}",
            a.format.unwrap_or_default()
        )));
    }
    let engine = open_engine(g)?;
    let name = match (a.latest, a.name) {
        (true, Some(_)) => {
            return Err(CliError::usage(
                "--latest and containers cannot be used together",
            ))
        }
        (true, None) => super::latest::latest_container(&engine)?,
        (false, Some(n)) => n,
        (false, None) => {
            return Err(CliError::usage(
                "\"rpod diff\" requires a name, id, or the \"--latest\" flag",
            ))
        }
    };
    let store = engine.store();
    let changes = match engine.container(&name) {
        Ok(h) => {
            let rec = h.get().await?;
            let image = store
                .images()
                .map_err(|e| CliError::usage(e.to_string()))?
                .into_iter()
                .find(|i| i.id == rec.image_id)
                .ok_or_else(|| CliError::usage(format!("{}: image not known", rec.image_name)))?;
            store.container_changes(&rec.id, &image).map(|all| {
                all.into_iter()
                    .filter(|c| !INIT_INODES.contains(&c.path.as_str()))
                    .collect::<Vec<_>>()
            })
        }
        Err(ContainerError::NotFound(_)) => {
            let image = find_image(&engine, &name)
                .map_err(|_| CliError::usage(format!("{name}: no such container or image")))?;
            store.image_changes(&image)
        }
        Err(e) => return Err(e.into()),
    }
    .map_err(|e| CliError::usage(e.to_string()))?;
    if a.format.is_some() {
        let pick = |k: char| -> Vec<&str> {
            changes
                .iter()
                .filter(|c| c.kind == k)
                .map(|c| c.path.as_str())
                .collect()
        };
        let v = json!({"changed": pick('C'), "added": pick('A'), "deleted": pick('D')});
        println!("{}", crate::format::json_pretty(&v));
        return Ok(0);
    }
    for c in changes {
        println!("{} {}", c.kind, c.path);
    }
    Ok(0)
}
