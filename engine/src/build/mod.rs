//! `build` through Buildah: rpod keeps a Buildah store of its own
//! (`ROOT/buildah`), hands it the local images the Containerfile builds on
//! (as OCI layouts, no registry involved), runs `buildah build` with the
//! output streamed to the caller, then copies the built image out of
//! Buildah's store into rpod's (same config, so the same ID and history).
//! Buildah's store stays as the `--layers` cache of the next build.

mod args;
mod bases;
mod buildah;
mod cache;
mod context;
mod export;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use rpod_api::front_door::build::{BuildContext, BuildOptions, BuildOutcome, BuildSink};

use crate::engine::Engine;
use crate::storage::StorageError;

pub(crate) use buildah::{store_dirs, version};
pub(crate) use cache::{cache_images, CacheImage};

/// Why a build could not run (Buildah's own failures are a
/// [`BuildOutcome::Failed`]).
#[derive(Debug, thiserror::Error)]
pub(crate) enum BuildError {
    #[error(
        "buildah is not installed: rpod build runs Buildah, install the \"{}\" package",
        buildah::PACKAGE
    )]
    NotInstalled,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Context(String),
    #[error("{0}")]
    Buildah(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Other(String),
}

impl BuildError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> BuildError {
        BuildError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// `system reset`: Buildah's working containers (and their mounts) and
/// images go, so the store's directory can be removed.
pub(crate) fn reset_store(engine: &Engine) -> Result<(), BuildError> {
    let Some((buildah, _tmp)) = existing_store(engine)? else {
        return Ok(());
    };
    buildah.output(&[std::ffi::OsStr::new("rm"), std::ffi::OsStr::new("--all")])?;
    buildah.output(&[
        std::ffi::OsStr::new("rmi"),
        std::ffi::OsStr::new("--all"),
        std::ffi::OsStr::new("--force"),
    ])?;
    Ok(())
}

/// Buildah for the engine's Buildah store if there is one (and Buildah).
fn existing_store(engine: &Engine) -> Result<Option<(buildah::Buildah, TempDir)>, BuildError> {
    let (root, _) = store_dirs(engine.config());
    if !root.join("storage").exists() {
        return Ok(None);
    }
    let tmp = temp_dir(engine)?;
    match buildah::Buildah::new(engine.config(), &tmp.0) {
        Ok(b) => Ok(Some((b, tmp))),
        Err(BuildError::NotInstalled) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `rmi` and `image prune` in rpod's store reach Buildah's, as they reach
/// the build cache in Podman's single store: the removed images `ids` go
/// there too (with the intermediate images only they used), and a prune
/// (`prune`) removes Buildah's dangling (cache) images.
pub(crate) fn forget_images(engine: &Engine, ids: &[String], prune: bool) {
    let run = || -> Result<(), BuildError> {
        let Some((buildah, _tmp)) = existing_store(engine)? else {
            return Ok(());
        };
        for id in ids {
            if buildah.has_image(id) {
                buildah.output(&[
                    std::ffi::OsStr::new("rmi"),
                    std::ffi::OsStr::new("--force"),
                    std::ffi::OsStr::new(id),
                ])?;
            }
        }
        if prune {
            buildah.output(&[std::ffi::OsStr::new("rmi"), std::ffi::OsStr::new("--prune")])?;
        }
        Ok(())
    };
    if let Err(e) = run() {
        tracing::warn!("removing images from Buildah's store: {e}");
    }
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!("removing {}: {e}", self.0.display());
        }
    }
}

/// This build's temp directory under `ROOT/buildah/tmp`.
fn temp_dir(engine: &Engine) -> Result<TempDir, BuildError> {
    let (root, _) = store_dirs(engine.config());
    let dir = root.join("tmp").join(format!(
        "build-{}-{}",
        std::process::id(),
        crate::container::reconcile::now_nanos()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| BuildError::io(&dir, e))?;
    Ok(TempDir(dir))
}

/// `--build-arg` values as a map (`KEY` alone takes the environment's),
/// and `--build-arg-file` lines added before them.
fn build_arg_list(o: &BuildOptions) -> Result<Vec<String>, BuildError> {
    let mut out = Vec::new();
    for f in &o.build_arg_files {
        let text = std::fs::read_to_string(f).map_err(|e| BuildError::io(f, e))?;
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    for a in &o.build_args {
        match a.split_once('=') {
            Some(_) => out.push(a.clone()),
            None => {
                if let Ok(v) = std::env::var(a) {
                    out.push(format!("{a}={v}"));
                }
            }
        }
    }
    Ok(out)
}

fn is_url(f: &Path) -> bool {
    let s = f.to_string_lossy();
    s.starts_with("http://") || s.starts_with("https://")
}

fn arg_map(list: &[String]) -> HashMap<String, String> {
    list.iter()
        .filter_map(|a| a.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Builds `context` as `options` say (see the module doc), naming the
/// image `names` (`options.tags` normalized).
pub(crate) fn build(
    engine: &Engine,
    context: BuildContext,
    options: &BuildOptions,
    names: &[String],
    sink: Arc<dyn BuildSink>,
) -> Result<BuildOutcome, BuildError> {
    let tmp = temp_dir(engine)?;
    let buildah = buildah::Buildah::new(engine.config(), &tmp.0)?;
    // Relative Containerfiles of a context sent as an archive (the REST
    // API's `dockerfile`) are the archive's, as Buildah takes them.
    let archived = matches!(context, BuildContext::Tarball(_));
    let (context_arg, context_dir): (std::ffi::OsString, Option<PathBuf>) = match context {
        BuildContext::Dir(d) => (d.clone().into_os_string(), Some(d)),
        BuildContext::Url(u) => (u.into(), None),
        BuildContext::Tarball(r) => {
            let dir = tmp.0.join("context");
            std::fs::create_dir_all(&dir).map_err(|e| BuildError::io(&dir, e))?;
            context::unpack(r, &dir)?;
            (dir.clone().into_os_string(), Some(dir))
        }
    };
    let mut containerfiles: Vec<PathBuf> = options
        .containerfiles
        .iter()
        .map(|f| match &context_dir {
            Some(dir) if archived && f.is_relative() && !is_url(f) => dir.join(f),
            _ => f.clone(),
        })
        .collect();
    if let Some(text) = &options.containerfile_text {
        let f = tmp.0.join("Containerfile.stdin");
        std::fs::write(&f, text).map_err(|e| BuildError::io(&f, e))?;
        containerfiles.push(f);
    }
    if containerfiles.is_empty() {
        if let Some(dir) = &context_dir {
            let found = ["Containerfile", "Dockerfile"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file());
            containerfiles.extend(found);
        }
    }
    let build_args = build_arg_list(options)?;
    let args_map = arg_map(&build_args);
    let mut wanted = Vec::new();
    for f in &containerfiles {
        // A Containerfile given by URL is Buildah's to fetch.
        if let Ok(text) = std::fs::read_to_string(f) {
            wanted.extend(bases::base_images(
                &text,
                &args_map,
                options.from.as_deref(),
            ));
        }
    }
    export::hand_over_bases(engine, &buildah, &tmp.0, &wanted)?;
    let runtime = crate::engine::select_runtime(engine.config(), None)
        .map_err(|e| BuildError::Other(e.to_string()))?;
    let iidfile = tmp.0.join("iid");
    let mut argv: Vec<std::ffi::OsString> = vec!["build".into()];
    argv.extend(args::build_args(
        options,
        &containerfiles,
        &build_args,
        options.logfile.as_ref().map(|_| iidfile.as_path()),
        &runtime.path,
    ));
    argv.push(context_arg);
    let stdin = if options.stdin {
        Stdio::inherit()
    } else {
        Stdio::null()
    };
    let tail = match buildah::stream(buildah.command(argv), stdin, &sink)? {
        Ok(tail) => tail,
        Err(f) => {
            return Ok(BuildOutcome::Failed {
                message: f.message,
                exit_code: f.exit_code,
            })
        }
    };
    // Buildah ends its output with the ID, unless it went to a log file.
    let id = match &options.logfile {
        Some(_) => std::fs::read_to_string(&iidfile).map_err(|e| BuildError::io(&iidfile, e))?,
        None => buildah::last_line(&tail),
    };
    let id = id.trim().trim_start_matches("sha256:").to_string();
    let image_id = export::take_image(engine, &buildah, &tmp.0, &id, names)?;
    if let Some(f) = &options.iidfile {
        std::fs::write(f, format!("sha256:{image_id}")).map_err(|e| BuildError::io(f, e))?;
    }
    let name = options.tags.first().cloned().unwrap_or_default();
    crate::events::image_event(engine.config(), &image_id, &name, "build");
    Ok(BuildOutcome::Built { image_id })
}
