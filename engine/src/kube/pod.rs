//! A workload's pod template as requests: the pod (`pod create`: name,
//! hostname, labels, published ports, network, DNS, host aliases), its init
//! containers and containers (`create`), and the named volumes to fill —
//! all checked before anything is created.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::core::v1::{Container, PodSpec as K8sPodSpec};
use rpod_api::container_run::{
    CreateSpec, InitCtrMode, PullPolicy, RestartPolicy, RestartPolicyName,
};
use rpod_api::front_door::pods::PodSpec;
use rpod_api::kube::KubePlayOptions;
use rpod_api::Error;

use super::container::{create_spec, PodContext};
use super::parse::Workload;
use super::sources::{container_env, PodFields, Sources};
use super::volumes::{apply_mounts, pod_volumes, PodVolume, VolumeFill};

/// Podman's network for kube pods when `--network` is not given.
pub(crate) const DEFAULT_NETWORK: &str = "podman-default-kube-network";

/// Podman's annotation choosing the init containers' type.
const INIT_TYPE_ANNOTATION: &str = "io.podman.annotations.init.container.type";

/// Everything to create for one workload.
#[derive(Clone, Debug)]
pub(crate) struct PodPlan {
    pub pod: PodSpec,
    pub init_containers: Vec<CreateSpec>,
    pub containers: Vec<CreateSpec>,
    pub fills: Vec<VolumeFill>,
    /// The images of `image` volumes, with their pull policies.
    pub image_pulls: Vec<(String, PullPolicy)>,
    /// Per container (by the name it is created with): its name in the
    /// YAML and the images whose volumes Podman's automount annotation
    /// mounts into it.
    pub automount: BTreeMap<String, (String, Vec<String>)>,
}

/// Podman's annotation (`/<container>` appended) naming images, separated
/// by `;`, whose volumes are mounted into the container.
pub(crate) const AUTOMOUNT_ANNOTATION: &str = "io.podman.annotations.kube.image.volumes.mount";

fn restart_policy(p: Option<&str>) -> Result<RestartPolicy, Error> {
    let name = match p {
        None | Some("") | Some("Always") => RestartPolicyName::Always,
        Some("OnFailure") => RestartPolicyName::OnFailure,
        Some("Never") => RestartPolicyName::No,
        Some(other) => return Err(Error::invalid(format!("invalid restartPolicy {other:?}"))),
    };
    Ok(RestartPolicy {
        name,
        max_retries: 0,
    })
}

/// The `-p` values of the containers' ports: those with a `hostPort`,
/// or all of them with `--publish-all`.
fn port_mappings(containers: &[Container], publish_all: bool) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for c in containers {
        for p in c.ports.iter().flatten() {
            let host = p.host_port.unwrap_or(0);
            // A port with only a hostPort publishes that port (Podman).
            let container_port = if p.container_port == 0 {
                host
            } else {
                p.container_port
            };
            if !(1..=65535).contains(&container_port) {
                return Err(Error::invalid(format!(
                    "invalid containerPort {} of container {:?}: must be between 1 and 65535",
                    p.container_port, c.name
                )));
            }
            if !(0..=65535).contains(&host) {
                return Err(Error::invalid(format!(
                    "invalid hostPort {host} of container {:?}: must be between 0 and 65535",
                    c.name
                )));
            }
            let proto = p.protocol.as_deref().unwrap_or("TCP").to_lowercase();
            if !["tcp", "udp", "sctp"].contains(&proto.as_str()) {
                return Err(Error::invalid(format!("unknown network protocol {proto}")));
            }
            let host = match (host, publish_all) {
                (0, false) => continue,
                (0, true) => container_port,
                (h, _) => h,
            };
            // No hostIP: every address, written out as Podman does.
            let ip = p
                .host_ip
                .as_deref()
                .filter(|i| !i.is_empty())
                .unwrap_or("0.0.0.0");
            out.push(format!("{ip}:{host}:{container_port}/{proto}"));
        }
    }
    Ok(out)
}

/// `--publish` wins over a YAML port of the same container port and protocol.
fn merge_publish(yaml: Vec<String>, cli: &[String]) -> Vec<String> {
    let target = |p: &str| {
        let (ports, proto) = p.split_once('/').unwrap_or((p, "tcp"));
        let ctr = ports.rsplit(':').next().unwrap_or(ports).to_owned();
        (ctr, proto.to_owned())
    };
    let overridden: HashSet<_> = cli.iter().map(|p| target(p)).collect();
    let mut out: Vec<String> = yaml
        .into_iter()
        .filter(|p| !overridden.contains(&target(p)))
        .collect();
    out.extend(cli.iter().cloned());
    out
}

fn pod_spec(
    w: &Workload,
    spec: &K8sPodSpec,
    labels: &[(String, String)],
    options: &KubePlayOptions,
) -> Result<PodSpec, Error> {
    let mut all: Vec<Container> = spec.init_containers.clone().unwrap_or_default();
    all.extend(spec.containers.iter().cloned());
    let ports = merge_publish(port_mappings(&all, options.publish_all)?, &options.publish);
    let mut pod = PodSpec {
        name: Some(w.pod_name.clone()),
        hostname: Some(
            spec.hostname
                .clone()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| w.pod_name.clone()),
        ),
        labels: labels.to_vec(),
        port_mappings: ports,
        exit_policy: Some("stop".into()),
        ..PodSpec::default()
    };
    if spec.share_process_namespace == Some(true) {
        pod.share = Some(vec!["ipc".into(), "net".into(), "uts".into(), "pid".into()]);
    }
    let net = &mut pod.network;
    net.no_hosts = options.no_hosts;
    net.modes = if spec.host_network == Some(true) {
        vec!["host".into()]
    } else if options.networks.is_empty() {
        vec![DEFAULT_NETWORK.into()]
    } else {
        options.networks.clone()
    };
    if let Some(dns) = &spec.dns_config {
        net.dns = dns.nameservers.clone().unwrap_or_default();
        net.dns_search = dns.searches.clone().unwrap_or_default();
        for o in dns.options.iter().flatten() {
            let name = o.name.clone().unwrap_or_default();
            net.dns_options.push(match &o.value {
                Some(v) => format!("{name}:{v}"),
                None => name,
            });
        }
    }
    for a in spec.host_aliases.iter().flatten() {
        for h in a.hostnames.iter().flatten() {
            net.add_hosts.push(format!("{h}:{}", a.ip));
        }
    }
    Ok(pod)
}

/// Checks the workload and turns it into requests.
pub(crate) fn plan(
    w: &Workload,
    sources: &Sources,
    options: &KubePlayOptions,
) -> Result<PodPlan, Error> {
    let spec = w.template.spec.clone().unwrap_or_default();
    let meta = w.template.metadata.clone().unwrap_or_default();
    let labels_map: BTreeMap<String, String> = meta.labels.clone().unwrap_or_default();
    let labels: Vec<(String, String)> = labels_map.clone().into_iter().collect();
    let pod = pod_spec(w, &spec, &labels, options)?;
    let (volumes, fills) = pod_volumes(spec.volumes.as_deref().unwrap_or_default(), sources)?;
    let restart = restart_policy(spec.restart_policy.as_deref())?;
    let mut annotations_all: Vec<(String, String)> = w.annotations.clone().into_iter().collect();
    for (k, v) in &options.annotations {
        annotations_all.retain(|(ek, _)| ek != k);
        annotations_all.push((k.clone(), v.clone()));
    }
    let ctx = PodContext {
        annotations: &annotations_all,
        pod_name: &w.pod_name,
        labels: &labels,
        restart: Some(restart),
        security: spec.security_context.as_ref(),
        stop_timeout: spec
            .termination_grace_period_seconds
            .map(|s| s.max(0) as u64),
        log_driver: options.log_driver.as_deref(),
        log_max_size: options.log_max_size,
        log_max_files: options.log_max_files,
        tls_verify: options.tls_verify,
        quiet: options.quiet,
        no_pod_prefix: options.no_pod_prefix,
    };
    let annotations = meta.annotations.clone().unwrap_or_default();
    let fields = PodFields {
        pod_name: &w.pod_name,
        labels: &labels_map,
        annotations: &annotations,
    };
    let init_mode = match w.annotations.get(INIT_TYPE_ANNOTATION).map(String::as_str) {
        None | Some("once") => InitCtrMode::Once,
        Some("always") => InitCtrMode::Always,
        Some(other) => {
            return Err(Error::invalid(format!(
                "{other:?} is not a valid init container type"
            )))
        }
    };
    let mut names = HashSet::new();
    let mut automount = BTreeMap::new();
    let mut build = |c: &Container, init: Option<InitCtrMode>| -> Result<CreateSpec, Error> {
        if !names.insert(c.name.clone()) {
            return Err(Error::invalid(format!(
                "the pod {:?} is invalid; duplicate container name {:?} detected",
                w.pod_name, c.name
            )));
        }
        let env = container_env(c, sources, &fields)?;
        let mut create = create_spec(c, &ctx, init, env)?;
        let key = format!("{AUTOMOUNT_ANNOTATION}/{}", c.name);
        if let Some((_, images)) = annotations_all.iter().find(|(k, _)| *k == key) {
            let images: Vec<String> = images
                .split(';')
                .filter(|i| !i.is_empty())
                .map(str::to_owned)
                .collect();
            if !images.is_empty() {
                let name = create.name.clone().unwrap_or_default();
                automount.insert(name, (c.name.clone(), images));
            }
        }
        apply_mounts(c, &volumes, &mut create.options)?;
        Ok(create)
    };
    let init_containers = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| build(c, Some(init_mode)))
        .collect::<Result<Vec<_>, _>>()?;
    let containers = spec
        .containers
        .iter()
        .map(|c| build(c, None))
        .collect::<Result<Vec<_>, _>>()?;
    let image_pulls = volumes
        .values()
        .filter_map(|v| match v {
            PodVolume::Image { reference, pull } => Some((reference.clone(), *pull)),
            _ => None,
        })
        .collect();
    Ok(PodPlan {
        pod,
        init_containers,
        containers,
        fills,
        image_pulls,
        automount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::parse::{parse, Doc};

    fn workload(yaml: &str) -> Workload {
        let p = parse(yaml.as_bytes()).unwrap();
        match p.docs.into_iter().next().unwrap() {
            Doc::Workload(w) => *w,
            _ => panic!("not a workload"),
        }
    }

    #[test]
    fn pod_plan_from_a_pod() {
        let w = workload(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  restartPolicy: Never\n  initContainers:\n  - name: init\n    image: alpine\n  containers:\n  - name: srv\n    image: alpine\n    ports:\n    - containerPort: 80\n      hostPort: 8080\n    - containerPort: 81\n",
        );
        let p = plan(&w, &Sources::default(), &KubePlayOptions::default()).unwrap();
        assert_eq!(p.pod.name.as_deref(), Some("web"));
        assert_eq!(p.pod.port_mappings, ["0.0.0.0:8080:80/tcp"]);
        assert_eq!(p.pod.network.modes, [DEFAULT_NETWORK]);
        assert_eq!(p.pod.labels, [("app".to_owned(), "web".to_owned())]);
        assert_eq!(p.init_containers[0].name.as_deref(), Some("web-init"));
        assert_eq!(
            p.init_containers[0].options.init_ctr,
            Some(InitCtrMode::Once)
        );
        let c = &p.containers[0];
        assert_eq!(c.options.restart.unwrap().name, RestartPolicyName::No);
        let all = KubePlayOptions {
            publish_all: true,
            publish: vec!["9090:80".into()],
            networks: vec!["none".into()],
            ..KubePlayOptions::default()
        };
        let p = plan(&w, &Sources::default(), &all).unwrap();
        assert_eq!(p.pod.port_mappings, ["0.0.0.0:81:81/tcp", "9090:80"]);
        assert_eq!(p.pod.network.modes, ["none"]);
    }

    #[test]
    fn bad_pods_are_errors() {
        let w = workload("kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: a\n    ports:\n    - containerPort: 70000\n");
        let e = plan(&w, &Sources::default(), &KubePlayOptions::default()).unwrap_err();
        assert!(e.message.starts_with("invalid containerPort 70000"), "{e}");
        let w = workload("kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: a\n    ports:\n    - hostPort: 8080\n");
        let p = plan(&w, &Sources::default(), &KubePlayOptions::default()).unwrap();
        assert_eq!(p.pod.port_mappings, ["0.0.0.0:8080:8080/tcp"]);
        let w = workload("kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: a\n  - name: c\n    image: a\n");
        let e = plan(&w, &Sources::default(), &KubePlayOptions::default()).unwrap_err();
        assert!(e.message.contains("duplicate container name"), "{e}");
    }
}
