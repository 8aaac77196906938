//! `rmi` and `image prune`: removing local images, their unused layers and
//! blobs.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use rpod_api::front_door::images::{ImagePruneOptions, ImageRemoveOptions};
use rpod_api::ErrorKind;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Remove all images
    #[arg(short = 'a', long)]
    all: bool,
    /// Force removal: untag every name and remove containers using the image
    #[arg(short = 'f', long)]
    force: bool,
    /// Ignore errors if a specified image does not exist
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Images to remove
    images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Remove all images not in use by containers, not just dangling ones
    #[arg(short = 'a', long)]
    all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>')
    #[arg(long)]
    filter: Vec<String>,
}

/// Podman's exit code for one failed removal: 1 for an unknown image, 2 for
/// one in use (or with several names, by ID), else 125.
fn exit_code(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::NoSuchImage => 1,
        ErrorKind::InUse => 2,
        _ => 125,
    }
}

pub async fn rmi(g: &Globals, a: RmiArgs) -> CliResult {
    if a.all && !a.images.is_empty() {
        return Err(CliError::usage(
            "when using the --all switch, you may not pass any images names or IDs",
        ));
    }
    if !a.all && a.images.is_empty() {
        return Err(CliError::usage("image name or ID must be specified"));
    }
    let fd = open_front_door(g)?;
    let report = fd
        .image_remove(
            a.images.clone(),
            ImageRemoveOptions {
                all: a.all,
                force: a.force,
                ignore: a.ignore,
                unused_only: false,
            },
        )
        .await?;
    for u in &report.untagged {
        println!("Untagged: {u}");
    }
    for d in &report.deleted {
        println!("Deleted: {d}");
    }
    finish(report.errors)
}

/// Prints all failures but the last, which ends the command with the
/// highest exit code among them.
fn finish(mut failures: Vec<rpod_api::Error>) -> CliResult {
    let Some(last) = failures.pop() else {
        return Ok(0);
    };
    let last_code = exit_code(last.kind);
    let mut code = last_code;
    for f in &failures {
        eprintln!("Error: {}", f.message);
        code = code.max(exit_code(f.kind));
    }
    if failures.iter().any(|f| exit_code(f.kind) != last_code) {
        eprintln!("Error: {}", last.message);
        return Err(CliError::Exit(code));
    }
    Err(CliError::Coded {
        msg: last.message,
        code,
    })
}

fn confirm(all: bool) -> CliResult<bool> {
    let what = if all {
        "all images not in use by containers"
    } else {
        "all dangling images"
    };
    print!("WARNING! This command removes {what}.\nAre you sure you want to continue? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::usage(format!("reading confirmation: {e}")))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

pub async fn prune(g: &Globals, a: PruneArgs) -> CliResult {
    let fd = open_front_door(g)?;
    if !a.force && std::io::stdin().is_terminal() && !confirm(a.all)? {
        return Ok(0);
    }
    let removed = fd
        .image_prune(ImagePruneOptions {
            all: a.all,
            filter: a.filter.clone(),
            until: None,
        })
        .await?;
    for r in removed {
        println!("{}", r.id);
    }
    Ok(0)
}
