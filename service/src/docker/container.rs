//! Containers in Docker's shapes: the list entry (`types.Container`) and
//! inspect (`types.ContainerJSON`), from Podman's `ListContainer` and
//! `InspectContainerData`.

use rpod_api::inspect::InspectContainerData;
use rpod_api::ps::ListContainer;
use rpod_api::units::human_since;
use serde_json::{json, Map, Value};

use super::{docker_state, image_id};

/// Docker's status text (`Up 3 minutes`, `Exited (0) 2 seconds ago`).
pub fn status_text(c: &ListContainer) -> String {
    let since = |unix: i64| human_since(unix.saturating_mul(1_000_000_000));
    let mut text = match c.state.as_str() {
        "running" | "stopping" => format!("Up {}", since(c.started_at)),
        "paused" => format!("Up {} (Paused)", since(c.started_at)),
        "exited" | "stopped" => format!("Exited ({}) {} ago", c.exit_code, since(c.exited_at)),
        "restarting" => format!("Restarting ({}) {} ago", c.exit_code, since(c.exited_at)),
        "removing" => "Removal In Progress".to_owned(),
        _ => "Created".to_owned(),
    };
    if !c.status.is_empty() {
        text.push_str(&format!(" ({})", c.status));
    }
    text
}

/// One entry of `GET /containers/json`.
pub fn list_entry(c: &ListContainer) -> Value {
    let ports: Vec<Value> = c
        .ports
        .iter()
        .flatten()
        .flat_map(|p| {
            (0..p.range.max(1)).flat_map(move |i| {
                p.protocol.split(',').map(move |proto| {
                    json!({
                        "IP": if p.host_ip.is_empty() { "0.0.0.0" } else { p.host_ip.as_str() },
                        "PrivatePort": p.container_port + i,
                        "PublicPort": p.host_port + i,
                        "Type": proto,
                    })
                })
            })
        })
        .collect();
    let networks: Map<String, Value> = c
        .networks
        .iter()
        .flatten()
        .map(|n| (n.clone(), json!({})))
        .collect();
    let mounts: Vec<Value> = c
        .mounts
        .iter()
        .flatten()
        .map(|dest| json!({"Destination": dest}))
        .collect();
    json!({
        "Id": c.id,
        "Names": c.names.iter().map(|n| format!("/{n}")).collect::<Vec<_>>(),
        "Image": c.image,
        "ImageID": image_id(&c.image_id),
        "Command": c.command.as_ref().map(|v| v.join(" ")).unwrap_or_default(),
        "Created": c.created.unix(),
        "Ports": ports,
        "Labels": c.labels.clone().unwrap_or_default(),
        "State": docker_state(&c.state),
        "Status": status_text(c),
        "HostConfig": {"NetworkMode": network_mode(c)},
        "NetworkSettings": {"Networks": networks},
        "Mounts": mounts,
    })
}

fn network_mode(c: &ListContainer) -> &str {
    match c.networks.as_deref() {
        Some([one]) => one.as_str(),
        Some([]) | None => "none",
        Some(_) => "bridge",
    }
}

/// `GET /containers/{id}/json`: Docker's keys, in Docker's order, with
/// Docker's spellings where Podman's differ (`/name`, `sha256:` image id,
/// Docker state names). Podman's extra keys of the nested objects stay.
pub fn inspect(data: &InspectContainerData) -> Value {
    let v = serde_json::to_value(data).unwrap_or(Value::Null);
    let get = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    let mut state = get("State");
    if let Some(s) = state.as_object_mut() {
        let status = s
            .get("Status")
            .and_then(Value::as_str)
            .map(|st| docker_state(st).to_owned());
        if let Some(status) = status {
            s.insert("Status".into(), Value::String(status));
        }
        for podman_only in [
            "OciVersion",
            "ConmonPid",
            "CgroupPath",
            "CheckpointedAt",
            "RestoredAt",
            "Checkpointed",
            "StoppedByUser",
        ] {
            s.remove(podman_only);
        }
    }
    json!({
        "Id": data.id,
        "Created": data.created.rfc3339(),
        "Path": data.path,
        "Args": data.args.clone().unwrap_or_default(),
        "State": state,
        "Image": image_id(&data.image),
        "ResolvConfPath": data.resolv_conf_path,
        "HostnamePath": data.hostname_path,
        "HostsPath": data.hosts_path,
        "LogPath": "",
        "Name": format!("/{}", data.name),
        "RestartCount": data.restart_count,
        "Driver": data.driver,
        "Platform": "linux",
        "MountLabel": data.mount_label,
        "ProcessLabel": data.process_label,
        "AppArmorProfile": data.app_armor_profile,
        "ExecIDs": data.exec_ids.clone().unwrap_or_default(),
        "HostConfig": docker_host_config(get("HostConfig")),
        "GraphDriver": get("GraphDriver"),
        "SizeRw": data.size_rw,
        "SizeRootFs": data.size_root_fs,
        "Mounts": data.mounts.as_ref().map(|_| get("Mounts")).unwrap_or_else(|| json!([])),
        "Config": get("Config"),
        "NetworkSettings": get("NetworkSettings"),
    })
}

/// The host config as Docker's clients read it: Podman's `k8s-file` log
/// driver is reported as `json-file` (the same thing to a client: a log
/// the logs endpoint reads; docker-py and compose read logs only then).
fn docker_host_config(mut hc: Value) -> Value {
    if let Some(t) = hc.pointer_mut("/LogConfig/Type") {
        if t == "k8s-file" {
            *t = Value::String("json-file".into());
        }
    }
    hc
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_api::inspect::InspectContainerState;

    #[test]
    fn k8s_file_is_json_file_to_docker() {
        let hc = docker_host_config(json!({"LogConfig": {"Type": "k8s-file"}}));
        assert_eq!(hc["LogConfig"]["Type"], "json-file");
        let hc = docker_host_config(json!({"LogConfig": {"Type": "journald"}}));
        assert_eq!(hc["LogConfig"]["Type"], "journald");
    }
    use rpod_api::ps::PortMapping;

    #[test]
    fn list_entry_in_docker_shape() {
        let c = ListContainer {
            id: "abc".into(),
            names: vec!["web".into()],
            image_id: "1234".into(),
            command: Some(vec!["echo".into(), "hi".into()]),
            state: "exited".into(),
            exit_code: 3,
            ports: Some(vec![PortMapping {
                host_ip: String::new(),
                container_port: 80,
                host_port: 8080,
                range: 2,
                protocol: "tcp".into(),
            }]),
            ..Default::default()
        };
        let v = list_entry(&c);
        assert_eq!(v["Names"], json!(["/web"]));
        assert_eq!(v["ImageID"], "sha256:1234");
        assert_eq!(v["Command"], "echo hi");
        assert_eq!(v["State"], "exited");
        assert!(v["Status"].as_str().unwrap().starts_with("Exited (3) "));
        assert_eq!(v["Ports"][1]["PublicPort"], 8081);
        assert_eq!(v["Ports"][1]["PrivatePort"], 81);
        assert_eq!(v["Ports"][0]["IP"], "0.0.0.0");
        assert_eq!(v["HostConfig"]["NetworkMode"], "none");
    }

    #[test]
    fn inspect_in_docker_shape() {
        let d = InspectContainerData {
            id: "abc".into(),
            name: "web".into(),
            image: "1234".into(),
            state: Some(InspectContainerState {
                status: "initialized".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let v = inspect(&d);
        assert_eq!(v["Name"], "/web");
        assert_eq!(v["Image"], "sha256:1234");
        assert_eq!(v["State"]["Status"], "created");
        assert!(v["State"].get("ConmonPid").is_none());
        assert_eq!(v["Args"], json!([]));
    }
}
