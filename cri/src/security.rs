//! A CRI container's security context and resources as rpod's options.

use k8s_cri::v1 as cri;
use rpod_api::container_run::{ContainerSpec, ResourceSpec};
use tonic::Status;

const NODE: i32 = cri::NamespaceMode::Node as i32;
const TARGET: i32 = cri::NamespaceMode::Target as i32;

/// Applies `sc` to `spec`.
pub fn apply(
    sc: &cri::LinuxContainerSecurityContext,
    spec: &mut ContainerSpec,
) -> Result<(), Status> {
    merge_groups_only(sc.supplemental_groups_policy)?;
    spec.security.privileged = sc.privileged;
    // The kubelet's masked and read-only paths, added to rpod's defaults
    // (CRI-O adds them to its own); none for a privileged container.
    if !sc.privileged {
        spec.security.mask = sc.masked_paths.clone();
        spec.security.readonly = sc.readonly_paths.clone();
    }
    if let Some(caps) = &sc.capabilities {
        if !caps.add_ambient_capabilities.is_empty() {
            return Err(Status::unimplemented(
                "ambient capabilities are not supported by rpod's CRI endpoint",
            ));
        }
        spec.security.cap_add = caps.add_capabilities.iter().map(|c| cap_name(c)).collect();
        spec.security.cap_drop = caps.drop_capabilities.iter().map(|c| cap_name(c)).collect();
    }
    spec.security.no_new_privileges = sc.no_new_privs;
    spec.read_only = sc.readonly_rootfs.then_some(true);
    let user = if let Some(uid) = &sc.run_as_user {
        Some(uid.value.to_string())
    } else if !sc.run_as_username.is_empty() {
        Some(sc.run_as_username.clone())
    } else {
        None
    };
    spec.user = match (user, &sc.run_as_group) {
        (Some(u), Some(g)) => Some(format!("{u}:{}", g.value)),
        (None, Some(_)) => {
            return Err(Status::invalid_argument(
                "run_as_group is only allowed together with run_as_user or run_as_username",
            ))
        }
        (u, None) => u,
    };
    spec.group_add = sc.supplemental_groups.iter().map(i64::to_string).collect();
    // The deprecated path is read only when an older kubelet sends it.
    #[allow(deprecated)]
    let legacy = &sc.seccomp_profile_path;
    if let Some(p) = &sc.seccomp {
        spec.security.seccomp_profile = seccomp(p)?;
    } else if !legacy.is_empty() {
        spec.security.seccomp_profile = crate::sandbox_security::legacy_seccomp(legacy)?;
    }
    if let Some(ns) = &sc.namespace_options {
        if ns.pid == TARGET {
            return Err(Status::unimplemented(
                "the TARGET pid namespace mode is not supported by rpod's CRI endpoint",
            ));
        }
        if ns.pid == NODE {
            spec.namespaces.pid = Some("host".to_owned());
        }
        if ns.ipc == NODE {
            spec.namespaces.ipc = Some("host".to_owned());
        }
    }
    Ok(())
}

/// Refuses the Strict supplemental groups policy: rpod always adds the
/// groups the image's /etc/group gives the user (Merge).
pub(crate) fn merge_groups_only(policy: i32) -> Result<(), Status> {
    if policy == cri::SupplementalGroupsPolicy::Merge as i32 {
        return Ok(());
    }
    Err(Status::unimplemented(
        "supplemental_groups_policy Strict is not supported by rpod's CRI endpoint: the image's groups of the user are always added (Merge)",
    ))
}

/// `CAP_X` as rpod takes it (names without the prefix are accepted too).
fn cap_name(c: &str) -> String {
    let upper = c.to_ascii_uppercase();
    if upper == "ALL" || upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    }
}

/// `--security-opt seccomp=` for a CRI security profile.
pub(crate) fn seccomp(p: &cri::SecurityProfile) -> Result<Option<String>, Status> {
    match cri::security_profile::ProfileType::try_from(p.profile_type) {
        Ok(cri::security_profile::ProfileType::RuntimeDefault) => Ok(None),
        Ok(cri::security_profile::ProfileType::Unconfined) => Ok(Some("unconfined".to_owned())),
        Ok(cri::security_profile::ProfileType::Localhost) => Ok(Some(p.localhost_ref.clone())),
        Err(_) => Err(Status::invalid_argument(format!(
            "unknown seccomp profile type {}",
            p.profile_type
        ))),
    }
}

/// CRI's Linux resources as rpod's (0 and empty mean unset).
pub fn resources(r: &cri::LinuxContainerResources) -> Result<ResourceSpec, Status> {
    if !r.hugepage_limits.is_empty() || !r.unified.is_empty() {
        return Err(Status::unimplemented(
            "hugepage limits and unified cgroup settings are not supported by rpod's CRI endpoint",
        ));
    }
    let pos = |v: i64| (v > 0).then_some(v);
    Ok(ResourceSpec {
        memory: pos(r.memory_limit_in_bytes),
        memory_swap: pos(r.memory_swap_limit_in_bytes),
        cpu_shares: u64::try_from(r.cpu_shares).ok().filter(|v| *v > 0),
        cpu_period: u64::try_from(r.cpu_period).ok().filter(|v| *v > 0),
        cpu_quota: pos(r.cpu_quota),
        oom_score_adj: (r.oom_score_adj != 0)
            .then(|| i32::try_from(r.oom_score_adj))
            .transpose()
            .map_err(|_| Status::invalid_argument("oom_score_adj out of range"))?,
        cpuset_cpus: (!r.cpuset_cpus.is_empty()).then(|| r.cpuset_cpus.clone()),
        cpuset_mems: (!r.cpuset_mems.is_empty()).then(|| r.cpuset_mems.clone()),
        ..ResourceSpec::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_context_maps() {
        let sc = cri::LinuxContainerSecurityContext {
            capabilities: Some(cri::Capability {
                add_capabilities: vec!["NET_ADMIN".into()],
                drop_capabilities: vec!["CAP_CHOWN".into()],
                ..Default::default()
            }),
            run_as_user: Some(cri::Int64Value { value: 1000 }),
            run_as_group: Some(cri::Int64Value { value: 50 }),
            readonly_rootfs: true,
            supplemental_groups: vec![7],
            seccomp: Some(cri::SecurityProfile {
                profile_type: cri::security_profile::ProfileType::Unconfined as i32,
                localhost_ref: String::new(),
            }),
            namespace_options: Some(cri::NamespaceOption {
                pid: NODE,
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut spec = ContainerSpec::default();
        apply(&sc, &mut spec).unwrap();
        assert_eq!(spec.security.cap_add, vec!["CAP_NET_ADMIN"]);
        assert_eq!(spec.security.cap_drop, vec!["CAP_CHOWN"]);
        assert_eq!(spec.user.as_deref(), Some("1000:50"));
        assert_eq!(spec.read_only, Some(true));
        assert_eq!(spec.group_add, vec!["7"]);
        assert_eq!(spec.security.seccomp_profile.as_deref(), Some("unconfined"));
        assert_eq!(spec.namespaces.pid.as_deref(), Some("host"));
        assert_eq!(spec.namespaces.ipc, None);
        assert!(spec.security.mask.is_empty());
        let paths = cri::LinuxContainerSecurityContext {
            masked_paths: vec!["/proc/cmdline".into()],
            readonly_paths: vec!["/tmp".into()],
            ..Default::default()
        };
        let mut spec = ContainerSpec::default();
        apply(&paths, &mut spec).unwrap();
        assert_eq!(spec.security.mask, vec!["/proc/cmdline"]);
        assert_eq!(spec.security.readonly, vec!["/tmp"]);
        let mut spec = ContainerSpec::default();
        apply(
            &cri::LinuxContainerSecurityContext {
                privileged: true,
                ..paths
            },
            &mut spec,
        )
        .unwrap();
        assert!(spec.security.mask.is_empty() && spec.security.readonly.is_empty());
    }

    #[test]
    fn strict_groups_and_legacy_seccomp() {
        let mut sc = cri::LinuxContainerSecurityContext {
            supplemental_groups_policy: cri::SupplementalGroupsPolicy::Strict as i32,
            ..Default::default()
        };
        let e = apply(&sc, &mut ContainerSpec::default()).unwrap_err();
        assert_eq!(e.code(), tonic::Code::Unimplemented);
        sc.supplemental_groups_policy = 0;
        #[allow(deprecated)]
        {
            sc.seccomp_profile_path = "unconfined".into();
        }
        let mut spec = ContainerSpec::default();
        apply(&sc, &mut spec).unwrap();
        assert_eq!(spec.security.seccomp_profile.as_deref(), Some("unconfined"));
    }

    #[test]
    fn group_without_user_is_refused() {
        let sc = cri::LinuxContainerSecurityContext {
            run_as_group: Some(cri::Int64Value { value: 5 }),
            ..Default::default()
        };
        let e = apply(&sc, &mut ContainerSpec::default()).unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn resources_map() {
        let r = cri::LinuxContainerResources {
            cpu_shares: 512,
            memory_limit_in_bytes: 64 << 20,
            cpuset_cpus: "0".into(),
            ..Default::default()
        };
        let out = resources(&r).unwrap();
        assert_eq!(out.cpu_shares, Some(512));
        assert_eq!(out.memory, Some(64 << 20));
        assert_eq!(out.cpuset_cpus.as_deref(), Some("0"));
        assert_eq!(out.cpu_quota, None);
    }
}
