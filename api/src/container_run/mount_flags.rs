//! `-v`, `--mount` and `--tmpfs` into the create request's bind mounts,
//! volumes and tmpfs mounts, checked as Podman's client checks them
//! (specgenutil): option rules, and one mount per destination (the same
//! mount given twice is kept once).

use std::path::Path;

use super::{BindMount, FsMount, ImageMount, NamedVolume, TmpfsMount, PROPAGATIONS};

/// A refused flag value: Podman's message.
type CliResult<T> = Result<T, String>;

fn usage(msg: impl Into<String>) -> String {
    msg.into()
}

/// Every mount the flags ask for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Mounts {
    pub binds: Vec<BindMount>,
    pub volumes: Vec<NamedVolume>,
    pub tmpfs: Vec<TmpfsMount>,
    /// `--mount type=image`.
    pub images: Vec<ImageMount>,
    /// `--mount type=ramfs|devpts`.
    pub fs: Vec<FsMount>,
}

impl Mounts {
    /// Parses `-v` (`volume`), `--mount` and `--tmpfs` values.
    pub fn parse(volume: &[String], mount: &[String], tmpfs: &[String]) -> CliResult<Mounts> {
        let mut m = Mounts::default();
        for v in mount {
            for p in parse_mount(v)? {
                m.add(p)?;
            }
        }
        for v in volume {
            m.add(parse_volume(v)?)?;
        }
        for t in tmpfs {
            m.add(parse_tmpfs(t)?)?;
        }
        Ok(m)
    }

    /// containers.conf's `[containers] mounts` (`--mount` syntax) under
    /// the mounts of `spec`: one the user mounts over is left out.
    pub fn add_defaults(spec: &mut super::ContainerSpec, conf: &[String]) -> CliResult<()> {
        let mut m = Mounts {
            binds: std::mem::take(&mut spec.mounts),
            volumes: std::mem::take(&mut spec.volumes),
            tmpfs: std::mem::take(&mut spec.tmpfs),
            images: std::mem::take(&mut spec.image_mounts),
            fs: std::mem::take(&mut spec.fs_mounts),
        };
        let mut parsed = Vec::new();
        let mut failed = None;
        for c in conf {
            match parse_mount(c) {
                Ok(p) => parsed.extend(p),
                Err(e) => {
                    failed = Some(format!("parsing containers.conf mounts: {e}"));
                    break;
                }
            }
        }
        if failed.is_none() {
            for p in parsed {
                if !m.destinations().any(|d| clean(d) == clean(p.destination())) {
                    m.add(p)?;
                }
            }
        }
        spec.mounts = m.binds;
        spec.volumes = m.volumes;
        spec.tmpfs = m.tmpfs;
        spec.image_mounts = m.images;
        spec.fs_mounts = m.fs;
        failed.map_or(Ok(()), Err)
    }

    fn destinations(&self) -> impl Iterator<Item = &str> {
        self.binds
            .iter()
            .map(|b| b.destination.as_str())
            .chain(self.volumes.iter().map(|v| v.destination.as_str()))
            .chain(self.tmpfs.iter().map(|t| t.destination.as_str()))
            .chain(self.images.iter().map(|i| i.destination.as_str()))
            .chain(self.fs.iter().map(|f| f.destination.as_str()))
    }

    fn add(&mut self, new: Parsed) -> CliResult<()> {
        let dest = new.destination().to_owned();
        if matches!(new, Parsed::Image(_) | Parsed::Fs(_)) {
            if self.destinations().any(|d| clean(d) == clean(&dest)) {
                return Err(usage(format!("{dest}: duplicate mount destination")));
            }
            match new {
                Parsed::Image(i) => self.images.push(i),
                Parsed::Fs(f) => self.fs.push(f),
                _ => {}
            }
            return Ok(());
        }
        if self
            .images
            .iter()
            .map(|i| &i.destination)
            .chain(self.fs.iter().map(|f| &f.destination))
            .any(|d| clean(d) == clean(&dest))
        {
            return Err(usage(format!("{dest}: duplicate mount destination")));
        }
        let same = |d: &str| clean(d) == clean(&dest);
        let duplicate = || usage(format!("{dest}: duplicate mount destination"));
        if let Some(b) = self.binds.iter().find(|b| same(&b.destination)) {
            return match &new {
                Parsed::Bind(n) if n == b => Ok(()),
                _ => Err(duplicate()),
            };
        }
        if let Some(v) = self.volumes.iter().find(|v| same(&v.destination)) {
            return match &new {
                Parsed::Volume(n) if n == v && !n.name.is_empty() => Ok(()),
                _ => Err(duplicate()),
            };
        }
        if let Some(t) = self.tmpfs.iter().find(|t| same(&t.destination)) {
            return match &new {
                Parsed::Tmpfs(n) if n == t => Ok(()),
                _ => Err(duplicate()),
            };
        }
        match new {
            Parsed::Bind(b) => self.binds.push(b),
            Parsed::Volume(v) => self.volumes.push(v),
            Parsed::Tmpfs(t) => self.tmpfs.push(t),
            Parsed::Image(i) => self.images.push(i),
            Parsed::Fs(f) => self.fs.push(f),
        }
        Ok(())
    }
}

#[derive(Debug)]
pub(super) enum Parsed {
    Bind(BindMount),
    Volume(NamedVolume),
    Tmpfs(TmpfsMount),
    Image(ImageMount),
    Fs(FsMount),
}

impl Parsed {
    fn destination(&self) -> &str {
        match self {
            Parsed::Bind(b) => &b.destination,
            Parsed::Volume(v) => &v.destination,
            Parsed::Tmpfs(t) => &t.destination,
            Parsed::Image(i) => &i.destination,
            Parsed::Fs(f) => &f.destination,
        }
    }
}

/// `/a//b/` as `/a/b`.
pub(super) fn clean(dest: &str) -> String {
    let p: std::path::PathBuf = Path::new(dest).components().collect();
    p.display().to_string()
}

pub(super) fn check_destination(dest: &str) -> CliResult<()> {
    if dest.starts_with('/') {
        Ok(())
    } else {
        Err(usage(format!(
            "invalid container path {dest:?}, must be an absolute path"
        )))
    }
}

/// Podman's ValidateVolumeOpts: each kind of option at most once, only
/// known options; `cached`/`delegated` (macOS hints) are dropped, as by
/// Podman. `idmap` and `no-dereference` are refused as not supported.
pub(super) fn check_options(options: &mut Vec<String>) -> CliResult<()> {
    let groups: &[(&[&str], &str)] = &[
        (&["rw", "ro"], "1 'rw' or 'ro' option"),
        (&["noexec", "exec"], "1 'noexec' or 'exec' option"),
        (&["nodev", "dev"], "1 'nodev' or 'dev' option"),
        (&["nosuid", "suid"], "1 'nosuid' or 'suid' option"),
        (
            &PROPAGATIONS,
            "1 '[r]shared', '[r]private', '[r]slave' or '[r]unbindable' option",
        ),
        (&["bind", "rbind"], "1 '[r]bind' option"),
        (&["z", "Z", "O"], "1 'z', 'Z', or 'O' option"),
        (&["U"], "1 'U' option"),
        (&["copy", "nocopy"], "1 'copy' or 'nocopy' option"),
    ];
    options.retain(|o| !matches!(o.as_str(), "cached" | "delegated"));
    let invalid = |what: &str| {
        usage(format!(
            "invalid options {:?}, can only specify {what}",
            options.join(", ")
        ))
    };
    for key in ["upperdir", "workdir"] {
        if options.iter().filter(|o| o.contains(key)).count() > 1 {
            return Err(invalid(&format!("1 {key} per overlay")));
        }
    }
    for o in options.iter() {
        if o.contains("upperdir") || o.contains("workdir") {
            continue;
        }
        match o.as_str() {
            o if o.starts_with("idmap") => {
                return Err(usage(
                    "volume option \"idmap\" is not supported: runc 1.1 cannot make idmapped mounts (see docs/compatibility.md)",
                ))
            }
            "no-dereference" => {
                return Err(usage(
                    "volume option \"no-dereference\" is not supported: runc 1.1 cannot mount a symlink itself (see docs/compatibility.md)",
                ))
            }
            _ => {}
        }
        let Some((members, what)) = groups.iter().find(|(g, _)| g.contains(&o.as_str())) else {
            return Err(usage(format!("invalid option type {o:?}")));
        };
        if options
            .iter()
            .filter(|x| members.contains(&x.as_str()))
            .count()
            > 1
        {
            return Err(invalid(what));
        }
    }
    Ok(())
}

/// Podman's rules for `O` on a bind mount (GenVolumeMounts): alone, with
/// `U`, or with both `upperdir=` and `workdir=`.
fn check_overlay(options: &[String]) -> CliResult<()> {
    if !options.iter().any(|o| o == "O") {
        if let Some(o) = options
            .iter()
            .find(|o| o.contains("upperdir") || o.contains("workdir"))
        {
            return Err(usage(format!("invalid option type {o:?}")));
        }
        return Ok(());
    }
    let joined = options.concat();
    let (chown, upper, work) = (
        joined.contains('U'),
        joined.contains("upperdir"),
        joined.contains("workdir"),
    );
    if upper != work {
        return Err(usage("must set both `upperdir` and `workdir`"));
    }
    let n = options.len();
    if (n > 2 && (n != 3 || !upper || !work)) || (n == 2 && !chown) {
        return Err(usage("can't use 'O' with other options"));
    }
    Ok(())
}

/// `-v SRC:DST[:OPTIONS]`, `-v NAME:DST[:OPTIONS]` or `-v DST`.
fn parse_volume(v: &str) -> CliResult<Parsed> {
    let parts: Vec<&str> = v.split(':').collect();
    let (source, destination, opts) = match parts.as_slice() {
        [d] => ("", *d, ""),
        [s, d] => (*s, *d, ""),
        [s, d, o] => (*s, *d, *o),
        _ => {
            return Err(usage(format!(
                "{v}: incorrect volume format, should be [host-dir:]ctr-dir[:option]"
            )))
        }
    };
    if parts.len() > 1 && source.is_empty() {
        return Err(usage("host directory cannot be empty"));
    }
    check_destination(destination)?;
    let mut options: Vec<String> = opts
        .split(',')
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    check_options(&mut options)?;
    if source.starts_with('/') || source.starts_with('.') {
        check_overlay(&options)?;
        return Ok(Parsed::Bind(bind(source, destination, options)?));
    }
    Ok(Parsed::Volume(NamedVolume {
        name: source.to_owned(),
        destination: destination.to_owned(),
        options,
    }))
}

/// A bind mount of the host path `source` (made absolute; it must exist).
pub(super) fn bind(source: &str, destination: &str, options: Vec<String>) -> CliResult<BindMount> {
    let abs = std::path::absolute(source)
        .map_err(|e| usage(format!("getting absolute path of {source}: {e}")))?;
    let source = abs.display().to_string();
    if let Err(e) = std::fs::metadata(&abs) {
        return Err(usage(format!(
            "statfs {source}: {}",
            crate::error_chain::io_reason(&e)
        )));
    }
    let readonly = options.iter().any(|o| o == "ro");
    let options = options
        .into_iter()
        .filter(|o| !matches!(o.as_str(), "ro" | "rw" | "z" | "Z"))
        .collect();
    Ok(BindMount {
        source,
        destination: destination.to_owned(),
        readonly,
        options,
    })
}

/// `--tmpfs DST[:OPTIONS]`.
fn parse_tmpfs(t: &str) -> CliResult<Parsed> {
    let (dest, opts) = t.split_once(':').unwrap_or((t, ""));
    check_destination(dest)?;
    Ok(Parsed::Tmpfs(TmpfsMount {
        destination: clean(dest),
        options: opts
            .split(',')
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect(),
    }))
}

/// `--mount type=TYPE,KEY[=VALUE],...` for the types rpod has (bind,
/// volume, tmpfs, image, glob, ramfs, devpts), with Podman's option names.
/// A glob gives one bind mount per matching path.
fn parse_mount(m: &str) -> CliResult<Vec<Parsed>> {
    let mut typ = None;
    let mut args = Vec::new();
    for field in m.split(',') {
        match field.split_once('=') {
            Some(("type", t)) => typ = Some(t.to_owned()),
            _ => args.push(field),
        }
    }
    let typ = typ.ok_or_else(|| usage("type must be specified"))?;
    match typ.as_str() {
        "bind" | "volume" | "tmpfs" => {}
        "image" => return Ok(vec![Parsed::Image(super::mount_kinds::image(&args)?)]),
        "glob" => return super::mount_kinds::glob(&args, |a| mount_options("bind", a)),
        "ramfs" | "devpts" => return Ok(vec![Parsed::Fs(super::mount_kinds::fs(&typ, &args)?)]),
        "artifact" => {
            return Err(usage(format!(
                "--mount type={typ} is not supported yet (see docs/compatibility.md)"
            )))
        }
        other => return Err(usage(format!("invalid filesystem type {other:?}"))),
    }
    let o = mount_options(&typ, &args)?;
    let destination = o
        .destination
        .ok_or_else(|| usage("must set volume destination"))?;
    check_destination(&destination)?;
    Ok(vec![match typ.as_str() {
        "bind" => {
            let mut options = o.options;
            check_options(&mut options)?;
            let source = o.source.unwrap_or_else(|| destination.clone());
            Parsed::Bind(bind(&source, &destination, options)?)
        }
        "volume" => {
            let mut options = o.options;
            check_options(&mut options)?;
            Parsed::Volume(NamedVolume {
                name: o.source.unwrap_or_default(),
                destination,
                options,
            })
        }
        _ => Parsed::Tmpfs(TmpfsMount {
            destination: clean(&destination),
            options: o.options,
        }),
    }])
}

pub(super) struct MountOptions {
    pub source: Option<String>,
    pub destination: Option<String>,
    pub options: Vec<String>,
}

/// Podman's parseMountOptions for one `--mount`.
pub(super) fn mount_options(typ: &str, args: &[&str]) -> CliResult<MountOptions> {
    let mut o = MountOptions {
        source: None,
        destination: None,
        options: Vec::new(),
    };
    let not_for = |name: &str| {
        usage(format!(
            "{name:?} option not supported for {typ:?} mount types"
        ))
    };
    let needs_arg = |name: &str| usage(format!("{name}: must provide an argument for option"));
    let mut seen_rw = false;
    for arg in args {
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (*arg, None),
        };
        match name {
            "readonly" | "ro" | "rw" => {
                if seen_rw {
                    return Err(usage(
                        "cannot pass 'readonly', 'ro', or 'rw' mnt.Options more than once: must provide an argument for option",
                    ));
                }
                seen_rw = true;
                let on = match value {
                    None | Some("true") => true,
                    Some("false") => false,
                    Some(v) => {
                        return Err(usage(format!(
                            "invalid {name} value {v:?}: invalid mount option"
                        )))
                    }
                };
                let ro = if name == "rw" { !on } else { on };
                o.options.push(if ro { "ro" } else { "rw" }.to_owned());
            }
            "nodev" | "dev" | "noexec" | "exec" | "nosuid" | "suid" => {
                o.options.push(name.to_owned())
            }
            p if PROPAGATIONS.contains(&p) => o.options.push(name.to_owned()),
            // SELinux relabelling: nothing to do on a host without SELinux.
            "z" | "Z" | "relabel" => {}
            // macOS-only hints, ignored on Linux as by Podman.
            "consistency" => {}
            "bind-propagation" => {
                if typ != "bind" {
                    return Err(not_for(name));
                }
                match value {
                    Some(v) if PROPAGATIONS.contains(&v) => o.options.push(v.to_owned()),
                    Some(v) => return Err(usage(format!("invalid value {v:?}"))),
                    None => return Err(needs_arg(name)),
                }
            }
            "bind-nonrecursive" => {
                if typ != "bind" {
                    return Err(not_for(name));
                }
                o.options.push("bind".to_owned());
            }
            "src" | "source" => {
                if typ == "tmpfs" {
                    return Err(not_for(name));
                }
                match value {
                    Some("") => {
                        return Err(usage(
                            "host directory cannot be empty: must provide an argument for option",
                        ))
                    }
                    Some(v) => o.source = Some(v.to_owned()),
                    None => return Err(needs_arg(name)),
                }
            }
            "target" | "dst" | "dest" | "destination" => match value {
                Some(v) if !v.is_empty() => o.destination = Some(v.to_owned()),
                _ => return Err(needs_arg(name)),
            },
            "tmpcopyup" | "notmpcopyup" => {
                if typ != "tmpfs" {
                    return Err(not_for(name));
                }
                o.options.push(name.to_owned());
            }
            "tmpfs-mode" | "tmpfs-size" => {
                if typ != "tmpfs" {
                    return Err(not_for(name));
                }
                let v = value.filter(|v| !v.is_empty()).ok_or_else(|| needs_arg(name))?;
                let key = if name == "tmpfs-mode" { "mode" } else { "size" };
                o.options.push(format!("{key}={v}"));
            }
            "U" | "chown" => match value.unwrap_or("true") {
                v if v.eq_ignore_ascii_case("true") || v.is_empty() => {
                    o.options.push("U".to_owned());
                }
                v if v.eq_ignore_ascii_case("false") => {}
                v => {
                    return Err(usage(format!(
                        "'U' or 'chown' must be set to true or false, instead received {v:?}: must provide an argument for option"
                    )))
                }
            },
            "nocopy" | "copy" => {
                if typ != "volume" {
                    return Err(not_for(name));
                }
                o.options.push(name.to_owned());
            }
            "noswap" => {
                if typ != "tmpfs" {
                    return Err(not_for(name));
                }
                o.options.push(name.to_owned());
            }
            "idmap" | "volume-opt" | "volume-label" | "subpath" | "volume-subpath" => {
                return Err(usage(format!(
                    "mount option {name:?} is not supported yet (see docs/compatibility.md)"
                )))
            }
            _ => return Err(usage(format!("{name}: invalid mount option"))),
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str], m: &[&str], t: &[&str]) -> CliResult<Mounts> {
        let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Mounts::parse(&s(v), &s(m), &s(t))
    }

    #[test]
    fn volume_forms() {
        let m = parse(&["/tmp:/data:ro", "myvol:/v:nocopy,U", "/anon"], &[], &[]).unwrap();
        assert!(m.binds[0].readonly);
        assert_eq!(m.binds[0].destination, "/data");
        assert_eq!(m.volumes[0].name, "myvol");
        assert_eq!(m.volumes[0].options, ["nocopy", "U"]);
        assert_eq!(m.volumes[1].name, "");
        assert_eq!(m.volumes[1].destination, "/anon");
        let err = |v: &str| parse(&[v], &[], &[]).unwrap_err();
        assert_eq!(
            err("/tmp:data"),
            "invalid container path \"data\", must be an absolute path"
        );
        assert_eq!(
            err("/nonexistent-rpod:/x"),
            "statfs /nonexistent-rpod: no such file or directory"
        );
        assert_eq!(err("v:/x:bogus"), "invalid option type \"bogus\"");
        assert_eq!(
            err("a:b:c:d"),
            "a:b:c:d: incorrect volume format, should be [host-dir:]ctr-dir[:option]"
        );
        assert!(err("v:/x:ro,rw").starts_with("invalid options \"ro, rw\""));
        assert!(err("/tmp:/x:idmap").contains("not supported"));
        assert!(err("/tmp:/x:no-dereference").contains("not supported"));
        assert_eq!(err("/tmp:/x:O,ro"), "can't use 'O' with other options");
        assert_eq!(
            err("/tmp:/x:O,upperdir=/a"),
            "must set both `upperdir` and `workdir`"
        );
        assert_eq!(
            err("/tmp:/x:upperdir=/a"),
            "invalid option type \"upperdir=/a\""
        );
        assert_eq!(
            err("/tmp:/x:O,z"),
            "invalid options \"O, z\", can only specify 1 'z', 'Z', or 'O' option"
        );
        let m = parse(
            &[
                "/tmp:/o:O",
                "/tmp:/u:O,U",
                "/tmp:/w:O,upperdir=/a,workdir=/b",
                "/tmp:/c:nocopy,cached",
                "vol:/v:O",
            ],
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(m.binds[0].options, ["O"]);
        assert_eq!(m.binds[1].options, ["O", "U"]);
        assert_eq!(m.binds[2].options, ["O", "upperdir=/a", "workdir=/b"]);
        assert_eq!(m.binds[3].options, ["nocopy"]);
        assert_eq!(m.volumes[0].options, ["O"]);
        assert_eq!(err(":/x"), "host directory cannot be empty");
    }

    #[test]
    fn duplicate_destinations() {
        assert!(parse(&["/tmp:/v", "/tmp:/v"], &[], &[]).is_ok());
        assert!(parse(&["n:/v", "n:/v"], &[], &[]).is_ok());
        assert!(parse(&[], &[], &["/t", "/t"]).is_ok());
        let dup = |v: &[&str], t: &[&str]| parse(v, &[], t).unwrap_err();
        assert_eq!(
            dup(&["/tmp:/v", "/:/v"], &[]),
            "/v: duplicate mount destination"
        );
        assert_eq!(
            dup(&["a:/v", "b:/v"], &[]),
            "/v: duplicate mount destination"
        );
        assert_eq!(
            dup(&[], &["/t", "/t:ro"]),
            "/t: duplicate mount destination"
        );
        assert_eq!(dup(&["a:/v"], &["/v"]), "/v: duplicate mount destination");
        assert_eq!(
            dup(&["/tmp:/v"], &["/v"]),
            "/v: duplicate mount destination"
        );
    }

    #[test]
    fn mount_flag() {
        let m = parse(
            &[],
            &[
                "type=bind,src=/tmp,dst=/b,ro=true,bind-propagation=rshared",
                "type=volume,source=v,target=/v,nocopy",
                "type=tmpfs,destination=/t,tmpfs-size=1M,tmpfs-mode=700",
                "type=volume,dst=/anon",
            ],
            &[],
        )
        .unwrap();
        assert!(m.binds[0].readonly);
        assert_eq!(m.binds[0].options, ["rshared"]);
        assert_eq!(m.volumes[0].options, ["nocopy"]);
        assert_eq!(m.volumes[1].name, "");
        assert_eq!(m.tmpfs[0].options, ["size=1M", "mode=700"]);
        let err = |v: &str| parse(&[], &[v], &[]).unwrap_err();
        assert_eq!(err("src=/tmp,dst=/x"), "type must be specified");
        assert_eq!(err("type=foo,dst=/x"), "invalid filesystem type \"foo\"");
        assert_eq!(err("type=bind,src=/tmp"), "must set volume destination");
        assert_eq!(
            err("type=bind,src=/tmp,dst=/x,bogus"),
            "bogus: invalid mount option"
        );
        assert_eq!(
            err("type=volume,dst=/x,tmpfs-size=1M"),
            "\"tmpfs-size\" option not supported for \"volume\" mount types"
        );
    }
}
