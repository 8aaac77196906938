//! A sandbox's `LinuxSandboxSecurityContext` and `sysctls` as the infra
//! container's settings: the sandbox process's user, groups, read-only
//! root, privileges, seccomp profile, and the sysctls of the namespaces
//! the pod shares.

use std::collections::HashMap;

use k8s_cri::v1 as cri;
use rpod_api::container_run::NamespaceSpec;
use rpod_api::front_door::pods::InfraSecuritySpec;
use tonic::Status;

const NODE: i32 = cri::NamespaceMode::Node as i32;

/// The infra container's settings for `linux` (its security context and
/// sysctls).
pub fn infra(linux: &cri::LinuxPodSandboxConfig) -> Result<InfraSecuritySpec, Status> {
    let sc = linux.security_context.clone().unwrap_or_default();
    let ns = sc.namespace_options.clone().unwrap_or_default();
    crate::security::merge_groups_only(sc.supplemental_groups_policy)?;
    let mut out = InfraSecuritySpec {
        read_only: sc.readonly_rootfs,
        group_add: sc.supplemental_groups.iter().map(i64::to_string).collect(),
        ..InfraSecuritySpec::default()
    };
    out.user = match (&sc.run_as_user, &sc.run_as_group) {
        (Some(u), Some(g)) => Some(format!("{}:{}", u.value, g.value)),
        (Some(u), None) => Some(u.value.to_string()),
        (None, Some(_)) => {
            return Err(Status::invalid_argument(
                "run_as_group is only allowed together with run_as_user",
            ))
        }
        (None, None) => None,
    };
    out.security.privileged = sc.privileged;
    // The deprecated path is read only when an older kubelet sends it.
    #[allow(deprecated)]
    let legacy = &sc.seccomp_profile_path;
    if let Some(p) = &sc.seccomp {
        out.security.seccomp_profile = crate::security::seccomp(p)?;
    } else if !legacy.is_empty() {
        out.security.seccomp_profile = legacy_seccomp(legacy)?;
    }
    out.security.sysctls = sysctls(&linux.sysctls, ns.network == NODE, ns.ipc == NODE)?;
    Ok(out)
}

/// The deprecated `seccomp_profile_path` as `--security-opt seccomp=`.
pub(crate) fn legacy_seccomp(path: &str) -> Result<Option<String>, Status> {
    match path {
        "runtime/default" | "docker/default" => Ok(None),
        "unconfined" => Ok(Some("unconfined".to_owned())),
        p => match p.strip_prefix("localhost/") {
            Some(file) if file.starts_with('/') => Ok(Some(file.to_owned())),
            _ => Err(Status::invalid_argument(format!(
                "unknown seccomp profile path {p:?}: runtime/default, unconfined or localhost/ABSOLUTE-PATH"
            ))),
        },
    }
}

/// The pod's user namespace for the kubelet's `userns_options`, as CRI-O
/// reads them: `NODE` (or none) the node's, `POD` a namespace of the pod's
/// own with the kubelet's uid and gid mappings, which its containers join.
pub fn userns(ns: &cri::NamespaceOption) -> Result<NamespaceSpec, Status> {
    let Some(u) = &ns.userns_options else {
        return Ok(NamespaceSpec::default());
    };
    match cri::NamespaceMode::try_from(u.mode) {
        Ok(cri::NamespaceMode::Node) => Ok(NamespaceSpec::default()),
        Ok(cri::NamespaceMode::Pod) => {
            if u.uids.is_empty() || u.gids.is_empty() {
                return Err(Status::invalid_argument(
                    "user namespace mode POD needs uid and gid mappings",
                ));
            }
            let maps = |m: &[cri::IdMapping]| {
                m.iter()
                    .map(|m| format!("{}:{}:{}", m.container_id, m.host_id, m.length))
                    .collect()
            };
            Ok(NamespaceSpec {
                uidmap: maps(&u.uids),
                gidmap: maps(&u.gids),
                ..NamespaceSpec::default()
            })
        }
        _ => Err(Status::invalid_argument(format!(
            "unsupported pod user namespace mode {}",
            u.mode
        ))),
    }
}

/// Whether containers of the sandbox may be privileged: CRI-O lets a
/// container be privileged only in a sandbox whose security context says
/// privileged (`None`: the sandbox has no security context, no check).
pub fn privileged(linux: Option<&cri::LinuxPodSandboxConfig>) -> Option<bool> {
    linux
        .and_then(|l| l.security_context.as_ref())
        .map(|sc| sc.privileged)
}

/// Sysctls the kernel keeps per IPC namespace, by exact name.
const IPC_KEYS: &[&str] = &["kernel.sem"];
/// Prefixes of the sysctls the kernel keeps per IPC or network namespace.
const IPC_PREFIXES: &[&str] = &["kernel.shm", "kernel.msg", "fs.mqueue."];
const NET_PREFIX: &str = "net.";

/// The sandbox's sysctls, sorted, each checked as CRI-O checks them: only
/// the namespaced ones (`kernel.sem`, `kernel.shm*`, `kernel.msg*`,
/// `fs.mqueue.*`, `net.*`), and none of a namespace the sandbox shares with
/// the host. CRI-O skips the others with a warning; rpod refuses them.
pub fn sysctls(
    given: &HashMap<String, String>,
    host_net: bool,
    host_ipc: bool,
) -> Result<Vec<(String, String)>, Status> {
    let mut out: Vec<(String, String)> =
        given.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    out.sort();
    for (key, value) in &out {
        if key.trim() != key || value.trim() != value || key.is_empty() {
            return Err(Status::invalid_argument(format!(
                "sysctl {key:?}={value:?} is invalid: format should be key=value without spaces"
            )));
        }
        let ipc =
            IPC_KEYS.contains(&key.as_str()) || IPC_PREFIXES.iter().any(|p| key.starts_with(p));
        let net = key.starts_with(NET_PREFIX);
        let refused = if ipc && host_ipc {
            Some("host ipc")
        } else if net && host_net {
            Some("host net")
        } else {
            None
        };
        if let Some(ns) = refused {
            return Err(Status::invalid_argument(format!(
                "sysctl {key:?} not allowed with {ns} enabled"
            )));
        }
        if !ipc && !net {
            return Err(Status::invalid_argument(format!(
                "sysctl {key} not whitelisted: only namespaced sysctls (kernel.sem, kernel.shm*, kernel.msg*, fs.mqueue.*, net.*) can be set for a sandbox"
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(kv: &[(&str, &str)]) -> HashMap<String, String> {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn namespaced_sysctls_only() {
        let ok = map(&[
            ("net.ipv4.ip_forward", "1"),
            ("kernel.shmmni", "8192"),
            ("kernel.sem", "250 32000 32 128"),
            ("fs.mqueue.msg_max", "20"),
        ]);
        let out = sysctls(&ok, false, false).unwrap();
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].0, "fs.mqueue.msg_max");
        for bad in [
            "kernel.pid_max",
            "vm.swappiness",
            "kernel.semx",
            "fs.file-max",
        ] {
            let e = sysctls(&map(&[(bad, "1")]), false, false).unwrap_err();
            assert_eq!(e.code(), tonic::Code::InvalidArgument, "{bad}");
            assert!(e.message().contains("not whitelisted"), "{}", e.message());
        }
        let e = sysctls(&map(&[("net.ipv4.ip_forward", "1")]), true, false).unwrap_err();
        assert!(e.message().contains("host net"), "{}", e.message());
        let e = sysctls(&map(&[("kernel.shmmax", "1")]), false, true).unwrap_err();
        assert!(e.message().contains("host ipc"), "{}", e.message());
        assert!(sysctls(&map(&[("kernel.shmmax", "1")]), true, false).is_ok());
        assert!(sysctls(&map(&[("net.core.somaxconn ", "1")]), false, false).is_err());
    }

    #[test]
    fn pod_user_namespace_from_the_kubelets_mappings() {
        let mut ns = cri::NamespaceOption::default();
        assert_eq!(userns(&ns).unwrap(), NamespaceSpec::default());
        let id = |c, h, l| cri::IdMapping {
            container_id: c,
            host_id: h,
            length: l,
        };
        ns.userns_options = Some(cri::UserNamespace {
            mode: cri::NamespaceMode::Pod as i32,
            uids: vec![id(0, 200_000, 65536)],
            gids: vec![id(0, 300_000, 65536)],
        });
        let spec = userns(&ns).unwrap();
        assert_eq!(spec.uidmap, vec!["0:200000:65536"]);
        assert_eq!(spec.gidmap, vec!["0:300000:65536"]);
        ns.userns_options.as_mut().unwrap().mode = cri::NamespaceMode::Node as i32;
        assert_eq!(userns(&ns).unwrap(), NamespaceSpec::default());
        ns.userns_options.as_mut().unwrap().mode = cri::NamespaceMode::Container as i32;
        assert!(userns(&ns).is_err());
        let u = ns.userns_options.as_mut().unwrap();
        u.mode = cri::NamespaceMode::Pod as i32;
        u.gids.clear();
        assert!(userns(&ns).is_err());
    }

    #[test]
    fn security_context_maps_to_the_infra_container() {
        let linux = cri::LinuxPodSandboxConfig {
            security_context: Some(cri::LinuxSandboxSecurityContext {
                run_as_user: Some(cri::Int64Value { value: 1000 }),
                run_as_group: Some(cri::Int64Value { value: 3000 }),
                supplemental_groups: vec![5, 6],
                readonly_rootfs: true,
                privileged: true,
                seccomp: Some(cri::SecurityProfile {
                    profile_type: cri::security_profile::ProfileType::Localhost as i32,
                    localhost_ref: "/etc/p.json".into(),
                }),
                ..Default::default()
            }),
            sysctls: map(&[("net.ipv4.ip_forward", "1")]),
            ..Default::default()
        };
        let s = infra(&linux).unwrap();
        assert_eq!(s.user.as_deref(), Some("1000:3000"));
        assert_eq!(s.group_add, vec!["5", "6"]);
        assert!(s.read_only);
        assert!(s.security.privileged);
        assert_eq!(s.security.seccomp_profile.as_deref(), Some("/etc/p.json"));
        assert_eq!(
            s.security.sysctls,
            vec![("net.ipv4.ip_forward".to_owned(), "1".to_owned())]
        );
        assert_eq!(privileged(Some(&linux)), Some(true));
        assert_eq!(
            legacy_seccomp("localhost//p.json").unwrap().as_deref(),
            Some("/p.json")
        );
        assert_eq!(legacy_seccomp("runtime/default").unwrap(), None);
        assert!(legacy_seccomp("localhost/rel").is_err());
        assert_eq!(privileged(None), None);
        assert_eq!(
            infra(&cri::LinuxPodSandboxConfig::default()).unwrap(),
            InfraSecuritySpec::default()
        );
        let mut bad = linux.clone();
        bad.security_context.as_mut().unwrap().run_as_user = None;
        assert_eq!(
            infra(&bad).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
    }
}
