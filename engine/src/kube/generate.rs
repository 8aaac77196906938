//! `kube generate`: containers, pods and volumes as Kubernetes YAML, as
//! Podman's libpod/kube.go writes it: a Pod (or Deployment, DaemonSet,
//! Job), a NodePort Service with `-s`, a PersistentVolumeClaim per volume
//! named; built from the inspect reports into k8s-openapi types.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, HostPathVolumeSource,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, Pod,
    PodSpec, PodTemplateSpec, ResourceRequirements, SecurityContext, Service, ServicePort,
    ServiceSpec, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use rpod_api::container::InspectOptions;
use rpod_api::front_door::pods::PodSelect;
use rpod_api::inspect::{InspectContainerData, InspectHostPort};
use rpod_api::kube::{KubeGenerateOptions, KubeGenerateReport};
use rpod_api::{Error, ErrorKind, FrontDoor};
use serde::Serialize;

use super::quantity::{format_bytes, format_millis};

const DEFAULT_ENV: [&str; 3] = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "container=podman",
    "TERM=xterm",
];

/// Podman's stop timeout default: a different one becomes
/// `terminationGracePeriodSeconds`.
const DEFAULT_STOP_TIMEOUT: u64 = 10;

fn now() -> Result<Time, Error> {
    let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    serde_json::from_value(serde_json::Value::String(ts))
        .map_err(|e| Error::other(format!("creation timestamp: {e}")))
}

/// `/mnt/Data_x/` → `mnt-data-x`.
fn kube_volume_name(source: &str) -> String {
    source
        .trim_matches('/')
        .replace(['/', '.', '_'], "-")
        .to_lowercase()
}

fn name_without_underscores(s: &str) -> String {
    s.replace('_', "")
}

fn ports(
    bindings: Option<&BTreeMap<String, Option<Vec<InspectHostPort>>>>,
    service: bool,
) -> Vec<ContainerPort> {
    let mut out = Vec::new();
    for (key, hosts) in bindings.into_iter().flatten() {
        let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
        let Ok(container_port) = port.parse::<i32>() else {
            continue;
        };
        let protocol = match proto {
            "udp" => Some("UDP".to_owned()),
            "sctp" => Some("SCTP".to_owned()),
            _ => None,
        };
        for h in hosts.iter().flatten() {
            out.push(ContainerPort {
                container_port,
                host_ip: Some(h.host_ip.clone()).filter(|i| !i.is_empty()),
                host_port: if service {
                    None
                } else {
                    h.host_port.parse().ok()
                },
                protocol: protocol.clone(),
                ..ContainerPort::default()
            });
        }
    }
    out
}

fn string_list(v: &serde_json::Value, key: &str) -> Option<Vec<String>> {
    v.get(key)?.as_array().map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    })
}

fn caps(list: Option<&Vec<String>>) -> Option<Vec<String>> {
    let l: Vec<String> = list
        .into_iter()
        .flatten()
        .map(|c| {
            let c = c.to_uppercase();
            if c.starts_with("CAP_") {
                c
            } else {
                format!("CAP_{c}")
            }
        })
        .collect();
    (!l.is_empty()).then_some(l)
}

fn security(c: &InspectContainerData, image_user: &str) -> Option<SecurityContext> {
    let h = c.host_config.as_ref()?;
    let mut sc = SecurityContext::default();
    let mut any = false;
    if h.privileged {
        sc.privileged = Some(true);
        any = true;
    } else {
        let add = caps(h.cap_add.as_ref());
        let drop = caps(h.cap_drop.as_ref());
        if add.is_some() || drop.is_some() {
            sc.capabilities = Some(Capabilities { add, drop });
            any = true;
        }
    }
    if h.readonly_rootfs {
        sc.read_only_root_filesystem = Some(true);
        any = true;
    }
    let opts = h.security_opt.clone().unwrap_or_default();
    if opts.iter().any(|o| o == "no-new-privileges") {
        sc.allow_privilege_escalation = Some(false);
        any = true;
    }
    let mut se = k8s_openapi::api::core::v1::SELinuxOptions::default();
    for o in opts.iter().filter_map(|o| o.strip_prefix("label=")) {
        match o.split_once(':') {
            Some(("type", v)) => se.type_ = Some(v.to_owned()),
            Some(("level", v)) => se.level = Some(v.to_owned()),
            Some(("user", v)) => se.user = Some(v.to_owned()),
            Some(("role", v)) => se.role = Some(v.to_owned()),
            _ if o == "disable" => se.type_ = Some("spc_t".into()),
            _ => {}
        }
    }
    if se != k8s_openapi::api::core::v1::SELinuxOptions::default() {
        sc.se_linux_options = Some(se);
        any = true;
    }
    if opts.iter().any(|o| o == "unmask=all") {
        sc.proc_mount = Some("Unmasked".into());
        any = true;
    }
    let user = c.config.as_ref().map(|c| c.user.as_str()).unwrap_or("");
    if !user.is_empty() && user != image_user {
        let (u, g) = user.split_once(':').unwrap_or((user, ""));
        if let Ok(uid) = u.parse::<i64>() {
            sc.run_as_user = Some(uid);
            sc.run_as_group = Some(g.parse().unwrap_or(uid));
            any = true;
        }
    }
    any.then_some(sc)
}

fn resources(c: &InspectContainerData) -> Option<ResourceRequirements> {
    let h = c.host_config.as_ref()?;
    let mut limits = BTreeMap::new();
    if h.memory > 0 {
        limits.insert("memory".to_owned(), Quantity(format_bytes(h.memory)));
    }
    let millis = if h.nano_cpus > 0 {
        h.nano_cpus / 1_000_000
    } else if h.cpu_quota > 0 && h.cpu_period > 0 {
        h.cpu_quota * 1000 / h.cpu_period as i64
    } else {
        0
    };
    if millis >= 1 {
        limits.insert("cpu".to_owned(), Quantity(format_millis(millis)));
    }
    (!limits.is_empty()).then(|| ResourceRequirements {
        limits: Some(limits),
        ..ResourceRequirements::default()
    })
}

fn mounts(c: &InspectContainerData) -> (Vec<VolumeMount>, Vec<Volume>) {
    let mut vms = Vec::new();
    let mut vols = Vec::new();
    for (i, m) in c.mounts.iter().flatten().enumerate() {
        let ro = !m.rw;
        let (name, vol) = match m.r#type.as_str() {
            "bind" => {
                let name = format!(
                    "{}-host-{i}",
                    if m.source == "/" {
                        "root".into()
                    } else {
                        kube_volume_name(&m.source)
                    }
                );
                let kind = match std::fs::metadata(&m.source) {
                    Ok(md) if md.is_dir() => "Directory",
                    Ok(_) => "File",
                    Err(_) => "DirectoryOrCreate",
                };
                let v = Volume {
                    name: name.clone(),
                    host_path: Some(HostPathVolumeSource {
                        path: m.source.clone(),
                        type_: Some(kind.into()),
                    }),
                    ..Volume::default()
                };
                (name, v)
            }
            "volume" => {
                let claim = kube_volume_name(&m.name);
                let name = format!("{claim}-pvc");
                let v = Volume {
                    name: name.clone(),
                    persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                        claim_name: claim,
                        read_only: ro.then_some(true),
                    }),
                    ..Volume::default()
                };
                (name, v)
            }
            _ => continue,
        };
        vms.push(VolumeMount {
            name,
            mount_path: m.destination.clone(),
            read_only: ro.then_some(true),
            sub_path: Some(m.sub_path.clone()).filter(|s| !s.is_empty()),
            ..VolumeMount::default()
        });
        vols.push(vol);
    }
    // tmpfs mounts: Podman's in-memory emptyDir named `tmp-N`.
    let tmpfs = c.host_config.as_ref().and_then(|h| h.tmpfs.as_ref());
    for (i, (dest, opts)) in tmpfs.into_iter().flatten().enumerate() {
        let name = format!("tmp-{}", vms.len() + i);
        let ro = opts.split(',').any(|o| o == "ro");
        vms.push(VolumeMount {
            name: name.clone(),
            mount_path: dest.clone(),
            read_only: ro.then_some(true),
            ..VolumeMount::default()
        });
        vols.push(Volume {
            name,
            empty_dir: Some(EmptyDirVolumeSource {
                medium: Some("Memory".into()),
                size_limit: None,
            }),
            ..Volume::default()
        });
    }
    (vms, vols)
}

/// The pod's restart policy from a container's: none for a container
/// created without one (which its report shows as `no`), `Never` for
/// one created with `no` (its id in `never`).
fn restart_policy(c: &InspectContainerData, never: &HashSet<String>) -> Option<String> {
    let p = c.host_config.as_ref()?.restart_policy.as_ref()?;
    match p.name.as_str() {
        "always" => Some("Always".into()),
        "on-failure" => Some("OnFailure".into()),
        "no" if never.contains(&c.id) => Some("Never".into()),
        _ => None,
    }
}

/// One container as Podman writes it; its volumes beside it.
async fn container<E: FrontDoor + ?Sized>(
    e: &E,
    c: &InspectContainerData,
    service: bool,
) -> Result<(Container, Vec<Volume>), Error> {
    let cfg = c.config.clone().unwrap_or_default();
    let img = e.image_inspect(&c.image).await.ok();
    let img_cfg = img
        .and_then(|i| i.config)
        .map_or(serde_json::Value::Null, |c| c.0);
    let img_cmd = string_list(&img_cfg, "Cmd");
    let img_ep = string_list(&img_cfg, "Entrypoint");
    let img_env = string_list(&img_cfg, "Env").unwrap_or_default();
    let img_wd = img_cfg
        .get("WorkingDir")
        .and_then(|w| w.as_str())
        .unwrap_or("");
    let img_user = img_cfg.get("User").and_then(|w| w.as_str()).unwrap_or("");
    let ep = cfg.entrypoint.clone().filter(|e| !e.is_empty());
    let (mut command, args) = match ep {
        Some(ep) => (Some(ep), cfg.cmd.clone().filter(|a| !a.is_empty())),
        None => (cfg.cmd.clone().filter(|a| !a.is_empty()), None),
    };
    if command.is_some() && (command == img_cmd || command == img_ep) {
        command = None;
    }
    let env: Vec<EnvVar> = cfg
        .env
        .iter()
        .flatten()
        .filter(|kv| {
            !DEFAULT_ENV.contains(&kv.as_str())
                && !img_env.contains(kv)
                && !kv.starts_with("HOSTNAME=")
        })
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| EnvVar {
            name: k.to_owned(),
            value: Some(v.to_owned()),
            ..EnvVar::default()
        })
        .collect();
    let (volume_mounts, volumes) = mounts(c);
    let p = ports(
        c.host_config
            .as_ref()
            .and_then(|h| h.port_bindings.as_ref()),
        service,
    );
    let wd = cfg.working_dir.clone();
    let ctr = Container {
        name: name_without_underscores(&c.name),
        image: Some(c.image_name.clone()),
        command,
        args,
        env: (!env.is_empty()).then_some(env),
        working_dir: (wd != "/" && !wd.is_empty() && wd != img_wd).then_some(wd),
        ports: (!p.is_empty()).then_some(p),
        security_context: security(c, img_user),
        resources: resources(c),
        volume_mounts: (!volume_mounts.is_empty()).then_some(volume_mounts),
        stdin: cfg.open_stdin.then_some(true),
        tty: cfg.tty.then_some(true),
        ..Container::default()
    };
    Ok((ctr, volumes))
}

/// The object as YAML; timestamps quoted (as Podman writes them), since
/// an unquoted one reads back as a YAML timestamp, not the string the
/// schema wants.
fn to_yaml<T: Serialize>(v: &T) -> Result<String, Error> {
    let text =
        serde_norway::to_string(v).map_err(|e| Error::other(format!("generating YAML: {e}")))?;
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.lines() {
        match line.split_once("creationTimestamp: ") {
            Some((indent, ts)) if indent.trim().is_empty() && !ts.starts_with(['"', '\'']) => {
                out.push_str(&format!("{indent}creationTimestamp: \"{ts}\"\n"));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

fn pod_object(
    name: &str,
    annotations: BTreeMap<String, String>,
    spec: PodSpec,
) -> Result<Pod, Error> {
    Ok(Pod {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(BTreeMap::from([("app".to_owned(), name.to_owned())])),
            annotations: (!annotations.is_empty()).then_some(annotations),
            creation_timestamp: Some(now()?),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    })
}

/// A Pod as the kind asked for.
fn as_kind(pod: Pod, options: &KubeGenerateOptions) -> Result<String, Error> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let selector = LabelSelector {
        match_labels: Some(BTreeMap::from([("app".to_owned(), name.clone())])),
        ..LabelSelector::default()
    };
    let template = PodTemplateSpec {
        metadata: Some(pod.metadata.clone()),
        spec: pod.spec.clone(),
    };
    let meta = |suffix: &str| ObjectMeta {
        name: Some(format!("{name}-{suffix}")),
        labels: pod.metadata.labels.clone(),
        creation_timestamp: pod.metadata.creation_timestamp.clone(),
        ..ObjectMeta::default()
    };
    let restart = pod.spec.as_ref().and_then(|s| s.restart_policy.clone());
    match options.kind.as_str() {
        "pod" => to_yaml(&pod),
        "deployment" => {
            if restart.as_deref().is_some_and(|r| r != "Always") {
                return Err(Error::invalid("k8s Deployments can only have restartPolicy set to Always"));
            }
            to_yaml(&Deployment {
                metadata: meta("deployment"),
                spec: Some(DeploymentSpec {
                    replicas: Some(options.replicas as i32),
                    selector,
                    template,
                    ..DeploymentSpec::default()
                }),
                status: None,
            })
        }
        "daemonset" => {
            if restart.as_deref().is_some_and(|r| r != "Always") {
                return Err(Error::invalid("k8s DaemonSets can only have restartPolicy set to Always"));
            }
            if options.replicas > 1 {
                return Err(Error::invalid("k8s DaemonSets don't allow setting replicas"));
            }
            to_yaml(&DaemonSet {
                metadata: meta("daemonset"),
                spec: Some(DaemonSetSpec {
                    selector,
                    template,
                    ..DaemonSetSpec::default()
                }),
                status: None,
            })
        }
        "job" => {
            let mut template = template;
            if let Some(s) = template.spec.as_mut() {
                match s.restart_policy.as_deref() {
                    None | Some("") | Some("Always") => s.restart_policy = Some("Never".into()),
                    _ => {}
                }
            }
            to_yaml(&Job {
                metadata: meta("job"),
                spec: Some(JobSpec {
                    template,
                    ..JobSpec::default()
                }),
                status: None,
            })
        }
        _ => Err(Error::invalid(
            "invalid generation type - only pods, deployments, jobs, and daemonsets are currently supported",
        )),
    }
}

fn service(pod: &Pod) -> Result<String, Error> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let mut used = std::collections::HashSet::new();
    let mut sports = Vec::new();
    for c in pod.spec.iter().flat_map(|s| s.containers.iter()) {
        for p in c.ports.iter().flatten() {
            let node_port = loop {
                let n = rand::random::<u16>() % (32767 - 30000 + 1) + 30000;
                if used.insert(n) {
                    break n;
                }
            };
            sports.push(ServicePort {
                name: Some(p.container_port.to_string()),
                port: p.container_port,
                node_port: Some(i32::from(node_port)),
                protocol: p.protocol.clone(),
                target_port: Some(IntOrString::Int(p.container_port)),
                ..ServicePort::default()
            });
        }
    }
    to_yaml(&Service {
        metadata: ObjectMeta {
            annotations: None,
            ..pod.metadata.clone()
        },
        spec: Some(ServiceSpec {
            ports: Some(sports),
            selector: Some(BTreeMap::from([("app".to_owned(), name)])),
            type_: Some("NodePort".into()),
            ..ServiceSpec::default()
        }),
        status: None,
    })
}

fn pvc(v: &rpod_api::volume::VolumeConfigResponse) -> Result<String, Error> {
    let mut annotations =
        BTreeMap::from([("volume.podman.io/driver".to_owned(), v.driver.clone())]);
    for (k, val) in &v.options {
        let key = match k.as_str() {
            "o" => "volume.podman.io/mount-options",
            "device" => "volume.podman.io/device",
            "type" => "volume.podman.io/type",
            "UID" => "volume.podman.io/uid",
            "GID" => "volume.podman.io/gid",
            _ => continue,
        };
        annotations.insert(key.into(), val.clone());
    }
    to_yaml(&PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(kube_volume_name(&v.name)),
            labels: (!v.labels.is_empty()).then(|| v.labels.clone()),
            annotations: Some(annotations),
            creation_timestamp: Some(now()?),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_owned(),
                    Quantity("1Gi".into()),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    })
}

/// The pod spec of the given containers (sorted by creation), the ports
/// going to the first regular container when `pod_ports` is given.
async fn pod_spec<E: FrontDoor + ?Sized>(
    e: &E,
    mut ctrs: Vec<InspectContainerData>,
    pod_ports: Option<Vec<ContainerPort>>,
    service: bool,
    never: &HashSet<String>,
) -> Result<PodSpec, Error> {
    ctrs.sort_by_key(|c| c.created);
    let mut spec = PodSpec::default();
    let mut volumes: BTreeMap<String, Volume> = BTreeMap::new();
    let mut first = true;
    for c in &ctrs {
        let (mut k, vols) = container(e, c, service).await?;
        if let Some(p) = &pod_ports {
            k.ports = None;
            if first && !p.is_empty() {
                k.ports = Some(p.clone());
            }
        }
        if spec.restart_policy.is_none() {
            spec.restart_policy = restart_policy(c, never);
        }
        let stop = c
            .config
            .as_ref()
            .map_or(DEFAULT_STOP_TIMEOUT, |c| c.stop_timeout);
        if stop != DEFAULT_STOP_TIMEOUT && spec.termination_grace_period_seconds.is_none() {
            spec.termination_grace_period_seconds = Some(stop as i64);
        }
        if c.host_config
            .as_ref()
            .is_some_and(|h| h.network_mode == "host")
        {
            spec.host_network = Some(true);
        }
        first = false;
        for v in vols {
            volumes.insert(v.name.clone(), v);
        }
        spec.containers.push(k);
    }
    if !volumes.is_empty() {
        spec.volumes = Some(volumes.into_values().collect());
    }
    Ok(spec)
}

enum Found {
    Container(Box<InspectContainerData>),
    Pod(Box<rpod_api::pod::InspectPodData>),
    Volume(Box<rpod_api::volume::VolumeConfigResponse>),
}

async fn lookup<E: FrontDoor + ?Sized>(e: &E, name: &str) -> Result<Found, Error> {
    let names = [name.to_owned()];
    let (ctrs, _) = e
        .container_inspect(&names, InspectOptions::default())
        .await?;
    if let Some(c) = ctrs.into_iter().next() {
        if !c.pod.is_empty() {
            return Err(Error::invalid(format!(
                "container {} is associated with pod {}: use generate on the pod itself",
                c.id, c.pod
            )));
        }
        return Ok(Found::Container(Box::new(c)));
    }
    let (pods, _) = e.pod_inspect(&names, PodSelect::default()).await?;
    if let Some(p) = pods.into_iter().next() {
        return Ok(Found::Pod(Box::new(p.data)));
    }
    let (vols, _) = e.volume_inspect(&names, false).await?;
    if let Some(v) = vols.into_iter().next() {
        return Ok(Found::Volume(Box::new(v)));
    }
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!("name or ID {name:?} not found"),
    ))
}

async fn pod_yaml<E: FrontDoor + ?Sized>(
    e: &E,
    p: &rpod_api::pod::InspectPodData,
    options: &KubeGenerateOptions,
    never: &HashSet<String>,
) -> Result<(String, Option<String>), Error> {
    let members: Vec<String> = p
        .containers
        .iter()
        .flatten()
        .filter(|c| c.id != p.infra_container_id)
        .map(|c| c.id.clone())
        .collect();
    if members.is_empty() {
        let what = if p.infra_container_id.is_empty() {
            "has no containers"
        } else {
            "only has an infra container"
        };
        return Err(Error::invalid(format!("pod {} {what}", p.id)));
    }
    let (ctrs, _) = e
        .container_inspect(&members, InspectOptions::default())
        .await?;
    let ports = p
        .infra_config
        .as_ref()
        .map(|i| ports(i.port_bindings.as_ref(), options.service))
        .unwrap_or_default();
    let annotations = super::generate_annotations::pod_annotations(
        &ctrs,
        options.podman_only,
        name_without_underscores,
    );
    let mut spec = pod_spec(e, ctrs, Some(ports), options.service, never).await?;
    if p.infra_config.as_ref().is_some_and(|i| i.host_network) {
        spec.host_network = Some(true);
    }
    let name = name_without_underscores(&p.name);
    if !p.hostname.is_empty() && p.hostname != p.name {
        spec.hostname = Some(p.hostname.clone());
    }
    let pod = pod_object(&name, annotations, spec)?;
    let svc = if options.service {
        Some(service(&pod)?)
    } else {
        None
    };
    Ok((as_kind(pod, options)?, svc))
}

/// `kube generate`; `never`: the ids of the containers created with
/// restart policy `no` (told apart from those created without one).
pub(crate) async fn generate<E: FrontDoor + ?Sized>(
    e: &E,
    names: &[String],
    options: KubeGenerateOptions,
    never: &HashSet<String>,
) -> Result<KubeGenerateReport, Error> {
    if options.replicas > 1 && options.kind != "deployment" {
        return Err(Error::invalid(
            "--replicas can only be set when --type is set to deployment",
        ));
    }
    if options.replicas < 1 {
        return Err(Error::invalid(
            "--replicas has to be greater than or equal to 1. By default, --replicas is set to 1",
        ));
    }
    let mut ctrs = Vec::new();
    let mut pods = Vec::new();
    let mut vols = Vec::new();
    for n in names {
        match lookup(e, n).await? {
            Found::Container(c) => ctrs.push(*c),
            Found::Pod(p) => pods.push(*p),
            Found::Volume(v) => vols.push(*v),
        }
    }
    let mut content = Vec::new();
    let mut typed = Vec::new();
    for v in &vols {
        content.push(pvc(v)?);
    }
    for p in &pods {
        let (y, svc) = pod_yaml(e, p, &options, never).await?;
        typed.push(y);
        content.extend(svc);
    }
    if !ctrs.is_empty() {
        let ctr_names: Vec<String> = ctrs
            .iter()
            .map(|c| name_without_underscores(&c.name))
            .collect();
        let mut name = ctr_names[0].clone();
        if ctr_names.contains(&name) {
            name.push_str("-pod");
        }
        let annotations = super::generate_annotations::pod_annotations(
            &ctrs,
            options.podman_only,
            name_without_underscores,
        );
        let spec = pod_spec(e, ctrs, None, options.service, never).await?;
        let pod = pod_object(&name, annotations, spec)?;
        if options.service {
            content.push(service(&pod)?);
        }
        typed.push(as_kind(pod, &options)?);
    }
    content.extend(typed);
    let mut yaml = format!(
        "# Save the output of this file and use kubectl create -f to import\n# it into Kubernetes.\n#\n# Created with rpod-{}\n",
        env!("CARGO_PKG_VERSION")
    );
    for (i, c) in content.iter().enumerate() {
        if i > 0 {
            yaml.push_str("---\n");
        }
        yaml.push_str(c);
    }
    Ok(KubeGenerateReport { yaml })
}
