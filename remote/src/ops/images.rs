//! Images: pull (libpod's JSON stream), list, inspect, remove, tag, exists.

use std::sync::Arc;

use hyper::Method;
use rpod_api::front_door::images::{
    ImageListOptions, ImagePullOptions, ImagePullReport, ImageRemoveOptions, ProgressSink,
    PullProgress,
};
use rpod_api::image::{ImageData, ImageRemoveReport, ImageSummary};
use rpod_api::{Error, ErrorKind, Result};
use serde::Deserialize;

use super::{filter_list_json, seg};
use crate::error::{transport, unsupported};
use crate::json_lines::JsonLines;
use crate::query::with_query;
use crate::RemoteEngine;

/// One object of libpod's pull stream.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PullEvent {
    stream: String,
    error: String,
    images: Vec<String>,
}

impl RemoteEngine {
    pub(crate) async fn pull(
        &self,
        reference: &str,
        o: &ImagePullOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<ImagePullReport> {
        let r = &o.registry;
        if r.authfile.is_some() || r.cert_dir.is_some() {
            return Err(unsupported("pull --authfile/--cert-dir"));
        }
        if o.signature_policy.is_some() || o.variant.is_some() {
            return Err(unsupported("pull --signature-policy/--variant"));
        }
        if o.policy
            .is_some_and(|p| p != rpod_api::container_run::PullPolicy::Always)
        {
            return Err(unsupported("pull --policy"));
        }
        if o.all_tags {
            return Err(unsupported("pull --all-tags"));
        }
        let mut q = vec![
            ("reference", reference.to_owned()),
            ("quiet", o.quiet.to_string()),
        ];
        if let Some(t) = r.tls_verify {
            q.push(("tlsVerify", t.to_string()));
        }
        if let Some(a) = &o.arch {
            q.push(("Arch", a.clone()));
        }
        if let Some(os) = &o.os {
            q.push(("OS", os.clone()));
        }
        let mut headers = Vec::new();
        if let Some(u) = &r.username {
            let header = super::image_transfer::registry_auth_header(
                u,
                r.password.as_deref().unwrap_or_default(),
            );
            headers.push(("x-registry-auth", header));
        }
        let body = self
            .transport
            .stream_with_headers(
                Method::POST,
                &with_query("/images/pull", &q),
                None,
                &headers,
            )
            .await?;
        let mut images = Vec::new();
        let mut lines = JsonLines::new(body, "pull");
        while let Some(ev) = lines.next::<PullEvent>().await? {
            if !ev.error.is_empty() {
                return Err(Error::other(ev.error));
            }
            if !ev.stream.is_empty() {
                if let Some(p) = &progress {
                    p.event(PullProgress::Line(
                        ev.stream.trim_end_matches('\n').to_owned(),
                    ));
                }
            }
            if !ev.images.is_empty() {
                images = ev.images;
            }
        }
        Ok(ImagePullReport { images })
    }

    pub(crate) async fn image_exists_remote(&self, name: &str) -> Result<bool> {
        match self
            .transport
            .call(Method::GET, &format!("/images/{}/exists", seg(name)), None)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.kind, ErrorKind::NoSuchImage | ErrorKind::NoSuchContainer) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn images(&self, o: &ImageListOptions) -> Result<Vec<ImageSummary>> {
        let mut q = vec![("all", o.all.to_string())];
        if !o.filter.is_empty() {
            rpod_api::front_door::images::check_image_filter_syntax(&o.filter)?;
            q.push(("filters", filter_list_json(&o.filter)));
        }
        // rpod's service sorts as `images --sort` (Podman's ignores it).
        let sort = serde_json::to_value(o.sort)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        q.push(("sort", sort));
        self.transport.get(&with_query("/images/json", &q)).await
    }

    pub(crate) async fn image_inspect_remote(&self, name: &str) -> Result<ImageData> {
        self.transport
            .get(&format!("/images/{}/json", seg(name)))
            .await
            .map_err(no_such_image)
    }

    pub(crate) async fn image_rm(
        &self,
        names: &[String],
        o: &ImageRemoveOptions,
    ) -> Result<ImageRemoveReport> {
        let mut q: Vec<(&str, String)> = names.iter().map(|n| ("images", n.clone())).collect();
        q.push(("all", o.all.to_string()));
        q.push(("force", o.force.to_string()));
        q.push(("ignore", o.ignore.to_string()));
        if o.unused_only {
            // `run --rmi`: rpod's service takes it as a parameter of its
            // own; Podman's removes the image in the container's cleanup.
            if !self.is_rpod_service().await {
                return Err(unsupported("run --rmi"));
            }
            q.push(("rpod_unused_only", "true".to_owned()));
        }
        self.transport
            .json(Method::DELETE, &with_query("/images/remove", &q), None)
            .await
    }

    pub(crate) async fn tag(&self, name: &str, tags: &[String]) -> Result<()> {
        for t in tags {
            // repo[:tag], the tag after the last ':' that follows the last '/'.
            let (repo, tag) = match t.rsplit_once(':') {
                Some((r, tg)) if !tg.contains('/') => (r, tg),
                _ => (t.as_str(), "latest"),
            };
            let q = [("repo", repo.to_owned()), ("tag", tag.to_owned())];
            let path = with_query(&format!("/images/{}/tag", seg(name)), &q);
            self.transport
                .call(Method::POST, &path, None)
                .await
                .map_err(no_such_image)?;
        }
        Ok(())
    }
}

/// A 404 of an image endpoint is a missing image.
pub(super) fn no_such_image(e: Error) -> Error {
    if e.kind == ErrorKind::NoSuchContainer {
        Error::new(ErrorKind::NoSuchImage, e.message)
    } else {
        e
    }
}

impl RemoteEngine {
    /// `load`: the archive (a file here, or stdin) as the body of
    /// `POST /images/load`.
    pub(crate) async fn load(
        &self,
        from: rpod_api::front_door::images::ArchiveSource,
    ) -> Result<rpod_api::image::ImageLoadReport> {
        let data = read_archive(from, "load").await?;
        self.transport
            .json(Method::POST, "/images/load", Some(data))
            .await
    }
}

/// An archive read whole for `what` (`load`, `import`): a file here (not
/// a directory), or stdin.
pub(crate) async fn read_archive(
    from: rpod_api::front_door::images::ArchiveSource,
    what: &'static str,
) -> Result<Vec<u8>> {
    use rpod_api::front_door::images::ArchiveSource;
    tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
        let mut data = Vec::new();
        match from {
            ArchiveSource::Path(p) => {
                if p.is_dir() {
                    return Err(unsupported(&format!("{what} of a directory")));
                }
                let mut f = std::fs::File::open(&p).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidArgument,
                        format!("open {}: {e}", p.display()),
                    )
                })?;
                std::io::Read::read_to_end(&mut f, &mut data)
                    .map_err(|e| transport("reading the archive", e))?;
            }
            ArchiveSource::Stream(mut r) => {
                r.read_to_end(&mut data)
                    .map_err(|e| transport("reading the archive", e))?;
            }
        }
        Ok(data)
    })
    .await
    .map_err(|e| transport("reading the archive", e))?
}
