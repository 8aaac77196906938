//! Creating, finding, mounting and removing volumes. Every change to a
//! volume happens under one lock file (`volumes.lock`), never while
//! waiting for a container's lock: `volume rm --force` removes the users
//! first, then takes the volumes lock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{copy_up, driver, mountpoint, name, volume_dir, VolumeError, VolumeRecord};
use crate::engine::EngineCtx;
use crate::lock::{self, LockGuard};
use crate::state::Db;

/// What `volume create` (or a container's implicit volume) asks for.
#[derive(Debug, Clone, Default)]
pub struct NewVolume {
    /// `None`: an anonymous name (64 hex digits).
    pub name: Option<String>,
    pub driver: String,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    pub anonymous: bool,
    /// `--ignore`: an existing volume of that name is the result.
    pub ignore_existing: bool,
}

/// Where a container mounts a volume, and how.
#[derive(Debug, Clone)]
pub struct VolumeUse<'a> {
    pub name: &'a str,
    /// The mount point in the container's mounted root filesystem.
    pub rootfs: &'a Path,
    pub destination: &'a str,
    /// `nocopy` among the mount's options.
    pub nocopy: bool,
    /// `U` among the mount's options: chowned to the user on every mount.
    pub chown_always: bool,
    pub uid: u32,
    pub gid: u32,
}

/// The volumes of one engine.
pub(crate) struct VolumeStore<'a> {
    db: &'a Db,
    config: &'a crate::config::EngineConfig,
    /// The volumes directory (`--volumepath`).
    root: PathBuf,
    lock_dir: PathBuf,
}

impl<'a> VolumeStore<'a> {
    pub fn new(ctx: &'a EngineCtx) -> Self {
        VolumeStore {
            db: &ctx.db,
            config: &ctx.config,
            root: ctx.config.volume_path(),
            lock_dir: ctx.config.lock_dir(),
        }
    }

    fn lock(&self) -> Result<LockGuard, VolumeError> {
        Ok(lock::lock_exclusive(&self.lock_dir, "volumes")?)
    }

    pub fn mountpoint(&self, name: &str) -> PathBuf {
        mountpoint(&self.root, name)
    }

    /// The volume named `name`.
    pub fn get(&self, name: &str) -> Result<VolumeRecord, VolumeError> {
        self.db
            .volume(name)?
            .ok_or_else(|| VolumeError::NotFound(name.to_owned()))
    }

    pub fn list(&self) -> Result<Vec<VolumeRecord>, VolumeError> {
        Ok(self.db.list_volumes()?)
    }

    /// Creates a volume: its directory first, then its row, so a failure
    /// leaves neither.
    pub fn create(&self, new: NewVolume) -> Result<VolumeRecord, VolumeError> {
        let name = match new.name {
            Some(n) => {
                name::check(&n)?;
                n
            }
            None => name::anonymous(),
        };
        driver::check(&name, &new.driver, &new.options)?;
        let _guard = self.lock()?;
        if let Some(existing) = self.db.volume(&name)? {
            if new.ignore_existing {
                return Ok(existing);
            }
            return Err(VolumeError::Exists(name));
        }
        let data = self.mountpoint(&name);
        let dir = volume_dir(&self.root, &name);
        let mut rec = VolumeRecord {
            name: name.clone(),
            driver: new.driver,
            labels: new.labels,
            options: new.options,
            anonymous: new.anonymous,
            created_at: chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0),
            needs_copy_up: true,
            needs_chown: true,
            ..Default::default()
        };
        let made = make_dirs(&dir, &data, &rec.options).and_then(|()| {
            super::snapshot::write(&self.root, &rec)
                .map_err(VolumeError::io("writing the snapshot of", &dir))
        });
        let inserted = made.and_then(|()| Ok(self.db.insert_volume(&mut rec)?));
        match inserted {
            Ok(true) => {
                crate::events::volume_event(self.config, &rec.name, "create");
                Ok(rec)
            }
            Ok(false) => {
                let _ = crate::storage::remove_tree_if_exists(&dir);
                Err(VolumeError::Exists(name))
            }
            Err(e) => {
                let _ = crate::storage::remove_tree_if_exists(&dir);
                Err(e)
            }
        }
    }

    /// Removes a volume no container uses (refused with Podman's message
    /// otherwise): unmounted, its row, then its directory.
    pub fn remove(&self, name: &str) -> Result<(), VolumeError> {
        let _guard = self.lock()?;
        let rec = self.get(name)?;
        let users = self.db.containers_using_volume(name)?;
        if !users.is_empty() {
            return Err(VolumeError::InUse {
                name: name.to_owned(),
                users: users.join(", "),
            });
        }
        if rec.needs_mount() {
            driver::unmount(name, &self.mountpoint(name))?;
        }
        self.db.delete_volume(name)?;
        let dir = volume_dir(&self.root, name);
        crate::storage::remove_tree_if_exists(&dir).map_err(VolumeError::io("removing", &dir))?;
        crate::events::volume_event(self.config, name, "remove");
        Ok(())
    }

    /// Mounts the volume for a starting container: the driver's mount for
    /// its first user, then copy-up and ownership as Podman does. Returns
    /// whether the volume counts this container among its mounted users.
    pub fn mount_for(&self, u: &VolumeUse<'_>) -> Result<bool, VolumeError> {
        let _guard = self.lock()?;
        let mut rec = self.get(u.name)?;
        let target = self.mountpoint(u.name);
        let counted = rec.needs_mount();
        if counted {
            if rec.mount_count == 0 {
                driver::mount(&rec, &target)?;
            }
            rec.mount_count += 1;
            self.db.update_volume_state(&rec)?;
        }
        let prepared = copy_up::prepare(&mut rec, &target, u);
        let saved = self.db.update_volume_state(&rec);
        if let Err(e) = prepared.and(saved.map_err(VolumeError::from)) {
            if counted {
                drop(_guard);
                let _ = self.unmount_for(u.name);
            }
            return Err(e);
        }
        Ok(counted)
    }

    /// A user of a mounted volume stopped: the last one unmounts it.
    pub fn unmount_for(&self, name: &str) -> Result<(), VolumeError> {
        let _guard = self.lock()?;
        let Some(mut rec) = self.db.volume(name)? else {
            return Ok(());
        };
        if !rec.needs_mount() || rec.mount_count == 0 {
            return Ok(());
        }
        rec.mount_count -= 1;
        if rec.mount_count == 0 {
            driver::unmount(name, &self.mountpoint(name))?;
        }
        self.db.update_volume_state(&rec)?;
        Ok(())
    }

    /// Creates the volumes a new container names that do not exist yet
    /// (Podman does, with the local driver), and a volume with a new name
    /// for each anonymous one. Returns the names it created; on failure
    /// nothing it created is left.
    pub fn ensure_for_container(
        &self,
        volumes: &mut [crate::container::VolumeMount],
    ) -> Result<Vec<String>, VolumeError> {
        let mut created = Vec::new();
        let res = (|| {
            for v in volumes.iter_mut() {
                let anonymous = v.name.is_empty();
                if !anonymous && self.db.volume(&v.name)?.is_some() {
                    continue;
                }
                let rec = self.create(NewVolume {
                    name: (!anonymous).then(|| v.name.clone()),
                    driver: super::LOCAL_DRIVER.to_owned(),
                    anonymous,
                    // Another container may create it at the same moment.
                    ignore_existing: true,
                    ..Default::default()
                })?;
                v.name = rec.name.clone();
                created.push(rec.name);
            }
            Ok(())
        })();
        match res {
            Ok(()) => Ok(created),
            Err(e) => {
                self.remove_quietly(&created);
                Err(e)
            }
        }
    }

    /// Removes `names`, logging (never returning) what fails: cleaning up
    /// after a failed create.
    pub fn remove_quietly(&self, names: &[String]) {
        for name in names {
            if let Err(e) = self.remove(name) {
                tracing::warn!(volume = %name, "removing volume: {e}");
            }
        }
    }

    /// After a container is removed (`rm -v`, `--rm`): its anonymous
    /// volumes go too, unless another container uses them.
    pub fn remove_anonymous(&self, volumes: &[crate::container::VolumeMount]) {
        for v in volumes {
            match self.db.volume(&v.name) {
                Ok(Some(rec)) if rec.anonymous => match self.remove(&v.name) {
                    Ok(()) | Err(VolumeError::InUse { .. } | VolumeError::NotFound(_)) => {}
                    Err(e) => tracing::warn!(volume = %v.name, "removing anonymous volume: {e}"),
                },
                Ok(_) => {}
                Err(e) => tracing::warn!(volume = %v.name, "looking up volume: {e}"),
            }
        }
    }

    /// `volume mount`: the volume's path on the host, mounted for the
    /// caller when its options need a mount (one more user).
    pub fn mount_by_user(&self, name: &str) -> Result<PathBuf, VolumeError> {
        let _guard = self.lock()?;
        let mut rec = self.get(name)?;
        let target = self.mountpoint(name);
        if rec.needs_mount() {
            if rec.mount_count == 0 {
                driver::mount(&rec, &target)?;
            }
            rec.mount_count += 1;
            self.db.update_volume_state(&rec)?;
        }
        Ok(target)
    }
}

/// `<root>/volumes/NAME` (0700) and its `_data` (0755, or the `uid`/`gid`
/// options' owner).
fn make_dirs(
    dir: &Path,
    data: &Path,
    options: &BTreeMap<String, String>,
) -> Result<(), VolumeError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::create_dir_all(dir.parent().unwrap_or(dir))
        .map_err(VolumeError::io("creating", dir))?;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(VolumeError::io("creating volume directory", dir))?;
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(data)
        .map_err(VolumeError::io("creating volume directory", data))?;
    std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o755))
        .map_err(VolumeError::io("setting permissions of", data))?;
    let id = |k: &str| {
        options
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| v.parse::<u32>().ok())
    };
    let (uid, gid) = (id("uid"), id("gid"));
    if uid.is_some() || gid.is_some() {
        std::os::unix::fs::chown(data, uid, gid).map_err(VolumeError::io("chowning", data))?;
    }
    Ok(())
}
