//! `POST /libpod/containers/create` and `/libpod/pods/create` bodies. The
//! fields rpod maps are read; any other field set to a non-zero value is
//! refused (501), never dropped. The image is not pulled (Podman's clients
//! pull first).

use std::collections::BTreeMap;

use rpod_api::container_run::{ContainerSpec, CreateSpec, PodTarget, PullPolicy};
use rpod_api::front_door::pods::PodSpec;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::docker::create::refuse_unsupported;
use crate::docker::signal::parse_signal;
use crate::error::{ApiError, ApiResult};

/// A signal as a number or a name.
#[derive(Deserialize)]
#[serde(untagged)]
enum Signal {
    Number(i32),
    Name(String),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpecGenerator {
    image: String,
    name: String,
    command: Vec<String>,
    entrypoint: Option<Vec<String>>,
    env: BTreeMap<String, String>,
    unsetenv: Vec<String>,
    unsetenvall: bool,
    work_dir: String,
    user: String,
    groups: Vec<String>,
    hostname: String,
    timeout: u64,
    terminal: bool,
    stdin: bool,
    remove: bool,
    labels: BTreeMap<String, String>,
    stop_signal: Option<Signal>,
    stop_timeout: Option<u64>,
    pod: String,
    /// rpod's remote client sends every option it has this way (Podman's
    /// service does not know the field; rpod's remote client sends it to
    /// rpod's service only): they replace the fields above.
    rpod_options: Option<Box<ContainerSpec>>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

fn some(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

/// A libpod create body as a create request.
pub fn create_spec(body: &[u8]) -> ApiResult<CreateSpec> {
    let g: SpecGenerator = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("decode(): {e}")))?;
    refuse_unsupported("", &g.other, &[])?;
    if g.image.is_empty() {
        return Err(ApiError::bad_request("no image or rootfs specified"));
    }
    let mut spec = CreateSpec {
        name: some(g.name.clone()),
        pull: PullPolicy::Never,
        quiet: true,
        pod: match some(g.pod) {
            Some(p) => PodTarget::Existing(p),
            None => PodTarget::None,
        },
        ..CreateSpec::default()
    };
    if let Some(options) = g.rpod_options {
        spec.options = *options;
        return Ok(spec);
    }
    let o = &mut spec.options;
    o.image = g.image;
    o.command = g.command;
    o.entrypoint = g.entrypoint;
    o.env = g.env.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    o.unset_env = g.unsetenv;
    o.unset_env_all = g.unsetenvall;
    o.workdir = some(g.work_dir);
    o.user = some(g.user);
    o.group_add = g.groups;
    o.hostname = some(g.hostname);
    o.timeout = Some(g.timeout).filter(|t| *t > 0);
    o.tty = g.terminal;
    o.interactive = g.stdin;
    o.remove = g.remove;
    o.labels = g.labels.into_iter().collect();
    o.stop_signal = match g.stop_signal {
        None | Some(Signal::Number(0)) => None,
        Some(Signal::Number(n)) => Some(n),
        Some(Signal::Name(s)) if s.is_empty() => None,
        Some(Signal::Name(s)) => Some(parse_signal(&s)?),
    };
    o.stop_timeout = g.stop_timeout;
    Ok(spec)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PodSpecGenerator {
    name: String,
    no_infra: bool,
    infra_command: Option<Vec<String>>,
    infra_name: String,
    infra_image: String,
    hostname: String,
    labels: BTreeMap<String, String>,
    shared_namespaces: Option<Vec<String>>,
    exit_policy: String,
    restart_policy: String,
    restart_tries: Option<u32>,
    /// rpod's remote client sends every `pod create` option this way (to
    /// rpod's service only): it replaces the fields above.
    rpod_options: Option<Box<PodSpec>>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// A libpod pod create body as a pod request.
pub fn pod_spec(body: &[u8]) -> ApiResult<PodSpec> {
    let g: PodSpecGenerator = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("decode(): {e}")))?;
    refuse_unsupported("", &g.other, &[])?;
    if let Some(options) = g.rpod_options {
        return Ok(*options);
    }
    Ok(PodSpec {
        name: some(g.name),
        no_infra: g.no_infra,
        infra_command: g.infra_command.filter(|c| !c.is_empty()),
        infra_name: some(g.infra_name),
        infra_image: some(g.infra_image),
        hostname: some(g.hostname),
        labels: g.labels.into_iter().collect(),
        share: g.shared_namespaces,
        exit_policy: some(g.exit_policy),
        restart: pod_restart(&g.restart_policy, g.restart_tries)?,
        ..PodSpec::default()
    })
}

/// A pod's `restart_policy` and `restart_tries` (Podman's names) as one
/// policy; an unknown name is a bad request.
fn pod_restart(
    policy: &str,
    tries: Option<u32>,
) -> ApiResult<Option<rpod_api::container_run::RestartPolicy>> {
    if policy.is_empty() {
        return Ok(None);
    }
    let text = match tries {
        Some(n) if n > 0 => format!("{policy}:{n}"),
        _ => policy.to_owned(),
    };
    rpod_api::container_run::RestartPolicy::parse(&text)
        .map(Some)
        .map_err(ApiError::bad_request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies() {
        let s = create_spec(
            br#"{"image":"alpine","name":"c","env":{"A":"1"},"terminal":true,"stop_signal":15,"netns":{}}"#,
        )
        .unwrap();
        assert_eq!(s.options.image, "alpine");
        assert_eq!(s.name.as_deref(), Some("c"));
        assert_eq!(s.options.env, vec!["A=1".to_owned()]);
        assert!(s.options.tty);
        assert_eq!(s.options.stop_signal, Some(15));
        assert_eq!(s.pull, PullPolicy::Never);
        let e = create_spec(br#"{"image":"alpine","privileged":true}"#).unwrap_err();
        assert_eq!(e.status.as_u16(), 501);
        assert!(create_spec(b"{").is_err());
        let mut all = ContainerSpec {
            image: "alpine".into(),
            read_only: Some(true),
            ..Default::default()
        };
        all.volumes = vec![rpod_api::container_run::NamedVolume {
            name: "v".into(),
            destination: "/data".into(),
            options: Vec::new(),
        }];
        let body = serde_json::json!({"image": "alpine", "name": "n", "rpod_options": all});
        let s = create_spec(body.to_string().as_bytes()).unwrap();
        assert_eq!(s.options, all);
        assert_eq!(s.name.as_deref(), Some("n"));
        let p = pod_spec(br#"{"name":"p","labels":{"a":"b"}}"#).unwrap();
        assert_eq!(p.name.as_deref(), Some("p"));
        assert_eq!(p.labels, vec![("a".to_owned(), "b".to_owned())]);
    }
}
