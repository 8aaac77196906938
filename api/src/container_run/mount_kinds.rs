//! The `--mount` types beyond bind, volume and tmpfs: `image` (another
//! image's content, read-only unless `rw=true`), `glob` (a bind mount per
//! matching host path), `ramfs` and `devpts`.

use super::mount_flags::{bind, check_destination, check_options, clean, MountOptions, Parsed};
use super::{FsMount, ImageMount};

type Result<T> = std::result::Result<T, String>;

fn flag(name: &str, value: Option<&str>) -> Result<bool> {
    match value {
        None | Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(v) => Err(format!("invalid {name} value {v:?}: invalid mount option")),
    }
}

fn destination(dst: Option<String>) -> Result<String> {
    let d = dst.ok_or("must set volume destination")?;
    check_destination(&d)?;
    Ok(clean(&d))
}

/// `type=image,src=IMAGE,dst=PATH[,rw=BOOL|readwrite=BOOL][,subpath=DIR]`.
pub(super) fn image(args: &[&str]) -> Result<ImageMount> {
    let mut m = ImageMount::default();
    let mut dst = None;
    for arg in args {
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (*arg, None),
        };
        match name {
            "src" | "source" => match value {
                Some(v) if !v.is_empty() => m.source = v.to_owned(),
                _ => return Err(format!("{name}: must provide an argument for option")),
            },
            "target" | "dst" | "dest" | "destination" => {
                dst = value.filter(|v| !v.is_empty()).map(str::to_owned)
            }
            "rw" | "readwrite" => m.rw = flag(name, value)?,
            "ro" | "readonly" => m.rw = !flag(name, value)?,
            "subpath" => match value {
                Some(v) if v.starts_with('/') => m.subpath = Some(v.to_owned()),
                _ => {
                    return Err(format!(
                        "subpath {:?} must be an absolute path",
                        value.unwrap_or("")
                    ))
                }
            },
            // SELinux relabelling: nothing to do on a host without SELinux.
            "z" | "Z" | "relabel" => {}
            _ => return Err(format!("{name}: invalid mount option")),
        }
    }
    if m.source.is_empty() {
        return Err("must set source image".into());
    }
    m.destination = destination(dst)?;
    Ok(m)
}

/// `type=glob,src=PATTERN[,dst=DIR][,bind options]`: a bind mount of each
/// matching path, at the same path or, with a destination, at
/// `DIR/BASENAME`. No match is an error.
pub(super) fn glob(
    args: &[&str],
    options: impl Fn(&[&str]) -> Result<MountOptions>,
) -> Result<Vec<Parsed>> {
    let mut o = options(args)?;
    let pattern = o.source.take().ok_or("must set source glob")?;
    check_options(&mut o.options)?;
    let matches = expand(&pattern);
    if matches.is_empty() {
        return Err(format!("no file paths matching glob {pattern:?}"));
    }
    matches
        .into_iter()
        .map(|src| {
            let dest = match &o.destination {
                None => src.clone(),
                Some(d) => {
                    let base = std::path::Path::new(&src)
                        .file_name()
                        .map(|b| b.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    format!("{}/{base}", d.trim_end_matches('/'))
                }
            };
            check_destination(&dest)?;
            Ok(Parsed::Bind(bind(&src, &dest, o.options.clone())?))
        })
        .collect()
}

/// `type=ramfs|devpts,dst=PATH[,options]`.
pub(super) fn fs(typ: &str, args: &[&str]) -> Result<FsMount> {
    let mut dst = None;
    let mut options = Vec::new();
    for arg in args {
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (*arg, None),
        };
        match (typ, name) {
            (_, "target" | "dst" | "dest" | "destination") => {
                dst = value.filter(|v| !v.is_empty()).map(str::to_owned)
            }
            (_, "ro" | "readonly") => {
                options.push(if flag(name, value)? { "ro" } else { "rw" }.to_owned())
            }
            (_, "rw") => options.push(if flag(name, value)? { "rw" } else { "ro" }.to_owned()),
            (_, "nodev" | "dev" | "noexec" | "exec" | "nosuid" | "suid") => {
                options.push(name.to_owned())
            }
            ("devpts", "uid" | "gid" | "mode" | "max") => match value {
                Some(v) if !v.is_empty() => options.push(format!("{name}={v}")),
                _ => return Err(format!("{name}: must provide an argument for option")),
            },
            ("ramfs", "mode") => match value {
                Some(v) if !v.is_empty() => options.push(format!("mode={v}")),
                _ => return Err(format!("{name}: must provide an argument for option")),
            },
            (_, "z" | "Z" | "relabel") => {}
            _ => {
                return Err(format!(
                    "{name:?} option not supported for {typ:?} mount types"
                ))
            }
        }
    }
    Ok(FsMount {
        fs_type: typ.to_owned(),
        destination: destination(dst)?,
        options,
    })
}

/// Go's `filepath.Glob` for absolute or relative patterns: `*`, `?` and
/// `[...]` in any component; the matches sorted.
pub fn expand(pattern: &str) -> Vec<String> {
    let absolute = pattern.starts_with('/');
    let mut found = vec![if absolute {
        "/".to_owned()
    } else {
        String::new()
    }];
    for comp in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for base in &found {
            let join = |name: &str| {
                if base.is_empty() {
                    name.to_owned()
                } else if base.ends_with('/') {
                    format!("{base}{name}")
                } else {
                    format!("{base}/{name}")
                }
            };
            if !comp.contains(['*', '?', '[']) {
                let p = join(comp);
                if std::fs::symlink_metadata(&p).is_ok() {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.is_empty() { "." } else { base.as_str() };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| matches(comp.as_bytes(), n.as_bytes()))
                .collect();
            names.sort();
            next.extend(names.iter().map(|n| join(n)));
        }
        found = next;
    }
    found.retain(|p| !p.is_empty() && p != "/");
    found
}

/// Shell-style match of one name (`*` and `?` never match a leading dot
/// only by Go's rules: Go matches it, so do we).
fn matches(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => matches(&p[1..], s) || (!s.is_empty() && matches(p, &s[1..])),
        (Some(b'?'), Some(_)) => matches(&p[1..], &s[1..]),
        (Some(b'['), Some(&c)) => {
            let Some(end) = p.iter().skip(1).position(|&b| b == b']').map(|i| i + 1) else {
                return false;
            };
            let class = &p[1..end];
            let (negate, class) = match class.first() {
                Some(b'^' | b'!') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && matches(&p[end + 1..], &s[1..])
        }
        (Some(&a), Some(&b)) => a == b && matches(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let d = std::env::temp_dir().join(format!("rpod-glob-{}", std::process::id()));
        for f in ["v1a", "v1b", "v2", "foo1/bar", "foo2/bar"] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        let base = d.display().to_string();
        assert_eq!(
            expand(&format!("{base}/v1*")),
            [format!("{base}/v1a"), format!("{base}/v1b")]
        );
        assert_eq!(expand(&format!("{base}/foo?/bar")).len(), 2);
        assert_eq!(expand(&format!("{base}/v[2-3]")), [format!("{base}/v2")]);
        assert!(expand(&format!("{base}/v3*")).is_empty());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn image_and_fs_options() {
        let m = image(&["src=alpine", "dst=/img", "rw=true", "subpath=/etc"]).unwrap();
        assert!(m.rw);
        assert_eq!(m.subpath.as_deref(), Some("/etc"));
        assert!(!image(&["src=alpine", "dst=/img"]).unwrap().rw);
        assert!(
            image(&["src=alpine", "dst=/img", "readwrite=true"])
                .unwrap()
                .rw
        );
        assert_eq!(image(&["dst=/x"]).unwrap_err(), "must set source image");
        assert_eq!(
            image(&["src=a", "dst=/x", "bogus"]).unwrap_err(),
            "bogus: invalid mount option"
        );
        let f = fs("devpts", &["dst=/dev/pts", "uid=5", "mode=620"]).unwrap();
        assert_eq!(f.options, ["uid=5", "mode=620"]);
        assert_eq!(
            fs("ramfs", &["dst=/r", "uid=5"]).unwrap_err(),
            "\"uid\" option not supported for \"ramfs\" mount types"
        );
        assert_eq!(fs("ramfs", &[]).unwrap_err(), "must set volume destination");
    }
}
