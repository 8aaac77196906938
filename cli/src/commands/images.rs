//! `images`: list images in local storage.

use clap::Args;
use serde_json::{json, Value};

use super::common::{open_engine, print_listing, Globals};
use crate::cli_error::CliResult;
use crate::format::{self, HeaderMap};
use crate::human;

const DEFAULT_FORMAT: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

const DIGESTS_FORMAT: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

const HEADERS: &[(&str, &str)] = &[
    ("ID", "IMAGE ID"),
    ("CreatedSince", "CREATED"),
    ("CreatedAt", "CREATED AT"),
];

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Show all images (default hides intermediate images)
    #[arg(short = 'a', long)]
    all: bool,
    /// Display only image IDs
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Do not truncate output
    #[arg(long)]
    no_trunc: bool,
    /// Show digests
    #[arg(long)]
    digests: bool,
    /// Change the output format to JSON or a Go template
    #[arg(long)]
    format: Option<String>,
    /// Do not print column headings
    #[arg(short = 'n', long)]
    noheading: bool,
}

fn split_name(name: &str) -> (&str, &str) {
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => (&name[..i], &name[i + 1..]),
        _ => (name, "<none>"),
    }
}

pub async fn run(g: &Globals, a: ImagesArgs) -> CliResult {
    let engine = open_engine(g)?;
    let mut images = engine.store().images().map_err(anyhow::Error::from)?;
    images.sort_by(|x, y| y.added_at.cmp(&x.added_at));
    let created_nanos = |c: &Option<String>| {
        c.as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .and_then(|t| t.timestamp_nanos_opt())
            .unwrap_or(0)
    };
    let headers = HeaderMap::new("images")
        .with_all(HEADERS)
        .row_type("images.imageReporter");
    if a.format.as_deref().is_some_and(format::is_json) {
        let list: Vec<Value> = images
            .iter()
            .map(|i| {
                json!({
                    "Id": i.id,
                    "ParentId": "",
                    "RepoTags": i.names,
                    "RepoDigests": i.names.iter().map(|n| format!("{}@{}", split_name(n).0, i.digest)).collect::<Vec<_>>(),
                    "Size": i.size,
                    "SharedSize": 0,
                    "VirtualSize": i.size,
                    "Labels": Value::Null,
                    "Containers": 0,
                    "Names": i.names,
                    "Digest": i.digest,
                    "History": i.names,
                    "Created": created_nanos(&i.created) / 1_000_000_000,
                    "CreatedAt": i.created,
                })
            })
            .collect();
        print_listing(a.format.as_deref(), "", &list, &headers, false)?;
        return Ok(0);
    }
    let mut rows = Vec::new();
    for i in &images {
        let id = if a.no_trunc {
            format!("sha256:{}", i.id)
        } else {
            i.id[..12.min(i.id.len())].to_owned()
        };
        let names: Vec<&str> = if i.names.is_empty() {
            vec!["<none>:<none>"]
        } else {
            i.names.iter().map(String::as_str).collect()
        };
        for n in names {
            if a.quiet {
                println!("{id}");
                break;
            }
            let (repo, tag) = split_name(n);
            let created = created_nanos(&i.created);
            rows.push(json!({
                "Repository": if repo == "<none>" { "<none>" } else { repo },
                "Tag": tag,
                "ID": id,
                "Digest": i.digest,
                "CreatedSince": if created > 0 { human::since(created) + " ago" } else { String::new() },
                "CreatedAt": i.created.clone().unwrap_or_default(),
                "Size": human::size(i.size),
                "Names": i.names,
            }));
        }
    }
    if a.quiet {
        return Ok(0);
    }
    let default = if a.digests {
        DIGESTS_FORMAT
    } else {
        DEFAULT_FORMAT
    };
    print_listing(a.format.as_deref(), default, &rows, &headers, a.noheading)?;
    Ok(0)
}
