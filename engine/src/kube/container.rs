//! One container of a pod template as a `create` request: image, command
//! and args, workingDir, env, mounts, restart policy, securityContext,
//! resources, probes (health checks: `probes`),
//! as Podman's `kube.ToSpecGen` maps them.

use k8s_openapi::api::core::v1::{
    Container, PodSecurityContext, ResourceRequirements, SecurityContext,
};
use rpod_api::container_run::{
    ContainerSpec, CreateSpec, InitCtrMode, PodTarget, PullPolicy, RestartPolicy,
};
use rpod_api::Error;

use super::quantity;
use crate::container::health::KUBE_HEALTH_CHECK_ANNOTATION;

/// What every container of the pod shares.
pub(crate) struct PodContext<'a> {
    pub pod_name: &'a str,
    pub labels: &'a [(String, String)],
    pub annotations: &'a [(String, String)],
    pub restart: Option<RestartPolicy>,
    pub security: Option<&'a PodSecurityContext>,
    pub stop_timeout: Option<u64>,
    pub log_driver: Option<&'a str>,
    pub log_max_size: Option<u64>,
    pub log_max_files: Option<u32>,
    pub tls_verify: Option<bool>,
    pub quiet: bool,
    /// `--no-pod-prefix`: the container's name is its YAML name.
    pub no_pod_prefix: bool,
}

/// Whether the reference names the `latest` tag (or no tag, which is it).
fn is_latest(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

/// `imagePullPolicy`; none given: `newer` for a `latest` image, else
/// `missing`, as Podman.
pub(crate) fn pull_policy(p: Option<&str>, image: &str) -> Result<PullPolicy, Error> {
    Ok(match p {
        None | Some("") if is_latest(image) => PullPolicy::Newer,
        None | Some("") | Some("IfNotPresent") => PullPolicy::Missing,
        Some("Always") => PullPolicy::Always,
        Some("Never") => PullPolicy::Never,
        Some(other) => return Err(Error::invalid(format!("invalid imagePullPolicy {other:?}"))),
    })
}

fn user(uid: Option<i64>, gid: Option<i64>) -> Option<String> {
    match (uid, gid) {
        (None, None) => None,
        (Some(u), None) => Some(u.to_string()),
        (u, Some(g)) => Some(format!("{}:{g}", u.unwrap_or(0))),
    }
}

fn apply_security(
    c: Option<&SecurityContext>,
    pod: Option<&PodSecurityContext>,
    spec: &mut ContainerSpec,
) {
    let uid = c
        .and_then(|s| s.run_as_user)
        .or(pod.and_then(|p| p.run_as_user));
    let gid = c
        .and_then(|s| s.run_as_group)
        .or(pod.and_then(|p| p.run_as_group));
    spec.user = user(uid, gid);
    if let Some(groups) = pod.and_then(|p| p.supplemental_groups.as_ref()) {
        spec.group_add = groups.iter().map(|g| g.to_string()).collect();
    }
    let Some(s) = c else { return };
    spec.security.privileged = s.privileged.unwrap_or(false);
    if let Some(caps) = &s.capabilities {
        spec.security.cap_add = caps.add.clone().unwrap_or_default();
        spec.security.cap_drop = caps.drop.clone().unwrap_or_default();
    }
    if s.read_only_root_filesystem == Some(true) {
        spec.read_only = Some(true);
    }
    if s.proc_mount.as_deref() == Some("Unmasked") {
        spec.security.unmask = vec!["all".into()];
    }
    if s.allow_privilege_escalation == Some(false) {
        spec.security.no_new_privileges = true;
    }
    if let Some(se) = &s.se_linux_options {
        let parts = [
            ("user", &se.user),
            ("role", &se.role),
            ("type", &se.type_),
            ("level", &se.level),
        ];
        for (k, v) in parts {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                spec.security.label.push(format!("{k}:{v}"));
            }
        }
    }
    if let Some(p) = &s.seccomp_profile {
        if p.type_ == "Unconfined" {
            spec.security.seccomp_profile = Some("unconfined".into());
        }
    }
}

fn apply_resources(
    r: Option<&ResourceRequirements>,
    spec: &mut ContainerSpec,
) -> Result<(), Error> {
    let Some(r) = r else { return Ok(()) };
    if let Some(l) = &r.limits {
        if let Some(m) = l.get("memory") {
            spec.resources.memory = Some(quantity::bytes(&m.0)?);
        }
        if let Some(c) = l.get("cpu") {
            spec.resources.nano_cpus = Some(quantity::nano_cpus(&c.0)?);
        }
    }
    if let Some(q) = r.requests.as_ref().and_then(|q| q.get("memory")) {
        spec.resources.memory_reservation = Some(quantity::bytes(&q.0)?);
    }
    Ok(())
}

/// The `create` request of container `c` of the pod (`init`: an init
/// container, `always` for the `always` init type).
pub(crate) fn create_spec(
    c: &Container,
    ctx: &PodContext<'_>,
    init: Option<InitCtrMode>,
    env: Vec<String>,
) -> Result<CreateSpec, Error> {
    if c.name.is_empty() {
        return Err(Error::invalid(format!(
            "a container of pod {:?} has no name",
            ctx.pod_name
        )));
    }
    let image = c.image.clone().unwrap_or_default();
    if image.is_empty() {
        return Err(Error::invalid(format!(
            "container {:?} of pod {:?} has no image",
            c.name, ctx.pod_name
        )));
    }
    if init.is_some()
        && (c.lifecycle.is_some()
            || c.liveness_probe.is_some()
            || c.readiness_probe.is_some()
            || c.startup_probe.is_some())
    {
        return Err(Error::invalid("cannot create an init container that has either of lifecycle, livenessProbe, readinessProbe, or startupProbe set"));
    }
    let pull = pull_policy(c.image_pull_policy.as_deref(), &image)?;
    tracing::debug!(
        "Pulling image {image} (policy: {})",
        serde_json::to_value(pull)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    );
    let mut annotations = ctx.annotations.to_vec();
    // Podman marks every container it plays: health checks wait for the
    // start period (initialDelaySeconds).
    annotations.push((KUBE_HEALTH_CHECK_ANNOTATION.to_owned(), "true".to_owned()));
    let mut spec = ContainerSpec {
        annotations,
        image,
        env,
        workdir: c.working_dir.clone().filter(|w| !w.is_empty()),
        tty: c.tty.unwrap_or(false),
        interactive: c.stdin.unwrap_or(false),
        labels: ctx.labels.to_vec(),
        restart: if init.is_some() { None } else { ctx.restart },
        init_ctr: init,
        stop_timeout: ctx.stop_timeout,
        log_driver: ctx.log_driver.map(str::to_owned),
        log_max_size: ctx.log_max_size,
        log_max_files: ctx.log_max_files,
        ..ContainerSpec::default()
    };
    match (&c.command, &c.args) {
        (Some(cmd), args) => {
            spec.entrypoint = Some(cmd.clone());
            spec.command = args.clone().unwrap_or_default();
        }
        (None, Some(args)) => spec.command = args.clone(),
        (None, None) => {}
    }
    apply_security(c.security_context.as_ref(), ctx.security, &mut spec);
    apply_resources(c.resources.as_ref(), &mut spec)?;
    super::probes::apply(c, ctx.restart, &mut spec)?;
    Ok(CreateSpec {
        options: spec,
        name: Some(if ctx.no_pod_prefix {
            c.name.clone()
        } else {
            format!("{}-{}", ctx.pod_name, c.name)
        }),
        pull,
        tls_verify: ctx.tls_verify,
        quiet: ctx.quiet,
        pod: PodTarget::Existing(ctx.pod_name.to_owned()),
        ..CreateSpec::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PodContext<'static> {
        PodContext {
            pod_name: "p",
            labels: &[],
            annotations: &[],
            restart: None,
            security: None,
            stop_timeout: None,
            log_driver: None,
            log_max_size: None,
            log_max_files: None,
            tls_verify: None,
            quiet: true,
            no_pod_prefix: false,
        }
    }

    #[test]
    fn container_fields_map_to_the_create_request() {
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "web",
            "image": "alpine",
            "command": ["sh", "-c"],
            "args": ["echo hi"],
            "workingDir": "/srv",
            "imagePullPolicy": "Never",
            "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "privileged": false,
                "capabilities": {"add": ["NET_ADMIN"], "drop": ["CHOWN"]},
                "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false},
            "resources": {"limits": {"memory": "64Mi", "cpu": "500m"}},
            "livenessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5, "initialDelaySeconds": 2}
        }))
        .unwrap();
        let s = create_spec(&c, &ctx(), None, vec!["A=1".into()]).unwrap();
        assert_eq!(s.name.as_deref(), Some("p-web"));
        assert_eq!(s.pull, PullPolicy::Never);
        assert!(is_latest("alpine") && is_latest("r:5000/a:latest") && !is_latest("a:1"));
        let o = &s.options;
        assert_eq!(
            o.entrypoint.as_deref(),
            Some(&["sh".to_owned(), "-c".to_owned()][..])
        );
        assert_eq!(o.command, ["echo hi"]);
        assert_eq!(o.workdir.as_deref(), Some("/srv"));
        assert_eq!(o.user.as_deref(), Some("1000:3000"));
        assert_eq!(o.security.cap_add, ["NET_ADMIN"]);
        assert!(o.security.no_new_privileges);
        assert_eq!(o.read_only, Some(true));
        assert_eq!(o.resources.memory, Some(64 << 20));
        assert_eq!(o.resources.nano_cpus, Some(500_000_000));
        let h = o.healthcheck.as_ref().unwrap();
        assert_eq!(h.test, ["CMD", "true"]);
        assert_eq!(h.interval_ms, 5000);
    }

    #[test]
    fn missing_image_and_bad_init_containers_are_errors() {
        let c: Container = serde_json::from_value(serde_json::json!({"name": "c"})).unwrap();
        let e = create_spec(&c, &ctx(), None, vec![]).unwrap_err();
        assert_eq!(e.message, "container \"c\" of pod \"p\" has no image");
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "c", "image": "alpine", "livenessProbe": {"exec": {"command": ["true"]}}
        }))
        .unwrap();
        assert!(create_spec(&c, &ctx(), Some(InitCtrMode::Once), vec![]).is_err());
    }
}
