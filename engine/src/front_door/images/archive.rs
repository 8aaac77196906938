//! `save`, `load`, `import` and `commit`: images to and from archives,
//! tarballs and containers.

use rpod_api::front_door::images::{
    ArchiveSource, CommitOptions, ImageArchiveFormat, ImageImportOptions, ImageSaveOptions,
    SaveDestination,
};
use rpod_api::image::ImageLoadReport;
use rpod_api::{Error, Result};

use super::names::{find_image, normalize_name, not_known};
use super::other;
use crate::container::ContainerOptions;
use crate::engine::Engine;
use crate::image_ref::platform::host_arch;
use crate::state::ContainerState;
use crate::storage::archive::{
    load_path, load_reader, save_with, ArchiveFormat, SaveItem, SaveTarget,
};
use crate::storage::CommitOptions as StoreCommitOptions;

fn archive_format(f: ImageArchiveFormat) -> ArchiveFormat {
    match f {
        ImageArchiveFormat::DockerArchive => ArchiveFormat::DockerArchive,
        ImageArchiveFormat::OciArchive => ArchiveFormat::OciArchive,
        ImageArchiveFormat::OciDir => ArchiveFormat::OciDir,
        ImageArchiveFormat::DockerDir => ArchiveFormat::Dir,
    }
}

/// `save`.
pub(crate) fn save(
    engine: &Engine,
    names: &[String],
    options: &ImageSaveOptions,
    to: SaveDestination,
) -> Result<()> {
    let format = archive_format(options.format);
    if names.len() > 1 && format == ArchiveFormat::Dir {
        return Err(Error::invalid("--format docker-dir holds a single image"));
    }
    let mut items = Vec::new();
    let mut ids = Vec::new();
    for name in names {
        let image = find_image(engine, name)?;
        ids.push(image.id.clone());
        let names = engine
            .store()
            .matching_name(&image, name)
            .into_iter()
            .collect();
        items.push(SaveItem { image, names });
    }
    let target_name = match &to {
        SaveDestination::Path(p) => p.display().to_string(),
        SaveDestination::Stream(_) => String::new(),
    };
    let result = match to {
        SaveDestination::Path(p) => save_with(
            engine.store(),
            &items,
            format,
            SaveTarget::Path(&p),
            options.uncompressed,
        ),
        SaveDestination::Stream(w) => save_with(
            engine.store(),
            &items,
            format,
            SaveTarget::Writer(Box::new(std::io::BufWriter::new(w))),
            options.uncompressed,
        ),
    };
    result.map_err(|e| other(&e))?;
    for id in ids {
        crate::events::image_event(engine.config(), &id, &target_name, "save");
    }
    Ok(())
}

/// `load -i http(s)://...`: Podman downloads the archive first.
pub(crate) fn is_url(p: &std::path::Path) -> bool {
    let s = p.to_string_lossy();
    s.starts_with("http://") || s.starts_with("https://")
}

/// A downloaded archive, deleted when dropped.
pub(crate) struct Download(std::path::PathBuf);

impl Download {
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Download {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Downloads `url` into a file under the run root.
pub(crate) async fn download(engine: &Engine, url: &str) -> Result<Download> {
    let failed = |e: &dyn std::fmt::Display| Error::other(format!("downloading {url}: {e}"));
    let response = reqwest::get(url).await.map_err(|e| failed(&e))?;
    if !response.status().is_success() {
        return Err(failed(&format!("status {}", response.status())));
    }
    let bytes = response.bytes().await.map_err(|e| failed(&e))?;
    let dir = &engine.config().runroot;
    std::fs::create_dir_all(dir).map_err(|e| failed(&e))?;
    let file = Download(dir.join(format!(
        "load-{}-{}.tar",
        std::process::id(),
        crate::container::reconcile::now_nanos()
    )));
    std::fs::write(file.path(), &bytes).map_err(|e| failed(&e))?;
    Ok(file)
}

/// `load` of a downloaded archive at `path`, its events naming `url`.
pub(crate) fn load_downloaded(
    engine: &Engine,
    path: &std::path::Path,
    url: &str,
) -> Result<ImageLoadReport> {
    let loaded = load_path(engine.store(), path, None).map_err(|e| other(&e))?;
    Ok(load_report(engine, &loaded, url))
}

/// `load`: the names of the loaded images (`sha256:ID` for one without).
pub(crate) fn load(engine: &Engine, from: ArchiveSource) -> Result<ImageLoadReport> {
    let source_name = match &from {
        ArchiveSource::Path(p) => p.display().to_string(),
        ArchiveSource::Stream(_) => String::new(),
    };
    let loaded = match from {
        ArchiveSource::Path(p) => load_path(engine.store(), &p, None),
        ArchiveSource::Stream(mut r) => load_reader(engine.store(), &mut r, None),
    }
    .map_err(|e| other(&e))?;
    Ok(load_report(engine, &loaded, &source_name))
}

/// The report (and events) of loaded images.
fn load_report(
    engine: &Engine,
    loaded: &[crate::storage::archive::LoadedImage],
    source_name: &str,
) -> ImageLoadReport {
    let mut report = ImageLoadReport::default();
    for l in loaded {
        crate::events::image_event(engine.config(), &l.image.id, source_name, "loadfromarchive");
        if l.names.is_empty() {
            report.names.push(format!("sha256:{}", l.image.id));
        }
        report.names.extend(l.names.iter().cloned());
    }
    report
}

/// `import`: the new image's ID.
pub(crate) async fn import(
    engine: &Engine,
    from: ArchiveSource,
    options: &ImageImportOptions,
) -> Result<String> {
    let names = match &options.reference {
        Some(n) => vec![normalize_name(n)?],
        None => Vec::new(),
    };
    let opts = StoreCommitOptions {
        changes: options.changes.clone(),
        author: None,
        message: options.message.clone(),
        names,
        created_by: format!("/bin/sh -c #(nop) ADD file:{} in /", options.source_name),
    };
    let os = options.os.clone().unwrap_or_else(|| "linux".into());
    let arch = options
        .arch
        .clone()
        .unwrap_or_else(|| host_arch().to_string());
    let store = engine.store().clone();
    let image = tokio::task::spawn_blocking(move || {
        let mut input: Box<dyn std::io::Read + Send> = match from {
            ArchiveSource::Stream(r) => r,
            ArchiveSource::Path(p) => Box::new(
                std::fs::File::open(&p).map_err(|e| format!("opening {}: {e}", p.display()))?,
            ),
        };
        store
            .import_tarball(&mut input, &os, &arch, &opts)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| Error::other(format!("import task failed: {e}")))?
    .map_err(Error::other)?;
    crate::events::image_event(engine.config(), &image.id, &options.source_name, "import");
    Ok(image.id)
}

/// The container's own run settings as `--change` instructions, which
/// Podman's commit also writes into the new image's config (command,
/// entrypoint, environment, working directory, user, labels, stop signal).
fn container_changes(o: &ContainerOptions) -> Vec<String> {
    // Values are quoted for the instruction parser (`k="v w"`).
    let quote = |v: &str| {
        if v.contains('"') {
            format!("'{v}'")
        } else {
            format!("\"{v}\"")
        }
    };
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
    let mut out = Vec::new();
    for (k, v) in o.env.iter().filter_map(|e| e.split_once('=')) {
        out.push(format!("ENV {k}={}", quote(v)));
    }
    if let Some(ep) = &o.entrypoint {
        out.push(format!("ENTRYPOINT {}", json(ep)));
    }
    if !o.command.is_empty() {
        out.push(format!("CMD {}", json(&o.command)));
    }
    if let Some(w) = &o.workdir {
        out.push(format!("WORKDIR {w}"));
    }
    if let Some(u) = &o.user {
        out.push(format!("USER {u}"));
    }
    for (k, v) in &o.labels {
        out.push(format!("LABEL {k}={}", quote(v)));
    }
    if let Some(sig) = o.stop_signal {
        out.push(format!("STOPSIGNAL {sig}"));
    }
    out
}

/// `commit`: the new image's ID.
pub(crate) async fn commit(
    engine: &Engine,
    name_or_id: &str,
    options: &CommitOptions,
) -> Result<String> {
    if let Some(f) = options
        .format
        .as_deref()
        .filter(|f| *f != "oci" && *f != "docker")
    {
        return Err(Error::invalid(format!("unrecognized image type {f:?}")));
    }
    // Podman 5: an OCI image (the default format) has no place for a message.
    if options.message.is_some() && options.format.as_deref().unwrap_or("oci") == "oci" {
        return Err(Error::invalid(
            "messages are only compatible with the docker image format (-f docker)",
        ));
    }
    let names = match &options.image_name {
        Some(n) => vec![normalize_name(n)?],
        None => Vec::new(),
    };
    let handle = engine.container(name_or_id)?;
    let rec = handle.get().await?;
    if rec.options.rootfs.is_some() {
        return Err(Error::new(
            rpod_api::ErrorKind::NotImplemented,
            "committing a --rootfs container is not supported yet",
        ));
    }
    let base = engine
        .store()
        .images()
        .map_err(|e| other(&e))?
        .into_iter()
        .find(|i| i.id == rec.image_id)
        .ok_or_else(|| not_known(&rec.image_name))?;
    // The container's own settings first, then the user's instructions.
    let mut changes = container_changes(&rec.options);
    changes.extend(options.changes.iter().cloned());
    let opts = StoreCommitOptions {
        changes,
        author: options.author.clone(),
        message: options.message.clone(),
        names,
        created_by: format!("/bin/sh -c #(nop) commit of {}", rec.name),
    };
    let paused = options.pause && rec.state == ContainerState::Running;
    if paused {
        handle.pause().await?;
    }
    let store = engine.store().clone();
    let id = rec.id.clone();
    let result = tokio::task::spawn_blocking(move || store.commit_container(&id, &base, &opts))
        .await
        .map_err(|e| Error::other(format!("commit task failed: {e}")));
    if paused {
        handle.unpause().await?;
    }
    let image = result?.map_err(|e| other(&e))?;
    Ok(image.id)
}
