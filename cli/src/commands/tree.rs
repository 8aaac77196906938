//! `image tree`: an image's layers as a tree, with the images each layer
//! is the top layer of.

use clap::Args;

use super::common::{open_engine, Globals};
use super::tag::find_image;
use crate::cli_error::{CliError, CliResult};
use crate::human;

#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Show all child images and layers of the specified image (accepted; rpod has no parent links)
    #[arg(long)]
    whatrequires: bool,
    /// Image
    image: String,
}

pub async fn run(g: &Globals, a: TreeArgs) -> CliResult {
    let engine = open_engine(g)?;
    let image = find_image(&engine, &a.image)?;
    let all = engine
        .store()
        .images()
        .map_err(|e| CliError::usage(e.to_string()))?;
    println!("Image ID: {}", &image.id[..12]);
    println!("Tags:     [{}]", image.names.join(" "));
    println!("Size:     {}", human::size(image.size));
    println!("Image Layers");
    let n = image.layers.len();
    for (i, chain) in image.layers.iter().enumerate() {
        let layer = engine
            .store()
            .layer(chain)
            .map_err(|e| CliError::usage(e.to_string()))?;
        let size = layer.map(|l| l.size).unwrap_or(0);
        let hex = chain.strip_prefix("sha256:").unwrap_or(chain);
        let tops: Vec<String> = all
            .iter()
            .filter(|img| img.layers.last() == Some(chain))
            .flat_map(|img| {
                if img.names.is_empty() {
                    vec![format!("<none>:{}", &img.id[..12])]
                } else {
                    img.names.clone()
                }
            })
            .collect();
        let branch = if i + 1 == n { "└──" } else { "├──" };
        let mut line = format!("{branch} ID: {} Size: {:>7}", &hex[..12], human::size(size));
        if !tops.is_empty() {
            line.push_str(&format!(" Top Layer of: [{}]", tops.join(" ")));
        }
        println!("{line}");
    }
    Ok(0)
}
