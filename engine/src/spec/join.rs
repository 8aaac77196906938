//! Joining namespaces that another container (a pod's infra) holds:
//! the namespace entry gets the `path` of the holder's namespace, and a
//! joined UTS namespace keeps the holder's hostname.

use std::path::PathBuf;

use oci_spec::runtime::{LinuxNamespaceBuilder, LinuxNamespaceType, Spec};

use super::SpecError;

/// Makes `spec` join each `(type, path)` namespace instead of creating it.
pub fn join_namespaces(
    spec: &mut Spec,
    joins: &[(LinuxNamespaceType, PathBuf)],
) -> Result<(), SpecError> {
    if joins.is_empty() {
        return Ok(());
    }
    let Some(linux) = spec.linux_mut() else {
        return Ok(());
    };
    let mut namespaces = linux.namespaces().clone().unwrap_or_default();
    for (typ, path) in joins {
        namespaces.retain(|n| n.typ() != *typ);
        namespaces.push(
            LinuxNamespaceBuilder::default()
                .typ(*typ)
                .path(path.clone())
                .build()?,
        );
    }
    linux.set_namespaces(Some(namespaces));
    if joins.iter().any(|(t, _)| *t == LinuxNamespaceType::Network) {
        // A joined network namespace is the holder's, maybe the host's
        // (a pod with `--network host`), where the runtime refuses network
        // sysctls: Podman sets its default ones only on a namespace of the
        // container's own.
        if let Some(sysctl) = linux.sysctl_mut() {
            sysctl.remove("net.ipv4.ping_group_range");
        }
    }
    if joins.iter().any(|(t, _)| *t == LinuxNamespaceType::Uts) {
        // The holder set the hostname; setting it again from a joining
        // container would change it for the whole pod.
        spec.set_hostname(None);
    }
    Ok(())
}

/// Joins namespaces made for this container before the runtime runs (a
/// pod's infra container joining its pinned namespaces): as
/// [`join_namespaces`], but they are the container's own, so its
/// namespace sysctls stay, and the host and domain names come from the
/// pinned UTS namespace, which already has them.
pub fn join_own_namespaces(
    spec: &mut Spec,
    joins: &[(LinuxNamespaceType, PathBuf)],
) -> Result<(), SpecError> {
    if joins.is_empty() {
        return Ok(());
    }
    let sysctl = spec.linux().as_ref().and_then(|l| l.sysctl().clone());
    join_namespaces(spec, joins)?;
    if let Some(linux) = spec.linux_mut() {
        linux.set_sysctl(sysctl);
    }
    if joins.iter().any(|(t, _)| *t == LinuxNamespaceType::Uts) {
        spec.set_domainname(None);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_namespaces_get_paths_and_uts_drops_hostname() {
        let mut spec = Spec::default();
        spec.set_hostname(Some("x".into()));
        if let Some(l) = spec.linux_mut() {
            l.set_sysctl(Some(std::collections::HashMap::from([(
                "net.ipv4.ping_group_range".to_owned(),
                "0 0".to_owned(),
            )])));
        }
        join_namespaces(
            &mut spec,
            &[
                (LinuxNamespaceType::Network, "/proc/1/ns/net".into()),
                (LinuxNamespaceType::Uts, "/proc/1/ns/uts".into()),
            ],
        )
        .unwrap();
        let ns = spec.linux().as_ref().unwrap().namespaces().clone().unwrap();
        let net: Vec<_> = ns
            .iter()
            .filter(|n| n.typ() == LinuxNamespaceType::Network)
            .collect();
        assert_eq!(net.len(), 1);
        assert_eq!(
            net[0].path().as_deref(),
            Some(std::path::Path::new("/proc/1/ns/net"))
        );
        assert!(ns
            .iter()
            .any(|n| n.typ() == LinuxNamespaceType::Pid && n.path().is_none()));
        assert_eq!(spec.hostname(), &None);
        let sysctl = spec.linux().as_ref().unwrap().sysctl().clone().unwrap();
        assert!(sysctl.is_empty(), "{sysctl:?}");
    }

    #[test]
    fn own_pinned_namespaces_keep_the_sysctls() {
        let mut spec = Spec::default();
        spec.set_hostname(Some("x".into()));
        spec.set_domainname(Some("d".into()));
        if let Some(l) = spec.linux_mut() {
            l.set_sysctl(Some(std::collections::HashMap::from([(
                "net.ipv4.ping_group_range".to_owned(),
                "0 0".to_owned(),
            )])));
        }
        join_own_namespaces(
            &mut spec,
            &[
                (LinuxNamespaceType::Network, "/run/x/netns".into()),
                (LinuxNamespaceType::Uts, "/run/x/ns/uts".into()),
            ],
        )
        .unwrap();
        let sysctl = spec.linux().as_ref().unwrap().sysctl().clone().unwrap();
        assert_eq!(sysctl.len(), 1, "{sysctl:?}");
        assert_eq!(spec.hostname(), &None);
        assert_eq!(spec.domainname(), &None);
    }
}
