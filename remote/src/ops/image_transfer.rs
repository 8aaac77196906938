//! Images moved over the API: push (libpod's push stream), save (the
//! archive of `GET /images/export` written here), commit, prune and import;
//! untag and history.

use std::io::Write;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::Method;
use rpod_api::front_door::images::{
    ArchiveSource, CommitOptions, ImageArchiveFormat, ImageImportOptions, ImagePruneOptions,
    ImagePushOptions, ImagePushReport, ImageSaveOptions, ProgressSink, PullProgress,
    SaveDestination,
};
use rpod_api::image::{ImageHistoryLayer, ImagePruneReport};
use rpod_api::time::GoTime;
use rpod_api::{Error, Result};
use serde::Deserialize;

use super::images::no_such_image;
use super::{filter_list_json, seg};
use crate::error::{transport, unsupported};
use crate::json_lines::JsonLines;
use crate::query::with_query;
use crate::RemoteEngine;

/// One object of libpod's push stream.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PushEvent {
    stream: String,
    error: String,
    manifestdigest: String,
}

fn io_error(e: std::io::Error) -> Error {
    Error::other(e.to_string())
}

/// `X-Registry-Auth` for `--creds`: base64url of `{"username", "password"}`.
pub(crate) fn registry_auth_header(username: &str, password: &str) -> String {
    use base64::Engine as _;
    let json = serde_json::json!({"username": username, "password": password}).to_string();
    base64::engine::general_purpose::URL_SAFE.encode(json)
}

impl RemoteEngine {
    pub(crate) async fn push(
        &self,
        source: &str,
        destination: Option<&str>,
        o: &ImagePushOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<ImagePushReport> {
        let r = &o.registry;
        if r.authfile.is_some() || r.cert_dir.is_some() {
            return Err(unsupported("push --authfile/--cert-dir"));
        }
        let destination = destination.map(|d| d.strip_prefix("docker://").unwrap_or(d));
        if let Some(d) = destination {
            let transport_prefix = d.split_once(':').map(|(t, _)| t);
            if matches!(
                transport_prefix,
                Some("docker-archive" | "oci-archive" | "oci" | "dir" | "containers-storage")
            ) {
                return Err(unsupported("push to a local destination"));
            }
        }
        let mut q = vec![("quiet", "false".to_owned())];
        if let Some(d) = destination {
            q.push(("destination", d.to_owned()));
        }
        if let Some(t) = r.tls_verify {
            q.push(("tlsVerify", t.to_string()));
        }
        if o.remove_signatures {
            q.push(("removeSignatures", "true".to_owned()));
        }
        if let Some(f) = &o.compression.format {
            q.push(("compressionFormat", f.clone()));
        }
        if let Some(l) = o.compression.level {
            q.push(("compressionLevel", l.to_string()));
        }
        if let Some(f) = o.compression.force {
            q.push(("forceCompressionFormat", f.to_string()));
        }
        let mut headers = Vec::new();
        if let Some(u) = &r.username {
            let header = registry_auth_header(u, r.password.as_deref().unwrap_or_default());
            headers.push(("x-registry-auth", header));
        }
        let path = with_query(&format!("/images/{}/push", seg(source)), &q);
        let body = self
            .transport
            .stream_with_headers(Method::POST, &path, None, &headers)
            .await
            .map_err(no_such_image)?;
        let mut digest = None;
        let mut lines = JsonLines::new(body, "push");
        while let Some(ev) = lines.next::<PushEvent>().await? {
            if !ev.error.is_empty() {
                return Err(Error::other(ev.error));
            }
            if !ev.stream.is_empty() && !o.quiet {
                if let Some(p) = &progress {
                    p.event(PullProgress::Line(
                        ev.stream.trim_end_matches('\n').to_owned(),
                    ));
                }
            }
            if !ev.manifestdigest.is_empty() {
                digest = Some(ev.manifestdigest);
            }
        }
        let manifest_digest =
            digest.ok_or_else(|| Error::other("the push stream ended without a result"))?;
        Ok(ImagePushReport { manifest_digest })
    }

    /// `save`: `GET /images/export?references=...` (archives only), the
    /// archive written to the file (whole or not at all) or the stream.
    pub(crate) async fn save(
        &self,
        names: &[String],
        o: &ImageSaveOptions,
        to: SaveDestination,
    ) -> Result<()> {
        let format = match o.format {
            ImageArchiveFormat::DockerArchive => "docker-archive",
            ImageArchiveFormat::OciArchive => "oci-archive",
            ImageArchiveFormat::OciDir => "oci-dir",
            ImageArchiveFormat::DockerDir => "docker-dir",
        };
        let dir_format = matches!(
            o.format,
            ImageArchiveFormat::OciDir | ImageArchiveFormat::DockerDir
        );
        let dir_target = match (&to, dir_format) {
            (SaveDestination::Path(p), true) => Some(p.clone()),
            (SaveDestination::Stream(_), true) => {
                return Err(Error::invalid(format!(
                    "--format {format} needs an output directory (-o)"
                )))
            }
            _ => None,
        };
        let mut q: Vec<(&str, String)> = names.iter().map(|n| ("references", n.clone())).collect();
        q.push(("format", format.to_owned()));
        if o.uncompressed {
            q.push(("ociAcceptUncompressedLayers", "true".to_owned()));
        }
        let body = self
            .transport
            .stream(Method::GET, &with_query("/images/export", &q), None)
            .await
            .map_err(no_such_image)?;
        if let Some(dir) = dir_target {
            return unpack_dir(body, dir).await;
        }
        match to {
            SaveDestination::Stream(w) => {
                super::export::write_body(body, super::export::BodySink::Stream(w), "the archive")
                    .await
            }
            SaveDestination::Path(path) => {
                super::export::write_body(body, super::export::BodySink::File(&path), "the archive")
                    .await
            }
        }
    }

    /// `commit`: `POST /libpod/commit`; the new image's ID.
    pub(crate) async fn commit(&self, name: &str, o: &CommitOptions) -> Result<String> {
        #[derive(Deserialize)]
        struct Id {
            #[serde(rename = "Id")]
            id: String,
        }
        let mut q = vec![
            ("container", name.to_owned()),
            ("pause", o.pause.to_string()),
        ];
        if let Some(image) = &o.image_name {
            // repo[:tag], the tag after the last ':' that follows the last '/'.
            let (repo, tag) = match image.rsplit_once(':') {
                Some((r, t)) if !t.contains('/') => (r, t),
                _ => (image.as_str(), "latest"),
            };
            q.push(("repo", repo.to_owned()));
            q.push(("tag", tag.to_owned()));
        }
        if let Some(a) = &o.author {
            q.push(("author", a.clone()));
        }
        if let Some(m) = &o.message {
            q.push(("comment", m.clone()));
        }
        if let Some(f) = &o.format {
            q.push(("format", f.clone()));
        }
        for c in &o.changes {
            q.push(("changes", c.clone()));
        }
        let r: Id = self
            .transport
            .json(Method::POST, &with_query("/commit", &q), None)
            .await?;
        Ok(r.id)
    }

    /// `image prune`: `POST /libpod/images/prune`.
    pub(crate) async fn prune_images(
        &self,
        o: &ImagePruneOptions,
    ) -> Result<Vec<ImagePruneReport>> {
        let mut filters = o.filter.clone();
        if let Some(t) = o.until {
            filters.push(format!("until={t}"));
        }
        let mut q = vec![("all", o.all.to_string())];
        if !filters.is_empty() {
            q.push(("filters", filter_list_json(&filters)));
        }
        self.transport
            .json(Method::POST, &with_query("/images/prune", &q), None)
            .await
    }

    /// `import`: the tarball (a file here, or stdin) as the body of
    /// `POST /libpod/images/import`; the new image's ID.
    pub(crate) async fn import(
        &self,
        from: ArchiveSource,
        o: &ImageImportOptions,
    ) -> Result<String> {
        #[derive(Deserialize)]
        struct Id {
            #[serde(rename = "Id")]
            id: String,
        }
        let data = super::images::read_archive(from, "import").await?;
        let mut q = Vec::new();
        if let Some(r) = &o.reference {
            q.push(("reference", r.clone()));
        }
        if let Some(m) = &o.message {
            q.push(("message", m.clone()));
        }
        if let Some(a) = &o.arch {
            q.push(("Architecture", a.clone()));
        }
        if let Some(os) = &o.os {
            q.push(("OS", os.clone()));
        }
        for c in &o.changes {
            q.push(("changes", c.clone()));
        }
        let r: Id = self
            .transport
            .json(Method::POST, &with_query("/images/import", &q), Some(data))
            .await?;
        Ok(r.id)
    }
}

impl RemoteEngine {
    /// `untag`: `POST /libpod/images/{name}/untag` per name (every name
    /// when `tags` is empty).
    pub(crate) async fn untag(&self, name: &str, tags: &[String]) -> Result<()> {
        let path = format!("/images/{}/untag", seg(name));
        if tags.is_empty() {
            self.transport
                .call(Method::POST, &path, None)
                .await
                .map_err(no_such_image)?;
        }
        for t in tags {
            let (repo, tag) = match t.rsplit_once(':') {
                Some((r, tg)) if !tg.contains('/') => (r, tg),
                _ => (t.as_str(), "latest"),
            };
            let q = [("repo", repo.to_owned()), ("tag", tag.to_owned())];
            self.transport
                .call(Method::POST, &with_query(&path, &q), None)
                .await
                .map_err(no_such_image)?;
        }
        Ok(())
    }

    /// `history`: `GET /libpod/images/{name}/history` (Docker's shape, as
    /// Podman's service answers; times in whole seconds).
    pub(crate) async fn history(&self, name: &str) -> Result<Vec<ImageHistoryLayer>> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Layer {
            id: String,
            created: i64,
            #[serde(default)]
            created_by: String,
            #[serde(default)]
            tags: Option<Vec<String>>,
            size: i64,
            #[serde(default)]
            comment: String,
        }
        let layers: Vec<Layer> = self
            .transport
            .get(&format!("/images/{}/history", seg(name)))
            .await
            .map_err(no_such_image)?;
        Ok(layers
            .into_iter()
            .map(|l| ImageHistoryLayer {
                id: l.id.strip_prefix("sha256:").unwrap_or(&l.id).to_owned(),
                created: GoTime::from_unix_nanos(l.created.saturating_mul(1_000_000_000)),
                created_by: l.created_by,
                tags: l.tags.unwrap_or_default(),
                size: l.size,
                comment: l.comment,
            })
            .collect())
    }
}

/// A directory format arrives as a tar of the directory: spooled to a
/// private file, then unpacked into `dir` (created; as Podman's remote
/// client).
async fn unpack_dir(mut body: hyper::body::Incoming, dir: std::path::PathBuf) -> Result<()> {
    let tmp = tempfile::NamedTempFile::new().map_err(io_error)?;
    let mut w = std::io::BufWriter::new(tmp.reopen().map_err(io_error)?);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| transport("reading the archive", e))?;
        if let Some(chunk) = frame.data_ref() {
            w.write_all(chunk).map_err(io_error)?;
        }
    }
    w.flush().map_err(io_error)?;
    drop(w);
    tokio::task::spawn_blocking(move || -> Result<()> {
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        let f = std::fs::File::open(tmp.path()).map_err(io_error)?;
        tar::Archive::new(std::io::BufReader::new(f))
            .unpack(&dir)
            .map_err(|e| Error::other(format!("unpacking into {}: {e}", dir.display())))
    })
    .await
    .map_err(|e| transport("unpacking the archive", e))?
}
