//! The host-side part of `-v` options the runtime has no words for, done at
//! each start on the generated spec's bind mounts (binds of host paths and
//! of named volumes alike):
//! - `O`: an overlay mount with the bind's source as its lower directory.
//!   Its upper and work directories are `upperdir=`/`workdir=` when given
//!   (relative ones under the content directory), else fresh ones in the
//!   container's content directory `<root>/containers/<id>/overlay/N`, which
//!   [`release`] removes at the container's exit: the writes are discarded
//!   and the host directory never changes, as with Podman's overlay volumes.
//! - `U`: the source is chowned (recursively, each entry that differs) to
//!   the container user's host IDs, refusing system paths as Podman does;
//!   once the container has run, only while the source's own owner differs
//!   (Podman's "only chown on initial creation").
//! - `copy`/`nocopy` (named volumes only have a copy-up) are dropped.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxIdMapping, Mount, MountBuilder, Spec};

use super::error::io_err;
use super::paths::ContainerPaths;
use super::ContainerError;

/// Options of a bind mount rpod acts on itself.
fn is_host_option(o: &str) -> bool {
    matches!(o, "O" | "U" | "copy" | "nocopy")
        || o.starts_with("upperdir=")
        || o.starts_with("workdir=")
}

fn content_root(paths: &ContainerPaths) -> PathBuf {
    paths.data_dir.join("overlay")
}

/// Rewrites the spec's bind mounts that carry `O`, `U`, `copy` or `nocopy`;
/// `first_run`: the container never started before.
pub(crate) fn apply(
    paths: &ContainerPaths,
    spec: &mut Spec,
    first_run: bool,
) -> Result<(), ContainerError> {
    apply_in(&content_root(paths), spec, first_run)
}

/// [`apply`] with the content directories under `root`.
fn apply_in(root: &Path, spec: &mut Spec, first_run: bool) -> Result<(), ContainerError> {
    let Some(mut mounts) = spec.mounts().clone() else {
        return Ok(());
    };
    if !mounts
        .iter()
        .any(|m| options(m).iter().any(|o| is_host_option(o)))
    {
        return Ok(());
    }
    let (uid, gid) = host_ids(spec);
    crate::storage::remove_tree_if_exists(root).map_err(io_err(root))?;
    let mut next = 0;
    for m in mounts.iter_mut() {
        let opts = options(m);
        if !opts.iter().any(|o| is_host_option(o)) {
            continue;
        }
        if m.typ().as_deref() == Some("tmpfs") {
            // `U` on a tmpfs: owned by the container's user (its IDs
            // inside), as Podman.
            let (cuid, cgid) = process_ids(spec);
            let opts = opts.into_iter().flat_map(|o| match o.as_str() {
                "U" => vec![format!("uid={cuid}"), format!("gid={cgid}")],
                _ => vec![o],
            });
            m.set_options(Some(opts.collect()));
            continue;
        }
        if m.typ().as_deref() != Some("bind") {
            continue;
        }
        let source = m.source().clone().unwrap_or_default();
        let chown = opts.iter().any(|o| o == "U");
        if chown {
            chown_host_path(&source, uid, gid, first_run)?;
        }
        if opts.iter().any(|o| o == "O") {
            let content = root.join(next.to_string());
            next += 1;
            *m = overlay(m.destination(), &source, &content, &opts)?;
            if chown {
                chown_host_path(&content, uid, gid, true)?;
            }
        } else {
            m.set_options(Some(
                opts.into_iter().filter(|o| !is_host_option(o)).collect(),
            ));
        }
    }
    spec.set_mounts(Some(mounts));
    Ok(())
}

/// Discards what the container's overlay volumes wrote (their own upper
/// directories); nothing if already done.
pub(crate) fn release(paths: &ContainerPaths) {
    let root = content_root(paths);
    if let Err(e) = crate::storage::remove_tree_if_exists(&root) {
        tracing::warn!("removing {}: {e}", root.display());
    }
}

fn options(m: &Mount) -> Vec<String> {
    m.options().clone().unwrap_or_default()
}

fn value<'a>(opts: &'a [String], key: &str) -> Option<&'a str> {
    opts.iter()
        .find_map(|o| o.strip_prefix(key)?.strip_prefix('='))
}

/// The overlay mount of `lower` at `dest` (Podman's overlay.MountWithOptions).
fn overlay(
    dest: &Path,
    lower: &Path,
    content: &Path,
    opts: &[String],
) -> Result<Mount, ContainerError> {
    let merge = content.join("merge");
    let (upper, work) = match (value(opts, "upperdir"), value(opts, "workdir")) {
        (Some(u), Some(w)) => {
            std::fs::create_dir_all(&merge).map_err(io_err(&merge))?;
            let under = |p: &str| content.join(p);
            let (u, w) = (under(u), under(w));
            for d in [&u, &w] {
                if !d.is_dir() {
                    return Err(ContainerError::InvalidArgument(format!(
                        "overlay {}: {}: no such directory",
                        if d == &u { "upperdir" } else { "workdir" },
                        d.display()
                    )));
                }
            }
            (u, w)
        }
        (None, None) => {
            let (u, w) = (content.join("upper"), content.join("work"));
            for d in [&u, &w, &merge] {
                std::fs::create_dir_all(d).map_err(io_err(d))?;
            }
            // The upper directory stands for the lower one's root.
            let meta = std::fs::metadata(lower).map_err(io_err(lower))?;
            std::fs::set_permissions(&u, meta.permissions()).map_err(io_err(&u))?;
            std::os::unix::fs::chown(&u, Some(meta.uid()), Some(meta.gid())).map_err(io_err(&u))?;
            (u, w)
        }
        _ => {
            return Err(ContainerError::InvalidArgument(
                "must specify both upperdir and workdir".into(),
            ))
        }
    };
    let lower = lower.display().to_string().replace(':', "\\:");
    MountBuilder::default()
        .destination(dest)
        .typ("overlay")
        .source(merge)
        .options(vec![
            format!("lowerdir={lower}"),
            format!("upperdir={}", upper.display()),
            format!("workdir={}", work.display()),
            "private".to_owned(),
        ])
        .build()
        .map_err(|e| ContainerError::InvalidArgument(e.to_string()))
}

/// The host IDs of the spec's process user (through its user namespace's
/// maps, if it has one).
fn host_ids(spec: &Spec) -> (u32, u32) {
    let (uid, gid) = process_ids(spec);
    let linux = spec.linux().as_ref();
    let map = |id: u32, maps: Option<&Vec<LinuxIdMapping>>| {
        maps.and_then(|maps| {
            maps.iter().find_map(|m| {
                let off = id.checked_sub(m.container_id())?;
                (off < m.size()).then(|| m.host_id() + off)
            })
        })
        .unwrap_or(id)
    };
    (
        map(uid, linux.and_then(|l| l.uid_mappings().as_ref())),
        map(gid, linux.and_then(|l| l.gid_mappings().as_ref())),
    )
}

/// The process user's IDs inside the container.
fn process_ids(spec: &Spec) -> (u32, u32) {
    spec.process()
        .as_ref()
        .map(|p| (p.user().uid(), p.user().gid()))
        .unwrap_or((0, 0))
}

/// Host paths `U` never chowns (containers/common's DangerousHostPath).
const DANGEROUS: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/etc/passwd",
    "/etc/pki",
    "/etc/shadow",
    "/home",
    "/lib",
    "/lib64",
    "/media",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/var",
    "/var/lib",
    "/var/log",
];

/// `U`: chowns `path` and everything under it (symlinks themselves, never
/// their targets) to `uid:gid`; unless `always`, nothing when `path` itself
/// is owned so already.
fn chown_host_path(path: &Path, uid: u32, gid: u32, always: bool) -> Result<(), ContainerError> {
    if !always {
        let meta = std::fs::metadata(path).map_err(io_err(path))?;
        if (meta.uid(), meta.gid()) == (uid, gid) {
            return Ok(());
        }
    }
    let real = std::fs::canonicalize(path).map_err(io_err(path))?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if DANGEROUS.iter().any(|d| real == Path::new(d)) || home.as_deref() == Some(&real) {
        return Err(ContainerError::InvalidArgument(format!(
            "chowning host path {:?} is not allowed. You can manually `chown -R {uid}:{gid} {}`",
            path.display(),
            path.display()
        )));
    }
    chown_tree(path, uid, gid).map_err(|e| {
        ContainerError::InvalidArgument(format!("failed to chown recursively host path: {e}"))
    })
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.uid() != uid || meta.gid() != gid {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind(src: &Path, dest: &str, opts: &[&str]) -> Mount {
        MountBuilder::default()
            .destination(dest)
            .typ("bind")
            .source(src)
            .options(opts.iter().map(|o| o.to_string()).collect::<Vec<_>>())
            .build()
            .unwrap()
    }

    #[test]
    fn overlay_volume_gets_its_own_upper_and_work() {
        let tmp = tempfile::tempdir().unwrap();
        let lower = tmp.path().join("lower");
        std::fs::create_dir(&lower).unwrap();
        let root = tmp.path().join("overlay");
        let mut spec = Spec::default();
        spec.set_mounts(Some(vec![
            bind(&lower, "/o", &["rbind", "rw", "rprivate", "O"]),
            bind(&lower, "/b", &["rbind", "rw", "rprivate", "nocopy"]),
        ]));
        apply_in(&root, &mut spec, true).unwrap();
        let ms = spec.mounts().clone().unwrap();
        assert_eq!(ms[0].typ().as_deref(), Some("overlay"));
        let content = root.join("0");
        assert_eq!(
            ms[0].options().clone().unwrap(),
            [
                format!("lowerdir={}", lower.display()),
                format!("upperdir={}", content.join("upper").display()),
                format!("workdir={}", content.join("work").display()),
                "private".to_owned(),
            ]
        );
        assert!(content.join("upper").is_dir() && content.join("work").is_dir());
        assert_eq!(
            ms[1].options().clone().unwrap(),
            ["rbind", "rw", "rprivate"]
        );
    }

    #[test]
    fn upperdir_and_workdir_are_both_needed_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let lower = tmp.path().join("lower");
        let upper = tmp.path().join("upper");
        let work = tmp.path().join("work");
        for d in [&lower, &upper, &work] {
            std::fs::create_dir(d).unwrap();
        }
        let root = tmp.path().join("overlay");
        let mut spec = Spec::default();
        let up = format!("upperdir={}", upper.display());
        let wk = format!("workdir={}", work.display());
        spec.set_mounts(Some(vec![bind(&lower, "/o", &["O", &up, &wk])]));
        apply_in(&root, &mut spec, true).unwrap();
        let opts = spec.mounts().clone().unwrap()[0].options().clone().unwrap();
        assert_eq!(opts[1], up);
        assert_eq!(opts[2], wk);
        spec.set_mounts(Some(vec![bind(&lower, "/o", &["O", &up])]));
        let err = apply_in(&root, &mut spec, true).unwrap_err();
        assert_eq!(err.to_string(), "must specify both upperdir and workdir");
    }

    #[test]
    fn chown_refuses_system_paths() {
        let err = chown_host_path(Path::new("/usr"), 1, 1, true).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("chowning host path \"/usr\" is not allowed"));
    }
}
