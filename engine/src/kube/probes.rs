//! Probes as health checks, as Podman's `kube.ToSpecGen` maps them: a
//! `livenessProbe` is the container's health check, a `startupProbe` its
//! startup health check (with a check that always passes as the regular one
//! when there is no liveness probe); both restart the container on failure
//! when the pod's restart policy restarts containers. `readinessProbe` has
//! no Podman counterpart and is not used (as in Podman).

use k8s_openapi::api::core::v1::{Container, ContainerPort, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use rpod_api::container_run::{
    ContainerSpec, HealthCheck, HealthOnFailure, RestartPolicy, RestartPolicyName,
    StartupHealthCheck,
};
use rpod_api::Error;

/// The port a probe names: a number, or the name of one of the
/// container's ports.
fn port_number(port: &IntOrString, ports: &[ContainerPort]) -> Result<i64, Error> {
    match port {
        IntOrString::Int(n) => Ok(i64::from(*n)),
        IntOrString::String(s) => {
            if let Ok(n) = s.parse::<i64>() {
                return Ok(n);
            }
            ports
                .iter()
                .find(|p| p.name.as_deref() == Some(s.as_str()))
                .map(|p| i64::from(p.container_port))
                .ok_or_else(|| Error::invalid(format!("unknown port: {s}")))
        }
    }
}

/// The probe's command as Podman writes it: the exec command as a JSON
/// array, or a shell line for httpGet and tcpSocket; `None` for a probe
/// without a handler (ignored, as Podman does).
fn command(p: &Probe, ports: &[ContainerPort]) -> Result<Option<Test>, Error> {
    let host = |h: &Option<String>| {
        h.clone()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into())
    };
    if let Some(e) = &p.exec {
        let mut test = vec!["CMD".to_owned()];
        test.extend(e.command.iter().flatten().cloned());
        return Ok(Some(Test(test)));
    }
    let line = if let Some(h) = &p.http_get {
        let scheme = h
            .scheme
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "HTTP".into());
        let path = h
            .path
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".into());
        let port = port_number(&h.port, ports)?;
        format!(
            "curl -f {scheme}://{}:{port}{path} || exit 1",
            host(&h.host)
        )
    } else if let Some(t) = &p.tcp_socket {
        let port = port_number(&t.port, ports)?;
        format!("nc -z -v {} {port} || exit 1", host(&t.host))
    } else if p.grpc.is_some() {
        return Err(Error::new(
            rpod_api::ErrorKind::NotImplemented,
            "probe: grpc handlers are not supported (Podman's neither): use exec, httpGet or tcpSocket",
        ));
    } else {
        return Ok(None);
    };
    Ok(Some(Test::shell(&line)))
}

/// A health check's Test.
struct Test(Vec<String>);

impl Test {
    /// Podman's `CMD-SHELL` form: the line split at spaces.
    fn shell(line: &str) -> Test {
        let mut test = vec!["CMD-SHELL".to_owned()];
        test.extend(line.split(' ').map(str::to_owned));
        Test(test)
    }
}

/// Podman's `makeHealthCheck`: Kubernetes' defaults (period 10 s, failure
/// threshold 3, timeout 1 s) for what the probe leaves out.
fn health_check(test: Test, p: &Probe) -> Result<HealthCheck, Error> {
    let or = |v: Option<i32>, d: i32| v.filter(|v| *v >= 1).unwrap_or(d);
    let delay = p.initial_delay_seconds.unwrap_or(0);
    if delay < 0 {
        return Err(Error::invalid(
            "healthcheck-start-period must be 0 seconds or greater",
        ));
    }
    Ok(HealthCheck {
        test: test.0,
        interval_ms: or(p.period_seconds, 10) as u64 * 1000,
        timeout_ms: or(p.timeout_seconds, 1) as u64 * 1000,
        start_period_ms: delay as u64 * 1000,
        retries: or(p.failure_threshold, 3) as u32,
        on_failure: HealthOnFailure::None,
    })
}

/// Sets the container's health checks from its liveness and startup
/// probes.
pub(crate) fn apply(
    c: &Container,
    restart: Option<RestartPolicy>,
    spec: &mut ContainerSpec,
) -> Result<(), Error> {
    let ports = c.ports.as_deref().unwrap_or_default();
    let restarts = matches!(
        restart.map(|r| r.name),
        Some(RestartPolicyName::Always | RestartPolicyName::OnFailure)
    );
    let on_failure = if restarts {
        HealthOnFailure::Restart
    } else {
        HealthOnFailure::None
    };
    if let Some(p) = &c.liveness_probe {
        if let Some(test) = command(p, ports)? {
            let mut hc = health_check(test, p)?;
            hc.on_failure = on_failure;
            spec.healthcheck = Some(hc);
        }
    }
    if let Some(p) = &c.startup_probe {
        if let Some(test) = command(p, ports)? {
            let startup = health_check(test, p)?;
            let hc = match spec.healthcheck.take() {
                Some(hc) => hc,
                // The startup check needs a regular one to hand over to.
                None => health_check(Test::shell("exit 0"), p)?,
            };
            spec.healthcheck = Some(HealthCheck { on_failure, ..hc });
            spec.startup_healthcheck = Some(StartupHealthCheck {
                test: startup.test,
                interval_ms: startup.interval_ms,
                timeout_ms: startup.timeout_ms,
                retries: startup.retries,
                successes: p.success_threshold.filter(|s| *s > 0).unwrap_or(0) as u32,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(v: serde_json::Value) -> Container {
        serde_json::from_value(v).unwrap()
    }

    fn restart(name: RestartPolicyName) -> Option<RestartPolicy> {
        Some(RestartPolicy {
            name,
            max_retries: 0,
        })
    }

    #[test]
    fn liveness_probe_as_podman_writes_it() {
        let c = container(serde_json::json!({"name": "c", "livenessProbe": {
            "exec": {"command": ["echo", "hi"]}, "periodSeconds": 5, "initialDelaySeconds": 2}}));
        let mut s = ContainerSpec::default();
        apply(&c, None, &mut s).unwrap();
        let h = s.healthcheck.unwrap();
        assert_eq!(h.test, ["CMD", "echo", "hi"]);
        assert_eq!(
            (h.interval_ms, h.timeout_ms, h.start_period_ms, h.retries),
            (5000, 1000, 2000, 3)
        );
        assert_eq!(h.on_failure, HealthOnFailure::None);
        assert!(s.startup_healthcheck.is_none());

        let c = container(serde_json::json!({"name": "c",
            "ports": [{"name": "web", "containerPort": 8080}],
            "livenessProbe": {"httpGet": {"port": "web", "path": "/up"}, "failureThreshold": 5}}));
        let mut s = ContainerSpec::default();
        apply(&c, restart(RestartPolicyName::Always), &mut s).unwrap();
        let h = s.healthcheck.unwrap();
        assert_eq!(
            h.test.join(" "),
            "CMD-SHELL curl -f HTTP://localhost:8080/up || exit 1"
        );
        assert_eq!((h.interval_ms, h.retries), (10_000, 5));
        assert_eq!(h.on_failure, HealthOnFailure::Restart);

        let c = container(serde_json::json!({"name": "c",
            "livenessProbe": {"tcpSocket": {"port": "db"}}}));
        let e = apply(&c, None, &mut ContainerSpec::default()).unwrap_err();
        assert_eq!(e.message, "unknown port: db");
    }

    #[test]
    fn startup_probe_is_the_startup_check() {
        let c = container(serde_json::json!({"name": "c", "startupProbe": {
            "tcpSocket": {"port": 80}, "periodSeconds": 2, "failureThreshold": 4,
            "successThreshold": 1}}));
        let mut s = ContainerSpec::default();
        apply(&c, restart(RestartPolicyName::OnFailure), &mut s).unwrap();
        let st = s.startup_healthcheck.unwrap();
        assert_eq!(
            st.test.join(" "),
            "CMD-SHELL nc -z -v localhost 80 || exit 1"
        );
        assert_eq!((st.interval_ms, st.retries, st.successes), (2000, 4, 1));
        // No liveness probe: a regular check that always passes.
        let h = s.healthcheck.unwrap();
        assert_eq!(h.test, ["CMD-SHELL", "exit", "0"]);
        assert_eq!(h.on_failure, HealthOnFailure::Restart);

        let c = container(serde_json::json!({"name": "c",
            "livenessProbe": {"exec": {"command": ["true"]}},
            "startupProbe": {"exec": {"command": ["ready"]}}}));
        let mut s = ContainerSpec::default();
        apply(&c, None, &mut s).unwrap();
        assert_eq!(s.healthcheck.unwrap().test, ["CMD", "true"]);
        assert_eq!(s.startup_healthcheck.unwrap().test, ["CMD", "ready"]);
    }

    #[test]
    fn probes_without_a_handler_are_ignored() {
        let c = container(serde_json::json!({"name": "c", "livenessProbe": {"periodSeconds": 3}}));
        let mut s = ContainerSpec::default();
        apply(&c, None, &mut s).unwrap();
        assert!(s.healthcheck.is_none());
    }
}
