//! CRI containers: rpod containers in their sandbox's pod.

use std::collections::HashMap;

use k8s_cri::v1 as cri;
use rpod_api::container::{ContainerListOptions, InspectOptions, RmOptions, StopOptions};
use rpod_api::container_run::{
    BindMount, ContainerSpec, CreateSpec, DeviceSpec, PodTarget, PullPolicy, UpdateOptions,
};
use rpod_api::inspect::InspectContainerData;
use tonic::Status;

use crate::meta::{self, ContainerMeta, CONTAINER_KEY};
use crate::serve::Shared;
use crate::status::{first_error, found, from_api, missing, unless_gone};
use crate::{sandbox, security};

/// The rpod container for `config` in sandbox `pod_id`.
pub fn create_spec(
    pod_id: &str,
    sb: &meta::SandboxMeta,
    config: &cri::ContainerConfig,
) -> Result<CreateSpec, Status> {
    let md = config
        .metadata
        .as_ref()
        .ok_or_else(|| missing("ContainerConfig.metadata"))?;
    if md.name.is_empty() {
        return Err(missing("ContainerConfig.metadata.name"));
    }
    let image = config
        .image
        .as_ref()
        .map(|i| i.image.clone())
        .filter(|i| !i.is_empty())
        .ok_or_else(|| missing("ContainerConfig.image"))?;
    if !config.cdi_devices.is_empty() {
        return Err(Status::unimplemented(
            "CDI devices are not supported by rpod's CRI endpoint",
        ));
    }
    let devices = config
        .devices
        .iter()
        .map(device)
        .collect::<Result<Vec<_>, _>>()?;
    let log_path = if config.log_path.is_empty() || sb.log_directory.is_empty() {
        String::new()
    } else {
        std::path::Path::new(&sb.log_directory)
            .join(&config.log_path)
            .display()
            .to_string()
    };
    let record = ContainerMeta {
        name: md.name.clone(),
        attempt: md.attempt,
        sandbox_id: pod_id.to_owned(),
        annotations: config.annotations.clone().into_iter().collect(),
        log_path: log_path.clone(),
        image: image.clone(),
    };
    let mut spec = ContainerSpec {
        image,
        entrypoint: (!config.command.is_empty()).then(|| config.command.clone()),
        command: config.args.clone(),
        env: config
            .envs
            .iter()
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect(),
        workdir: (!config.working_dir.is_empty()).then(|| config.working_dir.clone()),
        tty: config.tty,
        interactive: config.stdin,
        mounts: config.mounts.iter().map(mount).collect::<Result<_, _>>()?,
        labels: meta::join(&config.labels, CONTAINER_KEY, &record)
            .map_err(|e| Status::internal(format!("encoding the container record: {e}")))?,
        annotations: {
            let mut a: Vec<(String, String)> = config.annotations.clone().into_iter().collect();
            a.sort();
            a
        },
        log_driver: Some("k8s-file".to_owned()),
        log_path: (!log_path.is_empty()).then_some(log_path),
        ..ContainerSpec::default()
    };
    spec.security.devices = devices;
    if !sb.cgroup_parent.is_empty() {
        spec.cgroup.parent = Some(sb.cgroup_parent.clone());
    }
    if let Some(linux) = &config.linux {
        if let Some(r) = &linux.resources {
            spec.resources = security::resources(r)?;
        }
        if let Some(sc) = &linux.security_context {
            // CRI-O's check and message.
            if sc.privileged && sb.privileged == Some(false) {
                return Err(Status::unknown(
                    "no privileged container allowed in sandbox",
                ));
            }
            security::apply(sc, &mut spec)?;
        }
    }
    Ok(CreateSpec {
        options: spec,
        name: Some(format!(
            "k8s_{}_{}_{}_{}_{}",
            md.name, sb.name, sb.namespace, sb.uid, md.attempt
        )),
        pull: PullPolicy::Never,
        quiet: true,
        pod: PodTarget::Existing(pod_id.to_owned()),
        ..CreateSpec::default()
    })
}

/// A CRI device as `--device HOST:CONTAINER:PERMISSIONS` (no permissions:
/// `rwm`, as the kubelet means).
fn device(d: &cri::Device) -> Result<DeviceSpec, Status> {
    let permissions = if d.permissions.is_empty() {
        "rwm"
    } else {
        d.permissions.as_str()
    };
    if !d.host_path.starts_with('/')
        || !d.container_path.starts_with('/')
        || permissions.len() > 3
        || !permissions.chars().all(|c| "rwm".contains(c))
    {
        return Err(Status::invalid_argument(format!(
            "invalid device {}:{}:{}: absolute paths and permissions of r, w, m",
            d.host_path, d.container_path, d.permissions
        )));
    }
    Ok(DeviceSpec {
        host: d.host_path.clone(),
        container: d.container_path.clone(),
        permissions: permissions.to_owned(),
    })
}

/// A CRI mount as a bind mount.
fn mount(m: &cri::Mount) -> Result<BindMount, Status> {
    if m.image.is_some() || !m.uid_mappings.is_empty() || !m.gid_mappings.is_empty() {
        return Err(Status::unimplemented(
            "image mounts and id-mapped mounts are not supported by rpod's CRI endpoint",
        ));
    }
    let propagation = match cri::MountPropagation::try_from(m.propagation) {
        Ok(cri::MountPropagation::PropagationHostToContainer) => "rslave",
        Ok(cri::MountPropagation::PropagationBidirectional) => "rshared",
        _ => "rprivate",
    };
    Ok(BindMount {
        source: m.host_path.clone(),
        destination: m.container_path.clone(),
        readonly: m.readonly,
        options: vec!["rbind".to_owned(), propagation.to_owned()],
    })
}

pub async fn create(
    s: &Shared,
    req: cri::CreateContainerRequest,
) -> Result<cri::CreateContainerResponse, Status> {
    let (pod_id, sb) = sandbox::resolve(s, &req.pod_sandbox_id).await?;
    let config = req.config.ok_or_else(|| missing("config"))?;
    let spec = create_spec(&pod_id, &sb, &config)?;
    let report = s
        .engine
        .container_create(spec, None)
        .await
        .map_err(from_api)?;
    Ok(cri::CreateContainerResponse {
        container_id: report.id,
    })
}

/// The CRI container `id` names: its inspect data and record.
pub(crate) async fn find(
    s: &Shared,
    id: &str,
) -> Result<(InspectContainerData, ContainerMeta), Status> {
    if id.is_empty() {
        return Err(missing("container_id"));
    }
    let (list, errors) = s
        .engine
        .container_inspect(&[id.to_owned()], InspectOptions::default())
        .await
        .map_err(from_api)?;
    let c = found(list, errors, "container", id)?;
    let labels = c.config.as_ref().and_then(|cfg| cfg.labels.as_ref());
    match meta::split::<ContainerMeta>(labels, CONTAINER_KEY) {
        (_, Some(m)) => Ok((c, m)),
        (_, None) => Err(Status::not_found(format!(
            "container {id} not found: it was not created through CRI"
        ))),
    }
}

/// The full id of CRI container `id`.
pub async fn resolve(s: &Shared, id: &str) -> Result<String, Status> {
    find(s, id).await.map(|(c, _)| c.id)
}

pub async fn start(
    s: &Shared,
    req: cri::StartContainerRequest,
) -> Result<cri::StartContainerResponse, Status> {
    let id = resolve(s, &req.container_id).await?;
    s.engine
        .container_start(&id, false)
        .await
        .map_err(from_api)?;
    Ok(cri::StartContainerResponse {})
}

pub async fn stop(
    s: &Shared,
    req: cri::StopContainerRequest,
) -> Result<cri::StopContainerResponse, Status> {
    let id = resolve(s, &req.container_id).await?;
    let options = StopOptions {
        names: vec![id],
        timeout: Some(u64::try_from(req.timeout).unwrap_or(0)),
        ..StopOptions::default()
    };
    let reports = s.engine.container_stop(options).await.map_err(from_api)?;
    first_error(reports.into_iter().map(|r| r.err), false)?;
    Ok(cri::StopContainerResponse {})
}

pub async fn remove(
    s: &Shared,
    req: cri::RemoveContainerRequest,
) -> Result<cri::RemoveContainerResponse, Status> {
    let Some(id) = unless_gone(resolve(s, &req.container_id).await)? else {
        return Ok(cri::RemoveContainerResponse {});
    };
    let options = RmOptions {
        names: vec![id],
        force: true,
        timeout: Some(0),
        ..RmOptions::default()
    };
    let reports = s.engine.container_rm(options).await.map_err(from_api)?;
    first_error(reports.into_iter().map(|r| r.err), true)?;
    Ok(cri::RemoveContainerResponse {})
}

/// CRI's state for rpod's state name.
fn state(name: &str) -> i32 {
    let s = match name.to_ascii_lowercase().as_str() {
        "running" | "paused" | "stopping" => cri::ContainerState::ContainerRunning,
        "created" | "configured" | "initialized" => cri::ContainerState::ContainerCreated,
        "exited" | "stopped" => cri::ContainerState::ContainerExited,
        _ => cri::ContainerState::ContainerUnknown,
    };
    s as i32
}

fn metadata(m: &ContainerMeta) -> cri::ContainerMetadata {
    cri::ContainerMetadata {
        name: m.name.clone(),
        attempt: m.attempt,
    }
}

fn image_spec(image: &str) -> cri::ImageSpec {
    cri::ImageSpec {
        image: image.to_owned(),
        ..Default::default()
    }
}

pub async fn list(
    s: &Shared,
    req: cri::ListContainersRequest,
) -> Result<cri::ListContainersResponse, Status> {
    let options = ContainerListOptions {
        all: true,
        ..ContainerListOptions::default()
    };
    let listed = s.engine.container_list(options).await.map_err(from_api)?;
    let filter = req.filter.unwrap_or_default();
    let containers = listed
        .into_iter()
        .filter_map(|c| {
            let (labels, m) = meta::split::<ContainerMeta>(c.labels.as_ref(), CONTAINER_KEY);
            let m = m?;
            Some(cri::Container {
                id: c.id,
                pod_sandbox_id: m.sandbox_id.clone(),
                metadata: Some(metadata(&m)),
                image: Some(image_spec(&m.image)),
                image_ref: c.image_id.clone(),
                state: state(&c.state),
                created_at: c.created.unix_nanos().unwrap_or_default(),
                labels,
                annotations: m.annotations.into_iter().collect(),
                image_id: c.image_id,
            })
        })
        .filter(|c| filter.id.is_empty() || c.id.starts_with(&filter.id))
        .filter(|c| {
            filter.pod_sandbox_id.is_empty() || c.pod_sandbox_id.starts_with(&filter.pod_sandbox_id)
        })
        .filter(|c| filter.state.as_ref().is_none_or(|st| st.state == c.state))
        .filter(|c| meta::selects(&c.labels, &filter.label_selector))
        .collect();
    Ok(cri::ListContainersResponse { containers })
}

pub async fn status(
    s: &Shared,
    req: cri::ContainerStatusRequest,
) -> Result<cri::ContainerStatusResponse, Status> {
    let (c, m) = find(s, &req.container_id).await?;
    let labels = c.config.as_ref().and_then(|cfg| cfg.labels.as_ref());
    let (labels, _) = meta::split::<ContainerMeta>(labels, CONTAINER_KEY);
    let st = c.state.clone().unwrap_or_default();
    let cri_state = state(&st.status);
    let exited = cri_state == cri::ContainerState::ContainerExited as i32;
    let reason = if !exited {
        String::new()
    } else if st.oom_killed {
        "OOMKilled".to_owned()
    } else if st.exit_code == 0 {
        "Completed".to_owned()
    } else {
        "Error".to_owned()
    };
    let mounts = c
        .mounts
        .iter()
        .flatten()
        .filter(|mnt| mnt.r#type == "bind")
        .map(|mnt| cri::Mount {
            container_path: mnt.destination.clone(),
            host_path: mnt.source.clone(),
            readonly: !mnt.rw,
            ..Default::default()
        })
        .collect();
    let mut info = HashMap::new();
    if req.verbose {
        let json = serde_json::to_string(&c)
            .map_err(|e| Status::internal(format!("encoding the container: {e}")))?;
        info.insert("info".to_owned(), json);
    }
    let nanos = |t: &rpod_api::time::GoTime| {
        if t.is_zero() {
            0
        } else {
            t.unix_nanos().unwrap_or_default()
        }
    };
    let status = cri::ContainerStatus {
        id: c.id.clone(),
        metadata: Some(metadata(&m)),
        state: cri_state,
        created_at: nanos(&c.created),
        started_at: nanos(&st.started_at),
        finished_at: if exited { nanos(&st.finished_at) } else { 0 },
        exit_code: st.exit_code,
        image: Some(image_spec(&m.image)),
        image_ref: c.image.clone(),
        reason,
        message: st.error.clone(),
        labels,
        annotations: m.annotations.clone().into_iter().collect(),
        mounts,
        log_path: m.log_path.clone(),
        resources: None,
        image_id: c.image.clone(),
        user: None,
    };
    Ok(cri::ContainerStatusResponse {
        status: Some(status),
        info,
    })
}

pub async fn update_resources(
    s: &Shared,
    req: cri::UpdateContainerResourcesRequest,
) -> Result<cri::UpdateContainerResourcesResponse, Status> {
    let id = resolve(s, &req.container_id).await?;
    let Some(linux) = &req.linux else {
        return Err(missing("linux"));
    };
    let options = UpdateOptions {
        name_or_id: id,
        resources: security::resources(linux)?,
        ..UpdateOptions::default()
    };
    s.engine.container_update(options).await.map_err(from_api)?;
    Ok(cri::UpdateContainerResourcesResponse {})
}

pub async fn reopen_log(
    s: &Shared,
    req: cri::ReopenContainerLogRequest,
) -> Result<cri::ReopenContainerLogResponse, Status> {
    let id = resolve(s, &req.container_id).await?;
    s.engine.container_reopen_log(&id).await.map_err(from_api)?;
    Ok(cri::ReopenContainerLogResponse {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_becomes_a_create_spec() {
        let sb = meta::SandboxMeta {
            name: "web".into(),
            namespace: "default".into(),
            uid: "u1".into(),
            log_directory: "/var/log/pods/x".into(),
            cgroup_parent: "/kubepods/podu1".into(),
            ..Default::default()
        };
        let config = cri::ContainerConfig {
            metadata: Some(cri::ContainerMetadata {
                name: "app".into(),
                attempt: 1,
            }),
            image: Some(image_spec("busybox")),
            command: vec!["sh".into()],
            args: vec!["-c".into(), "true".into()],
            envs: vec![cri::KeyValue {
                key: "A".into(),
                value: "b".into(),
            }],
            mounts: vec![cri::Mount {
                container_path: "/data".into(),
                host_path: "/srv".into(),
                readonly: true,
                propagation: cri::MountPropagation::PropagationHostToContainer as i32,
                ..Default::default()
            }],
            log_path: "app/1.log".into(),
            ..Default::default()
        };
        let spec = create_spec("podid", &sb, &config).unwrap();
        assert_eq!(spec.name.as_deref(), Some("k8s_app_web_default_u1_1"));
        assert_eq!(spec.pod, PodTarget::Existing("podid".into()));
        assert_eq!(spec.pull, PullPolicy::Never);
        let o = spec.options;
        assert_eq!(o.entrypoint, Some(vec!["sh".to_owned()]));
        assert_eq!(o.command, vec!["-c", "true"]);
        assert_eq!(o.env, vec!["A=b"]);
        assert_eq!(o.log_path.as_deref(), Some("/var/log/pods/x/app/1.log"));
        assert_eq!(o.mounts[0].options, vec!["rbind", "rslave"]);
        assert!(o.mounts[0].readonly);
        assert_eq!(o.cgroup.parent.as_deref(), Some("/kubepods/podu1"));
        let missing_image = cri::ContainerConfig {
            image: None,
            ..config
        };
        assert_eq!(
            create_spec("podid", &sb, &missing_image)
                .unwrap_err()
                .code(),
            tonic::Code::InvalidArgument
        );
    }

    #[test]
    fn devices_map() {
        let d = |h: &str, c: &str, p: &str| cri::Device {
            host_path: h.into(),
            container_path: c.into(),
            permissions: p.into(),
        };
        let out = device(&d("/dev/zero", "/dev/czero", "")).unwrap();
        assert_eq!(out.permissions, "rwm");
        assert_eq!(out.container, "/dev/czero");
        assert_eq!(
            device(&d("/dev/zero", "/dev/z", "r")).unwrap().permissions,
            "r"
        );
        for bad in [
            d("zero", "/dev/z", "r"),
            d("/dev/zero", "z", "r"),
            d("/dev/zero", "/dev/z", "rx"),
        ] {
            assert_eq!(
                device(&bad).unwrap_err().code(),
                tonic::Code::InvalidArgument
            );
        }
    }

    #[test]
    fn states() {
        assert_eq!(
            state("running"),
            cri::ContainerState::ContainerRunning as i32
        );
        assert_eq!(
            state("created"),
            cri::ContainerState::ContainerCreated as i32
        );
        assert_eq!(state("exited"), cri::ContainerState::ContainerExited as i32);
        assert_eq!(
            state("removing"),
            cri::ContainerState::ContainerUnknown as i32
        );
    }
}
