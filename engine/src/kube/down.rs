//! `kube down` (and `kube play --down`, the teardown of `--replace`):
//! stops and removes the pods the YAML's workloads make, the secrets its
//! Secrets made, and with `--force` the volumes of its claims and of its
//! ConfigMap and Secret volumes.

use rpod_api::container::InspectOptions;
use rpod_api::front_door::pods::{PodRmOptions, PodSelect, PodStopOptions};
use rpod_api::kube::{KubeDownOptions, KubeDownReport};
use rpod_api::secret::SecretRmOptions;
use rpod_api::volume::VolumeRmOptions;
use rpod_api::{Error, FrontDoor};

use super::parse::{parse, Doc};

/// `kube down`.
pub(crate) async fn down<E: FrontDoor + ?Sized>(
    e: &E,
    yaml: &[u8],
    options: KubeDownOptions,
) -> Result<KubeDownReport, Error> {
    let parsed = parse(yaml)?;
    let mut pods = Vec::new();
    let mut volumes = Vec::new();
    let mut secrets = Vec::new();
    for d in &parsed.docs {
        match d {
            Doc::Workload(w) => {
                pods.push(w.pod_name.clone());
                let Some(spec) = &w.template.spec else {
                    continue;
                };
                for v in spec.volumes.iter().flatten() {
                    if let Some(c) = &v.persistent_volume_claim {
                        volumes.push(c.claim_name.clone());
                    } else if let Some(c) = &v.config_map {
                        volumes.push(c.name.clone());
                    } else if let Some(n) = v.secret.as_ref().and_then(|s| s.secret_name.clone()) {
                        volumes.push(n);
                    }
                }
            }
            Doc::Claim(c) => volumes.extend(c.metadata.name.clone()),
            Doc::Secret(s) => secrets.extend(s.metadata.name.clone()),
            Doc::ConfigMap(_) => {}
        }
    }
    let mut report = KubeDownReport {
        warnings: parsed.warnings,
        ..KubeDownReport::default()
    };
    let anonymous = anonymous_volumes(e, &pods).await?;
    if !pods.is_empty() {
        report.stop_report = e
            .pod_stop(
                &pods,
                PodStopOptions {
                    ignore: true,
                    ..PodStopOptions::default()
                },
            )
            .await?;
        report.rm_report = e
            .pod_rm(
                &pods,
                PodRmOptions {
                    force: true,
                    ignore: true,
                    ..PodRmOptions::default()
                },
            )
            .await?;
    }
    if !anonymous.is_empty() {
        // The pods' emptyDir volumes: nobody else can use them.
        let (found, _) = e.volume_inspect(&anonymous, false).await?;
        let gone: Vec<String> = found
            .into_iter()
            .filter(|v| v.anonymous)
            .map(|v| v.name)
            .collect();
        if !gone.is_empty() {
            e.volume_remove(&gone, VolumeRmOptions::default()).await?;
        }
    }
    if !secrets.is_empty() {
        report.secret_rm_report = e
            .secret_remove(
                &secrets,
                SecretRmOptions {
                    all: false,
                    ignore: true,
                },
            )
            .await?;
    }
    if options.force {
        let mut existing = Vec::new();
        for v in volumes {
            if !existing.contains(&v) && e.volume_exists(&v).await? {
                existing.push(v);
            }
        }
        if !existing.is_empty() {
            report.volume_rm_report = e
                .volume_remove(&existing, VolumeRmOptions::default())
                .await?;
        }
    }
    Ok(report)
}

/// The volumes the pods' containers mount (the anonymous ones among them
/// go with the pods).
async fn anonymous_volumes<E: FrontDoor + ?Sized>(
    e: &E,
    pods: &[String],
) -> Result<Vec<String>, Error> {
    if pods.is_empty() {
        return Ok(Vec::new());
    }
    let (found, _) = e.pod_inspect(pods, PodSelect::default()).await?;
    let ids: Vec<String> = found
        .iter()
        .flat_map(|p| p.data.containers.iter().flatten().map(|c| c.id.clone()))
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (ctrs, _) = e.container_inspect(&ids, InspectOptions::default()).await?;
    let mut out: Vec<String> = Vec::new();
    for m in ctrs.iter().flat_map(|c| c.mounts.iter().flatten()) {
        if m.r#type == "volume" && !out.contains(&m.name) {
            out.push(m.name.clone());
        }
    }
    Ok(out)
}
