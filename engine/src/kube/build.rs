//! `kube play --build`: an image of the YAML is built when a directory
//! named after it (its last path component, without tag or digest) holds
//! a `Containerfile` or `Dockerfile` — looked for in `--context-dir`, else
//! the current directory, as Podman does. With such a file the image is
//! built when it is missing (unless `--build=false`) and always with
//! `--build`; the build's output goes where pull progress goes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rpod_api::front_door::build::{BuildContext, BuildOptions, BuildOutcome, BuildSink};
use rpod_api::front_door::images::{ProgressSink, PullProgress, RegistryOptions};
use rpod_api::kube::KubePlayOptions;
use rpod_api::{Error, FrontDoor};

/// Podman's directory name for an image: the name without tag, without
/// the registry and repository path, without a digest.
fn dir_name(image: &str) -> &str {
    let no_tag = image.split(':').next().unwrap_or(image);
    let last = no_tag.rsplit('/').next().unwrap_or(no_tag);
    last.split('@').next().unwrap_or(last)
}

/// The Containerfile (or else Dockerfile) that builds `image` under
/// `dir`, if there is one.
pub(crate) fn build_file(image: &str, dir: &Path) -> Result<Option<PathBuf>, Error> {
    let sub = dir.join(dir_name(image));
    let mut last_err = None;
    for name in ["Containerfile", "Dockerfile"] {
        let path = sub.join(name);
        match std::fs::metadata(&path) {
            Ok(_) => {
                tracing::debug!("Building {image} with {}", path.display());
                return Ok(Some(path));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => last_err = None,
            Err(e) => {
                tracing::error!("stat {}: {e}", path.display());
                last_err = Some(Error::other(format!("stat {}: {e}", path.display())));
            }
        }
    }
    match last_err {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// The directory image directories are looked for in.
fn search_dir(options: &KubePlayOptions) -> Result<PathBuf, Error> {
    match &options.context_dir {
        Some(d) => Ok(d.clone()),
        None => {
            std::env::current_dir().map_err(|e| Error::other(format!("current directory: {e}")))
        }
    }
}

/// The build's output as progress lines.
struct Lines {
    sink: Option<Arc<dyn ProgressSink>>,
    partial: Mutex<Vec<u8>>,
}

impl Lines {
    fn write(&self, bytes: &[u8]) {
        let Some(sink) = &self.sink else {
            return;
        };
        let mut buf = self.partial.lock().unwrap_or_else(|p| p.into_inner());
        buf.extend_from_slice(bytes);
        while let Some(end) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..end]).into_owned();
            sink.event(PullProgress::Line(text));
        }
    }

    fn flush(&self) {
        let Some(sink) = &self.sink else {
            return;
        };
        let mut buf = self.partial.lock().unwrap_or_else(|p| p.into_inner());
        if !buf.is_empty() {
            sink.event(PullProgress::Line(
                String::from_utf8_lossy(&buf).into_owned(),
            ));
            buf.clear();
        }
    }
}

impl BuildSink for Lines {
    fn stdout(&self, bytes: &[u8]) {
        self.write(bytes);
    }
    fn stderr(&self, bytes: &[u8]) {
        self.write(bytes);
    }
}

/// Builds `image` if the play should; true when it did (the image is
/// then in the store and needs no pull).
pub(crate) async fn build_if_wanted<E: FrontDoor + ?Sized>(
    e: &E,
    image: &str,
    options: &KubePlayOptions,
    progress: &Option<Arc<dyn ProgressSink>>,
) -> Result<bool, Error> {
    if options.build == Some(false) {
        return Ok(false);
    }
    let Some(file) = build_file(image, &search_dir(options)?)? else {
        return Ok(false);
    };
    if options.build != Some(true) && e.image_exists(image).await? {
        return Ok(false);
    }
    let context = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let build = BuildOptions {
        containerfiles: vec![file],
        tags: vec![image.to_owned()],
        remove_intermediate: true,
        force_rm: true,
        registry: RegistryOptions {
            authfile: options.authfile.clone(),
            tls_verify: options.tls_verify,
            ..RegistryOptions::default()
        },
        ..BuildOptions::default()
    };
    let sink = Arc::new(Lines {
        sink: progress.clone(),
        partial: Mutex::new(Vec::new()),
    });
    let outcome = e
        .image_build(BuildContext::Dir(context), build, sink.clone())
        .await;
    sink.flush();
    match outcome? {
        BuildOutcome::Built { .. } => Ok(true),
        BuildOutcome::Failed { message, .. } => Err(Error::other(message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_as_podman() {
        assert_eq!(dir_name("foo"), "foo");
        assert_eq!(dir_name("foo:1.0"), "foo");
        assert_eq!(dir_name("quay.io/libpod/foo:latest"), "foo");
        assert_eq!(dir_name("localhost/a/b"), "b");
        assert_eq!(dir_name("reg/x@sha256"), "x");
    }

    #[test]
    fn containerfile_before_dockerfile() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(build_file("img", tmp.path()).unwrap(), None);
        let d = tmp.path().join("img");
        std::fs::create_dir(&d).unwrap();
        assert_eq!(build_file("img", tmp.path()).unwrap(), None);
        std::fs::write(d.join("Dockerfile"), "FROM x\n").unwrap();
        assert_eq!(
            build_file("quay.io/x/img:1", tmp.path()).unwrap(),
            Some(d.join("Dockerfile"))
        );
        std::fs::write(d.join("Containerfile"), "FROM x\n").unwrap();
        assert_eq!(
            build_file("img", tmp.path()).unwrap(),
            Some(d.join("Containerfile"))
        );
    }
}
