//! `image tree`: an image's layers as a tree, with the images each layer
//! is the top layer of.

use clap::Args;

use super::common::{open_front_door, Globals};
use crate::cli_error::CliResult;
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
    let fd = open_front_door(g)?;
    let tree = fd.image_tree(&a.image).await?;
    println!("Image ID: {}", &tree.id[..tree.id.len().min(12)]);
    println!("Tags:     [{}]", tree.names.join(" "));
    println!("Size:     {}", human::size(tree.size));
    println!("Image Layers");
    let n = tree.layers.len();
    for (i, layer) in tree.layers.iter().enumerate() {
        let hex = layer.id.strip_prefix("sha256:").unwrap_or(&layer.id);
        let branch = if i + 1 == n { "└──" } else { "├──" };
        let mut line = format!(
            "{branch} ID: {} Size: {:>7}",
            &hex[..hex.len().min(12)],
            human::size(layer.size)
        );
        if !layer.top_layer_of.is_empty() {
            line.push_str(&format!(
                " Top Layer of: [{}]",
                layer.top_layer_of.join(" ")
            ));
        }
        println!("{line}");
    }
    Ok(0)
}
