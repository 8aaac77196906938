//! `cp` over the archive endpoints, as Podman's remote client does it: the
//! container side is stat'ed (`HEAD .../archive`), read as a tar stream
//! (`GET`) or written from one (`PUT`); the host side is archived or
//! unpacked here, with Podman's rules for `/`, `/.` and renames.

use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use http_body_util::BodyExt;
use hyper::Method;
use rpod_api::front_door::container_copy::{
    CopyDestination, CopyOptions, CopyRequest, CopySource, PathStat,
};
use rpod_api::{Error, Result};

use super::seg;
use crate::error::{from_response, transport};
use crate::query::with_query;
use crate::transport::read_all;
use crate::RemoteEngine;

const EMPTY_NAME: &str = "name or ID cannot be empty";
const DIR_ONTO_FILE: &str = "destination must be a directory when copying a directory";
const STDIN_NOT_DIR: &str = "destination must be a directory when copying from stdin";
const ENOENT: &str = "no such file or directory";

/// The root entry of an archive renamed (Podman's `Rename` map of one).
struct Rename {
    from: String,
    to: String,
}

fn rename_if(cond: bool, from: &str, to: &str) -> Option<Rename> {
    cond.then(|| Rename {
        from: base(from),
        to: to.to_owned(),
    })
}

/// Go's `filepath.Base`.
fn base(p: &str) -> String {
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return if p.is_empty() { ".".into() } else { "/".into() };
    }
    t.rsplit('/').next().unwrap_or(t).to_owned()
}

/// Go's `filepath.Dir` (without cleaning `..`).
fn dir(p: &str) -> String {
    let t = p.trim_end_matches('/');
    match t.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => t[..i].to_owned(),
        None if p.starts_with('/') => "/".into(),
        None => ".".into(),
    }
}

fn not_on_container(path: &str, container: &str) -> Error {
    Error::other(format!(
        "{path:?} could not be found on container {container}: {ENOENT}"
    ))
}

fn not_on_host(path: &Path, e: &io::Error) -> Error {
    let reason = if e.kind() == io::ErrorKind::NotFound {
        ENOENT.to_owned()
    } else {
        e.to_string()
    };
    Error::other(format!(
        "{:?} could not be found on the host: {reason}",
        path.to_string_lossy()
    ))
}

/// What a host path names (Podman's `ResolveHostPath`): made absolute,
/// the trailing `/` or `/.` kept, symlinks followed for the stat.
struct HostInfo {
    is_dir: bool,
    is_regular: bool,
    link_target: String,
}

fn host_stat(path: &Path) -> io::Result<HostInfo> {
    let original = path.to_string_lossy().into_owned();
    let abs = if original.starts_with('/') {
        original.clone()
    } else {
        let cwd = std::env::current_dir()?;
        format!("{}/{original}", cwd.to_string_lossy())
    };
    let meta = std::fs::metadata(&abs)?;
    Ok(HostInfo {
        is_dir: meta.is_dir(),
        is_regular: meta.is_file(),
        link_target: abs,
    })
}

/// The stat header's JSON (Podman's `define.FileInfo`).
#[derive(serde::Deserialize)]
struct StatJson {
    name: String,
    #[serde(default)]
    size: i64,
    mode: u32,
    #[serde(default)]
    mtime: String,
    #[serde(rename = "linkTarget", default)]
    link_target: String,
}

fn decode_stat(value: &[u8]) -> Result<PathStat> {
    let text = String::from_utf8_lossy(value);
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(text.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(text.as_bytes()))
        .map_err(|e| transport("decoding the path's stat", e))?;
    let s: StatJson =
        serde_json::from_slice(&raw).map_err(|e| transport("decoding the path's stat", e))?;
    let mtime = chrono::DateTime::parse_from_rfc3339(&s.mtime)
        .map(|t| (t.timestamp(), t.timestamp_subsec_nanos()))
        .unwrap_or_default();
    let mode = PathStat::mode_from_go(s.mode);
    Ok(PathStat {
        name: s.name,
        size: s.size,
        mode,
        mtime,
        is_dir: mode & 0o170_000 == 0o040_000,
        link_target: s.link_target,
    })
}

fn archive_path(container: &str, path: &str) -> String {
    with_query(
        &format!("/containers/{}/archive", seg(container)),
        &[("path", path.to_owned())],
    )
}

impl RemoteEngine {
    /// `HEAD .../archive`: the stat, `None` for a missing path (a missing
    /// container is told by `exists`, as HEAD answers carry no body).
    pub(crate) async fn stat(&self, container: &str, path: &str) -> Result<Option<PathStat>> {
        if container.is_empty() {
            return Err(Error::invalid(EMPTY_NAME));
        }
        let resp = self
            .transport
            .send(Method::HEAD, &archive_path(container, path), None, false)
            .await?;
        let status = resp.status().as_u16();
        let header = resp
            .headers()
            .get("X-Docker-Container-Path-Stat")
            .map(|v| v.as_bytes().to_vec());
        drop(resp);
        match (status, header) {
            (200, Some(h)) => decode_stat(&h).map(Some),
            (404, _) => {
                let exists = format!("/containers/{}/exists", seg(container));
                let resp = self
                    .transport
                    .send(Method::GET, &exists, None, false)
                    .await?;
                let status = resp.status().as_u16();
                let body = read_all(resp).await?;
                if status >= 400 {
                    return Err(from_response(status, &body));
                }
                Ok(None)
            }
            (status, _) => Err(from_response(status, b"")),
        }
    }

    /// Podman's `cp` with the container side over the API.
    pub(crate) async fn copy(&self, request: CopyRequest) -> Result<()> {
        let CopyRequest {
            source,
            destination,
            options,
        } = request;
        match (source, destination) {
            (
                CopySource::Container {
                    container: sc,
                    path: sp,
                },
                CopyDestination::Container {
                    container: dc,
                    path: dp,
                },
            ) => {
                self.container_to_container(&sc, &sp, &dc, &dp, options)
                    .await
            }
            (CopySource::Container { container, path }, dest) => {
                self.copy_out(&container, &path, dest, options).await
            }
            (source, CopyDestination::Container { container, path }) => {
                self.copy_in(&container, &path, source, options).await
            }
            _ => Err(Error::invalid(EMPTY_NAME)),
        }
    }

    async fn stat_existing(&self, container: &str, path: &str) -> Result<PathStat> {
        self.stat(container, path)
            .await?
            .ok_or_else(|| not_on_container(path, container))
    }

    /// Podman's `resolvePathOnDestinationContainer`: the destination, or
    /// its parent directory when it does not exist (the copied item then
    /// takes the destination's base name).
    async fn resolve_destination(
        &self,
        container: &str,
        path: &str,
        is_stdin: bool,
    ) -> Result<(String, PathStat, bool)> {
        if let Some(info) = self.stat(container, path).await? {
            return Ok((base(&info.link_target), info, false));
        }
        if path.ends_with('/') {
            return Err(not_on_container(path, container));
        }
        if is_stdin {
            return Err(Error::other(STDIN_NOT_DIR));
        }
        let parent = self
            .stat(container, &dir(path))
            .await?
            .ok_or_else(|| not_on_container(path, container))?;
        Ok((base(path), parent, true))
    }

    /// `GET .../archive`: the tar stream of `path`, whole.
    async fn get_archive(&self, container: &str, path: &str) -> Result<Vec<u8>> {
        let mut body = self
            .transport
            .stream(Method::GET, &archive_path(container, path), None)
            .await?;
        let mut data = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| transport("reading the archive", e))?;
            if let Some(chunk) = frame.data_ref() {
                data.extend_from_slice(chunk);
            }
        }
        Ok(data)
    }

    /// `PUT .../archive`: `tar` unpacked into the directory `path`.
    async fn put_archive(
        &self,
        container: &str,
        path: &str,
        tar: Vec<u8>,
        o: CopyOptions,
    ) -> Result<()> {
        let target = with_query(
            &format!("/containers/{}/archive", seg(container)),
            &[
                ("path", path.to_owned()),
                ("copyUIDGID", o.chown.to_string()),
                ("noOverwriteDirNonDir", (!o.overwrite).to_string()),
            ],
        );
        self.transport
            .call(Method::PUT, &target, Some(tar))
            .await
            .map(drop)
    }

    async fn copy_out(
        &self,
        container: &str,
        cpath: &str,
        dest: CopyDestination,
        o: CopyOptions,
    ) -> Result<()> {
        let cinfo = self.stat_existing(container, cpath).await?;
        let host_path = match dest {
            CopyDestination::Stream(mut w) => {
                let data = self.get_archive(container, &cinfo.link_target).await?;
                return blocking(move || {
                    w.write_all(&data)?;
                    w.flush()
                })
                .await;
            }
            CopyDestination::Host(p) => p,
            CopyDestination::Container { .. } => return Err(Error::invalid(EMPTY_NAME)),
        };
        let (host_base, to_parent, hinfo) = match host_stat(&host_path) {
            Ok(h) => (base(&h.link_target), false, h),
            Err(e) => {
                let shown = host_path.to_string_lossy().into_owned();
                if shown.ends_with('/') {
                    return Err(not_on_host(&host_path, &e));
                }
                let h =
                    host_stat(Path::new(&dir(&shown))).map_err(|_| not_on_host(&host_path, &e))?;
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
        let host_dir = PathBuf::from(if hinfo.is_dir {
            hinfo.link_target.clone()
        } else {
            dir(&hinfo.link_target)
        });
        let rename = rename_if(
            (!cinfo.is_dir && !hinfo.is_dir) || to_parent,
            &ctarget,
            &host_base,
        );
        let data = self.get_archive(container, &ctarget).await?;
        blocking(move || unpack(&data, &host_dir, rename.as_ref(), o.overwrite))
            .await
            .map_err(|e| Error::other(format!("copying to host: {}", e.message)))
    }

    async fn copy_in(
        &self,
        container: &str,
        cpath: &str,
        source: CopySource,
        o: CopyOptions,
    ) -> Result<()> {
        let (hinfo, stdin) = match source {
            CopySource::Host(p) => (Some(host_stat(&p).map_err(|e| not_on_host(&p, &e))?), None),
            CopySource::Stream(r) => (None, Some(r)),
            CopySource::Container { .. } => return Err(Error::invalid(EMPTY_NAME)),
        };
        if container.is_empty() {
            return Err(Error::invalid(EMPTY_NAME));
        }
        let (cbase, cinfo, to_parent) = self
            .resolve_destination(container, cpath, stdin.is_some())
            .await?;
        let mut target = cinfo.link_target.clone();
        if !cinfo.is_dir {
            target = dir(&target);
        }
        let tar = match (stdin, hinfo) {
            (Some(mut r), _) => {
                if !cinfo.is_dir {
                    return Err(Error::other(STDIN_NOT_DIR));
                }
                blocking(move || {
                    let mut data = Vec::new();
                    r.read_to_end(&mut data).map(|_| data)
                })
                .await?
            }
            (None, Some(hinfo)) => {
                let mut htarget = hinfo.link_target.clone();
                if to_parent && hinfo.is_dir && base(&htarget) == "." {
                    htarget = dir(&htarget);
                }
                if hinfo.is_dir && !cinfo.is_dir {
                    return Err(Error::other(DIR_ONTO_FILE));
                }
                let rename = rename_if(
                    (!hinfo.is_dir && !cinfo.is_dir) || to_parent,
                    &htarget,
                    &cbase,
                );
                blocking(move || archive_host(&htarget, hinfo.is_dir, rename.as_ref()))
                    .await
                    .map_err(|e| Error::other(format!("copying from host: {}", e.message)))?
            }
            (None, None) => return Err(Error::invalid("nothing to copy")),
        };
        // The service words its own errors ("copying to container: ...").
        self.put_archive(container, &target, tar, o).await
    }

    async fn container_to_container(
        &self,
        sc: &str,
        spath: &str,
        dc: &str,
        dpath: &str,
        o: CopyOptions,
    ) -> Result<()> {
        if sc.is_empty() || dc.is_empty() {
            return Err(Error::invalid(EMPTY_NAME));
        }
        let sinfo = self.stat_existing(sc, spath).await?;
        let (dbase, dinfo, to_parent) = self.resolve_destination(dc, dpath, false).await?;
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
        let data = self
            .get_archive(sc, &starget)
            .await
            .map_err(|e| Error::new(e.kind, format!("copying from container: {}", e.message)))?;
        let data = match rename {
            Some(r) => blocking(move || rename_archive(&data, &r)).await?,
            None => data,
        };
        self.put_archive(dc, &dtarget, data, o).await
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::other(format!("cp task failed: {e}")))?
        .map_err(|e| Error::other(e.to_string()))
}

/// `path` with its first component renamed as `rename` says.
fn renamed(path: &Path, rename: Option<&Rename>) -> PathBuf {
    let Some(r) = rename else {
        return path.to_owned();
    };
    let mut parts = path.components().filter(|c| *c != Component::CurDir);
    match parts.next() {
        Some(Component::Normal(first)) if first.to_string_lossy() == r.from => {
            let mut out = PathBuf::from(&r.to);
            out.extend(parts);
            out
        }
        _ => path.to_owned(),
    }
}

/// The host path `htarget` as a tar archive: a directory with its name
/// (its contents only when it ends in `/.`), a file as one entry; the
/// root entry renamed as `rename` says. Symlinks are archived as links.
fn archive_host(htarget: &str, is_dir: bool, rename: Option<&Rename>) -> io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(false);
    let root_name = base(htarget);
    let name = rename.map_or(root_name.clone(), |r| r.to.clone());
    if is_dir {
        let inside = if root_name == "." {
            String::new()
        } else {
            name
        };
        b.append_dir_all(&inside, htarget)?;
    } else {
        let mut f = std::fs::File::open(htarget)?;
        b.append_file(&name, &mut f)?;
    }
    b.into_inner()
}

/// The archive `data` with its root entry renamed.
fn rename_archive(data: &[u8], rename: &Rename) -> io::Result<Vec<u8>> {
    let mut out = tar::Builder::new(Vec::new());
    let mut archive = tar::Archive::new(data);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = renamed(&entry.path()?, Some(rename));
        let mut header = entry.header().clone();
        match entry.link_name()? {
            Some(link) if header.entry_type().is_hard_link() => {
                let link = renamed(&link, Some(rename));
                out.append_link(&mut header, &path, &link)?;
            }
            Some(link) => out.append_link(&mut header, &path, link.as_ref())?,
            None => out.append_data(&mut header, &path, &mut entry)?,
        }
    }
    out.into_inner()
}

/// The archive `data` unpacked under `dir`, the root entry renamed as
/// `rename` says; a directory and a non-directory replace each other only
/// with `overwrite`.
fn unpack(data: &[u8], dir: &Path, rename: Option<&Rename>, overwrite: bool) -> io::Result<()> {
    let mut archive = tar::Archive::new(data);
    archive.set_preserve_permissions(true);
    archive.set_preserve_mtime(true);
    for entry in archive.entries()? {
        let mut entry = entry?;
        // Components only: a directory's trailing `/` dropped.
        let path: PathBuf = renamed(&entry.path()?, rename).components().collect();
        if path
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::RootDir))
        {
            return Err(io::Error::other(format!(
                "archive entry {} leaves the destination",
                path.display()
            )));
        }
        let dest = dir.join(&path);
        let is_dir = entry.header().entry_type().is_dir();
        if let Ok(existing) = std::fs::symlink_metadata(&dest) {
            if existing.is_dir() != is_dir {
                if !overwrite {
                    let what = if is_dir {
                        "a directory onto a non-directory"
                    } else {
                        "a non-directory onto a directory"
                    };
                    return Err(io::Error::other(format!(
                        "copier: put: cannot write {what}: {}",
                        dest.display()
                    )));
                }
                if existing.is_dir() {
                    std::fs::remove_dir_all(&dest)?;
                } else {
                    std::fs::remove_file(&dest)?;
                }
            }
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        entry.unpack(&dest)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_base_and_dir() {
        assert_eq!(base("/a/b"), "b");
        assert_eq!(base("/a/b/"), "b");
        assert_eq!(base("/a/."), ".");
        assert_eq!(base("/"), "/");
        assert_eq!(dir("/a/b"), "/a");
        assert_eq!(dir("/a"), "/");
        assert_eq!(dir("a"), ".");
        assert_eq!(dir("a/b"), "a");
    }

    #[test]
    fn archives_rename_and_unpack_on_the_host() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("d")).unwrap();
        std::fs::write(src.path().join("d/f"), b"hello").unwrap();
        let d = src.path().join("d").to_string_lossy().into_owned();
        let r = Rename {
            from: "d".into(),
            to: "e".into(),
        };
        let tar = archive_host(&d, true, Some(&r)).unwrap();
        let out = tempfile::tempdir().unwrap();
        unpack(&tar, out.path(), None, false).unwrap();
        assert_eq!(std::fs::read(out.path().join("e/f")).unwrap(), b"hello");
        // Renamed again in transit, then a file may not replace the directory.
        let again = rename_archive(
            &tar,
            &Rename {
                from: "e".into(),
                to: "g".into(),
            },
        )
        .unwrap();
        unpack(&again, out.path(), None, false).unwrap();
        assert_eq!(std::fs::read(out.path().join("g/f")).unwrap(), b"hello");
        let file = archive_host(
            &format!("{d}/f"),
            false,
            Some(&Rename {
                from: "f".into(),
                to: "g".into(),
            }),
        )
        .unwrap();
        assert!(unpack(&file, out.path(), None, false).is_err());
        unpack(&file, out.path(), None, true).unwrap();
        assert_eq!(std::fs::read(out.path().join("g")).unwrap(), b"hello");
        // And back: the directory (its entry named `g/`) replaces the file.
        assert!(unpack(&again, out.path(), None, false).is_err());
        unpack(&again, out.path(), None, true).unwrap();
        assert_eq!(std::fs::read(out.path().join("g/f")).unwrap(), b"hello");
    }

    #[test]
    fn stat_headers_of_both_encodings_decode() {
        let json = br#"{"name":"etc","size":4096,"mode":2147484141,"mtime":"2024-01-02T03:04:05.5Z","isDir":true,"linkTarget":"/etc"}"#;
        for enc in [
            base64::engine::general_purpose::URL_SAFE.encode(json),
            base64::engine::general_purpose::STANDARD.encode(json),
        ] {
            let s = decode_stat(enc.as_bytes()).unwrap();
            assert!(s.is_dir);
            assert_eq!(s.mode, 0o040_755);
            assert_eq!(s.mtime, (1_704_164_645, 500_000_000));
            assert_eq!(s.link_target, "/etc");
        }
    }
}
