//! The container's mount list: Podman's defaults, the generated /etc files,
//! the read-only tmpfs set and the user's bind mounts.

use std::path::{Path, PathBuf};

use oci_spec::runtime::{Mount, MountBuilder};

use super::{EtcFiles, SpecError};
use crate::container::options::{BindMount, TmpfsMount};

fn mount(dest: &str, typ: &str, source: &str, options: &[&str]) -> Result<Mount, SpecError> {
    Ok(MountBuilder::default()
        .destination(dest)
        .typ(typ)
        .source(source)
        .options(options.iter().map(|o| o.to_string()).collect::<Vec<_>>())
        .build()?)
}

/// Podman's default kernel filesystems for a rootful container.
fn defaults() -> Result<Vec<Mount>, SpecError> {
    Ok(vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"])?,
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        )?,
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        )?,
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        )?,
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", "ro"],
        )?,
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            &["rprivate", "nosuid", "noexec", "nodev", "relatime", "ro"],
        )?,
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        )?,
    ])
}

/// `--shm-size`: the size of the default /dev/shm tmpfs, in bytes.
pub(crate) fn set_shm_size(mounts: &mut [Mount], size: i64) {
    for m in mounts.iter_mut().filter(|m| {
        m.destination().as_os_str() == "/dev/shm" && m.typ().as_deref() == Some("tmpfs")
    }) {
        let mut opts: Vec<String> = m
            .options()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|o| !o.starts_with("size="))
            .collect();
        opts.push(format!("size={size}"));
        m.set_options(Some(opts));
    }
}

/// `--read-only --read-only-tmpfs=false`: /dev and /dev/shm read-only too
/// (the runtime remounts /dev read-only once its device nodes exist).
pub fn read_only_dev(spec: &mut oci_spec::runtime::Spec) {
    let Some(mut mounts) = spec.mounts().clone() else {
        return;
    };
    for m in mounts
        .iter_mut()
        .filter(|m| matches!(m.destination().to_str(), Some("/dev" | "/dev/shm")))
    {
        let mut opts: Vec<String> = m
            .options()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o != "rw" && o != "ro")
            .collect();
        opts.push("ro".to_owned());
        m.set_options(Some(opts));
    }
    spec.set_mounts(Some(mounts));
}

/// Bind mounts of the generated /etc/hosts, /etc/resolv.conf, /etc/hostname
/// (read-write even with a read-only root, as in Podman); `no_hostname`
/// (`--no-hostname`) leaves the image's /etc/hostname.
fn etc_mounts(etc: &EtcFiles, no_hostname: bool) -> Result<Vec<Mount>, SpecError> {
    [
        ("/etc/hosts", &etc.hosts),
        ("/etc/resolv.conf", &etc.resolv_conf),
        ("/etc/hostname", &etc.hostname),
    ]
    .into_iter()
    .filter(|(dest, _)| !(no_hostname && *dest == "/etc/hostname"))
    .map(|(dest, src)| bind_file(dest, src))
    .collect()
}

/// `--read-only` (with Podman's default `--read-only-tmpfs`): writable
/// tmpfs on /tmp, /var/tmp and /run.
fn read_only_tmpfs() -> Result<Vec<Mount>, SpecError> {
    ["/tmp", "/var/tmp", "/run"]
        .into_iter()
        .map(|d| {
            mount(
                d,
                "tmpfs",
                "tmpfs",
                &["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"],
            )
        })
        .collect()
}

use rpod_api::container_run::PROPAGATIONS;

/// Checks one `-v` mount and turns it into an OCI bind mount.
fn user_mount(m: &BindMount) -> Result<Mount, SpecError> {
    if !m.destination.starts_with('/') {
        return Err(SpecError::InvalidMount(format!(
            "invalid container path {:?}, must be an absolute path",
            m.destination
        )));
    }
    if !m.source.starts_with('/') {
        return Err(SpecError::InvalidMount(format!(
            "invalid host path {:?}, must be an absolute path",
            m.source
        )));
    }
    match std::fs::metadata(&m.source) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SpecError::MountSourceMissing(PathBuf::from(&m.source)))
        }
        Err(e) => return Err(SpecError::io("statfs", &m.source, e)),
    }
    let mut readonly = m.readonly;
    let mut bind = "rbind";
    let mut rest = Vec::new();
    for o in &m.options {
        match o.as_str() {
            "ro" => readonly = true,
            "rw" => {}
            "bind" => bind = "bind",
            "rbind" => bind = "rbind",
            // SELinux relabelling: nothing to do without SELinux.
            "z" | "Z" => {}
            other => rest.push(other.to_owned()),
        }
    }
    let mut options = vec![
        bind.to_owned(),
        if readonly { "ro" } else { "rw" }.to_owned(),
    ];
    if !rest.iter().any(|o| PROPAGATIONS.contains(&o.as_str())) {
        options.push("rprivate".to_owned());
    }
    options.extend(rest);
    Ok(MountBuilder::default()
        .destination(clean(&m.destination))
        .typ("bind")
        .source(&m.source)
        .options(options)
        .build()?)
}

/// Podman's defaults for a tmpfs mount (ProcessOptions): `rw`, `noexec`,
/// `nosuid`, `nodev` and `tmpcopyup` unless the user said otherwise,
/// `rprivate` unless a propagation is given.
fn tmpfs_mount(t: &TmpfsMount) -> Result<Mount, SpecError> {
    if !t.destination.starts_with('/') {
        return Err(SpecError::InvalidMount(format!(
            "invalid container path {:?}, must be an absolute path",
            t.destination
        )));
    }
    let has = |names: &[&str]| t.options.iter().any(|o| names.contains(&o.as_str()));
    let mut options = Vec::new();
    if !has(&["ro", "rw"]) {
        options.push("rw".to_owned());
    }
    for (default, opposite) in [("noexec", "exec"), ("nosuid", "suid"), ("nodev", "dev")] {
        if !has(&[default, opposite]) {
            options.push(default.to_owned());
        }
    }
    options.extend(t.options.iter().filter(|o| *o != "notmpcopyup").cloned());
    if !has(&["tmpcopyup", "notmpcopyup"]) {
        options.push("tmpcopyup".to_owned());
    }
    if !has(&PROPAGATIONS) {
        options.push("rprivate".to_owned());
    }
    Ok(MountBuilder::default()
        .destination(clean(&t.destination))
        .typ("tmpfs")
        .source("tmpfs")
        .options(options)
        .build()?)
}

/// A destination without trailing slashes or `.` components.
fn clean(dest: &str) -> PathBuf {
    Path::new(dest).components().collect()
}

/// The full mount list. User mounts supersede defaults on the same
/// destination (a user `/dev` drops every default under `/dev`), and are
/// ordered so parents are mounted before children.
pub(crate) fn build(
    etc: &EtcFiles,
    user: &[BindMount],
    tmpfs: &[TmpfsMount],
    read_only: bool,
    no_hostname: bool,
) -> Result<Vec<Mount>, SpecError> {
    let mut users = Vec::with_capacity(user.len() + tmpfs.len());
    let binds = user.iter().map(user_mount);
    for um in binds.chain(tmpfs.iter().map(tmpfs_mount)) {
        let um = um?;
        if users
            .iter()
            .any(|u: &Mount| u.destination() == um.destination())
        {
            return Err(SpecError::InvalidMount(format!(
                "{}: duplicate mount destination",
                um.destination().display()
            )));
        }
        users.push(um);
    }
    users.sort_by_key(|m| m.destination().components().count());

    let user_dev = users.iter().any(|m| m.destination() == Path::new("/dev"));
    let mut all = defaults()?;
    all.extend(etc_mounts(etc, no_hostname)?);
    if read_only {
        all.extend(read_only_tmpfs()?);
    }
    all.retain(|m| {
        let d = m.destination();
        let superseded = users.iter().any(|u| u.destination() == d);
        let under_user_dev = user_dev && d.starts_with("/dev/");
        !superseded && !under_user_dev
    });
    // /run/.containerenv, unless the user's own bind mount (or volume)
    // provides /run: a tmpfs there still gets it, as Podman.
    let run_env = Path::new(CONTAINERENV);
    if !users
        .iter()
        .any(|u| u.typ().as_deref() == Some("bind") && run_env.starts_with(u.destination()))
    {
        users.push(bind_file(CONTAINERENV, &etc.containerenv)?);
    }
    all.extend(users);
    Ok(all)
}

/// Where Podman puts the file that says "this is a container".
const CONTAINERENV: &str = "/run/.containerenv";

fn bind_file(dest: &str, src: &Path) -> Result<Mount, SpecError> {
    Ok(MountBuilder::default()
        .destination(dest)
        .typ("bind")
        .source(src)
        .options(vec!["bind".to_string(), "rprivate".to_string()])
        .build()?)
}

/// Whether `path` inside the container lies on a user bind mount.
pub(crate) fn under_user_mount(path: &str, user: &[BindMount]) -> bool {
    let p = clean(path);
    user.iter().any(|m| p.starts_with(clean(&m.destination)))
}

/// `path` is a mount's destination, lies under one, or is a directory on
/// the way to one (the runtime creates those): Podman's `isPathOnMount`.
pub(crate) fn on_mount(path: &str, mounts: &[Mount]) -> bool {
    let p = clean(path);
    mounts.iter().any(|m| {
        let d = clean(&m.destination().to_string_lossy());
        p.starts_with(&d) || d.starts_with(&p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`super::build`] without tmpfs mounts.
    fn build(etc: &EtcFiles, user: &[BindMount], read_only: bool) -> Result<Vec<Mount>, SpecError> {
        super::build(etc, user, &[], read_only, false)
    }

    fn tmpfs(dest: &str, opts: &[&str]) -> TmpfsMount {
        TmpfsMount {
            destination: dest.into(),
            options: opts.iter().map(|o| o.to_string()).collect(),
        }
    }

    #[test]
    fn tmpfs_mounts_get_podmans_defaults() {
        let ms = super::build(
            &etc(),
            &[],
            &[
                tmpfs("/t/", &[]),
                tmpfs("/u", &["size=1M", "exec", "notmpcopyup", "ro"]),
            ],
            false,
            false,
        )
        .unwrap();
        let t = find(&ms, "/t").unwrap();
        assert_eq!(t.typ().as_deref(), Some("tmpfs"));
        assert_eq!(
            t.options().as_deref().unwrap(),
            ["rw", "noexec", "nosuid", "nodev", "tmpcopyup", "rprivate"]
        );
        assert_eq!(
            find(&ms, "/u").unwrap().options().as_deref().unwrap(),
            ["nosuid", "nodev", "size=1M", "exec", "ro", "rprivate"]
        );
        let src = tempfile::tempdir().unwrap();
        let s = src.path().to_str().unwrap();
        let err = super::build(
            &etc(),
            &[bind(s, "/t", false, &[])],
            &[tmpfs("/t", &[])],
            false,
            false,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "/t: duplicate mount destination");
    }

    #[test]
    fn no_hostname_leaves_out_only_the_hostname_file() {
        let ms = super::build(&etc(), &[], &[], false, true).unwrap();
        assert!(find(&ms, "/etc/hostname").is_none());
        assert!(find(&ms, "/etc/hosts").is_some());
        assert!(find(&ms, "/etc/resolv.conf").is_some());
        assert!(find(&build(&etc(), &[], false).unwrap(), "/etc/hostname").is_some());
    }

    fn etc() -> EtcFiles {
        EtcFiles {
            hosts: "/run/x/hosts".into(),
            resolv_conf: "/run/x/resolv.conf".into(),
            hostname: "/run/x/hostname".into(),
            containerenv: "/run/x/.containerenv".into(),
        }
    }

    fn bind(src: &str, dst: &str, ro: bool, opts: &[&str]) -> BindMount {
        BindMount {
            source: src.into(),
            destination: dst.into(),
            readonly: ro,
            options: opts.iter().map(|o| o.to_string()).collect(),
        }
    }

    fn pos_in(ms: &[Mount], dest: &str) -> Option<usize> {
        ms.iter().position(|m| m.destination() == Path::new(dest))
    }

    fn find<'a>(ms: &'a [Mount], dest: &str) -> Option<&'a Mount> {
        ms.iter().find(|m| m.destination() == Path::new(dest))
    }

    #[test]
    fn defaults_and_etc_files() {
        let ms = build(&etc(), &[], false).unwrap();
        for d in [
            "/proc",
            "/dev",
            "/dev/pts",
            "/dev/shm",
            "/dev/mqueue",
            "/sys",
            "/sys/fs/cgroup",
        ] {
            assert!(find(&ms, d).is_some(), "{d}");
        }
        let hosts = find(&ms, "/etc/hosts").unwrap();
        assert_eq!(hosts.source().as_deref(), Some(Path::new("/run/x/hosts")));
        assert_eq!(hosts.typ().as_deref(), Some("bind"));
        assert!(find(&ms, "/tmp").is_none());
        let ro = build(&etc(), &[], true).unwrap();
        assert!(find(&ro, "/tmp").is_some() && find(&ro, "/run").is_some());
    }

    #[test]
    fn containerenv_unless_the_user_mounts_run() {
        let src = tempfile::tempdir().unwrap();
        let s = src.path().to_str().unwrap();
        let ms = build(&etc(), &[bind(s, "/data", false, &[])], true).unwrap();
        let env = find(&ms, "/run/.containerenv").unwrap();
        assert_eq!(
            env.source().as_deref(),
            Some(Path::new("/run/x/.containerenv"))
        );
        // After the /run tmpfs of --read-only, which would hide it.
        let pos = |d: &str| ms.iter().position(|m| m.destination() == Path::new(d));
        assert!(pos("/run") < pos("/run/.containerenv"));
        let ms = build(&etc(), &[bind(s, "/run", false, &[])], false).unwrap();
        assert!(find(&ms, "/run/.containerenv").is_none());
        let ms = super::build(&etc(), &[], &[tmpfs("/run", &[])], false, false).unwrap();
        assert!(pos_in(&ms, "/run") < pos_in(&ms, "/run/.containerenv"));
    }

    #[test]
    fn bind_mount_validation() {
        let src = tempfile::tempdir().unwrap();
        let s = src.path().to_str().unwrap();
        let err = build(
            &etc(),
            &[bind("/nonexist-rpod-test", "/data", false, &[])],
            false,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "statfs /nonexist-rpod-test: no such file or directory"
        );
        assert!(matches!(
            build(&etc(), &[bind("relative/dir", "/data", false, &[])], false),
            Err(SpecError::InvalidMount(_))
        ));
        let err = build(&etc(), &[bind(s, "data", false, &[])], false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid container path \"data\", must be an absolute path"
        );
        assert!(build(
            &etc(),
            &[bind(s, "/data", false, &[]), bind(s, "/data/", false, &[])],
            false
        )
        .is_err());
    }

    #[test]
    fn bind_mount_options_and_order() {
        let src = tempfile::tempdir().unwrap();
        let s = src.path().to_str().unwrap();
        let ms = build(
            &etc(),
            &[
                bind(s, "/data/sub", false, &["nosuid", "z"]),
                bind(s, "/data", true, &[]),
                bind(s, "/etc/hosts", false, &["ro", "rshared"]),
            ],
            false,
        )
        .unwrap();
        let data = ms
            .iter()
            .position(|m| m.destination() == Path::new("/data"));
        let sub = ms
            .iter()
            .position(|m| m.destination() == Path::new("/data/sub"));
        assert!(data.unwrap() < sub.unwrap());
        assert_eq!(
            find(&ms, "/data").unwrap().options().as_deref(),
            Some(&["rbind".to_string(), "ro".into(), "rprivate".into()][..])
        );
        assert_eq!(
            find(&ms, "/data/sub").unwrap().options().as_deref(),
            Some(
                &[
                    "rbind".to_string(),
                    "rw".into(),
                    "rprivate".into(),
                    "nosuid".into()
                ][..]
            )
        );
        // The user's /etc/hosts replaces the generated one.
        let hosts: Vec<_> = ms
            .iter()
            .filter(|m| m.destination() == Path::new("/etc/hosts"))
            .collect();
        assert_eq!(hosts.len(), 1);
        assert_eq!(
            hosts[0].options().as_deref(),
            Some(&["rbind".to_string(), "ro".into(), "rshared".into()][..])
        );
        assert!(under_user_mount(
            "/data/sub/x",
            &[bind(s, "/data", false, &[])]
        ));
        assert!(!under_user_mount(
            "/database",
            &[bind(s, "/data", false, &[])]
        ));
    }
}
