//! `top`: the processes of a running container (the table is built by the
//! engine: psgo's descriptors read from /proc, or ps(1) in the container's PID
//! namespace), aligned as Podman prints it.

use clap::Args;
use rpod_api::container::TopOptions;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{align, TabSettings};

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Display the available format descriptors
    #[arg(long)]
    list_descriptors: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// CONTAINER [FORMAT-DESCRIPTORS|ARGS...]
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub async fn run(g: &Globals, a: TopArgs) -> CliResult {
    let engine = open_front_door(g)?;
    if a.list_descriptors {
        for n in engine.container_top_descriptors() {
            println!("{n}");
        }
        return Ok(0);
    }
    let (name, descriptors) = if a.latest {
        (String::new(), &a.args[..])
    } else {
        match a.args.split_first() {
            Some((n, rest)) => (n.clone(), rest),
            None => {
                return Err(CliError::usage(
                    "you must provide the name or id of a running container",
                ))
            }
        }
    };
    let report = engine
        .container_top(TopOptions {
            name_or_id: name,
            latest: a.latest,
            descriptors: descriptors.to_vec(),
        })
        .await?;
    let text: String = report.value.iter().map(|l| format!("{l}\n")).collect();
    print!("{}", align(&text, TabSettings::PODMAN));
    Ok(0)
}
