//! `images`: list images in local storage.

use clap::Args;
use serde_json::{json, Value};

use rpod_api::front_door::images::{ImageListOptions, ImageSort};
use rpod_api::image::ImageSummary;
use rpod_api::GoTime;
use std::sync::Arc;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoMethods, GoStruct, GoValue, HeaderMap, Origin, ToTemplate};
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
    #[arg(long, overrides_with = "format", allow_hyphen_values = true)]
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
    let sort = match a.sort.as_str() {
        "created" => ImageSort::Created,
        "id" => ImageSort::Id,
        "repository" => ImageSort::Repository,
        "tag" => ImageSort::Tag,
        "size" => ImageSort::Size,
        other => {
            return Err(CliError::usage(format!(
                "\"{other}\" is not a valid option for --sort: choose one of created, id, repository, size, tag"
            )))
        }
    };
    let fd = open_front_door(g)?;
    let summaries = fd
        .image_list(ImageListOptions {
            all: a.all,
            filter: raw_filters,
            sort,
        })
        .await?;
    let mut rows: Vec<ImageReporter> = Vec::new();
    for s in summaries {
        // One summary per image, shared by its rows (an image with many tags
        // would otherwise copy all its names into each of its rows).
        let image = Arc::new(SharedSummary::new(s));
        let names = image.s.repo_tags.as_deref().unwrap_or_default();
        if names.is_empty() {
            rows.push(ImageReporter::new("<none>", "<none>", &image, a.no_trunc));
            continue;
        }
        let mut tagged = Vec::new();
        let mut untagged = Vec::new();
        for n in names {
            let (repo, tag) = split_name(n);
            let r = ImageReporter::new(repo, tag, &image, a.no_trunc);
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
            if seen.insert(r.s().id.as_str()) {
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

/// One image's summary and its template value, made once and shared by the
/// image's rows.
#[derive(Debug)]
struct SharedSummary {
    s: ImageSummary,
    template: GoValue,
}

impl SharedSummary {
    fn new(s: ImageSummary) -> SharedSummary {
        let template = s.to_template();
        SharedSummary { s, template }
    }
}

/// Podman's imageReporter: one row per repository:tag of an image, with the template
/// methods `images` offers; it embeds the image's summary.
#[derive(Clone, Debug)]
struct ImageReporter {
    repository: String,
    tag: String,
    image: Arc<SharedSummary>,
    no_trunc: bool,
}

impl ImageReporter {
    fn new(repo: &str, tag: &str, image: &Arc<SharedSummary>, no_trunc: bool) -> ImageReporter {
        ImageReporter {
            repository: repo.to_owned(),
            tag: tag.to_owned(),
            image: image.clone(),
            no_trunc,
        }
    }

    fn s(&self) -> &ImageSummary {
        &self.image.s
    }

    fn id(&self) -> String {
        let id = &self.s().id;
        if !self.no_trunc && id.len() >= 12 {
            id[..12].to_owned()
        } else {
            format!("sha256:{id}")
        }
    }

    fn created(&self) -> GoTime {
        GoTime::from(chrono::DateTime::from_timestamp(self.s().created, 0).unwrap_or_default())
    }

    fn created_since(&self) -> String {
        human::since(self.s().created.saturating_mul(1_000_000_000)) + " ago"
    }

    /// The row's JSON (`{{json .}}`): `repository` and `tag` (when set),
    /// then the summary's keys, as Go encodes the embedding struct.
    fn json(&self) -> Value {
        let mut row = serde_json::Map::new();
        if !self.repository.is_empty() {
            row.insert("repository".into(), json!(self.repository));
        }
        if !self.tag.is_empty() {
            row.insert("tag".into(), json!(self.tag));
        }
        if let Ok(Value::Object(summary)) = serde_json::to_value(self.s()) {
            row.extend(summary);
        }
        Value::Object(row)
    }
}

impl ToTemplate for ImageReporter {
    fn to_template(&self) -> GoValue {
        let row = self.clone();
        GoValue::from_struct(
            GoStruct::lazy("images.imageReporter", move || row.json())
                .field("Repository", GoValue::Str(self.repository.clone()))
                .field("Tag", GoValue::Str(self.tag.clone()))
                .embed_shared(&self.image.template)
                .methods(Arc::new(self.clone())),
        )
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
            "Id" => return Ok(GoValue::Str(self.s().id.clone())),
            "IsReadOnly" => return Ok(GoValue::Bool(self.s().read_only)),
            "IsDangling" => return Ok(GoValue::Bool(self.s().dangling)),
            _ => {}
        }
        Ok(GoValue::Str(match name {
            "ID" => self.id(),
            "Created" | "CreatedSince" => self.created_since(),
            "Size" => human::size(u64::try_from(self.s().size).unwrap_or(0)),
            "History" => self.s().history.as_deref().unwrap_or_default().join(", "),
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
        let mut v = serde_json::to_value(r.s()).map_err(anyhow::Error::from)?;
        if let Some(o) = v.as_object_mut() {
            o.shift_remove("Created");
            o.insert("Created".into(), json!(r.s().created));
            o.insert("CreatedAt".into(), json!(r.created().rfc3339()));
        }
        list.push(v);
    }
    println!("{}", format::typed_json(&Value::Array(list), "    ", true));
    Ok(())
}
