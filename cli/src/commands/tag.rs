//! `tag`, `untag`, `image exists`: names of local images.

use clap::Args;

use super::common::{open_front_door, Globals};
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

pub async fn tag(g: &Globals, a: TagArgs) -> CliResult {
    let fd = open_front_door(g)?;
    fd.image_tag(&a.image, a.names.clone()).await?;
    Ok(0)
}

pub async fn untag(g: &Globals, a: UntagArgs) -> CliResult {
    let fd = open_front_door(g)?;
    fd.image_untag(&a.image, a.names.clone()).await?;
    Ok(0)
}

pub async fn exists(g: &Globals, a: ExistsArgs) -> CliResult {
    let fd = open_front_door(g)?;
    match fd.image_exists(&a.image).await? {
        true => Ok(0),
        false => Err(CliError::Exit(1)),
    }
}
