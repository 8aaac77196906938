//! `create` and the create step of `run`: the pull policy, `--replace`,
//! `--pod new:`, the id and pid files, then the container itself.

use std::sync::Arc;

use rpod_api::container_run::{CreateSpec, PodTarget};
use rpod_api::front_door::images::{ImagePullOptions, ProgressSink, RegistryOptions};
use rpod_api::Error;

use super::options::{container_options, init_ctr_mode, io_reason, prepend_default_env};
use crate::container::{ContainerError, ContainerHandle};
use crate::engine::Engine;
use crate::front_door::error::other;
use crate::pod::{MemberSpec, NewPod, PodOptions};

/// Creates the container `spec` describes, pulling its image first when
/// the pull policy asks for it; Podman's warnings about what it dropped.
pub(crate) async fn create(
    engine: &Engine,
    mut spec: CreateSpec,
    progress: Option<Arc<dyn ProgressSink>>,
) -> Result<(ContainerHandle, Vec<String>), Error> {
    let mut warnings = Vec::new();
    let defaults = engine.config().containers_conf.containers.clone();
    let image = spec.options.image.clone();
    super::super::system::check_auto_update_image(&spec.options.labels, &image)?;
    let network_given = !spec.options.network.modes.is_empty();
    let network_spec = std::mem::take(&mut spec.options.network);
    let mut requires = spec.options.requires.clone();
    let namespace_spec = std::mem::take(&mut spec.options.namespaces);
    let cgroup_spec = std::mem::take(&mut spec.options.cgroup);
    let init_ctr = spec.options.init_ctr.map(init_ctr_mode);
    let image_volume = spec.options.image_volume;
    let volumes_from = std::mem::take(&mut spec.options.volumes_from);
    let secret_uses = std::mem::take(&mut spec.options.secrets);
    rpod_api::container_run::mount_flags::Mounts::add_defaults(&mut spec.options, &defaults.mounts)
        .map_err(Error::invalid)?;
    for m in &spec.options.image_mounts {
        if engine
            .store()
            .lookup_image(&m.source)
            .map_err(|e| other(&e))?
            .is_none()
        {
            return Err(Error::new(
                rpod_api::ErrorKind::NoSuchImage,
                format!("{}: image not known", m.source),
            ));
        }
    }
    let mut options = container_options(std::mem::take(&mut spec.options), &defaults)?;
    // Checked before anything is created: a start could not pass them.
    crate::inherited_fds::preserved(options.preserve_fds).map_err(Error::invalid)?;
    let in_pod = !matches!(&spec.pod, PodTarget::None)
        && !matches!(&spec.pod, PodTarget::Existing(p) if p.is_empty());
    // The pod joined, looked up once (an unknown one is reported when the
    // container is made).
    let joined_pod = match &spec.pod {
        PodTarget::Existing(p) => engine.ctx().db.find_pod(p).map_err(|e| other(&e))?,
        _ => None,
    };
    // `--pod new:` makes a pod with an infra container.
    let pod_has_infra = matches!(&spec.pod, PodTarget::New(_))
        || joined_pod.as_ref().is_some_and(|pod| pod.options.infra);
    super::namespaces::refuse_own_userns_in_pod(&namespace_spec, pod_has_infra)?;
    let net_config = &engine.config().network;
    let publishes = !network_spec.publish.is_empty() || network_spec.publish_all;
    (options.network, options.net) = super::network::net_options(
        network_spec,
        net_config,
        &crate::network::store_for(net_config),
        in_pod,
    )?;
    if publishes {
        warnings.extend(super::network::ports_discarded(&options.network));
    }
    let donors;
    (options.namespaces, donors) =
        super::namespaces::namespace_modes(engine.ctx(), &namespace_spec, in_pod)?;
    requires.extend(donors);
    if options.user.as_deref().is_none_or(str::is_empty) {
        // Podman: keep-id without `--user` runs as its uid:gid.
        if let Some(user) = namespace_spec
            .userns
            .as_deref()
            .map(super::namespaces::keep_id_user)
            .transpose()?
            .flatten()
        {
            options.user = Some(user);
        }
    }
    let userns_value = namespace_spec
        .userns
        .clone()
        .filter(|v| !v.is_empty())
        // containers.conf's `userns` (rpod applies `auto` and `private`
        // from it; `host` is the default anyway).
        .or_else(|| defaults.userns.clone().filter(|_| !in_pod));
    let runtime = crate::engine::select_runtime(engine.config(), options.runtime.as_deref())
        .map(|r| r.name)
        .unwrap_or_default();
    options.cgroup =
        super::namespaces::cgroup_options(&cgroup_spec, &runtime, &options.namespaces.pid)?;
    super::options::validate_host_options(&options)?;
    options.secrets = crate::secret::container::resolve(engine.ctx(), &secret_uses)?;
    // A bad hook file fails the create, not only a later start.
    crate::hooks::config::load(&crate::hooks::dirs(engine.config()))
        .map_err(|e| Error::invalid(e.to_string()))?;
    options.sdnotify_conmon = spec.sdnotify == rpod_api::container_run::SdNotifyMode::Conmon;
    options.sdnotify_container = spec.sdnotify == rpod_api::container_run::SdNotifyMode::Container;
    options.sdnotify_healthy = spec.sdnotify == rpod_api::container_run::SdNotifyMode::Healthy;
    if options.sdnotify_healthy && options.healthcheck.is_none() {
        return Err(Error::invalid(
            "invalid argument: sdnotify policy \"healthy\" requires a healthcheck to be set",
        ));
    }
    let cidfile = CidFile::create(spec.cidfile.as_deref())?;
    if let Some(path) = &spec.conmon_pidfile {
        prepare_conmon_pidfile(path)?;
    }
    // The one place the option is set (container_options leaves it out:
    // it is not part of the container spec).
    options.conmon_pidfile = spec.conmon_pidfile.clone();
    let image_config = if options.rootfs.is_some() {
        // No image: nothing to pull, no config to inherit (Podman).
        serde_json::Value::Null
    } else {
        pull_as_policy(engine, &image, &spec, progress).await?;
        image_config(engine, &image)?
    };
    // Held until the row is stored: no other create takes the same ids.
    let _userns_lock = match super::userns::mapped_mode(
        engine.ctx(),
        &namespace_spec,
        userns_value.as_deref(),
        auto_image_ids(engine, &image, userns_value.as_deref())?,
    )? {
        Some((mode, lock)) => {
            options.namespaces.user = mode;
            lock
        }
        None => None,
    };
    if options.rootfs.is_some()
        && options.namespaces.user != crate::container::ns_modes::UserNsMode::Host
    {
        return Err(Error::new(
            rpod_api::ErrorKind::NotImplemented,
            "--rootfs with a user namespace (--userns, --uidmap, --gidmap) is not supported yet",
        ));
    }
    // Rootless: keep-id becomes mappings in the user's namespace's ids.
    let keep_id = userns_value
        .as_deref()
        .map(super::namespaces::keep_id_options)
        .transpose()?
        .flatten();
    if keep_id.is_some_and(|k| k.uid.is_none() && k.gid.is_none()) {
        options.keep_id_entry = crate::rootless::passwd::current_user();
    }
    options.namespaces.user = crate::rootless::userns::resolve(
        std::mem::take(&mut options.namespaces.user),
        keep_id.as_ref(),
    );
    let default_env = super::proxy_env::with_proxy_env(&defaults, spec.http_proxy);
    if !default_env.is_empty() {
        prepend_default_env(&mut options, &default_env, &image_env(&image_config));
    }
    inherit_image_labels(&mut options.labels, &image_config);
    if spec.replace {
        if let Some(name) = spec.name.as_deref() {
            replace_existing(engine, name).await?;
        }
    }
    super::volumes::add_volumes_from(engine, &mut options, &volumes_from).await?;
    let mode = super::volumes::image_volume_mode(engine, image_volume)?;
    super::volumes::add_image_volumes(&mut options, mode, &image_volumes(&image_config));
    let volumes = crate::volume::store::VolumeStore::new(engine.ctx());
    let created_volumes = volumes.ensure_for_container(&mut options.volumes)?;
    let (pod, new_pod) = match spec.pod {
        PodTarget::None => (None, None),
        PodTarget::Existing(p) if p.is_empty() => (None, None),
        PodTarget::Existing(p) => {
            // Podman: a member without its own `--restart` (init containers
            // aside) takes the pod's.
            if options.restart.is_none() && init_ctr.is_none() {
                if let Some(pod) = &joined_pod {
                    options.restart = pod.options.restart;
                }
            }
            (Some(p), None)
        }
        PodTarget::New(name) => {
            let infra_image = crate::front_door::pods::infra_image::resolve(engine, None).await?;
            let created = engine
                .create_pod(NewPod {
                    name: Some(name),
                    // Podman: `--hostname` goes to the new pod (members
                    // then see it through the shared UTS namespace).
                    options: PodOptions {
                        hostname: options.hostname.take().filter(|h| !h.is_empty()),
                        infra_image,
                        ..PodOptions::host_defaults()
                    },
                })
                .await?;
            (Some(created.id.clone()), Some(created.id))
        }
    };
    let member = MemberSpec {
        pod,
        requires,
        init_ctr,
        network_given,
    };
    // Docker's names may start with '/' (as `docker inspect` shows them):
    // Podman drops it.
    let name = spec
        .name
        .as_deref()
        .map(|n| n.strip_prefix('/').unwrap_or(n).to_owned());
    let handle = match engine.create_container_with(options, name, member).await {
        Ok(h) => h,
        Err(e) => {
            volumes.remove_quietly(&created_volumes);
            // `--pod new:NAME`: the pod made for this container goes with it.
            if let Some(pod) = new_pod {
                let removed = match engine.pod(&pod) {
                    Ok(p) => p.remove(true, Some(0)).await,
                    Err(e) => Err(e),
                };
                if let Err(pe) = removed {
                    tracing::warn!("removing pod {pod}: {pe}");
                }
            }
            return Err(e.into());
        }
    };
    if let Err(e) = register_networks(engine, &handle.id) {
        let _ = handle.remove(true, Some(0)).await;
        return Err(e);
    }
    if let Some(cidfile) = cidfile {
        let path = cidfile.path.clone();
        if let Err(e) = cidfile.write(&handle.id) {
            // No container without its id file: the caller asked for both.
            let _ = handle.remove(true, Some(0)).await;
            return Err(Error::invalid(format!(
                "writing idfile: write {path}: {}",
                io_reason(&e)
            )));
        }
    }
    Ok((handle, warnings))
}

/// Records the new container's network attachments (its static addresses
/// checked against the networks' subnets and other containers).
fn register_networks(engine: &Engine, id: &str) -> Result<(), Error> {
    let ctx = engine.ctx();
    let rec = ctx
        .db
        .container_by_id(id)
        .map_err(|e| other(&e))?
        .ok_or_else(|| Error::other(format!("container {id} vanished while being created")))?;
    crate::container::network::register(ctx, &rec).map_err(|e| match e {
        ContainerError::Network(n) => Error::invalid(n.to_string()),
        other => other.into(),
    })
}

/// `--pull`: fetches the image when the policy says so.
async fn pull_as_policy(
    engine: &Engine,
    image: &str,
    spec: &CreateSpec,
    progress: Option<Arc<dyn ProgressSink>>,
) -> Result<(), Error> {
    let options = pull_options(spec, spec.quiet);
    crate::front_door::images::pull_policy::pull_with_policy(
        engine, image, spec.pull, &options, progress,
    )
    .await?;
    Ok(())
}

/// `--replace`: removes (forcibly) a container that has the name.
async fn replace_existing(engine: &Engine, name: &str) -> Result<(), Error> {
    match engine.container(name) {
        Ok(h) if h.name == name => match h.remove(true, Some(0)).await {
            Ok(()) | Err(ContainerError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        },
        Ok(_) | Err(ContainerError::NotFound(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The image's config (JSON null when the image is not there).
/// For `--userns=auto`: the size of the id range the image needs.
fn auto_image_ids(
    engine: &Engine,
    image: &str,
    userns: Option<&str>,
) -> Result<Option<u32>, Error> {
    if !userns.is_some_and(|v| v == "auto" || v.starts_with("auto:")) {
        return Ok(None);
    }
    let store = engine.store();
    match store.lookup_image(image).map_err(|e| other(&e))? {
        Some(img) => Ok(Some(store.id_range_needed(&img).map_err(|e| other(&e))?)),
        None => Ok(None),
    }
}

fn image_config(engine: &Engine, image: &str) -> Result<serde_json::Value, Error> {
    let store = engine.store();
    let Some(img) = store.lookup_image(image).map_err(|e| other(&e))? else {
        return Ok(serde_json::Value::Null);
    };
    let config = store.image_config(&img).map_err(|e| other(&e))?;
    Ok(serde_json::from_slice(&config).unwrap_or_default())
}

/// The `Env` of a stored image's config.
fn image_env(config: &serde_json::Value) -> Vec<String> {
    config["config"]["Env"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// As Podman, the container's labels start from the image's: those the
/// user did not set come first (they show in `inspect`, filters, events).
fn inherit_image_labels(labels: &mut Vec<(String, String)>, config: &serde_json::Value) {
    let Some(image_labels) = config["config"]["Labels"].as_object() else {
        return;
    };
    let mut merged: Vec<(String, String)> = image_labels
        .iter()
        .filter(|(k, _)| !labels.iter().any(|(u, _)| u == *k))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    merged.append(labels);
    *labels = merged;
}

/// The `Volumes` of a stored image's config, sorted.
fn image_volumes(config: &serde_json::Value) -> Vec<String> {
    config["config"]["Volumes"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// `--conmon-pidfile`: made (empty) at create so that a path that cannot
/// be written fails before anything exists; each start writes the
/// monitor's pid into it.
fn prepare_conmon_pidfile(path: &str) -> Result<(), Error> {
    std::fs::write(path, b"")
        .map_err(|e| Error::invalid(format!("writing conmon pid file {path}: {}", io_reason(&e))))
}

/// `--cidfile`, opened before the container is created so that a bad path
/// (missing directory, not writable) fails before anything exists; its
/// content is replaced by the id once the container is created (Podman 5
/// overwrites an existing file). A file this request created is removed
/// again if creation fails.
struct CidFile {
    path: String,
    file: Option<std::fs::File>,
    created: bool,
}

impl CidFile {
    fn create(path: Option<&str>) -> Result<Option<CidFile>, Error> {
        let Some(path) = path else {
            return Ok(None);
        };
        let existed = std::fs::symlink_metadata(path).is_ok();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| {
                Error::invalid(format!("creating idfile: open {path}: {}", io_reason(&e)))
            })?;
        Ok(Some(CidFile {
            path: path.to_owned(),
            file: Some(file),
            created: !existed,
        }))
    }

    fn write(mut self, id: &str) -> std::io::Result<()> {
        use std::io::Write;
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        file.set_len(0)?;
        file.write_all(id.as_bytes())
    }
}

impl Drop for CidFile {
    fn drop(&mut self) {
        if self.file.is_some() && self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The pull options of a create: `--tls-verify`, `--authfile`,
/// `--cert-dir`, `--creds`, `-q`, `--retry`, `--retry-delay`.
fn pull_options(spec: &CreateSpec, quiet: bool) -> ImagePullOptions {
    ImagePullOptions {
        registry: RegistryOptions {
            tls_verify: spec.tls_verify,
            ..spec.pull_registry.clone()
        },
        quiet,
        blob_progress: spec.blob_progress,
        retry: spec.retry,
        retry_delay: spec.retry_delay,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_labels_go_under_the_users() {
        let config = serde_json::json!({"config": {"Labels": {"a": "image", "b": "image"}}});
        let mut labels = vec![("b".to_owned(), "user".to_owned())];
        inherit_image_labels(&mut labels, &config);
        assert_eq!(
            labels,
            [
                ("a".to_owned(), "image".to_owned()),
                ("b".to_owned(), "user".to_owned())
            ]
        );
        let mut none = Vec::new();
        inherit_image_labels(&mut none, &serde_json::Value::Null);
        assert!(none.is_empty());
    }

    #[test]
    fn cidfile_created_is_removed_unless_written() {
        let dir = std::env::temp_dir().join(format!("rpod-cidfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cid");
        let p = path.to_str().unwrap();
        drop(CidFile::create(Some(p)).unwrap());
        assert!(!path.exists());
        CidFile::create(Some(p))
            .unwrap()
            .unwrap()
            .write("abc")
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "abc");
        let e = CidFile::create(Some("/nonexistent-rpod/cid"))
            .err()
            .unwrap();
        assert_eq!(
            e.message,
            "creating idfile: open /nonexistent-rpod/cid: no such file or directory"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
