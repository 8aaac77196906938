//! A create request as libpod's `SpecGenerator` JSON. The options carried
//! so far are mapped; against rpod's own service the whole `ContainerSpec`
//! travels beside them (`rpod_options`, which Podman's service does not
//! know), so every create flag works remotely. Against another service
//! any option not mapped is refused ("... is not supported in remote mode
//! yet") rather than dropped.

use rpod_api::container_run::{ContainerSpec, CreateSpec, SdNotifyMode};
use rpod_api::Result;
use serde_json::{json, Map, Value};

use crate::error::unsupported;

/// The `ContainerSpec` fields this module maps.
const MAPPED: &[&str] = &[
    "image",
    "command",
    "entrypoint",
    "env",
    "workdir",
    "user",
    "hostname",
    "tty",
    "interactive",
    "remove",
    "labels",
    "stop_signal",
    "stop_timeout",
    "unset_env",
    "unset_env_all",
    "timeout",
    "group_add",
];

/// The options set that the API request cannot carry yet.
fn unmapped_options(spec: &ContainerSpec) -> Vec<String> {
    let (Ok(Value::Object(given)), Ok(Value::Object(default))) = (
        serde_json::to_value(spec),
        serde_json::to_value(ContainerSpec::default()),
    ) else {
        return vec!["the container options".to_owned()];
    };
    given
        .into_iter()
        .filter(|(k, v)| !MAPPED.contains(&k.as_str()) && default.get(k) != Some(v))
        .map(|(k, _)| k)
        .collect()
}

/// The flags a `ContainerSpec` field comes from, for the error.
fn flag_of(field: &str) -> String {
    match field {
        "network" => "networking flags (--network, -p, --dns, ...)".to_owned(),
        "resources" => "resource limits (--memory, --cpus, ...)".to_owned(),
        "security" => "security flags (--cap-add, --privileged, --security-opt, ...)".to_owned(),
        "namespaces" => "namespace flags (--pid, --ipc, --userns, ...)".to_owned(),
        "cgroup" => "cgroup flags (--cgroupns, --cgroup-parent, ...)".to_owned(),
        "mounts" | "volumes" | "tmpfs" | "image_mounts" | "fs_mounts" => {
            "mounts (-v, --mount, --tmpfs)".to_owned()
        }
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// The body of `POST /libpod/containers/create`.
pub(crate) fn spec_generator(
    create: &CreateSpec,
    pod: Option<&str>,
    rpod_service: bool,
) -> Result<Value> {
    let s = &create.options;
    if !rpod_service {
        if let Some(opt) = unmapped_options(s).first() {
            return Err(unsupported(&flag_of(opt)));
        }
    }
    if create.sdnotify != SdNotifyMode::default() {
        return Err(unsupported("--sdnotify"));
    }
    if create.conmon_pidfile.is_some() {
        return Err(unsupported("--conmon-pidfile"));
    }
    let mut g = Map::new();
    g.insert("image".into(), json!(s.image));
    if let Some(n) = &create.name {
        g.insert("name".into(), json!(n.trim_start_matches('/')));
    }
    if !s.command.is_empty() {
        g.insert("command".into(), json!(s.command));
    }
    if let Some(e) = &s.entrypoint {
        g.insert("entrypoint".into(), json!(e));
    }
    if !s.env.is_empty() {
        let env: Map<String, Value> = s
            .env
            .iter()
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
                (k.to_owned(), json!(v))
            })
            .collect();
        g.insert("env".into(), Value::Object(env));
    }
    if !s.unset_env.is_empty() {
        g.insert("unsetenv".into(), json!(s.unset_env));
    }
    if s.unset_env_all {
        g.insert("unsetenvall".into(), json!(true));
    }
    if let Some(w) = &s.workdir {
        g.insert("work_dir".into(), json!(w));
    }
    if let Some(u) = &s.user {
        g.insert("user".into(), json!(u));
    }
    if !s.group_add.is_empty() {
        g.insert("groups".into(), json!(s.group_add));
    }
    if let Some(h) = &s.hostname {
        g.insert("hostname".into(), json!(h));
    }
    if let Some(t) = s.timeout {
        g.insert("timeout".into(), json!(t));
    }
    g.insert("terminal".into(), json!(s.tty));
    g.insert("stdin".into(), json!(s.interactive));
    g.insert("remove".into(), json!(s.remove));
    if !s.labels.is_empty() {
        let labels: Map<String, Value> = s
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        g.insert("labels".into(), Value::Object(labels));
    }
    if let Some(sig) = s.stop_signal {
        g.insert("stop_signal".into(), json!(sig));
    }
    if let Some(t) = s.stop_timeout {
        g.insert("stop_timeout".into(), json!(t));
    }
    if let Some(p) = pod {
        g.insert("pod".into(), json!(p));
    }
    if rpod_service {
        let all = serde_json::to_value(s)
            .map_err(|e| rpod_api::Error::other(format!("encoding the container options: {e}")))?;
        g.insert("rpod_options".into(), all);
    }
    Ok(Value::Object(g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_what_it_carries_and_refuses_the_rest() {
        let mut c = CreateSpec::default();
        c.options.image = "alpine".into();
        c.options.env = vec!["A=1".into()];
        c.options.tty = true;
        c.name = Some("x".into());
        let g = spec_generator(&c, Some("p"), false).unwrap();
        assert!(g.get("rpod_options").is_none());
        assert_eq!(g["image"], "alpine");
        assert_eq!(g["env"]["A"], "1");
        assert_eq!(g["terminal"], true);
        assert_eq!(g["pod"], "p");
        c.options.read_only = Some(true);
        let e = spec_generator(&c, None, false).unwrap_err();
        assert_eq!(e.message, "--read-only is not supported in remote mode yet");
        assert!(e.message.ends_with("not supported in remote mode yet"));
        let g = spec_generator(&c, None, true).unwrap();
        assert_eq!(g["rpod_options"]["read_only"], true);
    }
}
