//! `cp` (`ContainerCopy`): Podman's `cp` command logic (which side is
//! stat'ed when, the `/` and `/.` rules, renames, the error messages) over
//! the engine's copier halves. Both halves run at once on blocking threads,
//! joined by a pipe; a destination that cannot take what comes stops the
//! copy with its own error.

mod access;
mod paths;
mod stat;

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::Path;

use async_trait::async_trait;
use rpod_api::error_chain::io_reason;
use rpod_api::front_door::container_copy::{
    ContainerCopy, CopyDestination, CopyOptions, CopyRequest, CopySource, PathStat,
};
use rpod_api::{Error, Result};
use rustix::fs::{self as rfs, Mode, OFlags};

use self::access::Access;
use self::paths::{base, dir};
use self::stat::{container_stat, host_stat, path_stat, FileInfo};
use super::LocalEngine;
use crate::engine::Engine;
use crate::storage::compression::decompress;
use crate::storage::copier::{get, put, GetOptions, PutOptions, Rename};
use crate::storage::in_root::InRoot;

#[async_trait]
impl ContainerCopy for LocalEngine {
    async fn container_copy(&self, request: CopyRequest) -> Result<()> {
        copy(self.engine(), request).await
    }

    async fn container_stat(&self, container: &str, path: &str) -> Result<Option<PathStat>> {
        let engine = self.engine();
        if container.is_empty() {
            return Err(Error::invalid(EMPTY_NAME));
        }
        let acc = Access::open(engine, container).await?;
        let path = path.to_owned();
        let (res, acc) = tokio::task::spawn_blocking(move || {
            let res = path_stat(&acc, &path);
            (res, acc)
        })
        .await
        .map_err(|e| Error::other(format!("stat task failed: {e}")))?;
        acc.release(engine).await;
        res.map_err(|e| Error::other(io_reason(&e)))
    }
}

async fn copy(engine: &Engine, req: CopyRequest) -> Result<()> {
    let CopyRequest {
        source,
        destination,
        options,
    } = req;
    let named = |c: &str| {
        if c.is_empty() {
            Err(Error::invalid(EMPTY_NAME))
        } else {
            Ok(())
        }
    };
    if let CopySource::Container { container, .. } = &source {
        named(container)?;
    }
    if let CopyDestination::Container { container, .. } = &destination {
        named(container)?;
    }
    let src = match &source {
        CopySource::Container { container, .. } => Some(Access::open(engine, container).await?),
        _ => None,
    };
    let dst = match &destination {
        CopyDestination::Container { container, .. } => {
            match Access::open(engine, container).await {
                Ok(a) => Some(a),
                Err(e) => {
                    if let Some(s) = src {
                        s.release(engine).await;
                    }
                    return Err(e);
                }
            }
        }
        _ => None,
    };
    let (res, src, dst) = tokio::task::spawn_blocking(move || {
        let mut src = src;
        let mut dst = dst;
        let res = run(src.as_mut(), source, dst.as_mut(), destination, options);
        (res, src, dst)
    })
    .await
    .map_err(|e| Error::other(format!("cp task failed: {e}")))?;
    for a in [src, dst].into_iter().flatten() {
        a.release(engine).await;
    }
    res
}

fn run(
    src: Option<&mut Access>,
    source: CopySource,
    dst: Option<&mut Access>,
    destination: CopyDestination,
    o: CopyOptions,
) -> Result<()> {
    match (src, source, dst, destination) {
        (
            Some(s),
            CopySource::Container { path: sp, .. },
            Some(d),
            CopyDestination::Container { path: dp, .. },
        ) => container_to_container(s, &sp, d, &dp, o),
        (Some(s), CopySource::Container { path, .. }, None, dest) => {
            from_container(s, &path, dest, o)
        }
        (None, source, Some(d), CopyDestination::Container { path, .. }) => {
            to_container(d, &path, source, o)
        }
        // Podman looks up the destination's container, named "".
        _ => Err(Error::invalid(EMPTY_NAME)),
    }
}

fn not_on_container(path: &str, acc: &Access, e: &io::Error) -> Error {
    Error::other(format!(
        "{path:?} could not be found on container {}: {}",
        acc.name,
        io_reason(e)
    ))
}

fn not_on_host(path: &Path, e: &io::Error) -> Error {
    Error::other(format!(
        "{:?} could not be found on the host: {}",
        path.to_string_lossy(),
        io_reason(e)
    ))
}

/// Podman's `define.ErrEmptyID`: `cp` between two host paths, or `:PATH`.
const EMPTY_NAME: &str = "name or ID cannot be empty";
const DIR_ONTO_FILE: &str = "destination must be a directory when copying a directory";
const STDIN_NOT_DIR: &str = "destination must be a directory when copying from stdin";

/// A rename of the copied item, when the destination names it anew.
fn rename_if(cond: bool, from: &str, to: &str) -> Option<Rename> {
    cond.then(|| Rename {
        from: base(from),
        to: to.to_owned(),
    })
}

/// Podman's `resolvePathOnDestinationContainer`: the destination, or its
/// parent directory when it does not exist (then the item is renamed to
/// the destination's base name).
fn resolve_destination(
    acc: &Access,
    path: &str,
    is_stdin: bool,
) -> Result<(String, FileInfo, bool)> {
    let failure = match container_stat(acc, path) {
        Ok((info, _)) => return Ok((base(&info.link_target), info, false)),
        Err(f) => f,
    };
    if path.ends_with('/') {
        return Err(not_on_container(path, acc, &failure.error));
    }
    if is_stdin {
        return Err(Error::other(STDIN_NOT_DIR));
    }
    // A symlink pointing nowhere: its target is what gets created.
    let (name, parent_of) = match &failure.info {
        Some(i) => (base(&i.link_target), i.link_target.clone()),
        None => (base(path), path.to_owned()),
    };
    let parent = acc.parent_dir(&parent_of);
    let (info, _) =
        container_stat(acc, &parent).map_err(|f| not_on_container(path, acc, &f.error))?;
    Ok((name, info, true))
}

fn from_container(
    acc: &mut Access,
    cpath: &str,
    dest: CopyDestination,
    o: CopyOptions,
) -> Result<()> {
    let (cinfo, _) =
        container_stat(acc, cpath).map_err(|f| not_on_container(cpath, acc, &f.error))?;
    let host_path = match dest {
        CopyDestination::Stream(mut w) => {
            copy_to_archive(acc, &cinfo.link_target, &mut w)?;
            return w.flush().map_err(|e| Error::other(io_reason(&e)));
        }
        CopyDestination::Host(p) => p,
        CopyDestination::Container { .. } => unreachable!("handled by container_to_container"),
    };
    let (host_base, to_parent, hinfo) = match host_stat(&host_path) {
        Ok(h) => (base(&h.link_target), false, h),
        Err(e) => {
            let shown = host_path.to_string_lossy();
            if shown.ends_with('/') {
                return Err(not_on_host(&host_path, &e));
            }
            let h = host_stat(Path::new(&dir(&shown))).map_err(|_| not_on_host(&host_path, &e))?;
            (base(&shown), true, h)
        }
    };
    if !hinfo.is_dir && !hinfo.is_regular {
        return Err(Error::other(format!(
            "invalid destination: {:?} must be a directory or a regular file",
            hinfo.link_target
        )));
    }
    let mut ctarget = cinfo.link_target.clone();
    if to_parent && cinfo.is_dir && base(&ctarget) == "." {
        ctarget = dir(&ctarget);
    }
    if cinfo.is_dir && !hinfo.is_dir {
        return Err(Error::other(DIR_ONTO_FILE));
    }
    let host_dir = if hinfo.is_dir {
        hinfo.link_target.clone()
    } else {
        dir(&hinfo.link_target)
    };
    let put_options = PutOptions {
        owner: Some((
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
        )),
        no_overwrite_dir_non_dir: !o.overwrite,
        no_overwrite_non_dir_dir: !o.overwrite,
        rename: rename_if(
            (!cinfo.is_dir && !hinfo.is_dir) || to_parent,
            &ctarget,
            &host_base,
        ),
        ignore_devices: true,
    };
    let acc = &*acc;
    pipe(
        |w| copy_to_archive(acc, &ctarget, w),
        |r| {
            let root = InRoot::new(Path::new(&host_dir))
                .map_err(|e| Error::other(format!("copying to host: {}", io_reason(&e))))?;
            put(&root, Path::new("/"), &put_options, r)
                .map_err(|e| Error::other(format!("copying to host: {e}")))
        },
    )
}

fn to_container(acc: &mut Access, cpath: &str, source: CopySource, o: CopyOptions) -> Result<()> {
    let (hinfo, stdin) = match source {
        CopySource::Host(p) => (Some(host_stat(&p).map_err(|e| not_on_host(&p, &e))?), None),
        CopySource::Stream(r) => (None, Some(r)),
        CopySource::Container { .. } => unreachable!("handled by container_to_container"),
    };
    let (cbase, cinfo, to_parent) = resolve_destination(acc, cpath, stdin.is_some())?;
    let spooled = match stdin {
        Some(r) => {
            if !cinfo.is_dir {
                return Err(Error::other(STDIN_NOT_DIR));
            }
            Some(spool(r)?)
        }
        None => None,
    };
    let mut target = cinfo.link_target.clone();
    if !cinfo.is_dir {
        target = dir(&target);
    }
    acc.mount_volumes()?;
    let acc = &*acc;
    let consume = |r: &mut (dyn Read + Send)| {
        copy_from_archive(acc, &target, r, o, None)
            .map_err(|e| Error::other(format!("copying to container: {}", e.message)))
    };
    match (spooled, hinfo) {
        (Some(mut f), _) => consume(&mut f),
        (None, Some(hinfo)) => {
            let mut htarget = hinfo.link_target.clone();
            if to_parent && hinfo.is_dir && base(&htarget) == "." {
                htarget = dir(&htarget);
            }
            if hinfo.is_dir && !cinfo.is_dir {
                return Err(Error::other(DIR_ONTO_FILE));
            }
            let get_options = GetOptions {
                keep_directory_names: hinfo.is_dir && base(&htarget) != ".",
                rename: rename_if(
                    (!hinfo.is_dir && !cinfo.is_dir) || to_parent,
                    &htarget,
                    &cbase,
                ),
                ..GetOptions::default()
            };
            pipe(
                |w| {
                    let root = InRoot::host().map_err(|e| Error::other(io_reason(&e)))?;
                    get(&root, Path::new(&htarget), &get_options, w)
                        .map(drop)
                        .map_err(|e| Error::other(format!("copying from host: {e}")))
                },
                consume,
            )
        }
        (None, None) => Err(Error::invalid("nothing to copy")),
    }
}

fn container_to_container(
    src: &mut Access,
    spath: &str,
    dst: &mut Access,
    dpath: &str,
    o: CopyOptions,
) -> Result<()> {
    let (sinfo, _) =
        container_stat(src, spath).map_err(|f| not_on_container(spath, src, &f.error))?;
    let (dbase, dinfo, to_parent) = resolve_destination(dst, dpath, false)?;
    if sinfo.is_dir && !dinfo.is_dir {
        return Err(Error::other(DIR_ONTO_FILE));
    }
    let mut starget = sinfo.link_target.clone();
    let dtarget = if dinfo.is_dir {
        dinfo.link_target.clone()
    } else {
        dir(dpath)
    };
    if to_parent && sinfo.is_dir && base(spath) == "." {
        starget = dir(&starget);
    }
    let rename = rename_if(
        (!sinfo.is_dir && !dinfo.is_dir) || to_parent,
        &starget,
        &dbase,
    );
    dst.mount_volumes()?;
    let (src, dst) = (&*src, &*dst);
    pipe(
        |w| {
            copy_to_archive(src, &starget, w)
                .map_err(|e| Error::other(format!("copying from container: {}", e.message)))
        },
        |r| {
            copy_from_archive(dst, &dtarget, r, o, rename)
                .map_err(|e| Error::other(format!("copying to container: {}", e.message)))
        },
    )
}

/// Podman's `ContainerCopyToArchive`: `path` of the container as a tar
/// stream, owned by the container's user.
fn copy_to_archive(acc: &Access, path: &str, w: &mut dyn Write) -> Result<()> {
    let (info, at) =
        container_stat(acc, path).map_err(|f| not_on_container(path, acc, &f.error))?;
    let options = GetOptions {
        keep_directory_names: info.is_dir && base(path) != ".",
        rename: None,
        owner: Some(acc.user_ids()?),
        exclude_kernel_dirs: at.dest == "/",
        name: Some(base(&info.link_target)),
    };
    get(&at.root, Path::new(&at.rel), &options, w)
        .map(drop)
        .map_err(|e| Error::other(e.to_string()))
}

/// Podman's `ContainerCopyFromArchive`: the tar stream `r` (plain or
/// compressed) unpacked into the directory `path` of the container.
fn copy_from_archive(
    acc: &Access,
    path: &str,
    r: &mut (dyn Read + Send),
    o: CopyOptions,
    rename: Option<Rename>,
) -> Result<()> {
    let path = if path == "/" { "/." } else { path };
    let at = acc
        .locate(&acc.path_abs(path))
        .map_err(|e| Error::other(io_reason(&e)))?;
    let options = PutOptions {
        owner: if o.chown { Some(acc.user_ids()?) } else { None },
        no_overwrite_dir_non_dir: !o.overwrite,
        no_overwrite_non_dir_dir: !o.overwrite,
        rename,
        ignore_devices: false,
    };
    let (_, r) = decompress(r).map_err(|e| Error::other(io_reason(&e)))?;
    put(&at.root, Path::new(&at.rel), &options, r).map_err(|e| Error::other(e.to_string()))
}

/// Runs `producer` (writing a tar stream) and `consumer` (reading it) at
/// once. The consumer's error wins: the producer then only sees the pipe
/// closed.
fn pipe(
    producer: impl FnOnce(&mut dyn Write) -> Result<()> + Send,
    consumer: impl FnOnce(&mut (dyn Read + Send)) -> Result<()>,
) -> Result<()> {
    let (mut r, mut w) = io::pipe().map_err(|e| Error::other(io_reason(&e)))?;
    std::thread::scope(|s| {
        let handle = s.spawn(move || {
            let res = producer(&mut w);
            drop(w);
            res
        });
        let consumed = consumer(&mut r).and_then(|()| {
            // What follows the archive's end (padding) is read too, so the
            // producer never blocks on a full pipe.
            io::copy(&mut r, &mut io::sink())
                .map(drop)
                .map_err(|e| Error::other(io_reason(&e)))
        });
        drop(r);
        let produced = handle
            .join()
            .unwrap_or_else(|_| Err(Error::other("copy thread panicked")));
        consumed.and(produced)
    })
}

/// Podman reads stdin into a temporary file before copying, so that a
/// stream that is not a tar archive is refused before anything changes.
fn spool(mut r: Box<dyn Read + Send>) -> Result<File> {
    let fail = |e: io::Error| Error::other(io_reason(&e));
    let fd = rfs::open(
        std::env::temp_dir(),
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|e| fail(e.into()))?;
    let mut f = File::from(fd);
    io::copy(&mut r, &mut f).map_err(fail)?;
    f.rewind().map_err(fail)?;
    let is_tar = match decompress(&mut f) {
        Ok((_, mut d)) => {
            let mut block = [0u8; 512];
            d.read_exact(&mut block).is_ok() && tar_header_valid(&block)
        }
        Err(_) => false,
    };
    if !is_tar {
        return Err(Error::other(
            "source must be a (compressed) tar archive when copying from stdin",
        ));
    }
    f.rewind().map_err(fail)?;
    Ok(f)
}

/// A tar header block whose checksum is right (what Go's `tar.Reader`
/// checks for the first header).
fn tar_header_valid(block: &[u8; 512]) -> bool {
    let header = tar::Header::from_byte_slice(block);
    let Ok(stored) = header.cksum() else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(*b)
            }
        })
        .sum();
    stored == sum && block.iter().any(|b| *b != 0)
}
