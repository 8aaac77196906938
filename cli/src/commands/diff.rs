//! `diff`: files added (A), changed (C) and deleted (D) in a container
//! or in an image's top layer.

use clap::Args;
use rpod_api::container::{DiffOptions, DiffType};
use serde_json::json;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

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
    let name = match (a.latest, a.name) {
        (true, Some(_)) => {
            return Err(CliError::usage(
                "--latest and containers cannot be used together",
            ))
        }
        (true, None) => String::new(),
        (false, Some(n)) => n,
        (false, None) => {
            return Err(CliError::usage(
                "\"rpod diff\" requires a name, id, or the \"--latest\" flag",
            ))
        }
    };
    let engine = open_front_door(g)?;
    let changes = engine
        .container_diff(
            &name,
            DiffOptions {
                latest: a.latest,
                r#type: DiffType::All,
            },
        )
        .await?
        .changes;
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
