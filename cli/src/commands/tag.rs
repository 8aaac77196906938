//! `tag`, `untag`, `image exists`: names of local images.

use clap::Args;
use rpod_engine::registry::ImageReference;
use rpod_engine::storage::Image;
use rpod_engine::Engine;

use super::common::{open_engine, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct TagArgs {
    /// Image to tag
    image: String,
    /// New names
    #[arg(required = true)]
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UntagArgs {
    /// Image to untag
    image: String,
    /// Names to remove (all names if none)
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExistsArgs {
    /// Image to look for
    image: String,
}

/// The stored form of a name given to `tag`: short names live under
/// `localhost/`, a missing tag is `latest`.
pub fn normalize_name(name: &str) -> CliResult<String> {
    let r = ImageReference::parse(name).map_err(|e| CliError::usage(format!("{name}: {e}")))?;
    if r.digest.is_some() {
        return Err(CliError::usage(format!(
            "{name}: tag by digest not supported"
        )));
    }
    let r = if r.is_short_name() {
        r.qualify("localhost")
    } else {
        r
    };
    Ok(r.storage_name())
}

/// The local image `name` refers to, or Podman's "image not known".
pub fn find_image(engine: &Engine, name: &str) -> CliResult<Image> {
    engine
        .store()
        .lookup_image(name)
        .map_err(|e| CliError::usage(e.to_string()))?
        .ok_or_else(|| CliError::usage(format!("{name}: image not known")))
}

pub async fn tag(g: &Globals, a: TagArgs) -> CliResult {
    let engine = open_engine(g)?;
    let image = find_image(&engine, &a.image)?;
    let names = a
        .names
        .iter()
        .map(|n| normalize_name(n))
        .collect::<CliResult<Vec<_>>>()?;
    for n in names {
        engine
            .store()
            .tag_image(&image.id, &n)
            .map_err(|e| CliError::usage(e.to_string()))?;
    }
    Ok(0)
}

pub async fn untag(g: &Globals, a: UntagArgs) -> CliResult {
    let engine = open_engine(g)?;
    let image = find_image(&engine, &a.image)?;
    let names = if a.names.is_empty() {
        image.names.clone()
    } else {
        let mut out = Vec::new();
        for n in &a.names {
            let normalized = normalize_name(n).ok();
            let found = image
                .names
                .iter()
                .find(|have| Some(*have) == normalized.as_ref() || *have == n)
                .cloned()
                .or_else(|| engine.store().matching_name(&image, n));
            match found {
                Some(f) => out.push(f),
                None => return Err(CliError::usage(format!("{n}: tag not known"))),
            }
        }
        out
    };
    for n in names {
        engine
            .store()
            .untag_image(&image.id, &n)
            .map_err(|e| CliError::usage(e.to_string()))?;
    }
    Ok(0)
}

pub async fn exists(g: &Globals, a: ExistsArgs) -> CliResult {
    let engine = open_engine(g)?;
    match engine.store().lookup_image(&a.image) {
        Ok(Some(_)) => Ok(0),
        Ok(None) => Err(CliError::Exit(1)),
        Err(e) => Err(CliError::usage(e.to_string())),
    }
}
