//! `pull` and `push`: images from and to registries (and, for push,
//! archives), with progress as typed events.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use rpod_api::error::ErrorKind;
use rpod_api::front_door::images::{
    ImagePullOptions, ImagePushOptions, ProgressSink, PullProgress, PushCompression,
    RegistryOptions,
};
use rpod_api::{Error, Result};

use super::names::find_image;
use super::other;
use crate::engine::Engine;
use crate::image_ref::ImageReference;
use crate::registry::auth::Credentials;
use crate::registry::client::ConnectOptions;
use crate::registry::progress::{Progress, ProgressObserver};
use crate::registry::push::{push, PushOptions};
use crate::registry::recompress::{CompressionError, Recompress};
use crate::registry::{self, PullOptions, RegistriesConf};
use crate::storage::archive::{save, ArchiveFormat, SaveItem, SaveTarget};

/// The engine's connection options for a request's registry options.
pub(crate) fn connect_options(o: &RegistryOptions) -> ConnectOptions {
    ConnectOptions {
        tls_verify: o.tls_verify,
        cert_dir: o.cert_dir.clone(),
        auth_file: o.authfile.clone(),
        credentials: o.username.as_ref().map(|u| Credentials {
            username: u.clone(),
            password: o.password.clone().unwrap_or_default(),
        }),
    }
}

/// The registries.conf in effect (`CONTAINERS_REGISTRIES_CONF` or
/// /etc/containers/registries.conf).
pub(crate) fn registries_conf() -> Result<RegistriesConf> {
    RegistriesConf::load().map_err(|e| Error::invalid(e.to_string()))
}

/// The engine's recompression for a request's `--compression-*` flags.
pub(crate) fn recompression(c: &PushCompression) -> Result<Option<Recompress>> {
    Recompress::parse(c.format.as_deref(), c.level, c.force).map_err(|e| match e {
        CompressionError::NotImplemented(_) => Error::new(ErrorKind::NotImplemented, e.to_string()),
        _ => Error::invalid(e.to_string()),
    })
}

/// Progress text written by the registry code, as [`PullProgress::Line`]
/// events (one per line).
pub(crate) struct Lines {
    sink: Option<Arc<dyn ProgressSink>>,
    partial: Vec<u8>,
}

impl Lines {
    pub(crate) fn new(sink: Option<Arc<dyn ProgressSink>>) -> Lines {
        Lines {
            sink,
            partial: Vec::new(),
        }
    }

    pub(crate) fn line(&self, text: &str) {
        if let Some(s) = &self.sink {
            s.event(PullProgress::Line(text.to_owned()));
        }
    }
}

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            self.line(String::from_utf8_lossy(&line[..i]).as_ref());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            self.line(String::from_utf8_lossy(&rest).as_ref());
        }
    }
}

/// Blob progress as events.
struct Blobs(Arc<dyn ProgressSink>);

impl ProgressObserver for Blobs {
    fn start(&self, digest: &str, total: Option<u64>, skipped: bool) {
        self.0.event(PullProgress::BlobStarted {
            digest: digest.to_owned(),
            total,
            skipped,
        });
    }

    fn advance(&self, digest: &str, bytes: u64) {
        self.0.event(PullProgress::BlobAdvanced {
            digest: digest.to_owned(),
            bytes,
        });
    }

    fn finish(&self, digest: &str) {
        self.0.event(PullProgress::BlobDone {
            digest: digest.to_owned(),
        });
    }
}

/// `pull --all-tags`: every tag of the repository `reference` names (no
/// tag or digest allowed), pulled one after the other; their IDs.
pub async fn pull_all_tags(
    engine: &Engine,
    reference: &str,
    options: &ImagePullOptions,
    progress: Option<Arc<dyn ProgressSink>>,
) -> Result<Vec<String>> {
    let repo = ImageReference::parse(reference)
        .map_err(|e| Error::invalid(format!("{reference}: {e}")))?;
    if repo.tag.is_some() || repo.digest.is_some() {
        return Err(Error::invalid("tag can't be used with --all-tags/-a"));
    }
    let (name, tags) =
        registry::remote_manifest::remote_tags(&repo.to_string(), &pull_options(options)?)
            .await
            .map_err(|e| Error::invalid(e.to_string()))?;
    let mut ids = Vec::new();
    for tag in tags {
        let one = format!("{name}:{tag}");
        let id = pull(engine, &one, options, progress.clone()).await?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The registry layer's options of a pull.
fn pull_options(options: &ImagePullOptions) -> Result<PullOptions> {
    Ok(PullOptions {
        tls_verify: options.registry.tls_verify,
        quiet: options.quiet,
        registries_conf: registries_conf()?,
        connect: connect_options(&options.registry),
        policy: options.signature_policy.clone(),
        arch: options.arch.clone(),
        os: options.os.clone(),
        variant: options.variant.clone(),
        ..Default::default()
    })
}

/// `pull`: the ID of the pulled image.
pub async fn pull(
    engine: &Engine,
    reference: &str,
    options: &ImagePullOptions,
    progress: Option<Arc<dyn ProgressSink>>,
) -> Result<String> {
    let mut opts = pull_options(options)?;
    if options.blob_progress && !options.quiet {
        if let Some(p) = &progress {
            opts.progress = Progress(Some(Arc::new(Blobs(p.clone()))));
        }
    }
    let mut lines = Lines::new(progress);
    if let Some((path, name)) = local_source(reference) {
        return pull_local(engine, reference, path, name, options.quiet, &mut lines).await;
    }
    let retries = options.retry.unwrap_or(DEFAULT_RETRIES);
    let mut attempt = 0;
    let result = loop {
        let result = registry::pull(engine.store(), reference, &opts, &mut lines).await;
        match result {
            Err(e) if attempt < retries && is_network_failure(&e) => {
                attempt += 1;
                let delay = options
                    .retry_delay
                    .unwrap_or_else(|| std::time::Duration::from_secs(1 << (attempt - 1)));
                tracing::warn!(
                    "Failed, retrying in {} ... ({attempt}/{retries}). Error: {e}",
                    humantime_secs(delay)
                );
                tokio::time::sleep(delay).await;
            }
            other => break other,
        }
    };
    match result {
        Ok(img) => {
            crate::events::image_event(engine.config(), &img.id, reference, "pull");
            Ok(img.id)
        }
        Err(e) => {
            let message = e.to_string();
            crate::events::image_pull_error_event(engine.config(), reference, &message);
            Err(Error::invalid(message))
        }
    }
}

/// A pull from a local transport (`docker-archive:`, `oci-archive:`,
/// `oci:`, `dir:`): the path and, for archives, the image named in it.
fn local_source(reference: &str) -> Option<(PathBuf, Option<String>)> {
    let (transport, rest) = reference.split_once(':')?;
    match transport {
        "dir" => Some((PathBuf::from(rest), None)),
        "docker-archive" | "oci-archive" | "oci" => {
            let (path, name) = match rest.split_once(':') {
                Some((p, n)) if !n.is_empty() => (p, Some(n.to_owned())),
                Some((p, _)) => (p, None),
                None => (rest, None),
            };
            Some((PathBuf::from(path), name))
        }
        _ => None,
    }
}

/// `pull TRANSPORT:PATH`: the image(s) of a local archive or directory
/// stored as `load` stores them; the ID of the first.
async fn pull_local(
    engine: &Engine,
    reference: &str,
    path: PathBuf,
    name: Option<String>,
    quiet: bool,
    lines: &mut Lines,
) -> Result<String> {
    if !quiet {
        lines.line("Getting image source signatures");
    }
    let store = engine.store().clone();
    let loaded = tokio::task::spawn_blocking(move || {
        crate::storage::archive::load_path(&store, &path, name.as_deref())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| Error::other(format!("pull task failed: {e}")))?;
    let first = match loaded {
        Ok(l) => l.into_iter().next().map(|l| l.image.id),
        Err(message) => {
            crate::events::image_pull_error_event(engine.config(), reference, &message);
            return Err(Error::invalid(message));
        }
    };
    let id = first.ok_or_else(|| Error::invalid(format!("{reference}: no image found")))?;
    if !quiet {
        lines.line("Writing manifest to image destination");
    }
    crate::events::image_event(engine.config(), &id, reference, "pull");
    Ok(id)
}

/// Podman's default number of pull retries.
const DEFAULT_RETRIES: u32 = 3;

/// A failure to reach the registry (the kind Podman retries), not an
/// answer such as "manifest unknown".
fn is_network_failure(e: &registry::PullError) -> bool {
    const PING: &str = "pinging container registry";
    match e {
        // The manifest could not be fetched because the registry was not
        // reached (the usual shape: Podman's "initializing source" wraps it).
        registry::PullError::Source { message, .. } => message.starts_with(PING),
        other => other.to_string().starts_with(PING),
    }
}

/// A delay as Go prints a `time.Duration` of whole or fractional seconds.
fn humantime_secs(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{}ms", ms)
    }
}

/// A parsed push destination.
#[derive(Debug, PartialEq, Eq)]
enum Destination {
    Registry(String),
    Archive {
        format: ArchiveFormat,
        path: PathBuf,
        reference: Option<String>,
    },
}

/// Splits `transport:path[:reference]`.
fn parse_destination(dest: &str) -> Destination {
    if let Some(r) = dest.strip_prefix("docker://") {
        return Destination::Registry(r.to_string());
    }
    if let Some((transport, rest)) = dest.split_once(':') {
        if let Some(format) = ArchiveFormat::from_name(transport)
            .filter(|_| transport != "oci-dir" && transport != "docker-dir")
        {
            let (path, reference) = match (format, rest.split_once(':')) {
                (ArchiveFormat::Dir, _) | (_, None) => (rest, None),
                (_, Some((p, r))) => (p, Some(r.to_string())),
            };
            return Destination::Archive {
                format,
                path: PathBuf::from(path),
                reference: reference.filter(|r| !r.is_empty()),
            };
        }
    }
    Destination::Registry(dest.to_string())
}

/// The names an archive records for `reference`: docker-archive wants a
/// normalized name, OCI keeps the text as given.
fn archive_names(format: ArchiveFormat, reference: &str) -> Result<Vec<String>> {
    if format == ArchiveFormat::OciArchive || format == ArchiveFormat::OciDir {
        return Ok(vec![reference.to_string()]);
    }
    let r = ImageReference::parse(reference)
        .map_err(|e| Error::invalid(format!("{reference}: {e}")))?;
    let r = if r.is_short_name() {
        r.qualify("docker.io")
    } else {
        r
    };
    Ok(vec![r.storage_name()])
}

/// `push`: the manifest digest (empty for archives).
pub(crate) async fn push_image(
    engine: &Engine,
    source: &str,
    destination: Option<&str>,
    options: &ImagePushOptions,
    progress: Option<Arc<dyn ProgressSink>>,
) -> Result<String> {
    let image = find_image(engine, source)?;
    let dest = destination.map(str::to_owned).unwrap_or_else(|| {
        engine
            .store()
            .matching_name(&image, source)
            .unwrap_or_else(|| source.to_owned())
    });
    let mut lines = Lines::new(progress);
    match parse_destination(&dest) {
        Destination::Archive {
            format,
            path,
            reference,
        } => {
            if options.compression.format.is_some() {
                return Err(Error::new(
                    ErrorKind::NotImplemented,
                    "--compression-format with an archive or layout destination is not implemented (see docs/compatibility.md)",
                ));
            }
            let names = match reference {
                Some(r) => archive_names(format, &r)?,
                None => engine
                    .store()
                    .matching_name(&image, source)
                    .into_iter()
                    .collect(),
            };
            if !options.quiet {
                lines.line("Getting image source signatures");
                lines.line("Writing manifest to image destination");
            }
            let id = image.id.clone();
            save(
                engine.store(),
                &[SaveItem { image, names }],
                format,
                SaveTarget::Path(&path),
            )
            .map_err(|e| other(&e))?;
            crate::events::image_event(engine.config(), &id, &dest, "push");
            Ok(String::new())
        }
        Destination::Registry(r) => {
            let reference =
                ImageReference::parse(&r).map_err(|e| Error::invalid(format!("{r}: {e}")))?;
            let opts = PushOptions {
                connect: connect_options(&options.registry),
                registries_conf: registries_conf()?,
                quiet: options.quiet,
                compression: recompression(&options.compression)?,
            };
            let pushed = push(engine.store(), &image, &reference, &opts, &mut lines)
                .await
                .map_err(|e| other(&e))?;
            crate::events::image_event(engine.config(), &image.id, &dest, "push");
            Ok(pushed.digest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn unreachable_registries_are_retried_missing_manifests_not() {
        let source = |message: &str| registry::PullError::Source {
            reference: "127.0.0.1:1/x:latest".into(),
            message: message.into(),
        };
        assert!(is_network_failure(&source(
            "pinging container registry 127.0.0.1:1: Get \"http://127.0.0.1:1/v2/\": connection refused"
        )));
        assert!(!is_network_failure(&source(
            "reading manifest latest in 127.0.0.1:1/x: manifest unknown"
        )));
    }

    #[derive(Default)]
    struct Collect(Mutex<Vec<PullProgress>>);

    impl ProgressSink for Collect {
        fn event(&self, event: PullProgress) {
            self.0.lock().unwrap().push(event);
        }
    }

    #[test]
    fn lines_become_events() {
        let sink = Arc::new(Collect::default());
        {
            let mut l = Lines::new(Some(sink.clone()));
            write!(l, "Trying to pull a...\nGetting ").unwrap();
            writeln!(l, "image source signatures").unwrap();
            write!(l, "tail").unwrap();
        }
        let got = sink.0.lock().unwrap().clone();
        assert_eq!(
            got,
            vec![
                PullProgress::Line("Trying to pull a...".into()),
                PullProgress::Line("Getting image source signatures".into()),
                PullProgress::Line("tail".into()),
            ]
        );
    }

    #[test]
    fn destinations() {
        assert_eq!(
            parse_destination("docker://q.io/a"),
            Destination::Registry("q.io/a".into())
        );
        assert_eq!(
            parse_destination("oci-archive:/tmp/x.tar:n:1"),
            Destination::Archive {
                format: ArchiveFormat::OciArchive,
                path: "/tmp/x.tar".into(),
                reference: Some("n:1".into()),
            }
        );
        assert_eq!(
            parse_destination("localhost:5000/a"),
            Destination::Registry("localhost:5000/a".into())
        );
        assert_eq!(
            archive_names(ArchiveFormat::DockerArchive, "alpine").unwrap(),
            vec!["docker.io/library/alpine:latest".to_string()]
        );
    }
}
