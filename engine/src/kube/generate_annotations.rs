//! The pod annotations `kube generate` writes, as Podman's: each
//! container's annotations and auto-update labels as `KEY/CONTAINER`
//! (the annotations only Podman reads are left out unless
//! `--podman-only`), and `bind-mount-options` for a bind mount relabelled
//! with `z` or `Z`.

use std::collections::BTreeMap;

use rpod_api::inspect::InspectContainerData;

/// Podman's annotations that record `create` options for `inspect`
/// (`define.IsReservedAnnotation`).
const RESERVED: [&str; 11] = [
    "io.podman.annotations.cid-file",
    "io.podman.annotations.autoremove",
    "io.podman.annotations.privileged",
    "io.podman.annotations.publish-all",
    "io.podman.annotations.init",
    "io.podman.annotations.label",
    "io.podman.annotations.seccomp",
    "io.podman.annotations.apparmor",
    "TRUE",
    "FALSE",
    "io.podman.annotations.volumes-from",
];

/// The label (part of a name) auto-update's labels have.
const AUTO_UPDATE_LABEL: &str = "io.containers.autoupdate";

/// Podman's annotation for a relabelled bind mount: `SOURCE:z|Z`.
const BIND_MOUNT_OPTIONS: &str = "bind-mount-options";

/// The annotations of the pod made of `ctrs` (named without underscores
/// by `name`).
pub(super) fn pod_annotations(
    ctrs: &[InspectContainerData],
    podman_only: bool,
    name: impl Fn(&str) -> String,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for c in ctrs {
        let ctr = name(&c.name);
        let config = c.config.as_ref();
        for (k, v) in config
            .and_then(|c| c.annotations.as_ref())
            .into_iter()
            .flatten()
        {
            if !podman_only && RESERVED.contains(&k.as_str()) {
                continue;
            }
            out.insert(format!("{k}/{ctr}"), v.clone());
        }
        for (k, v) in config.and_then(|c| c.labels.as_ref()).into_iter().flatten() {
            if k.contains(AUTO_UPDATE_LABEL) {
                out.insert(format!("{k}/{ctr}"), v.clone());
            }
        }
        for m in c.mounts.iter().flatten().filter(|m| m.r#type == "bind") {
            if let Some(opt) = m.mode.split(',').find(|o| *o == "z" || *o == "Z") {
                out.insert(BIND_MOUNT_OPTIONS.to_owned(), format!("{}:{opt}", m.source));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_api::inspect::{InspectContainerConfig, InspectMount};

    #[test]
    fn annotations_labels_and_relabelled_mounts() {
        let map = |kv: &[(&str, &str)]| {
            Some(
                kv.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let mount = |source: &str, mode: &str| InspectMount {
            r#type: "bind".into(),
            source: source.into(),
            mode: mode.into(),
            ..InspectMount::default()
        };
        let c = InspectContainerData {
            name: "my_ctr".into(),
            config: Some(InspectContainerConfig {
                annotations: map(&[("a.b", "1"), ("io.podman.annotations.init", "TRUE")]),
                labels: map(&[("io.containers.autoupdate", "registry"), ("x", "y")]),
                ..InspectContainerConfig::default()
            }),
            mounts: Some(vec![mount("/srv", "Z"), mount("/o", "")]),
            ..InspectContainerData::default()
        };
        let strip = |n: &str| n.replace('_', "");
        let a = pod_annotations(std::slice::from_ref(&c), false, strip);
        assert_eq!(
            a,
            BTreeMap::from([
                ("a.b/myctr".to_owned(), "1".to_owned()),
                (
                    "io.containers.autoupdate/myctr".to_owned(),
                    "registry".to_owned()
                ),
                ("bind-mount-options".to_owned(), "/srv:Z".to_owned()),
            ])
        );
        let a = pod_annotations(&[c], true, strip);
        assert_eq!(a["io.podman.annotations.init/myctr"], "TRUE");
    }
}
