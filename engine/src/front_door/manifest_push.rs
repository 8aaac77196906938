//! `manifest push LIST DESTINATION`: each instance (with `--all`) is
//! pushed by digest to the destination repository — from the local store,
//! or copied from the registry it was added from — in the requested
//! compression, then the list itself (with the instances' new digests) is
//! pushed to the destination's tag.

use std::io::Write;
use std::sync::Arc;

use rpod_api::error::ErrorKind;
use rpod_api::front_door::images::ProgressSink;
use rpod_api::front_door::manifests::ManifestPushOptions;
use rpod_api::{Error, Result};
use serde_json::{json, Value};

use super::images::transfer::{connect_options, recompression, registries_conf, Lines};
use super::manifests::{not_known, render_as, storage_err};
use super::LocalEngine;
use crate::image_ref::ImageReference;
use crate::registry::copy::copy_image;
use crate::registry::push::{push, push_list, PushOptions, Pushed};
use crate::registry::PullOptions;
use crate::storage::{ManifestList, Store};

const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

fn push_err(e: impl std::fmt::Display) -> Error {
    Error::other(e.to_string())
}

/// `--format`: `Some(true)` for OCI, `Some(false)` for Docker schema 2.
fn list_format(format: Option<&str>) -> Result<Option<bool>> {
    match format {
        None | Some("") => Ok(None),
        Some("oci") => Ok(Some(true)),
        Some("v2s2") | Some("docker") => Ok(Some(false)),
        Some(other) => Err(Error::invalid(format!(
            "unknown format \"{other}\". Choose one of the supported formats: oci, v2s2"
        ))),
    }
}

/// The destination repository, from `[docker://]NAME[:TAG]`.
fn destination(dest: &str) -> Result<ImageReference> {
    let bare = match dest.split_once(':') {
        Some((t, _)) if !dest.starts_with("docker://") && is_other_transport(t) => {
            return Err(Error::new(
                ErrorKind::NotImplemented,
                format!("manifest push to the {t} transport is not implemented (see docs/compatibility.md)"),
            ))
        }
        _ => dest.strip_prefix("docker://").unwrap_or(dest),
    };
    let r = ImageReference::parse(bare).map_err(|e| Error::invalid(format!("{dest}: {e}")))?;
    Ok(if r.is_short_name() {
        r.qualify("docker.io")
    } else {
        r
    })
}

fn is_other_transport(t: &str) -> bool {
    [
        "oci",
        "oci-archive",
        "docker-archive",
        "dir",
        "containers-storage",
    ]
    .contains(&t)
}

/// The local image an instance was added from.
fn local_image(
    store: &Store,
    source: Option<&str>,
    digest: &str,
) -> Result<Option<crate::storage::Image>> {
    if let Some(id) = source.and_then(|s| s.strip_prefix("containers-storage:")) {
        return store.lookup_image(id).map_err(storage_err);
    }
    if source.is_some() {
        return Ok(None);
    }
    // A list written before sources were recorded: the image with that digest.
    Ok(store
        .images()
        .map_err(storage_err)?
        .into_iter()
        .find(|i| i.digest == digest || i.digests.iter().any(|d| d == digest)))
}

impl LocalEngine {
    /// Pushes one instance of `list` to `dest` (by digest).
    async fn push_instance(
        &self,
        list: &ManifestList,
        digest: &str,
        dest: &ImageReference,
        opts: &PushOptions,
        pull: &PullOptions,
        lines: &mut Lines,
    ) -> Result<Pushed> {
        let store = self.engine().store();
        let source = list.sources.get(digest).map(String::as_str);
        let target = ImageReference {
            tag: None,
            digest: Some(digest.to_string()),
            ..dest.clone()
        };
        if let Some(image) = local_image(store, source, digest)? {
            return push(store, &image, &target, opts, lines)
                .await
                .map_err(push_err);
        }
        let Some(remote) = source.and_then(|s| s.strip_prefix("docker://")) else {
            return Err(Error::new(
                ErrorKind::NoSuchImage,
                format!("{digest}: instance of the list is not in local storage and was not added from a registry"),
            ));
        };
        let from =
            ImageReference::parse(remote).map_err(|e| Error::invalid(format!("{remote}: {e}")))?;
        copy_image(store, &from, &target, pull, opts, lines)
            .await
            .map_err(push_err)
    }

    pub(super) async fn push_manifest_list(
        &self,
        name: &str,
        destination_name: &str,
        options: ManifestPushOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<String> {
        let oci = list_format(options.format.as_deref())?;
        let dest = destination(destination_name)?;
        let mut list = self.find_list(name)?.ok_or_else(|| not_known(name))?;
        let opts = PushOptions {
            connect: connect_options(&options.registry),
            registries_conf: registries_conf()?,
            quiet: options.quiet,
            compression: recompression(&options.compression)?,
        };
        let pull = PullOptions {
            tls_verify: options.registry.tls_verify,
            registries_conf: opts.registries_conf.clone(),
            connect: opts.connect.clone(),
            quiet: true,
            ..Default::default()
        };
        let mut lines = Lines::new(if options.quiet { None } else { progress });
        let say = |lines: &mut Lines, text: String| {
            if !options.quiet {
                let _ = writeln!(lines, "{text}");
            }
        };
        say(&mut lines, "Getting image list signatures".to_string());
        if options.all {
            let n = list.manifests.len();
            say(
                &mut lines,
                format!("Copying {n} images generated from {n} images in list"),
            );
            let mut pushed_all = Vec::with_capacity(n);
            for (i, inst) in list.manifests.iter().enumerate() {
                let digest = inst
                    .get("digest")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::other("malformed list entry"))?
                    .to_string();
                say(
                    &mut lines,
                    format!("Copying image {digest} ({}/{n})", i + 1),
                );
                let pushed = self
                    .push_instance(&list, &digest, &dest, &opts, &pull, &mut lines)
                    .await?;
                pushed_all.push(pushed);
            }
            for (inst, pushed) in list.manifests.iter_mut().zip(pushed_all) {
                if let Some(obj) = inst.as_object_mut() {
                    obj.insert("digest".into(), json!(pushed.digest));
                    obj.insert("size".into(), json!(pushed.size));
                    obj.insert("mediaType".into(), json!(pushed.media_type));
                }
            }
        }
        say(
            &mut lines,
            "Writing manifest list to image destination".to_string(),
        );
        let raw = render_as(&list, oci)?.into_bytes();
        let media_type = serde_json::from_slice::<Value>(&raw)
            .ok()
            .and_then(|v| {
                v.get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| DOCKER_LIST.to_string());
        let pushed = push_list(raw, &media_type, &dest, &opts)
            .await
            .map_err(push_err)?;
        say(&mut lines, "Storing list signatures".to_string());
        if options.rm {
            self.engine()
                .store()
                .delete_list(&list.id)
                .map_err(storage_err)?;
        }
        Ok(pushed.digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_destinations() {
        assert_eq!(list_format(None).unwrap(), None);
        assert_eq!(list_format(Some("oci")).unwrap(), Some(true));
        assert_eq!(list_format(Some("v2s2")).unwrap(), Some(false));
        assert!(list_format(Some("x")).is_err());
        let d = destination("docker://localhost:5000/a/b:1").unwrap();
        assert_eq!(d.domain.as_deref(), Some("localhost:5000"));
        assert_eq!(d.tag.as_deref(), Some("1"));
        assert_eq!(
            destination("busybox").unwrap().domain.as_deref(),
            Some("docker.io")
        );
        assert_eq!(
            destination("oci:/tmp/x").unwrap_err().kind,
            ErrorKind::NotImplemented
        );
        assert_eq!(
            destination("localhost:5000/a").unwrap().path,
            "a".to_string()
        );
    }
}
