//! Pod sandboxes: rpod pods whose infra container holds the namespaces.

use std::collections::HashMap;

use k8s_cri::v1 as cri;
use rpod_api::container::InspectOptions;
use rpod_api::container_run::NetworkSpec;
use rpod_api::front_door::pods::{PodPsOptions, PodRmOptions, PodSelect, PodSpec, PodStopOptions};
use rpod_api::pod::{InspectPodData, ListPodsReport};
use tonic::Status;

use crate::meta::{self, SandboxMeta, SANDBOX_KEY};
use crate::serve::Shared;
use crate::status::{first_error, found, from_api, missing, unless_gone};

const NODE: i32 = cri::NamespaceMode::Node as i32;
const POD: i32 = cri::NamespaceMode::Pod as i32;

/// The pod's name, as CRI-O names its sandboxes.
fn pod_name(md: &cri::PodSandboxMetadata) -> String {
    format!("k8s_{}_{}_{}_{}", md.name, md.namespace, md.uid, md.attempt)
}

/// The pod rpod creates for `config`.
pub fn pod_spec(
    config: &cri::PodSandboxConfig,
    runtime_handler: &str,
    network: Option<&str>,
) -> Result<PodSpec, Status> {
    let md = config
        .metadata
        .as_ref()
        .ok_or_else(|| missing("PodSandboxConfig.metadata"))?;
    if md.name.is_empty() || md.namespace.is_empty() || md.uid.is_empty() {
        return Err(Status::invalid_argument(
            "PodSandboxMetadata needs a name, a namespace and a uid",
        ));
    }
    if !runtime_handler.is_empty() {
        return Err(Status::invalid_argument(format!(
            "runtime handler {runtime_handler:?} is not supported: rpod has only the default handler"
        )));
    }
    let linux = config.linux.clone().unwrap_or_default();
    let infra_security = crate::sandbox_security::infra(&linux)?;
    let resources = crate::sandbox_resources::pod_limits(&linux)?;
    let cgroup_parent = linux.cgroup_parent.trim_end_matches('/').to_owned();
    if cgroup_parent.ends_with(".slice") {
        return Err(Status::invalid_argument(format!(
            "cgroup parent {cgroup_parent:?} is a systemd slice: rpod's CRI endpoint manages cgroupfs paths only (the kubelet's cgroupfs driver)"
        )));
    }
    if !cgroup_parent.is_empty() && !cgroup_parent.starts_with('/') {
        return Err(Status::invalid_argument(format!(
            "cgroup parent {cgroup_parent:?} must be an absolute cgroupfs path"
        )));
    }
    let ns = linux
        .security_context
        .as_ref()
        .and_then(|s| s.namespace_options.clone())
        .unwrap_or_default();
    let userns = crate::sandbox_security::userns(&ns)?;
    let mut share = vec!["net".to_owned(), "uts".to_owned()];
    if ns.ipc == POD {
        share.push("ipc".to_owned());
    }
    if ns.pid == POD {
        share.push("pid".to_owned());
    }
    let mut net = NetworkSpec::default();
    if ns.network == NODE {
        net.modes = vec!["host".to_owned()];
    } else if let Some(n) = network {
        net.modes = vec![n.to_owned()];
    }
    if let Some(dns) = &config.dns_config {
        net.dns = dns.servers.clone();
        net.dns_search = dns.searches.clone();
        net.dns_options = dns.options.clone();
    }
    let port_mappings = config
        .port_mappings
        .iter()
        .filter(|p| p.host_port > 0)
        .map(port_mapping)
        .collect();
    let record = SandboxMeta {
        name: md.name.clone(),
        uid: md.uid.clone(),
        namespace: md.namespace.clone(),
        attempt: md.attempt,
        annotations: config.annotations.clone().into_iter().collect(),
        log_directory: config.log_directory.clone(),
        runtime_handler: runtime_handler.to_owned(),
        network_mode: ns.network,
        pid_mode: ns.pid,
        ipc_mode: ns.ipc,
        cgroup_parent,
        privileged: crate::sandbox_security::privileged(config.linux.as_ref()),
    };
    let labels = meta::join(&config.labels, SANDBOX_KEY, &record)
        .map_err(|e| Status::internal(format!("encoding the sandbox record: {e}")))?;
    Ok(PodSpec {
        name: Some(pod_name(md)),
        share: Some(share),
        hostname: (!config.hostname.is_empty() && ns.network != NODE)
            .then(|| config.hostname.clone()),
        labels,
        port_mappings,
        network: net,
        infra_security,
        resources,
        userns,
        ..PodSpec::default()
    })
}

/// `-p` syntax for one CRI port mapping.
fn port_mapping(p: &cri::PortMapping) -> String {
    let proto = match cri::Protocol::try_from(p.protocol) {
        Ok(cri::Protocol::Udp) => "udp",
        Ok(cri::Protocol::Sctp) => "sctp",
        _ => "tcp",
    };
    if p.host_ip.is_empty() {
        format!("{}:{}/{proto}", p.host_port, p.container_port)
    } else {
        format!("{}:{}:{}/{proto}", p.host_ip, p.host_port, p.container_port)
    }
}

pub async fn run(
    s: &Shared,
    req: cri::RunPodSandboxRequest,
) -> Result<cri::RunPodSandboxResponse, Status> {
    let config = req.config.ok_or_else(|| missing("config"))?;
    let spec = pod_spec(&config, &req.runtime_handler, s.options.network.as_deref())?;
    let id = s.engine.pod_create(spec).await.map_err(from_api)?.id;
    if let Err(e) = s
        .engine
        .pod_start(std::slice::from_ref(&id), PodSelect::default())
        .await
        .and_then(|r| r.into_iter().find_map(|r| r.err).map_or(Ok(()), Err))
    {
        // Nothing of a sandbox that could not start stays behind.
        let rm = PodRmOptions {
            force: true,
            ignore: true,
            timeout: Some(0),
            ..PodRmOptions::default()
        };
        let _ = s.engine.pod_rm(std::slice::from_ref(&id), rm).await;
        return Err(from_api(e));
    }
    Ok(cri::RunPodSandboxResponse { pod_sandbox_id: id })
}

/// The CRI sandbox `id` names: its inspect data and record.
pub(crate) async fn find(s: &Shared, id: &str) -> Result<(InspectPodData, SandboxMeta), Status> {
    if id.is_empty() {
        return Err(missing("pod_sandbox_id"));
    }
    let (list, errors) = s
        .engine
        .pod_inspect(&[id.to_owned()], PodSelect::default())
        .await
        .map_err(from_api)?;
    let pod = found(list, errors, "pod sandbox", id)?;
    match meta::split::<SandboxMeta>(pod.data.labels.as_ref(), SANDBOX_KEY) {
        (_, Some(m)) => Ok((pod.data, m)),
        (_, None) => Err(Status::not_found(format!(
            "pod sandbox {id} not found: pod {} was not created through CRI",
            pod.data.name
        ))),
    }
}

/// The id of sandbox `id` (full id from a unique prefix), checked to exist.
pub async fn resolve(s: &Shared, id: &str) -> Result<(String, SandboxMeta), Status> {
    find(s, id).await.map(|(d, m)| (d.id, m))
}

pub async fn stop(
    s: &Shared,
    req: cri::StopPodSandboxRequest,
) -> Result<cri::StopPodSandboxResponse, Status> {
    let (pod, _) = find(s, &req.pod_sandbox_id).await?;
    let options = PodStopOptions {
        timeout: Some(0),
        ..PodStopOptions::default()
    };
    let reports = s
        .engine
        .pod_stop(std::slice::from_ref(&pod.id), options)
        .await
        .map_err(from_api)?;
    first_error(reports.into_iter().map(|r| r.err), false)?;
    Ok(cri::StopPodSandboxResponse {})
}

pub async fn remove(
    s: &Shared,
    req: cri::RemovePodSandboxRequest,
) -> Result<cri::RemovePodSandboxResponse, Status> {
    let Some((pod, _)) = unless_gone(find(s, &req.pod_sandbox_id).await)? else {
        return Ok(cri::RemovePodSandboxResponse {});
    };
    let id = pod.id;
    let options = PodRmOptions {
        force: true,
        timeout: Some(0),
        ..PodRmOptions::default()
    };
    let reports = s
        .engine
        .pod_rm(std::slice::from_ref(&id), options)
        .await
        .map_err(from_api)?;
    first_error(reports.into_iter().map(|r| r.err), true)?;
    Ok(cri::RemovePodSandboxResponse {})
}

fn ready(status: &str) -> i32 {
    if matches!(status, "Running" | "Degraded") {
        cri::PodSandboxState::SandboxReady as i32
    } else {
        cri::PodSandboxState::SandboxNotready as i32
    }
}

pub(crate) fn metadata(m: &SandboxMeta) -> cri::PodSandboxMetadata {
    cri::PodSandboxMetadata {
        name: m.name.clone(),
        uid: m.uid.clone(),
        namespace: m.namespace.clone(),
        attempt: m.attempt,
    }
}

pub async fn status(
    s: &Shared,
    req: cri::PodSandboxStatusRequest,
) -> Result<cri::PodSandboxStatusResponse, Status> {
    let (pod, m) = find(s, &req.pod_sandbox_id).await?;
    let (labels, _) = meta::split::<SandboxMeta>(pod.labels.as_ref(), SANDBOX_KEY);
    let state = ready(&pod.state);
    let ip = if state == cri::PodSandboxState::SandboxReady as i32 && m.network_mode != NODE {
        infra_ip(s, &pod.infra_container_id).await
    } else {
        String::new()
    };
    let mut info = HashMap::new();
    if req.verbose {
        let json = serde_json::to_string(&pod)
            .map_err(|e| Status::internal(format!("encoding the pod: {e}")))?;
        info.insert("info".to_owned(), json);
    }
    let status = cri::PodSandboxStatus {
        id: pod.id.clone(),
        metadata: Some(metadata(&m)),
        state,
        created_at: pod.created.unix_nanos().unwrap_or_default(),
        network: Some(cri::PodSandboxNetworkStatus {
            ip,
            additional_ips: Vec::new(),
        }),
        linux: Some(cri::LinuxPodSandboxStatus {
            namespaces: Some(cri::Namespace {
                options: Some(cri::NamespaceOption {
                    network: m.network_mode,
                    pid: m.pid_mode,
                    ipc: m.ipc_mode,
                    ..Default::default()
                }),
            }),
        }),
        labels,
        annotations: m.annotations.clone().into_iter().collect(),
        runtime_handler: m.runtime_handler.clone(),
    };
    Ok(cri::PodSandboxStatusResponse {
        status: Some(status),
        info,
        containers_statuses: Vec::new(),
        timestamp: 0,
    })
}

/// The infra container's first IPv4 address on its networks.
async fn infra_ip(s: &Shared, infra: &str) -> String {
    let Ok((found, _)) = s
        .engine
        .container_inspect(&[infra.to_owned()], InspectOptions::default())
        .await
    else {
        return String::new();
    };
    let Some(settings) = found.into_iter().next().and_then(|c| c.network_settings) else {
        return String::new();
    };
    let basic = &settings.inspect_basic_network_config.ip_address;
    if !basic.is_empty() {
        return basic.clone();
    }
    settings
        .networks
        .into_iter()
        .flatten()
        .map(|(_, n)| n.inspect_basic_network_config.ip_address)
        .find(|ip| !ip.is_empty())
        .unwrap_or_default()
}

/// The CRI view of one listed pod (`None`: not a CRI sandbox).
fn listed(p: ListPodsReport) -> Option<cri::PodSandbox> {
    let (labels, m) = meta::split::<SandboxMeta>(p.labels.as_ref(), SANDBOX_KEY);
    let m = m?;
    Some(cri::PodSandbox {
        id: p.id,
        metadata: Some(metadata(&m)),
        state: ready(&p.status),
        created_at: p.created.unix_nanos().unwrap_or_default(),
        labels,
        annotations: m.annotations.into_iter().collect(),
        runtime_handler: m.runtime_handler,
    })
}

pub async fn list(
    s: &Shared,
    req: cri::ListPodSandboxRequest,
) -> Result<cri::ListPodSandboxResponse, Status> {
    let pods = s
        .engine
        .pod_ps(PodPsOptions::default())
        .await
        .map_err(from_api)?;
    let filter = req.filter.unwrap_or_default();
    let items = pods
        .into_iter()
        .filter_map(listed)
        .filter(|p| filter.id.is_empty() || p.id.starts_with(&filter.id))
        .filter(|p| filter.state.as_ref().is_none_or(|st| st.state == p.state))
        .filter(|p| meta::selects(&p.labels, &filter.label_selector))
        .collect();
    Ok(cri::ListPodSandboxResponse { items })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> cri::PodSandboxConfig {
        cri::PodSandboxConfig {
            metadata: Some(cri::PodSandboxMetadata {
                name: "web".into(),
                uid: "u-1".into(),
                namespace: "default".into(),
                attempt: 2,
            }),
            hostname: "web-host".into(),
            labels: [("app".to_owned(), "web".to_owned())].into(),
            port_mappings: vec![
                cri::PortMapping {
                    protocol: cri::Protocol::Udp as i32,
                    container_port: 53,
                    host_port: 5353,
                    host_ip: "127.0.0.1".into(),
                },
                cri::PortMapping {
                    container_port: 80,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn sandbox_becomes_a_pod() {
        let spec = pod_spec(&config(), "", Some("crinet")).unwrap();
        assert_eq!(spec.name.as_deref(), Some("k8s_web_default_u-1_2"));
        assert_eq!(spec.hostname.as_deref(), Some("web-host"));
        assert_eq!(spec.port_mappings, vec!["127.0.0.1:5353:53/udp".to_owned()]);
        assert_eq!(spec.network.modes, vec!["crinet".to_owned()]);
        // Namespace options default to POD: ipc and pid shared.
        assert_eq!(spec.share.unwrap(), vec!["net", "uts", "ipc", "pid"]);
        assert!(spec.labels.contains(&("app".to_owned(), "web".to_owned())));
        assert!(spec.labels.iter().any(|(k, _)| k == SANDBOX_KEY));
        let mut c = config();
        c.linux = Some(cri::LinuxPodSandboxConfig {
            cgroup_parent: "/kubepods/besteffort/podu-1/".into(),
            ..Default::default()
        });
        let spec = pod_spec(&c, "", None).unwrap();
        let stored: std::collections::BTreeMap<String, String> = spec.labels.into_iter().collect();
        let (_, m) = meta::split::<SandboxMeta>(Some(&stored), SANDBOX_KEY);
        assert_eq!(m.unwrap().cgroup_parent, "/kubepods/besteffort/podu-1");
        for bad in ["kubepods-besteffort-podu_1.slice", "kubepods/x"] {
            c.linux.as_mut().unwrap().cgroup_parent = bad.into();
            let e = pod_spec(&c, "", None).unwrap_err();
            assert_eq!(e.code(), tonic::Code::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn host_network_and_bad_input() {
        let mut c = config();
        c.linux = Some(cri::LinuxPodSandboxConfig {
            security_context: Some(cri::LinuxSandboxSecurityContext {
                namespace_options: Some(cri::NamespaceOption {
                    network: NODE,
                    pid: cri::NamespaceMode::Container as i32,
                    ipc: NODE,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        let spec = pod_spec(&c, "", None).unwrap();
        assert_eq!(spec.network.modes, vec!["host".to_owned()]);
        assert_eq!(spec.hostname, None);
        assert_eq!(spec.share.unwrap(), vec!["net", "uts"]);
        assert_eq!(
            pod_spec(&c, "kata", None).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
        c.metadata = None;
        assert_eq!(
            pod_spec(&c, "", None).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
    }
}
