//! `images`: list images in local storage.

use clap::Args;
use serde_json::{json, Value};

use rpod_api::image::ImageSummary;
use rpod_api::GoTime;
use rpod_engine::state::ContainerRecord;
use rpod_engine::storage::Image;
use rpod_engine::Engine;
use serde::Serialize;
use std::collections::BTreeMap;

use super::common::{open_engine, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoMethods, GoValue, HeaderMap, Origin, ToTemplate};
use crate::human;

const DEFAULT_FORMAT: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

const DIGESTS_FORMAT: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

const HEADERS: &[(&str, &str)] = &[
    ("ID", "IMAGE ID"),
    ("ReadOnly", "R/O"),
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
    #[arg(long, overrides_with = "format")]
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
    /// List only images matching this reference (as `--filter reference=`)
    image: Option<String>,
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
                .ok_or_else(|| {
                    CliError::usage(format!(
                        "invalid image filter {f:?}: must be in the format \"filter=value or filter!=value\""
                    ))
                })?;
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
    let mut raw_filters = a.filter.clone();
    if let Some(reference) = &a.image {
        raw_filters.push(format!("reference={reference}"));
    }
    let filters = parse_filters(&raw_filters)?;
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
    let containers = engine.containers()?;
    let summaries: Vec<ImageSummary> = images
        .iter()
        .map(|i| summary(&engine, i, &containers))
        .collect();
    let mut rows: Vec<ImageReporter> = Vec::new();
    for s in summaries {
        let names = s.repo_tags.clone().unwrap_or_default();
        if names.is_empty() {
            rows.push(ImageReporter::new("<none>", "<none>", s, a.no_trunc));
            continue;
        }
        let mut tagged = Vec::new();
        let mut untagged = Vec::new();
        for n in &names {
            let (repo, tag) = split_name(n);
            let r = ImageReporter::new(repo, tag, s.clone(), a.no_trunc);
            if tag == "<none>" {
                untagged.push(r);
            } else {
                tagged.push(r);
            }
        }
        if tagged.is_empty() {
            rows.extend(untagged.into_iter().take(1));
        } else {
            rows.extend(tagged);
        }
    }
    if a.quiet {
        // One line per image, as Podman's writeID.
        let mut seen = std::collections::HashSet::new();
        for r in &rows {
            if seen.insert(r.s.id.clone()) {
                println!("{}", r.id());
            }
        }
        return Ok(0);
    }
    if a.format.as_deref().is_some_and(format::is_json) {
        print_json(&rows)?;
        return Ok(0);
    }
    let headers = HeaderMap::new("images")
        .with_all(HEADERS)
        .row_type("images.imageReporter");
    let (origin, fmt) = match a.format.as_deref() {
        Some(f) => (Origin::User, f),
        None if a.digests => (Origin::Podman, DIGESTS_FORMAT),
        None => (Origin::Podman, DEFAULT_FORMAT),
    };
    let values: Vec<GoValue> = rows.iter().map(ToTemplate::to_template).collect();
    let out = format::render_typed(origin, fmt, &values, &headers, a.noheading)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
    Ok(0)
}

/// entities.ImageSummary of `img`.
fn summary(engine: &Engine, img: &Image, containers: &[ContainerRecord]) -> ImageSummary {
    let config: Value = engine
        .store()
        .image_config(img)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or(Value::Null);
    let text = |k: &str| {
        config
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let labels: Option<BTreeMap<String, String>> = config
        .pointer("/config/Labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok());
    let size = i64::try_from(img.size).unwrap_or(i64::MAX);
    // Names pulled by digest (`repo@sha256:...`) are digests, not tags.
    let (digested, tagged): (Vec<&String>, Vec<&String>) =
        img.names.iter().partition(|n| n.contains('@'));
    let mut repo_digests: Vec<String> = tagged
        .iter()
        .map(|n| format!("{}@{}", split_name(n).0, img.digest))
        .chain(digested.iter().map(|n| (*n).clone()))
        .collect();
    repo_digests.dedup();
    ImageSummary {
        id: img.id.clone(),
        parent_id: String::new(),
        repo_tags: Some(tagged.into_iter().cloned().collect()),
        repo_digests: Some(repo_digests),
        created: created_of(img) / 1_000_000_000,
        size,
        shared_size: 0,
        virtual_size: size,
        labels,
        containers: i64::try_from(containers.iter().filter(|c| c.image_id == img.id).count())
            .unwrap_or(i64::MAX),
        read_only: false,
        dangling: img.names.is_empty(),
        arch: text("architecture"),
        digest: img.digest.clone(),
        history: Some(img.names.clone()),
        is_manifest_list: Some(false),
        names: Some(img.names.clone()),
        os: text("os"),
    }
}

/// Podman's imageReporter: one row per repository:tag of an image, with the template
/// methods `images` offers.
#[derive(Clone, Debug, Serialize, ToTemplate)]
#[go(type = "images.imageReporter", methods)]
struct ImageReporter {
    #[serde(rename = "repository", skip_serializing_if = "String::is_empty")]
    repository: String,
    #[serde(rename = "tag", skip_serializing_if = "String::is_empty")]
    tag: String,
    #[serde(flatten)]
    #[go(embed)]
    s: ImageSummary,
    #[serde(skip)]
    #[go(skip)]
    no_trunc: bool,
}

impl ImageReporter {
    fn new(repo: &str, tag: &str, s: ImageSummary, no_trunc: bool) -> ImageReporter {
        ImageReporter {
            repository: repo.to_owned(),
            tag: tag.to_owned(),
            s,
            no_trunc,
        }
    }

    fn id(&self) -> String {
        if !self.no_trunc && self.s.id.len() >= 12 {
            self.s.id[..12].to_owned()
        } else {
            format!("sha256:{}", self.s.id)
        }
    }

    fn created(&self) -> GoTime {
        GoTime::from(chrono::DateTime::from_timestamp(self.s.created, 0).unwrap_or_default())
    }

    fn created_since(&self) -> String {
        human::since(self.s.created.saturating_mul(1_000_000_000)) + " ago"
    }
}

impl GoMethods for ImageReporter {
    fn arity(&self, name: &str) -> Option<usize> {
        matches!(
            name,
            "ID" | "Created"
                | "Size"
                | "History"
                | "CreatedAt"
                | "CreatedSince"
                | "CreatedTime"
                | "Id"
                | "IsReadOnly"
                | "IsDangling"
        )
        .then_some(0)
    }

    fn call(&self, name: &str, _args: &[&str]) -> Result<GoValue, String> {
        // ImageSummary's own methods (pointer receivers, reachable on list elements).
        match name {
            "Id" => return Ok(GoValue::Str(self.s.id.clone())),
            "IsReadOnly" => return Ok(GoValue::Bool(self.s.read_only)),
            "IsDangling" => return Ok(GoValue::Bool(self.s.dangling)),
            _ => {}
        }
        Ok(GoValue::Str(match name {
            "ID" => self.id(),
            "Created" | "CreatedSince" => self.created_since(),
            "Size" => human::size(u64::try_from(self.s.size).unwrap_or(0)),
            "History" => self.s.history.as_deref().unwrap_or_default().join(", "),
            "CreatedAt" | "CreatedTime" => self.created().go_string(),
            other => return Err(format!("no method {other}")),
        }))
    }
}

/// `--format json`: each row's summary with `Created` (Unix seconds) and `CreatedAt`
/// (RFC 3339) last (Podman 5.8's writeJSON).
fn print_json(rows: &[ImageReporter]) -> CliResult<()> {
    let mut list = Vec::with_capacity(rows.len());
    for r in rows {
        let mut v = serde_json::to_value(&r.s).map_err(anyhow::Error::from)?;
        if let Some(o) = v.as_object_mut() {
            o.shift_remove("Created");
            o.insert("Created".into(), json!(r.s.created));
            o.insert("CreatedAt".into(), json!(r.created().rfc3339()));
        }
        list.push(v);
    }
    println!("{}", format::typed_json(&Value::Array(list), "    ", true));
    Ok(())
}
