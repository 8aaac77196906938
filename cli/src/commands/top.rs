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

/// `top`'s and `pod top`'s arguments: the target (none with `--latest`)
/// and the descriptors after it.
pub(crate) fn target_and_descriptors<'a>(
    latest: bool,
    args: &'a [String],
    missing: &str,
) -> CliResult<(String, &'a [String])> {
    if latest {
        return Ok((String::new(), args));
    }
    match args.split_first() {
        Some((n, rest)) => Ok((n.clone(), rest)),
        None => Err(CliError::usage(missing)),
    }
}

/// `--list-descriptors`.
pub(crate) fn print_descriptors(engine: &dyn rpod_api::FrontDoor) {
    for n in engine.container_top_descriptors() {
        println!("{n}");
    }
}

/// The table's lines aligned as Podman's tabwriter prints them.
pub(crate) fn print_table(lines: &[String]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    print!("{}", align(&text, TabSettings::PODMAN));
}

pub async fn run(g: &Globals, a: TopArgs) -> CliResult {
    let engine = open_front_door(g)?;
    if a.list_descriptors {
        print_descriptors(&*engine);
        return Ok(0);
    }
    let (name, descriptors) = target_and_descriptors(
        a.latest,
        &a.args,
        "you must provide the name or id of a running container",
    )?;
    let report = engine
        .container_top(TopOptions {
            name_or_id: name,
            latest: a.latest,
            descriptors: descriptors.to_vec(),
        })
        .await?;
    print_table(&report.value);
    Ok(0)
}
