//! `images`: list images in local storage.

use clap::Args;
use serde_json::{json, Value};

use rpod_engine::storage::Image;
use rpod_engine::Engine;

use super::common::{open_engine, print_listing, Globals};
use crate::cli_error::{CliError, CliResult};
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
    /// Filter output based on conditions provided (dangling, reference, before, since, label, id)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Sort by created, id, repository, size or tag
    #[arg(long, default_value = "created")]
    sort: String,
}

/// One `--filter` condition of `images` and `image prune`.
#[derive(Debug, Clone)]
pub enum ImageFilter {
    /// `dangling=true|false`: images without names.
    Dangling(bool),
    /// `reference=PATTERN`: a name matches the glob.
    Reference(String),
    /// `before=IMAGE`: created before that image.
    Before(String),
    /// `since=IMAGE`: created after that image.
    Since(String),
    /// `label=KEY` or `label=KEY=VALUE`.
    Label(String, Option<String>),
    /// `id=PREFIX`.
    Id(String),
}

/// Parses `--filter` values.
pub fn parse_filters(raw: &[String]) -> CliResult<Vec<ImageFilter>> {
    raw.iter()
        .map(|f| {
            let (k, v) = f
                .split_once('=')
                .ok_or_else(|| CliError::usage(format!("invalid image filter {f:?}")))?;
            Ok(match k {
                "dangling" => match v {
                    "true" | "1" => ImageFilter::Dangling(true),
                    "false" | "0" => ImageFilter::Dangling(false),
                    _ => {
                        return Err(CliError::usage(format!(
                            "invalid dangling filter value {v:?}"
                        )))
                    }
                },
                "reference" => ImageFilter::Reference(v.to_string()),
                "before" => ImageFilter::Before(v.to_string()),
                "since" | "after" => ImageFilter::Since(v.to_string()),
                "label" => match v.split_once('=') {
                    Some((k, val)) => ImageFilter::Label(k.to_string(), Some(val.to_string())),
                    None => ImageFilter::Label(v.to_string(), None),
                },
                "id" => ImageFilter::Id(v.strip_prefix("sha256:").unwrap_or(v).to_string()),
                other => {
                    return Err(CliError::usage(format!(
                        "unsupported image filter {other:?}"
                    )))
                }
            })
        })
        .collect()
}

/// Go's `path.Match` subset: `*` (not crossing `/`) and `?`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text)
                || (!text.is_empty() && text[0] != b'/' && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(c)) if *c != b'/' => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(c)) if p == c => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

fn reference_matches(pattern: &str, name: &str) -> bool {
    let (repo, _) = split_name(name);
    let candidates = [
        name.to_string(),
        repo.to_string(),
        name.split_once('/')
            .map(|x| x.1)
            .unwrap_or(name)
            .to_string(),
        repo.split_once('/')
            .map(|x| x.1)
            .unwrap_or(repo)
            .to_string(),
        name.rsplit('/').next().unwrap_or(name).to_string(),
        repo.rsplit('/').next().unwrap_or(repo).to_string(),
    ];
    candidates
        .iter()
        .any(|c| glob(pattern.as_bytes(), c.as_bytes()))
}

fn first_name(i: &Image) -> (&str, &str) {
    i.names.first().map(|n| split_name(n)).unwrap_or(("", ""))
}

fn created_of(i: &Image) -> i64 {
    i.created
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .and_then(|t| t.timestamp_nanos_opt())
        .unwrap_or(0)
}

fn labels_of(engine: &Engine, i: &Image) -> serde_json::Map<String, Value> {
    engine
        .store()
        .image_config(i)
        .ok()
        .and_then(|raw| serde_json::from_slice::<Value>(&raw).ok())
        .and_then(|c| c.pointer("/config/Labels").cloned())
        .and_then(|l| l.as_object().cloned())
        .unwrap_or_default()
}

impl ImageFilter {
    /// Whether `image` passes this filter (`all` is every stored image).
    pub fn matches(&self, engine: &Engine, image: &Image, all: &[Image]) -> bool {
        let other = |q: &str| {
            engine
                .store()
                .lookup_image(q)
                .ok()
                .flatten()
                .and_then(|o| all.iter().find(|i| i.id == o.id).map(created_of))
        };
        match self {
            ImageFilter::Dangling(d) => image.names.is_empty() == *d,
            ImageFilter::Reference(p) => image.names.iter().any(|n| reference_matches(p, n)),
            ImageFilter::Before(q) => other(q).is_some_and(|t| created_of(image) < t),
            ImageFilter::Since(q) => other(q).is_some_and(|t| created_of(image) > t),
            ImageFilter::Label(k, v) => {
                let labels = labels_of(engine, image);
                match (labels.get(k), v) {
                    (Some(_), None) => true,
                    (Some(have), Some(want)) => have.as_str() == Some(want.as_str()),
                    (None, _) => false,
                }
            }
            ImageFilter::Id(prefix) => image.id.starts_with(prefix.as_str()),
        }
    }
}

/// `registry/repo:tag` → (`registry/repo`, `tag`).
pub fn split_name(name: &str) -> (&str, &str) {
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => (&name[..i], &name[i + 1..]),
        _ => (name, "<none>"),
    }
}

pub async fn run(g: &Globals, a: ImagesArgs) -> CliResult {
    let filters = parse_filters(&a.filter)?;
    let engine = open_engine(g)?;
    let all = engine.store().images().map_err(anyhow::Error::from)?;
    let mut images: Vec<Image> = all
        .iter()
        .filter(|i| filters.iter().all(|f| f.matches(&engine, i, &all)))
        .cloned()
        .collect();
    match a.sort.as_str() {
        "created" => images.sort_by(|x, y| {
            created_of(y)
                .cmp(&created_of(x))
                .then(y.added_at.cmp(&x.added_at))
        }),
        "id" => images.sort_by(|x, y| x.id.cmp(&y.id)),
        "repository" => images.sort_by(|x, y| first_name(x).0.cmp(first_name(y).0)),
        "tag" => images.sort_by(|x, y| first_name(x).1.cmp(first_name(y).1)),
        "size" => images.sort_by_key(|x| x.size),
        other => {
            return Err(CliError::usage(format!(
                "\"{other}\" is not a valid option for --sort: choose one of created, id, repository, size, tag"
            )))
        }
    }
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
