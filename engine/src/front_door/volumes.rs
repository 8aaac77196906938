//! [`rpod_api::front_door::Volumes`] for the local engine: the requests on
//! [`crate::volume`]'s store, its records as Podman's reports.

use std::path::PathBuf;

use async_trait::async_trait;
use rpod_api::front_door::containers::ExportOutput;
use rpod_api::front_door::images::ArchiveSource;
use rpod_api::front_door::Volumes;
use rpod_api::prune::PruneReport;
use rpod_api::time::GoTime;
use rpod_api::volume::{
    VolumeConfigResponse, VolumeCreateOptions, VolumeListOptions, VolumePruneOptions,
    VolumeRmOptions, VolumeRmReport,
};
use rpod_api::{Error, ErrorKind, Result};

use super::LocalEngine;
use crate::container::ContainerError;
use crate::engine::Engine;
use crate::volume::filter::{Usage, VolumeFilters};
use crate::volume::store::{NewVolume, VolumeStore};
use crate::volume::{VolumeError, VolumeRecord, LOCAL_DRIVER};

#[async_trait]
impl Volumes for LocalEngine {
    async fn volume_create(&self, o: VolumeCreateOptions) -> Result<String> {
        let store = VolumeStore::new(self.engine().ctx());
        let rec = store.create(NewVolume {
            name: o.name,
            driver: if o.driver.is_empty() {
                LOCAL_DRIVER.to_owned()
            } else {
                o.driver
            },
            labels: o.label,
            options: o.options,
            anonymous: false,
            ignore_existing: o.ignore_if_exists,
        })?;
        Ok(rec.name)
    }

    async fn volume_inspect(
        &self,
        names: &[String],
        all: bool,
    ) -> Result<(Vec<VolumeConfigResponse>, Vec<Error>)> {
        let store = VolumeStore::new(self.engine().ctx());
        if all {
            let all = store.list()?;
            return Ok((all.iter().map(|v| report(&store, v)).collect(), Vec::new()));
        }
        let mut found = Vec::new();
        let mut errs = Vec::new();
        for name in names {
            match store.get(name) {
                Ok(v) => found.push(report(&store, &v)),
                Err(VolumeError::NotFound(_)) => errs.push(Error::new(
                    ErrorKind::NoSuchVolume,
                    format!("no such volume {name}"),
                )),
                Err(e) => errs.push(e.into()),
            }
        }
        Ok((found, errs))
    }

    async fn volume_list(&self, o: VolumeListOptions) -> Result<Vec<VolumeConfigResponse>> {
        let store = VolumeStore::new(self.engine().ctx());
        let filters = VolumeFilters::parse(&o.filters, false)?;
        let in_use = self
            .engine()
            .ctx()
            .db
            .volumes_in_use()
            .map_err(VolumeError::from)?;
        let usage = Usage { in_use: &in_use };
        Ok(store
            .list()?
            .iter()
            .filter(|v| filters.matches(v, &usage))
            .map(|v| report(&store, v))
            .collect())
    }

    async fn volume_remove(
        &self,
        names: &[String],
        o: VolumeRmOptions,
    ) -> Result<Vec<VolumeRmReport>> {
        let engine = self.engine();
        let targets: Vec<String> = if o.all {
            VolumeStore::new(engine.ctx())
                .list()?
                .into_iter()
                .map(|v| v.name)
                .collect()
        } else {
            names.to_vec()
        };
        let timeout = o.timeout.and_then(|t| u64::try_from(t).ok());
        let mut out = Vec::with_capacity(targets.len());
        for name in targets {
            match remove_one(engine, &name, o.force, timeout).await {
                Ok(()) => out.push(VolumeRmReport {
                    err: None,
                    id: name,
                }),
                // Podman: `--force` makes a missing volume no error.
                Err(e) if o.force && e.kind == ErrorKind::NoSuchVolume => {}
                Err(e) => out.push(VolumeRmReport {
                    err: Some(e),
                    id: name,
                }),
            }
        }
        Ok(out)
    }

    async fn volume_prune(&self, o: VolumePruneOptions) -> Result<Vec<PruneReport>> {
        prune(self.engine(), &o.filters)
    }

    async fn volume_exists(&self, name: &str) -> Result<bool> {
        match VolumeStore::new(self.engine().ctx()).get(name) {
            Ok(_) => Ok(true),
            Err(VolumeError::NotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn volume_export(&self, name: &str, output: ExportOutput) -> Result<()> {
        let path = mounted_path(self.engine(), name)?;
        tokio::task::spawn_blocking(move || super::containers::storage::write_tar(&path, output))
            .await
            .map_err(|e| Error::other(format!("export task failed: {e}")))?
            .map_err(|e| Error::other(format!("exporting volume {name}: {e}")))
    }

    async fn volume_import(&self, name: &str, from: ArchiveSource) -> Result<()> {
        let path = mounted_path(self.engine(), name)?;
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || import(&name, &path, from))
            .await
            .map_err(|e| Error::other(format!("import task failed: {e}")))?
    }

    async fn volume_mount(&self, name: &str) -> Result<String> {
        let store = VolumeStore::new(self.engine().ctx());
        Ok(store.mount_by_user(name)?.display().to_string())
    }

    async fn volume_unmount(&self, name: &str) -> Result<()> {
        let store = VolumeStore::new(self.engine().ctx());
        store.get(name)?;
        Ok(store.unmount_for(name)?)
    }
}

/// Podman's report of one volume.
fn report(store: &VolumeStore<'_>, v: &VolumeRecord) -> VolumeConfigResponse {
    // `--uid`/`--gid` are kept as the options UID/GID (as Podman keeps them).
    let id = |k: &str| {
        v.options
            .get(k)
            .or_else(|| v.options.get(&k.to_ascii_lowercase()))
            .and_then(|x| x.parse::<i64>().ok())
            .unwrap_or(0)
    };
    VolumeConfigResponse {
        name: v.name.clone(),
        driver: v.driver.clone(),
        mountpoint: store.mountpoint(&v.name).display().to_string(),
        created_at: GoTime::from_unix_nanos(v.created_at),
        labels: v.labels.clone(),
        scope: "local".into(),
        options: v.options.clone(),
        uid: id("UID"),
        gid: id("GID"),
        anonymous: v.anonymous,
        mount_count: u64::from(v.mount_count),
        needs_copy_up: v.needs_copy_up,
        needs_chown: v.needs_chown,
        lock_number: v.lock_number,
    }
}

/// Removes one volume; with `force`, the containers using it first.
async fn remove_one(engine: &Engine, name: &str, force: bool, timeout: Option<u64>) -> Result<()> {
    let store = VolumeStore::new(engine.ctx());
    store.get(name)?;
    if force {
        for id in engine
            .ctx()
            .db
            .containers_using_volume(name)
            .map_err(VolumeError::from)?
        {
            let removed = match engine.container(&id) {
                Ok(h) => h.remove(true, timeout).await,
                Err(e) => Err(e),
            };
            match removed {
                Ok(()) | Err(ContainerError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(store.remove(name)?)
}

/// `volume prune`: every volume no container uses that the filters pick.
pub(crate) fn prune(engine: &Engine, filters: &[String]) -> Result<Vec<PruneReport>> {
    let store = VolumeStore::new(engine.ctx());
    let filters = VolumeFilters::parse(filters, true)?;
    let in_use = engine
        .ctx()
        .db
        .volumes_in_use()
        .map_err(VolumeError::from)?;
    let usage = Usage { in_use: &in_use };
    let mut out = Vec::new();
    for v in store.list()? {
        if in_use.contains(&v.name) || !filters.matches(&v, &usage) {
            continue;
        }
        let size = crate::storage::in_root::InRoot::new(&store.mountpoint(&v.name))
            .and_then(|t| t.apparent_size())
            .unwrap_or(0);
        match store.remove(&v.name) {
            Ok(()) => {
                crate::events::volume_event(&engine.ctx().config, &v.name, "prune");
                out.push(PruneReport {
                    id: v.name,
                    err: None,
                    size,
                })
            }
            // Taken into use since the listing: not prunable after all.
            Err(VolumeError::InUse { .. } | VolumeError::NotFound(_)) => {}
            Err(e) => out.push(PruneReport {
                id: v.name,
                err: Some(e.into()),
                size: 0,
            }),
        }
    }
    Ok(out)
}

/// The volume's content directory; a volume whose options need a mount
/// must be mounted (by a container or `volume mount`) to be read.
fn mounted_path(engine: &Engine, name: &str) -> Result<PathBuf> {
    let store = VolumeStore::new(engine.ctx());
    let v = store.get(name)?;
    if v.needs_mount() && v.mount_count == 0 {
        return Err(Error::invalid(format!(
            "volume {name} is not mounted: mount it with a container or 'volume mount' first"
        )));
    }
    Ok(store.mountpoint(name))
}

/// Unpacks a (possibly compressed) tar archive into the volume.
fn import(name: &str, path: &std::path::Path, from: ArchiveSource) -> Result<()> {
    let reader: Box<dyn std::io::Read + Send> = match from {
        ArchiveSource::Path(p) => Box::new(std::fs::File::open(&p).map_err(|e| {
            Error::invalid(format!(
                "open {}: {}",
                p.display(),
                crate::error_chain::io_reason(&e)
            ))
        })?),
        ArchiveSource::Stream(r) => r,
    };
    let (_, reader) = crate::storage::compression::decompress(reader)
        .map_err(|e| Error::other(format!("importing into volume {name}: {e}")))?;
    crate::storage::extract_layer(reader, path)
        .map(drop)
        .map_err(|e| Error::other(format!("importing into volume {name}: {e}")))
}
