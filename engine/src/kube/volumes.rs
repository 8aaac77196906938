//! The pod's `volumes` (hostPath, emptyDir, persistentVolumeClaim,
//! configMap, secret, image) and each container's `volumeMounts` as rpod
//! mounts: bind mounts, anonymous volumes or tmpfs, named volumes, image
//! mounts (read-only); ConfigMap and Secret volumes become named volumes
//! (named as the ConfigMap or Secret) filled with one file per key, as
//! Podman makes them.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::core::v1::{Container, KeyToPath, Volume};
use rpod_api::container_run::{
    BindMount, ContainerSpec, ImageMount, NamedVolume, PullPolicy, TmpfsMount,
};
use rpod_api::Error;

use super::sources::{Content, Sources};

/// What one pod volume is on this host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PodVolume {
    HostPath(String),
    EmptyDir {
        memory: bool,
    },
    Claim {
        name: String,
        read_only: bool,
    },
    /// A named volume filled from a ConfigMap or Secret.
    Filled(String),
    /// An image's content, read-only; pulled first as the policy says.
    Image {
        reference: String,
        pull: PullPolicy,
    },
    /// An optional ConfigMap or Secret that does not exist: nothing mounted.
    Absent,
}

/// A named volume to create (if missing) and fill before the pod starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VolumeFill {
    pub name: String,
    /// Relative path, content, mode.
    pub files: Vec<(String, Vec<u8>, u32)>,
}

fn check_host_path(path: &str, kind: &str) -> Result<(), Error> {
    let p = Path::new(path);
    let meta = std::fs::metadata(p);
    let bad = |what: &str| {
        Err(Error::invalid(format!(
            "checking {kind}: path {path} is not {what}"
        )))
    };
    match kind {
        "" => Ok(()),
        "DirectoryOrCreate" => {
            if meta.is_err() {
                std::fs::create_dir_all(p)
                    .map_err(|e| Error::other(format!("creating HostPath {path}: {e}")))?;
            }
            Ok(())
        }
        "FileOrCreate" => {
            if meta.is_err() {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| Error::other(format!("creating HostPath {path}: {e}")))?;
            }
            Ok(())
        }
        "Directory" | "File" | "Socket" | "CharDevice" | "BlockDevice" => {
            use std::os::unix::fs::FileTypeExt;
            let meta =
                meta.map_err(|e| Error::invalid(format!("error checking path {path:?}: {e}")))?;
            let t = meta.file_type();
            match kind {
                "Directory" if !t.is_dir() => bad("a directory"),
                "File" if !t.is_file() => bad("a file"),
                "Socket" if !t.is_socket() => bad("a socket"),
                "CharDevice" if !t.is_char_device() => bad("a character device"),
                "BlockDevice" if !t.is_block_device() => bad("a block device"),
                _ => Ok(()),
            }
        }
        other => Err(Error::invalid(format!("invalid HostPath type {other:?}"))),
    }
}

fn files(
    content: &Content,
    items: Option<&Vec<KeyToPath>>,
    default_mode: Option<i32>,
    what: &str,
) -> Result<Vec<(String, Vec<u8>, u32)>, Error> {
    let mode = default_mode.map(|m| m as u32).unwrap_or(0o644);
    let mut out = Vec::new();
    match items {
        Some(items) if !items.is_empty() => {
            for it in items {
                let v = content.get(&it.key).ok_or_else(|| {
                    Error::invalid(format!("key {:?} not found in {what}", it.key))
                })?;
                out.push((
                    it.path.clone(),
                    v.clone(),
                    it.mode.map(|m| m as u32).unwrap_or(mode),
                ));
            }
        }
        _ => {
            for (k, v) in content {
                out.push((k.clone(), v.clone(), mode));
            }
        }
    }
    for (p, _, _) in &out {
        if p.is_empty() || p.starts_with('/') || p.split('/').any(|c| c == "..") {
            return Err(Error::invalid(format!("invalid path {p:?} in {what}")));
        }
    }
    Ok(out)
}

/// The pod's volumes by name, and the named volumes to fill.
pub(crate) fn pod_volumes(
    volumes: &[Volume],
    sources: &Sources,
) -> Result<(BTreeMap<String, PodVolume>, Vec<VolumeFill>), Error> {
    let mut out = BTreeMap::new();
    let mut fills = Vec::new();
    for v in volumes {
        let kind = if let Some(h) = &v.host_path {
            check_host_path(&h.path, h.type_.as_deref().unwrap_or(""))?;
            PodVolume::HostPath(h.path.clone())
        } else if let Some(e) = &v.empty_dir {
            PodVolume::EmptyDir {
                memory: e.medium.as_deref() == Some("Memory"),
            }
        } else if let Some(c) = &v.persistent_volume_claim {
            PodVolume::Claim {
                name: c.claim_name.clone(),
                read_only: c.read_only.unwrap_or(false),
            }
        } else if let Some(c) = &v.config_map {
            match sources.content(false, &c.name, c.optional.unwrap_or(false))? {
                None => PodVolume::Absent,
                Some(content) => {
                    let what = format!("configmap {}", c.name);
                    fills.push(VolumeFill {
                        name: c.name.clone(),
                        files: files(content, c.items.as_ref(), c.default_mode, &what)?,
                    });
                    PodVolume::Filled(c.name.clone())
                }
            }
        } else if let Some(s) = &v.secret {
            let name = s.secret_name.clone().unwrap_or_default();
            match sources.content(true, &name, s.optional.unwrap_or(false))? {
                None => PodVolume::Absent,
                Some(content) => {
                    let what = format!("secret {name}");
                    fills.push(VolumeFill {
                        name: name.clone(),
                        files: files(content, s.items.as_ref(), s.default_mode, &what)?,
                    });
                    PodVolume::Filled(name)
                }
            }
        } else if let Some(i) = &v.image {
            let reference = i.reference.clone().unwrap_or_default();
            if reference.is_empty() {
                return Err(Error::invalid(format!(
                    "volume {:?}: image volume without a reference",
                    v.name
                )));
            }
            let pull = super::container::pull_policy(i.pull_policy.as_deref(), &reference)?;
            PodVolume::Image { reference, pull }
        } else {
            return Err(Error::new(
                rpod_api::ErrorKind::NotImplemented,
                format!(
                    "volume {:?}: only hostPath, emptyDir, persistentVolumeClaim, configMap, secret and image volumes are supported",
                    v.name
                ),
            ));
        };
        out.insert(v.name.clone(), kind);
    }
    Ok((out, fills))
}

/// `mountPath` may carry Podman's options after a colon (`/data:z,ro`).
fn split_mount_path(path: &str, read_only: bool) -> (String, Vec<String>) {
    let (dest, opts) = match path.split_once(':') {
        Some((d, o)) => (
            d,
            o.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        None => (path, Vec::new()),
    };
    let mut opts: Vec<String> = opts;
    if read_only && !opts.iter().any(|o| o == "ro") {
        opts.push("ro".into());
    }
    (dest.to_owned(), opts)
}

/// Adds the container's `volumeMounts` to its spec.
pub(crate) fn apply_mounts(
    c: &Container,
    volumes: &BTreeMap<String, PodVolume>,
    spec: &mut ContainerSpec,
) -> Result<(), Error> {
    for m in c.volume_mounts.iter().flatten() {
        let kind = volumes.get(&m.name).ok_or_else(|| {
            Error::invalid(format!(
                "volume mount {} specified for container but not configured in volumes",
                m.name
            ))
        })?;
        let (dest, opts) = split_mount_path(&m.mount_path, m.read_only.unwrap_or(false));
        let sub = m.sub_path.clone().filter(|s| !s.is_empty());
        if sub.is_some() && !matches!(kind, PodVolume::HostPath(_) | PodVolume::Image { .. }) {
            return Err(Error::new(
                rpod_api::ErrorKind::NotImplemented,
                format!(
                    "volume mount {}: subPath is only supported on hostPath and image volumes",
                    m.name
                ),
            ));
        }
        match kind {
            PodVolume::HostPath(path) => {
                let source = match &sub {
                    Some(s) => Path::new(path).join(s).to_string_lossy().into_owned(),
                    None => path.clone(),
                };
                let readonly = opts.iter().any(|o| o == "ro");
                spec.mounts.push(BindMount {
                    source,
                    destination: dest,
                    readonly,
                    options: opts
                        .into_iter()
                        .filter(|o| o != "ro" && o != "rw")
                        .collect(),
                });
            }
            PodVolume::EmptyDir { memory: true } => spec.tmpfs.push(TmpfsMount {
                destination: dest,
                options: opts,
            }),
            PodVolume::EmptyDir { memory: false } => spec.volumes.push(NamedVolume {
                name: String::new(),
                destination: dest,
                options: opts,
            }),
            PodVolume::Claim { name, read_only } => {
                let mut options = opts;
                if *read_only && !options.iter().any(|o| o == "ro") {
                    options.push("ro".into());
                }
                spec.volumes.push(NamedVolume {
                    name: name.clone(),
                    destination: dest,
                    options,
                });
            }
            PodVolume::Filled(name) => spec.volumes.push(NamedVolume {
                name: name.clone(),
                destination: dest,
                options: opts,
            }),
            PodVolume::Image { reference, .. } => spec.image_mounts.push(ImageMount {
                source: reference.clone(),
                destination: dest,
                rw: false,
                subpath: sub,
            }),
            PodVolume::Absent => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_become_mounts() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let vols: Vec<Volume> = serde_json::from_value(serde_json::json!([
            {"name": "h", "hostPath": {"path": d, "type": "Directory"}},
            {"name": "e", "emptyDir": {}},
            {"name": "m", "emptyDir": {"medium": "Memory"}},
            {"name": "p", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "c", "configMap": {"name": "cm", "items": [{"key": "k", "path": "sub/f"}]}},
            {"name": "o", "secret": {"secretName": "nosuch", "optional": true}},
            {"name": "i", "image": {"reference": "quay.io/a/b:1", "pullPolicy": "Never"}}
        ]))
        .unwrap();
        let mut sources = Sources::default();
        sources.configmaps.insert(
            "cm".into(),
            BTreeMap::from([("k".to_owned(), b"v".to_vec())]),
        );
        let (map, fills) = pod_volumes(&vols, &sources).unwrap();
        assert_eq!(
            fills,
            [VolumeFill {
                name: "cm".into(),
                files: vec![("sub/f".into(), b"v".to_vec(), 0o644)]
            }]
        );
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "c",
            "volumeMounts": [
                {"name": "h", "mountPath": "/h:z", "readOnly": true},
                {"name": "e", "mountPath": "/e"},
                {"name": "m", "mountPath": "/m"},
                {"name": "p", "mountPath": "/p"},
                {"name": "c", "mountPath": "/c"},
                {"name": "o", "mountPath": "/o"},
                {"name": "i", "mountPath": "/i", "subPath": "etc"}
            ]
        }))
        .unwrap();
        let mut spec = ContainerSpec::default();
        apply_mounts(&c, &map, &mut spec).unwrap();
        assert_eq!(spec.mounts[0].destination, "/h");
        assert!(spec.mounts[0].readonly);
        assert_eq!(spec.mounts[0].options, ["z"]);
        assert_eq!(spec.tmpfs[0].destination, "/m");
        let names: Vec<_> = spec.volumes.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["", "data", "cm"]);
        assert_eq!(
            map.get("i"),
            Some(&PodVolume::Image {
                reference: "quay.io/a/b:1".into(),
                pull: PullPolicy::Never
            })
        );
        assert_eq!(
            spec.image_mounts,
            [ImageMount {
                source: "quay.io/a/b:1".into(),
                destination: "/i".into(),
                rw: false,
                subpath: Some("etc".into()),
            }]
        );
    }

    #[test]
    fn bad_volumes_are_errors() {
        let vols: Vec<Volume> = serde_json::from_value(serde_json::json!([
            {"name": "h", "hostPath": {"path": "/nonexistent/kube-test", "type": "Directory"}}
        ]))
        .unwrap();
        assert!(pod_volumes(&vols, &Sources::default()).is_err());
        let vols: Vec<Volume> = serde_json::from_value(serde_json::json!([
            {"name": "c", "configMap": {"name": "missing"}}
        ]))
        .unwrap();
        assert!(pod_volumes(&vols, &Sources::default()).is_err());
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "c", "volumeMounts": [{"name": "x", "mountPath": "/x"}]
        }))
        .unwrap();
        let e = apply_mounts(&c, &BTreeMap::new(), &mut ContainerSpec::default()).unwrap_err();
        assert!(e.message.contains("not configured in volumes"), "{e}");
    }
}
