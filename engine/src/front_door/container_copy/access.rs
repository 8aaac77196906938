//! A container opened for `cp`: where its paths lead and who its user is.
//!
//! A running (or paused) container is read and written through
//! `/proc/PID/root`, its own view with every mount it has (volumes, bind
//! mounts, tmpfs), as Podman joins its mount namespace. The descriptor is
//! checked to be the container's root filesystem, so a reused PID cannot
//! lead elsewhere. A container that does not run has its storage mounted
//! for the copy; a path on one of its volumes or bind mounts leads to the
//! mount's source, as Podman resolves it (the deepest mount destination
//! that is a prefix of the path).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rpod_api::{Error, ErrorKind, Result};
use rustix::fs::{self as rfs, Mode, OFlags};

use super::paths::{clean, dir, path_abs, preserve_base_path};
use crate::container::ContainerError;
use crate::engine::Engine;
use crate::front_door::containers::storage::{container_image, mount_rootfs, release_rootfs};
use crate::spec::ImageDefaults;
use crate::state::ContainerState;
use crate::storage::in_root::InRoot;
use crate::volume::store::{VolumeStore, VolumeUse};

/// A path located in one of the container's trees.
pub(super) struct Located {
    /// The tree: the container's root, or a volume's or bind mount's source.
    pub root: InRoot,
    /// The path inside `root` (`/`-rooted, trailing `/` or `/.` kept).
    pub rel: String,
    /// Where `root` is mounted in the container (`/` for its root).
    pub dest: String,
}

pub(super) struct Access {
    /// The container as the user named it (for messages).
    pub name: String,
    id: String,
    /// The mounted root filesystem on the host.
    rootfs: PathBuf,
    /// `/proc/PID/root` of the running container.
    running: Option<InRoot>,
    /// The root filesystem was mounted for this copy.
    unmount: bool,
    /// Volume and bind mount destinations and their sources.
    mounts: Vec<(String, PathBuf)>,
    workdir: String,
    user: String,
    /// The container's named volumes (name, destination, options).
    volumes: Vec<crate::container::VolumeMount>,
    /// Volumes mounted for this copy.
    volumes_mounted: Vec<String>,
    ctx: std::sync::Arc<crate::engine::EngineCtx>,
}

fn not_found(name: &str) -> Error {
    Error::new(
        ErrorKind::NoSuchContainer,
        format!("container {name:?} does not exist"),
    )
}

impl Access {
    /// Opens the container `name` (its storage mounted if it does not run).
    pub(super) async fn open(engine: &Engine, name: &str) -> Result<Access> {
        match engine.container(name) {
            Err(ContainerError::NotFound(_)) => return Err(not_found(name)),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        let (rec, image) = container_image(engine, name).await?;
        let config = engine
            .store()
            .image_config(&image)
            .map_err(|e| Error::other(e.to_string()))?;
        let defaults = ImageDefaults::parse(&config).map_err(|e| Error::other(e.to_string()))?;
        let workdir = rec
            .options
            .workdir
            .clone()
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| defaults.working_dir.clone());
        let user = rec.options.user.clone().unwrap_or(defaults.user.clone());
        let (rootfs, was_mounted) = mount_rootfs(engine, &rec, &image)?;
        let runs = matches!(rec.state, ContainerState::Running | ContainerState::Paused);
        let running = if runs && rec.pid > 0 {
            proc_root(rec.pid, &rootfs)
        } else {
            None
        };
        let volumes = VolumeStore::new(engine.ctx());
        // Overlay (`O`) mounts exist only while the container runs: a stopped
        // one's path leads into its root, as Podman's (never to the host).
        let plain = |o: &[String]| !o.iter().any(|o| o == "O");
        let mut mounts: Vec<(String, PathBuf)> = rec
            .options
            .volumes
            .iter()
            .filter(|v| plain(&v.options))
            .map(|v| (clean(&v.destination), volumes.mountpoint(&v.name)))
            .collect();
        mounts.extend(
            rec.options
                .mounts
                .iter()
                .filter(|m| plain(&m.options))
                .map(|m| (clean(&m.destination), PathBuf::from(&m.source))),
        );
        Ok(Access {
            name: name.to_owned(),
            id: rec.id.clone(),
            rootfs,
            running,
            unmount: !was_mounted,
            mounts,
            workdir,
            user,
            volumes: rec.options.volumes.clone(),
            volumes_mounted: Vec::new(),
            ctx: engine.ctx().clone(),
        })
    }

    /// Before writing into a container that does not run: its named
    /// volumes mounted (and copied up) as a start would, as Podman does.
    pub(super) fn mount_volumes(&mut self) -> Result<()> {
        if self.running.is_some() || self.volumes.is_empty() {
            return Ok(());
        }
        let (uid, gid) = self.user_ids()?;
        let store = VolumeStore::new(&self.ctx);
        for v in &self.volumes {
            let counted = store
                .mount_for(&VolumeUse {
                    name: &v.name,
                    rootfs: &self.rootfs,
                    destination: &v.destination,
                    nocopy: v.options.iter().any(|o| o == "nocopy"),
                    chown_always: v.options.iter().any(|o| o == "U"),
                    uid,
                    gid,
                })
                .map_err(|e| Error::other(e.to_string()))?;
            if counted {
                self.volumes_mounted.push(v.name.clone());
            }
        }
        Ok(())
    }

    /// Undoes what [`Access::open`] mounted.
    pub(super) async fn release(self, engine: &Engine) {
        let volumes = VolumeStore::new(&self.ctx);
        for v in &self.volumes_mounted {
            if let Err(e) = volumes.unmount_for(v) {
                tracing::warn!(volume = %v, "unmounting volume after cp: {e}");
            }
        }
        if self.unmount {
            if let Err(e) = release_rootfs(engine, &self.id).await {
                tracing::warn!(container = %self.id, "unmounting after cp: {}", e.message);
            }
        }
    }

    /// Podman's `pathAbs`: relative paths start at the working directory.
    pub(super) fn path_abs(&self, p: &str) -> String {
        path_abs(&self.workdir, p)
    }

    /// The parent directory of `p` in the container (Podman's
    /// `containerParentDir`).
    pub(super) fn parent_dir(&self, p: &str) -> String {
        dir(&self.path_abs(p))
    }

    /// The tree and path that the absolute container path `abs` leads to.
    pub(super) fn locate(&self, abs: &str) -> std::io::Result<Located> {
        if let Some(root) = &self.running {
            return Ok(Located {
                root: root.try_clone()?,
                rel: abs.to_owned(),
                dest: "/".into(),
            });
        }
        let cleaned = clean(abs);
        let mut search = cleaned.clone();
        loop {
            // Volumes before bind mounts at one destination, as Podman.
            if let Some((dest, source)) = self.mounts.iter().find(|(d, _)| *d == search) {
                let rest = cleaned.strip_prefix(dest.as_str()).unwrap_or("");
                let rel = preserve_base_path(abs, &clean(&format!("/{rest}")));
                return Ok(Located {
                    root: InRoot::new(source)?,
                    rel,
                    dest: dest.clone(),
                });
            }
            if search == "/" {
                break;
            }
            search = dir(&search);
        }
        Ok(Located {
            root: InRoot::new(&self.rootfs)?,
            rel: abs.to_owned(),
            dest: "/".into(),
        })
    }

    /// The ids of the container's user (`--user`, else the image's), from
    /// the container's own /etc/passwd and /etc/group.
    pub(super) fn user_ids(&self) -> Result<(u32, u32)> {
        let u = crate::spec::resolve_user(&self.rootfs, &self.user)
            .map_err(|e| Error::other(e.to_string()))?;
        Ok((u.uid, u.gid))
    }
}

/// `/proc/PID/root` if it is the container's root filesystem `rootfs`.
fn proc_root(pid: i32, rootfs: &Path) -> Option<InRoot> {
    let path = PathBuf::from(format!("/proc/{pid}/root"));
    let fd = rfs::open(
        &path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let st = rfs::fstat(&fd).ok()?;
    let want = std::fs::metadata(rootfs).ok()?;
    ((st.st_dev, st.st_ino) == (want.dev(), want.ino())).then(|| InRoot::from_fd(fd, path))
}
