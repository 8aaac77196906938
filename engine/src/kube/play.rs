//! `kube play`: reads the YAML, checks every workload and builds every
//! request first, then creates secrets, volumes, pods and containers
//! through the front door (and starts the pods); if anything fails, what
//! this play created is removed again.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use rpod_api::container_run::PullPolicy;
use rpod_api::front_door::images::ProgressSink;
use rpod_api::front_door::pods::{PodRmOptions, PodSelect};
use rpod_api::kube::{KubePlayOptions, KubePlayReport, PlayKubePod};
use rpod_api::network::NetworkCreateOptions;
use rpod_api::secret::{SecretCreateOptions, SecretRmOptions};
use rpod_api::volume::{VolumeCreateOptions, VolumeRmOptions};
use rpod_api::{Error, FrontDoor};
use sha2::{Digest, Sha256};

use super::parse::{configmap_file, parse, Doc, Parsed};
use super::pod::{plan, PodPlan, DEFAULT_NETWORK};
use super::pod_options::{static_addresses, user_namespace};
use super::sources::{configmap_content, secret_content, stored_secret, Sources};
use super::volumes::VolumeFill;

/// What `kube play --service-container` needs of the engine beyond the
/// front door: making and removing the service container.
#[async_trait]
pub(crate) trait ServiceHost: Send + Sync {
    /// Creates service container `name` (removing one of that name first
    /// with `replace`); returns its id.
    async fn create_service(
        &self,
        name: &str,
        propagation: &str,
        replace: bool,
    ) -> Result<String, Error>;
    /// Removes service container `id` (none of its pods is left).
    async fn remove_service(&self, id: &str);
}

/// The name of the service container of a play: the first 12 hex digits
/// of the YAML's SHA-256 and `-service`, so systemd units can find it.
pub(crate) fn service_name(yaml: &[u8]) -> String {
    let hash = hex::encode(Sha256::digest(yaml));
    format!("{}-service", &hash[..12])
}

/// What this play created, removed again when it fails.
#[derive(Default)]
struct Undo {
    pods: Vec<String>,
    volumes: Vec<String>,
    secrets: Vec<String>,
    service: Option<String>,
}

impl Undo {
    async fn run<E: FrontDoor + ServiceHost + ?Sized>(self, e: &E) {
        if !self.pods.is_empty() {
            let opts = PodRmOptions {
                select: PodSelect::default(),
                force: true,
                ignore: true,
                timeout: Some(0),
            };
            if let Err(err) = e.pod_rm(&self.pods, opts).await {
                tracing::warn!("removing pods after a failed play: {err}");
            }
        }
        if !self.volumes.is_empty() {
            let opts = VolumeRmOptions {
                force: true,
                ..VolumeRmOptions::default()
            };
            if let Err(err) = e.volume_remove(&self.volumes, opts).await {
                tracing::warn!("removing volumes after a failed play: {err}");
            }
        }
        if !self.secrets.is_empty() {
            let opts = SecretRmOptions {
                all: false,
                ignore: true,
            };
            if let Err(err) = e.secret_remove(&self.secrets, opts).await {
                tracing::warn!("removing secrets after a failed play: {err}");
            }
        }
        // Removing the pods removed it unless no pod was made.
        if let Some(id) = &self.service {
            e.remove_service(id).await;
        }
    }
}

/// The secrets the workloads name that the YAML does not define.
fn referenced_secrets(parsed: &Parsed, sources: &Sources) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |n: &str| {
        if !sources.secrets.contains_key(n) && !out.iter().any(|o: &String| o == n) {
            out.push(n.to_owned());
        }
    };
    for w in parsed.workloads() {
        let Some(spec) = &w.template.spec else {
            continue;
        };
        for v in spec.volumes.iter().flatten() {
            if let Some(n) = v.secret.as_ref().and_then(|s| s.secret_name.as_deref()) {
                add(n);
            }
        }
        let ctrs = spec
            .init_containers
            .iter()
            .flatten()
            .chain(spec.containers.iter());
        for c in ctrs {
            for e in c.env.iter().flatten() {
                if let Some(r) = e
                    .value_from
                    .as_ref()
                    .and_then(|f| f.secret_key_ref.as_ref())
                {
                    add(&r.name);
                }
            }
            for e in c.env_from.iter().flatten() {
                if let Some(r) = &e.secret_ref {
                    add(&r.name);
                }
            }
        }
    }
    out
}

async fn sources<E: FrontDoor + ?Sized>(
    e: &E,
    parsed: &Parsed,
    options: &KubePlayOptions,
) -> Result<Sources, Error> {
    let mut s = Sources::default();
    for d in &parsed.docs {
        match d {
            Doc::ConfigMap(cm) => {
                let name = cm.metadata.name.clone().unwrap_or_default();
                s.configmaps.insert(name, configmap_content(cm));
            }
            Doc::Secret(sec) => {
                let name = sec.metadata.name.clone().unwrap_or_default();
                s.secrets.insert(name, secret_content(sec));
            }
            _ => {}
        }
    }
    for (path, content) in &options.configmaps {
        for cm in configmap_file(path, content)? {
            let name = cm.metadata.name.clone().unwrap_or_default();
            if s.configmaps.contains_key(&name) {
                return Err(Error::invalid(format!(
                    "ambiguous configuration: the same config map {name} is present in YAML and in --configmaps {path} file"
                )));
            }
            s.configmaps.insert(name, configmap_content(&cm));
        }
    }
    let wanted = referenced_secrets(parsed, &s);
    if !wanted.is_empty() {
        let (found, _missing) = e.secret_inspect(&wanted, true).await?;
        for r in found {
            if let Some(c) = stored_secret(r.secret_data.as_bytes()) {
                s.secrets.insert(r.spec.name.clone(), c);
            }
        }
    }
    Ok(s)
}

fn write_files(root: &Path, fill: &VolumeFill) -> Result<(), Error> {
    let io = |p: &Path, e: std::io::Error| {
        Error::other(format!(
            "cannot create file {:?} at volume mountpoint {:?}: {e}",
            p.display().to_string(),
            root.display().to_string()
        ))
    };
    for (rel, data, mode) in &fill.files {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(&path, e))?;
        }
        let mut f = std::fs::File::create(&path).map_err(|e| io(&path, e))?;
        f.write_all(data).map_err(|e| io(&path, e))?;
        f.set_permissions(std::fs::Permissions::from_mode(*mode))
            .map_err(|e| io(&path, e))?;
    }
    Ok(())
}

async fn fill_volume<E: FrontDoor + ?Sized>(
    e: &E,
    fill: &VolumeFill,
    undo: &mut Undo,
) -> Result<(), Error> {
    if !e.volume_exists(&fill.name).await? {
        e.volume_create(VolumeCreateOptions {
            name: Some(fill.name.clone()),
            ..VolumeCreateOptions::default()
        })
        .await?;
        undo.volumes.push(fill.name.clone());
    }
    let path = e.volume_mount(&fill.name).await?;
    let written = write_files(Path::new(&path), fill);
    e.volume_unmount(&fill.name).await?;
    written
}

async fn play_pod<E: FrontDoor + ?Sized>(
    e: &E,
    plan: PodPlan,
    options: &KubePlayOptions,
    progress: &Option<Arc<dyn ProgressSink>>,
    undo: &mut Undo,
) -> Result<PlayKubePod, Error> {
    let start = options.start;
    for fill in &plan.fills {
        fill_volume(e, fill, undo).await?;
    }
    for (reference, policy) in &plan.image_pulls {
        if !super::build::build_if_wanted(e, reference, options, progress).await? {
            super::image_volumes::pull(e, reference, *policy, options, progress).await?;
        }
    }
    let mut plan = plan;
    for spec in plan
        .init_containers
        .iter_mut()
        .chain(plan.containers.iter_mut())
    {
        let image = spec.options.image.clone();
        if !super::build::build_if_wanted(e, &image, options, progress).await? {
            super::image_volumes::pull(e, &image, spec.pull, options, progress).await?;
        }
        spec.pull = PullPolicy::Never;
        // As Podman's kube play, the container is created with the
        // image's user unless the YAML sets one.
        if spec.options.user.is_none() {
            let data = e.image_inspect(&image).await?;
            spec.options.user = data
                .config
                .as_ref()
                .and_then(|c| c.get("User"))
                .and_then(|u| u.as_str())
                .filter(|u| !u.is_empty())
                .map(str::to_owned);
        }
    }
    for spec in plan
        .init_containers
        .iter_mut()
        .chain(plan.containers.iter_mut())
    {
        let name = spec.name.clone().unwrap_or_default();
        if let Some((ctr, images)) = plan.automount.get(&name) {
            let mounts = super::image_volumes::automount(e, ctr, images).await?;
            spec.options.image_mounts.extend(mounts);
        }
    }
    let id = e.pod_create(plan.pod).await?.id;
    undo.pods.push(id.clone());
    let mut report = PlayKubePod {
        id: id.clone(),
        ..PlayKubePod::default()
    };
    for spec in plan.init_containers {
        report
            .init_containers
            .push(e.container_create(spec, progress.clone()).await?.id);
    }
    for spec in plan.containers {
        report
            .containers
            .push(e.container_create(spec, progress.clone()).await?.id);
    }
    if start {
        for r in e
            .pod_start(std::slice::from_ref(&id), PodSelect::default())
            .await?
        {
            if let Some(err) = r.err {
                report.container_errors.push(err.message);
            }
        }
    }
    Ok(report)
}

/// `kube play`.
pub(crate) async fn play<E: FrontDoor + ServiceHost + ?Sized>(
    e: &E,
    yaml: &[u8],
    options: KubePlayOptions,
    progress: Option<Arc<dyn ProgressSink>>,
) -> Result<KubePlayReport, Error> {
    if options.service_container && !options.start {
        return Err(Error::invalid(
            "running a service container requires starting the pod(s)",
        ));
    }
    let parsed = parse(yaml)?;
    let acted_on = parsed
        .docs
        .iter()
        .filter(|d| !matches!(d, Doc::ConfigMap(_)))
        .count();
    if acted_on == 0 {
        if parsed.docs.is_empty() {
            return Err(Error::invalid(
                "YAML document does not contain any supported kube kind",
            ));
        }
        return Err(Error::invalid(
            "ConfigMaps in podman are not a standalone object and must be used in a container",
        ));
    }
    let src = sources(e, &parsed, &options).await?;
    let mut plans = Vec::new();
    let mut warnings = Vec::new();
    for (index, w) in parsed.workloads().enumerate() {
        let p = plan(w, &src, &options)
            .and_then(|mut p| {
                warnings.extend(static_addresses(&mut p.pod, &options, index)?);
                user_namespace(&mut p.pod, w, &options);
                Ok(p)
            })
            .map_err(|err| {
                if w.controller {
                    Error::new(
                        err.kind,
                        format!(
                            "encountered while bringing up pod {}: {}",
                            w.pod_name, err.message
                        ),
                    )
                } else {
                    err
                }
            })?;
        plans.push(p);
    }
    let mut report = KubePlayReport {
        warnings: parsed.warnings.clone(),
        ..KubePlayReport::default()
    };
    report.warnings.extend(warnings);
    if options.replace {
        let down = super::down::down(e, yaml, rpod_api::kube::KubeDownOptions::default()).await?;
        report.warnings.extend(down.warnings);
    }
    if plans
        .iter()
        .any(|p| p.pod.network.modes.iter().any(|m| m == DEFAULT_NETWORK))
    {
        e.network_create(NetworkCreateOptions {
            name: Some(DEFAULT_NETWORK.into()),
            ignore_if_exists: true,
            ..NetworkCreateOptions::default()
        })
        .await?;
    }
    let mut undo = Undo::default();
    if options.service_container && !plans.is_empty() {
        let id = e
            .create_service(
                &service_name(yaml),
                &options.exit_code_propagation,
                options.replace,
            )
            .await?;
        for p in &mut plans {
            p.pod.service_container = Some(id.clone());
        }
        undo.service = Some(id.clone());
        report.service_container_id = id;
    }
    match execute(
        e,
        &parsed,
        plans,
        &options,
        &progress,
        &mut undo,
        &mut report,
    )
    .await
    {
        Ok(()) => Ok(report),
        Err(err) => {
            undo.run(e).await;
            Err(err)
        }
    }
}

async fn execute<E: FrontDoor + ServiceHost + ?Sized>(
    e: &E,
    parsed: &Parsed,
    plans: Vec<PodPlan>,
    options: &KubePlayOptions,
    progress: &Option<Arc<dyn ProgressSink>>,
    undo: &mut Undo,
    report: &mut KubePlayReport,
) -> Result<(), Error> {
    for d in &parsed.docs {
        match d {
            Doc::Secret(s) => {
                let name = s.metadata.name.clone().unwrap_or_default();
                if name.is_empty() {
                    return Err(Error::invalid("secret does not have a name"));
                }
                let data = serde_json::to_vec(s.as_ref())
                    .map_err(|err| Error::other(format!("storing secret {name}: {err}")))?;
                let labels: BTreeMap<String, String> = BTreeMap::new();
                let id = e
                    .secret_create(
                        &name,
                        data,
                        SecretCreateOptions {
                            replace: true,
                            labels,
                            ..SecretCreateOptions::default()
                        },
                    )
                    .await?;
                undo.secrets.push(name);
                report.secrets.push(id);
            }
            Doc::Claim(c) => {
                let name = c.metadata.name.clone().unwrap_or_default();
                if name.is_empty() {
                    return Err(Error::invalid(
                        "persistent volume claim name can not be empty",
                    ));
                }
                let created = e
                    .volume_create(VolumeCreateOptions {
                        name: Some(name),
                        label: c.metadata.labels.clone().unwrap_or_default(),
                        ..VolumeCreateOptions::default()
                    })
                    .await?;
                undo.volumes.push(created.clone());
                report.volumes.push(created);
            }
            _ => {}
        }
    }
    for p in plans {
        let pod = play_pod(e, p, options, progress, undo).await?;
        report.pods.push(pod);
    }
    Ok(())
}
