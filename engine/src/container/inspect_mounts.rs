//! A container's mounts as `inspect` shows them (Podman's GetMounts):
//! named volumes first, then bind mounts; tmpfs mounts only in
//! `HostConfig.Tmpfs`.

use std::collections::BTreeMap;

use rpod_api::container_run::PROPAGATIONS;
use rpod_api::inspect::InspectMount;

use super::options::ContainerOptions;
use crate::engine::EngineCtx;

/// Podman's parseMountOptionsForInspect, with the `rbind` and `rprivate`
/// every bind or volume mount gets unless told otherwise.
fn with_options(mut m: InspectMount, options: &[String]) -> InspectMount {
    m.rw = true;
    let mut other = Vec::new();
    for o in options {
        match o.as_str() {
            "ro" => m.rw = false,
            "rw" | "nocopy" | "copy" | "U" => {}
            p if PROPAGATIONS.contains(&p) => m.propagation = o.clone(),
            "z" | "Z" => m.mode = o.clone(),
            _ => other.push(o.clone()),
        }
    }
    if m.propagation.is_empty() {
        m.propagation = "rprivate".into();
    }
    if !other.iter().any(|o| o == "bind" || o == "rbind") {
        other.push("rbind".into());
    }
    m.options = Some(other);
    m
}

/// The `Mounts` array.
pub(crate) fn mounts(ctx: &EngineCtx, o: &ContainerOptions) -> Vec<InspectMount> {
    let volumes = o.volumes.iter().map(|v| {
        let driver = ctx
            .db
            .volume(&v.name)
            .ok()
            .flatten()
            .map_or_else(|| crate::volume::LOCAL_DRIVER.to_owned(), |r| r.driver);
        with_options(
            InspectMount {
                r#type: "volume".into(),
                name: v.name.clone(),
                source: crate::volume::mountpoint(&ctx.config.volume_path(), &v.name)
                    .display()
                    .to_string(),
                destination: v.destination.clone(),
                driver,
                ..InspectMount::default()
            },
            &v.options,
        )
    });
    let binds = o.mounts.iter().map(|m| {
        let mut options = m.options.clone();
        if m.readonly {
            options.push("ro".into());
        }
        with_options(
            InspectMount {
                r#type: "bind".into(),
                source: m.source.clone(),
                destination: m.destination.clone(),
                ..InspectMount::default()
            },
            &options,
        )
    });
    let images = o.image_mounts.iter().map(|m| InspectMount {
        r#type: "image".into(),
        source: m.source.clone(),
        destination: m.destination.clone(),
        rw: m.rw,
        propagation: "rprivate".into(),
        sub_path: m.subpath.clone().unwrap_or_default(),
        ..InspectMount::default()
    });
    volumes.chain(images).chain(binds).collect()
}

/// `HostConfig.Binds`: `SOURCE:DEST:OPTIONS` (the volume's name as source).
pub(crate) fn binds(o: &ContainerOptions) -> Vec<String> {
    let volumes = o.volumes.iter().map(|v| {
        let mode = if v.readonly() { "ro" } else { "rw" };
        format!("{}:{}:{mode},rprivate,rbind", v.name, v.destination)
    });
    let binds = o.mounts.iter().map(|m| {
        format!(
            "{}:{}:{}",
            m.source,
            m.destination,
            if m.readonly { "ro" } else { "rw" }
        )
    });
    volumes.chain(binds).collect()
}

/// `HostConfig.Tmpfs`: destination to options.
pub(crate) fn tmpfs(o: &ContainerOptions) -> Option<BTreeMap<String, String>> {
    (!o.tmpfs.is_empty()).then(|| {
        o.tmpfs
            .iter()
            .map(|t| (t.destination.clone(), t.options.join(",")))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_as_podman_shows_them() {
        let m = with_options(
            InspectMount::default(),
            &["ro".into(), "Z".into(), "noexec".into(), "nocopy".into()],
        );
        assert!(!m.rw);
        assert_eq!(m.mode, "Z");
        assert_eq!(m.propagation, "rprivate");
        assert_eq!(m.options.unwrap(), ["noexec", "rbind"]);
        let m = with_options(InspectMount::default(), &["rshared".into(), "bind".into()]);
        assert!(m.rw);
        assert_eq!(m.propagation, "rshared");
        assert_eq!(m.options.unwrap(), ["bind"]);
    }
}
