//! `rmi` and `image prune`: removing local images, their unused layers and
//! blobs.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use rpod_engine::storage::Image;
use rpod_engine::Engine;

use super::common::{open_engine, Globals};
use super::images::parse_filters;
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

/// Why one removal failed, with Podman's exit code for it.
struct Failure {
    msg: String,
    code: i32,
}

fn failure(code: i32, msg: impl Into<String>) -> Failure {
    Failure {
        msg: msg.into(),
        code,
    }
}

fn is_id_query(image: &Image, q: &str) -> bool {
    let hex = q.strip_prefix("sha256:").unwrap_or(q);
    !hex.is_empty() && image.id.starts_with(&hex.to_ascii_lowercase())
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
    let engine = open_engine(g)?;
    let queries: Vec<String> = if a.all {
        let images = engine
            .store()
            .images()
            .map_err(|e| CliError::usage(e.to_string()))?;
        images.into_iter().map(|i| i.id).collect()
    } else {
        a.images.clone()
    };
    let mut failures = Vec::new();
    for q in &queries {
        if let Err(f) = remove_one(&engine, q, a.force, a.ignore, a.all).await {
            failures.push(f);
        }
    }
    finish(failures)
}

fn finish(mut failures: Vec<Failure>) -> CliResult {
    let Some(last) = failures.pop() else {
        return Ok(0);
    };
    let mut code = last.code;
    for f in &failures {
        eprintln!("Error: {}", f.msg);
        code = code.max(f.code);
    }
    if failures.iter().any(|f| f.code != last.code) {
        eprintln!("Error: {}", last.msg);
        return Err(CliError::Exit(code));
    }
    Err(CliError::Coded {
        msg: last.msg,
        code,
    })
}

/// Removes the image `q` names. `all`: part of `rmi --all`, which removes
/// every image whole, whatever its number of names.
async fn remove_one(
    engine: &Engine,
    q: &str,
    force: bool,
    ignore: bool,
    all: bool,
) -> Result<(), Failure> {
    let store = engine.store();
    let image = match store.lookup_image(q) {
        Ok(Some(i)) => i,
        // Podman: `--force` (like `--ignore`) is no error for a missing image.
        Ok(None) if ignore || force => return Ok(()),
        Ok(None) => return Err(failure(1, format!("{q}: image not known"))),
        Err(e) => return Err(failure(125, e.to_string())),
    };
    let by_id = is_id_query(&image, q);
    if !by_id && image.names.len() > 1 && !force {
        // One of several names: only that name goes.
        if let Some(name) = store.matching_name(&image, q) {
            store
                .untag_image(&image.id, &name)
                .map_err(|e| failure(125, e.to_string()))?;
            println!("Untagged: {name}");
            return Ok(());
        }
    }
    if by_id && !all && image.names.len() > 1 && !force {
        return Err(failure(
            2,
            format!(
                "unable to delete image {:?} by ID with more than one tag ({:?}): please force removal",
                image.id, image.names
            ),
        ));
    }
    let users = engine
        .ctx()
        .db
        .containers_using_image(&image.id)
        .map_err(|e| failure(125, e.to_string()))?;
    if let Some(first) = users.first() {
        if !force {
            return Err(failure(
                2,
                format!(
                    "image used by {first}: image is in use by a container: consider listing external containers and force-removing image"
                ),
            ));
        }
        for id in &users {
            let handle = engine
                .container(id)
                .map_err(|e| failure(125, e.to_string()))?;
            handle
                .remove(true, Some(0))
                .await
                .map_err(|e| failure(125, e.to_string()))?;
        }
    }
    store
        .remove_image(&image.id)
        .map_err(|e| failure(125, e.to_string()))?;
    for n in &image.names {
        println!("Untagged: {n}");
    }
    println!("Deleted: {}", image.id);
    Ok(())
}

/// `run --rmi`: removes `name`'s image once its container is gone, unless
/// another container uses it (then warns, as Podman). Prints nothing.
pub fn remove_unused(engine: &Engine, name: &str) {
    let store = engine.store();
    let Ok(Some(image)) = store.lookup_image(name) else {
        return;
    };
    match engine.ctx().db.containers_using_image(&image.id) {
        Ok(users) if users.is_empty() => {
            // One of several names: only that name goes (as `rmi NAME`).
            let result = match store.matching_name(&image, name) {
                Some(n) if image.names.len() > 1 => store.untag_image(&image.id, &n).map(drop),
                _ => store.remove_image(&image.id),
            };
            if let Err(e) = result {
                tracing::warn!("removing image {name}: {e}");
            }
        }
        Ok(_) => tracing::warn!("failed to remove image {name}: image is in use by a container"),
        Err(e) => tracing::warn!("removing image {name}: {e}"),
    }
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
    let filters = parse_filters(&a.filter)?;
    if !a.force && std::io::stdin().is_terminal() && !confirm(a.all)? {
        return Ok(0);
    }
    let engine = open_engine(g)?;
    for (id, _) in prune_images(&engine, a.all, &filters, None)? {
        println!("{id}");
    }
    Ok(0)
}

/// Removes the images no container uses: the dangling (untagged) ones, or
/// every unused one with `all`, matching `filters`. Returns the removed
/// ids with their sizes. `until` (Unix seconds) keeps images stored at or
/// after it. Shared by `image prune` and `system prune`.
pub fn prune_images(
    engine: &Engine,
    all: bool,
    filters: &[super::images::ImageFilter],
    until: Option<i64>,
) -> CliResult<Vec<(String, u64)>> {
    let store = engine.store();
    let images = store.images().map_err(|e| CliError::usage(e.to_string()))?;
    let mut removed = Vec::new();
    for image in &images {
        if !all && !image.names.is_empty() {
            continue;
        }
        if !filters.iter().all(|f| f.matches(engine, image, &images))
            || until.is_some_and(|t| image.added_at >= t)
        {
            continue;
        }
        let users = engine
            .ctx()
            .db
            .containers_using_image(&image.id)
            .map_err(|e| CliError::usage(e.to_string()))?;
        if !users.is_empty() {
            continue;
        }
        store
            .remove_image(&image.id)
            .map_err(|e| CliError::usage(e.to_string()))?;
        removed.push((image.id.clone(), image.size));
    }
    Ok(removed)
}
