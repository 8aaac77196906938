//! `auto-update`: for each running container labelled
//! `io.containers.autoupdate=registry|local` and run by a systemd unit
//! (`PODMAN_SYSTEMD_UNIT`), tell whether a newer image exists (the registry's
//! digest, or the local image now under the container's image name), pull
//! it, restart the unit through `systemctl`, and go back to the previous
//! image if the restart fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rpod_api::auto_update::{
    AutoUpdateOptions, AutoUpdateOutcome, AutoUpdateReport, AUTO_UPDATE_LABEL, SYSTEMD_UNIT_LABEL,
};
use rpod_api::front_door::images::{ImagePullOptions, RegistryOptions};
use rpod_api::{Error, ErrorKind, Result};

use crate::engine::Engine;
use crate::front_door::images::transfer;
use crate::registry::{self, PullOptions};
use crate::state::{ContainerRecord, ContainerState};

/// How a container follows its image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// The registry's image under the container's image name.
    Registry,
    /// The local image under the container's image name (e.g. after a build).
    Local,
}

impl Policy {
    fn name(self) -> &'static str {
        match self {
            Policy::Registry => "registry",
            Policy::Local => "local",
        }
    }
}

/// The label's policy: `None` for `disabled` or empty, Podman's message for
/// an unknown one.
pub(crate) fn policy_of(label: &str) -> std::result::Result<Option<Policy>, String> {
    match label {
        "" | "disabled" => Ok(None),
        "registry" | "image" => Ok(Some(Policy::Registry)),
        "local" => Ok(Some(Policy::Local)),
        other => Err(format!(
            "invalid auto-update policy \"{other}\": valid policies are [\"disabled\" \"image\" \"local\" \"registry\"]"
        )),
    }
}

/// A container labelled for registry updates must name its image fully
/// qualified and from a registry (Podman checks it at create).
pub(crate) fn check_auto_update_image(labels: &[(String, String)], image: &str) -> Result<()> {
    let registry_policy = labels
        .iter()
        .rev()
        .find(|(k, _)| k == AUTO_UPDATE_LABEL)
        .is_some_and(|(_, v)| v == "registry" || v == "image");
    if !registry_policy || image.is_empty() {
        return Ok(());
    }
    for transport in [
        "docker-archive",
        "oci-archive",
        "oci",
        "dir",
        "containers-storage",
    ] {
        if image.starts_with(&format!("{transport}:")) {
            return Err(Error::invalid(format!(
                "auto updates require the docker image transport but image is of transport \"{transport}\""
            )));
        }
    }
    let name = image.strip_prefix("docker://").unwrap_or(image);
    match crate::image_ref::reference::ImageReference::parse(name) {
        Ok(r) if r.is_short_name() => Err(Error::invalid(format!(
            "short name: auto updates require fully-qualified image reference: \"{image}\""
        ))),
        _ => Ok(()),
    }
}

/// Whether the registry holds another image: none of its digests (platform
/// manifest, index) is one the local image was pulled as.
pub(crate) fn registry_has_update(local: &[String], remote: &[String]) -> bool {
    !remote.iter().any(|r| local.contains(r))
}

/// What is reported after a unit's restart: `restart` is the restart with
/// the new image, `rollback` the restart with the old one (when attempted).
pub(crate) fn status_after(restart: bool, rollback: Option<bool>) -> &'static str {
    match (restart, rollback) {
        (true, _) => "true",
        (false, Some(true)) => "rolled back",
        (false, _) => "failed",
    }
}

struct Task {
    rec: ContainerRecord,
    policy: Policy,
    old_image: String,
    status: &'static str,
}

impl Task {
    fn report(&self, unit: &str) -> AutoUpdateReport {
        let short: String = self.rec.id.chars().take(12).collect();
        AutoUpdateReport {
            unit: unit.to_owned(),
            container: format!("{short} ({})", self.rec.name),
            container_name: self.rec.name.clone(),
            container_id: self.rec.id.clone(),
            image: self.rec.image_name.clone(),
            policy: self.policy.name().to_owned(),
            updated: self.status.to_owned(),
        }
    }
}

fn label<'a>(rec: &'a ContainerRecord, key: &str) -> Option<&'a str> {
    rec.options
        .labels
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The running, labelled containers by unit, and the errors of the others.
async fn tasks(engine: &Engine) -> Result<(BTreeMap<String, Vec<Task>>, Vec<String>)> {
    let mut units: BTreeMap<String, Vec<Task>> = BTreeMap::new();
    let mut errors = Vec::new();
    let records = engine
        .ctx()
        .db
        .list_containers()
        .map_err(|e| Error::other(e.to_string()))?;
    for stored in records {
        let Some(value) = label(&stored, AUTO_UPDATE_LABEL).map(str::to_owned) else {
            continue;
        };
        // The stored state may be stale: read the container's own.
        let rec = match engine.container(&stored.id) {
            Ok(h) => match h.get().await {
                Ok(r) => r,
                Err(_) => continue,
            },
            Err(_) => continue,
        };
        if rec.state != ContainerState::Running {
            continue;
        }
        let policy = match policy_of(&value) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                errors.push(format!("auto-updating container \"{}\": {e}", rec.id));
                continue;
            }
        };
        let Some(unit) = label(&rec, SYSTEMD_UNIT_LABEL).map(str::to_owned) else {
            errors.push(format!(
                "auto-updating container \"{}\": no {SYSTEMD_UNIT_LABEL} label found",
                rec.id
            ));
            continue;
        };
        if rec.image_name.is_empty() {
            errors.push(format!(
                "locally auto-updating container \"{}\": raw-image name is empty",
                rec.id
            ));
            continue;
        }
        let old_image = rec.image_id.clone();
        units.entry(unit).or_default().push(Task {
            rec,
            policy,
            old_image,
            status: "failed",
        });
    }
    Ok((units, errors))
}

fn pull_options(options: &AutoUpdateOptions) -> ImagePullOptions {
    ImagePullOptions {
        registry: RegistryOptions {
            authfile: options.authfile.as_ref().map(PathBuf::from),
            tls_verify: options.tls_verify,
            ..Default::default()
        },
        quiet: true,
        ..Default::default()
    }
}

/// Whether `task`'s image has an update.
async fn update_available(
    engine: &Engine,
    task: &Task,
    options: &AutoUpdateOptions,
) -> std::result::Result<bool, String> {
    let name = &task.rec.image_name;
    match task.policy {
        Policy::Local => {
            let local = engine
                .store()
                .lookup_image(name)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{name}: image not known"))?;
            Ok(local.id != task.old_image)
        }
        Policy::Registry => {
            let image = engine
                .store()
                .lookup_image(&task.old_image)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{}: image not known", task.old_image))?;
            let mut local = image.digests.clone();
            local.push(image.digest.clone());
            let pull = pull_options(options);
            let opts = PullOptions {
                tls_verify: options.tls_verify,
                registries_conf: transfer::registries_conf().map_err(|e| e.message)?,
                connect: transfer::connect_options(&pull.registry),
                ..Default::default()
            };
            let remote = registry::remote_digests(name, &opts)
                .await
                .map_err(|e| e.to_string())?;
            Ok(registry_has_update(&local, &remote))
        }
    }
}

/// How rpod reaches systemd to restart units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Manager {
    /// systemd is PID 1: `systemctl`.
    System,
    /// A user manager (`systemd --user`) at this runtime directory:
    /// `systemctl --user`.
    User(PathBuf),
}

/// The manager that runs units here, or why there is none: `systemctl`
/// talks to the system manager on its private socket (`/run/systemd/
/// private`; /run/systemd/system alone proves nothing, tools create it), to
/// a user manager on `$XDG_RUNTIME_DIR/systemd/private`.
pub(crate) fn find_manager(
    system_socket: &Path,
    runtime_dir: Option<&Path>,
) -> std::result::Result<Manager, String> {
    if system_socket.exists() {
        return Ok(Manager::System);
    }
    if let Some(rt) = runtime_dir {
        if rt.join("systemd/private").exists() {
            return Ok(Manager::User(rt.to_path_buf()));
        }
    }
    Err(format!(
        "auto-update restarts systemd units, but systemd is not running here: it is not PID 1 ({} is missing) and no user manager runs at $XDG_RUNTIME_DIR ({})",
        system_socket.display(),
        runtime_dir
            .map(|p| p.join("systemd/private").display().to_string())
            .unwrap_or_else(|| "XDG_RUNTIME_DIR not set".to_owned())
    ))
}

/// `systemctl restart UNIT`; waits for the job (a notify unit: until it is
/// ready or failed).
async fn restart(manager: &Manager, unit: &str) -> std::result::Result<(), String> {
    let mut cmd = tokio::process::Command::new("systemctl");
    if let Manager::User(rt) = manager {
        cmd.arg("--user").env("XDG_RUNTIME_DIR", rt);
    }
    let out = cmd
        .arg("restart")
        .arg(unit)
        .output()
        .await
        .map_err(|e| format!("running systemctl: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "error restarting systemd unit \"{unit}\": {}",
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

pub(crate) async fn auto_update(
    engine: &Engine,
    options: &AutoUpdateOptions,
) -> Result<AutoUpdateOutcome> {
    let (mut units, mut errors) = tasks(engine).await?;
    if units.is_empty() {
        return Ok(AutoUpdateOutcome {
            reports: Vec::new(),
            errors,
        });
    }
    // Nothing is pulled unless the units can be restarted afterwards.
    let manager = if options.dry_run {
        None
    } else {
        let rt = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
        Some(
            find_manager(Path::new("/run/systemd/private"), rt.as_deref())
                .map_err(|m| Error::new(ErrorKind::Other, m))?,
        )
    };
    let mut pulled: BTreeMap<String, bool> = BTreeMap::new();
    let mut reports = Vec::new();
    for (unit, tasks) in units.iter_mut() {
        let mut updated = false;
        for task in tasks.iter_mut() {
            match update_available(engine, task, options).await {
                Err(e) => {
                    task.status = "failed";
                    errors.push(format!(
                        "checking image updates for container {}: {e}",
                        task.rec.id
                    ));
                    continue;
                }
                Ok(false) => {
                    task.status = "false";
                    continue;
                }
                Ok(true) if options.dry_run => {
                    task.status = "pending";
                    continue;
                }
                Ok(true) => {}
            }
            if task.policy == Policy::Registry && !pulled.contains_key(&task.rec.image_name) {
                if let Err(e) =
                    transfer::pull(engine, &task.rec.image_name, &pull_options(options), None).await
                {
                    task.status = "failed";
                    errors.push(format!(
                        "updating image for container {}: {}",
                        task.rec.id, e.message
                    ));
                    continue;
                }
                pulled.insert(task.rec.image_name.clone(), true);
            }
            updated = true;
        }
        if updated {
            if let Some(manager) = &manager {
                restart_unit(engine, manager, unit, tasks, options, &mut errors).await;
            }
        }
        reports.extend(tasks.iter().map(|t| t.report(unit)));
    }
    Ok(AutoUpdateOutcome { reports, errors })
}

/// Restarts `unit` on the new images; on failure (and `--rollback`) tags
/// the old images back and restarts again.
async fn restart_unit(
    engine: &Engine,
    manager: &Manager,
    unit: &str,
    tasks: &mut [Task],
    options: &AutoUpdateOptions,
    errors: &mut Vec<String>,
) {
    let first = restart(manager, unit).await;
    let rollback = match (&first, options.rollback) {
        (Ok(()), _) => None,
        (Err(e), false) => {
            errors.push(format!("restarting unit {unit} during update: {e}"));
            None
        }
        (Err(_), true) => {
            for task in tasks.iter() {
                if let Err(e) = engine
                    .store()
                    .tag_image(&task.old_image, &task.rec.image_name)
                {
                    errors.push(format!(
                        "rolling back image for container {} in unit {unit}: {e}",
                        task.rec.id
                    ));
                }
            }
            let again = restart(manager, unit).await;
            if let Err(e) = &again {
                errors.push(format!("restarting unit {unit} during rollback: {e}"));
            }
            Some(again.is_ok())
        }
    };
    for task in tasks.iter_mut() {
        task.status = status_after(first.is_ok(), rollback);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        assert_eq!(policy_of("registry"), Ok(Some(Policy::Registry)));
        assert_eq!(policy_of("image"), Ok(Some(Policy::Registry)));
        assert_eq!(policy_of("local"), Ok(Some(Policy::Local)));
        assert_eq!(policy_of("disabled"), Ok(None));
        assert!(policy_of("sometimes")
            .unwrap_err()
            .starts_with("invalid auto-update policy \"sometimes\""));
    }

    #[test]
    fn registry_policy_needs_a_qualified_image() {
        let label = vec![(AUTO_UPDATE_LABEL.to_owned(), "registry".to_owned())];
        assert!(check_auto_update_image(&label, "quay.io/a/b:1").is_ok());
        let e = check_auto_update_image(&label, "short:latest").unwrap_err();
        assert_eq!(
            e.message,
            "short name: auto updates require fully-qualified image reference: \"short:latest\""
        );
        let e = check_auto_update_image(&label, "docker-archive:/x.tar").unwrap_err();
        assert!(
            e.message.contains("transport \"docker-archive\""),
            "{}",
            e.message
        );
        let local = vec![(AUTO_UPDATE_LABEL.to_owned(), "local".to_owned())];
        assert!(check_auto_update_image(&local, "short:latest").is_ok());
    }

    #[test]
    fn digest_comparison() {
        let local = vec!["sha256:aa".to_owned(), "sha256:index".to_owned()];
        assert!(!registry_has_update(&local, &["sha256:aa".to_owned()]));
        assert!(!registry_has_update(
            &local,
            &["sha256:bb".to_owned(), "sha256:index".to_owned()]
        ));
        assert!(registry_has_update(&local, &["sha256:cc".to_owned()]));
    }

    #[test]
    fn rollback_decision() {
        assert_eq!(status_after(true, None), "true");
        assert_eq!(status_after(false, Some(true)), "rolled back");
        assert_eq!(status_after(false, Some(false)), "failed");
        assert_eq!(status_after(false, None), "failed");
    }

    #[test]
    fn manager_discovery() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-systemd");
        let err = find_manager(&missing, None).unwrap_err();
        assert!(err.contains("systemd is not running here"), "{err}");
        std::fs::create_dir_all(dir.path().join("rt/systemd")).unwrap();
        std::fs::write(dir.path().join("rt/systemd/private"), "").unwrap();
        let rt = dir.path().join("rt");
        assert_eq!(
            find_manager(&missing, Some(&rt)),
            Ok(Manager::User(rt.clone()))
        );
        std::fs::write(dir.path().join("sd-private"), "").unwrap();
        assert_eq!(
            find_manager(&dir.path().join("sd-private"), Some(&rt)),
            Ok(Manager::System)
        );
    }
}
