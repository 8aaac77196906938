//! `pod create` from a [`PodSpec`]: Podman's defaults for what the spec
//! leaves out, `--replace`, and `--infra-conmon-pidfile`.

use rpod_api::front_door::pods::{InfraSecuritySpec, PodCreateReport, PodSpec};
use rpod_api::{Error, Result};

use crate::container::ContainerPaths;
use crate::engine::Engine;
use crate::pod::{ExitPolicy, NewPod, PodError, PodOptions, PodRecord};

pub(super) async fn create(engine: &Engine, spec: PodSpec) -> Result<PodCreateReport> {
    let mut options = options(&spec)?;
    options.infra_network = infra_network(engine, &spec)?;
    if spec.infra_security != InfraSecuritySpec::default() {
        if !options.infra {
            return Err(Error::invalid(
                "the infra container's security settings need an infra container (--infra=false given)",
            ));
        }
        options.infra_security.security = crate::front_door::container_run::options::security(
            spec.infra_security.security.clone(),
            &engine.config().containers_conf.containers,
        )?;
    }
    // Held until the pod's infra container row holds the ids.
    let (userns, _userns_lock) =
        crate::front_door::container_run::userns::pod_user_mode(engine.ctx(), &spec.userns)?;
    if userns != crate::container::ns_modes::UserNsMode::Host {
        if !options.infra {
            return Err(Error::invalid(
                "--userns needs an infra container to hold the pod's user namespace",
            ));
        }
        options.userns = userns;
        options.user = crate::front_door::container_run::userns::pod_keep_id_user(&spec.userns)?;
    }
    if options.infra {
        options.infra_image =
            super::infra_image::resolve(engine, spec.infra_image.as_deref()).await?;
    } else if spec.infra_image.is_some() {
        options.infra_image = spec.infra_image.clone();
    }
    if let Some(name) = &spec.service_container {
        options.service_container = Some(service_container(engine, name).await?);
    }
    if spec.replace {
        replace_existing(engine, spec.name.as_deref()).await?;
    }
    let pod = engine
        .create_pod(NewPod {
            name: spec.name,
            options,
        })
        .await?;
    if let Some(f) = &spec.infra_conmon_pid_file {
        link_infra_pidfile(engine, &pod, f)?;
    }
    Ok(PodCreateReport { id: pod.id })
}

/// The infra container's network when `pod create` was given networking
/// flags, checked as `create` checks them (`None`: the engine's default).
fn infra_network(
    engine: &Engine,
    spec: &PodSpec,
) -> Result<Option<(crate::container::NetworkMode, crate::container::NetOptions)>> {
    if spec.network == rpod_api::container_run::NetworkSpec::default() {
        return Ok(None);
    }
    let mut net = spec.network.clone();
    net.publish = spec.port_mappings.clone();
    let config = &engine.config().network;
    let store = crate::network::store_for(config);
    let publishes = !net.publish.is_empty() || net.publish_all;
    let given = crate::front_door::container_run::network::net_options(net, config, &store, false)?;
    if publishes {
        if let Some(w) = crate::front_door::container_run::network::ports_discarded(&given.0) {
            tracing::warn!("{w}");
        }
    }
    Ok(Some(given))
}

/// The pod's options: the spec over Podman's defaults.
fn options(spec: &PodSpec) -> Result<PodOptions> {
    let exit_policy = match spec.exit_policy.as_deref() {
        None => ExitPolicy::default(),
        Some(p) => ExitPolicy::parse(p).ok_or_else(|| {
            Error::invalid(format!(
                "running pod create option: invalid pod exit policy: {p:?}"
            ))
        })?,
    };
    crate::spec::check_blkio(&spec.resources).map_err(|e| Error::invalid(e.to_string()))?;
    let share = match &spec.share {
        Some(share) => {
            // `+NS,...`: Podman's default set and more.
            let plus = share.first().is_some_and(|s| s.trim().starts_with('+'));
            let mut out = if plus {
                PodOptions::host_defaults().share
            } else {
                Vec::new()
            };
            for s in share {
                let s = s.trim();
                let s = s.strip_prefix('+').unwrap_or(s);
                if !s.is_empty() && s != "none" && !out.iter().any(|o| o == s) {
                    out.push(s.to_owned());
                }
            }
            out
        }
        None if spec.no_infra => Vec::new(),
        None => PodOptions::host_defaults().share,
    };
    let share_parent = spec.share_parent.unwrap_or(true);
    if share_parent && spec.share.iter().flatten().any(|s| s.contains("cgroup")) {
        return Err(Error::invalid(
            "cannot define the pod as the cgroup parent at the same time as joining the infra container's cgroupNS: invalid argument",
        ));
    }
    Ok(PodOptions {
        share,
        infra: !spec.no_infra,
        infra_command: spec.infra_command.clone(),
        infra_name: spec.infra_name.clone(),
        infra_image: None,
        hostname: spec.hostname.clone(),
        labels: spec.labels.clone(),
        ports: spec.port_mappings.clone(),
        infra_network: None,
        exit_policy,
        restart: spec
            .restart
            .map(crate::front_door::container_run::options::restart_config),
        no_share_parent: !share_parent,
        resources: spec.resources.clone(),
        userns: Default::default(),
        user: None,
        service_container: None,
        infra_security: spec.infra_security.clone(),
    })
}

/// `--replace`: forcibly removes a pod that already has `name`.
async fn replace_existing(engine: &Engine, name: Option<&str>) -> Result<(), PodError> {
    let Some(name) = name else {
        return Ok(());
    };
    let handle = match engine.pod(name) {
        Ok(h) => h,
        Err(PodError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    // Only an exact name match: a prefix of another pod's id is not ours.
    if handle.get().await?.name != name {
        return Ok(());
    }
    match handle.remove(true, Some(0)).await {
        Ok(()) | Err(PodError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The id of service container `name`, which must be one.
async fn service_container(engine: &Engine, name: &str) -> Result<String> {
    let rec = engine.container(name)?.get().await?;
    if rec.options.service.is_none() {
        return Err(Error::invalid(format!(
            "container {} is not a service container",
            rec.id
        )));
    }
    Ok(rec.id)
}

/// `--infra-conmon-pidfile`: `path` becomes a symbolic link to the infra
/// container's monitor pid file, which the monitor writes when the pod
/// starts (systemd's `PIDFile=` follows it).
fn link_infra_pidfile(engine: &Engine, pod: &PodRecord, path: &str) -> Result<()> {
    let Some(infra) = &pod.infra_id else {
        return Err(Error::invalid(
            "--infra-conmon-pidfile needs an infra container (--infra=false given)",
        ));
    };
    let target = ContainerPaths::new(engine.config(), infra)
        .monitor
        .monitor_pid_file;
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::invalid(format!("removing {path}: {e}"))),
    }
    std::os::unix::fs::symlink(&target, path)
        .map_err(|e| Error::invalid(format!("writing infra pid file {path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_follow_podmans_defaults() {
        let o = options(&PodSpec::default()).unwrap();
        assert!(o.infra);
        assert!(o.share.iter().any(|s| s == "net"));
        assert_eq!(o.exit_policy, ExitPolicy::Continue);

        let o = options(&PodSpec {
            no_infra: true,
            ..PodSpec::default()
        })
        .unwrap();
        assert!(!o.infra);
        assert!(o.share.is_empty());

        let o = options(&PodSpec {
            share: Some(vec!["none".into()]),
            exit_policy: Some("stop".into()),
            ..PodSpec::default()
        })
        .unwrap();
        assert!(o.share.is_empty());
        assert_eq!(o.exit_policy, ExitPolicy::Stop);

        let o = options(&PodSpec {
            share: Some(vec!["+pid".into()]),
            ..PodSpec::default()
        })
        .unwrap();
        for ns in ["ipc", "net", "uts", "pid"] {
            assert!(o.share.iter().any(|s| s == ns), "{ns}");
        }
        assert!(!o.no_share_parent);
        let e = options(&PodSpec {
            share: Some(vec!["cgroup".into()]),
            ..PodSpec::default()
        })
        .unwrap_err();
        assert!(e.message.contains("cgroup parent"), "{e}");
        let o = options(&PodSpec {
            share: Some(vec!["cgroup".into()]),
            share_parent: Some(false),
            ..PodSpec::default()
        })
        .unwrap();
        assert!(o.no_share_parent);

        let e = options(&PodSpec {
            exit_policy: Some("bogus".into()),
            ..PodSpec::default()
        })
        .unwrap_err();
        assert_eq!(e.kind, rpod_api::ErrorKind::InvalidArgument);
        assert!(e.message.contains("invalid pod exit policy"));
    }
}
