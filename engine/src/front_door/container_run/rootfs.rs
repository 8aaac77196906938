//! `--rootfs PATH[:O]`: the argument in place of the image names an
//! exploded root filesystem directory.

use rpod_api::{Error, ErrorKind};

use crate::container::RootfsDir;

/// Parses `PATH[:OPTIONS]`: `O` makes it an overlay's lower layer;
/// `idmap` is refused (not implemented), anything else is Podman's
/// unknown-option error. The directory must exist.
pub(crate) fn parse(arg: &str) -> Result<RootfsDir, Error> {
    let (path, opts) = match arg.rsplit_once(':') {
        Some((p, o)) if !p.is_empty() => (p, Some(o)),
        _ => (arg, None),
    };
    let mut overlay = false;
    for opt in opts.into_iter().flat_map(|o| o.split(',')) {
        match opt {
            "O" => overlay = true,
            o if o == "idmap" || o.starts_with("idmap=") => {
                return Err(Error::new(
                    ErrorKind::NotImplemented,
                    "--rootfs with :idmap is not supported yet",
                ))
            }
            o => return Err(Error::invalid(format!("unknown option {o:?} for --rootfs"))),
        }
    }
    let path =
        std::path::absolute(path).map_err(|e| Error::invalid(format!("--rootfs {path}: {e}")))?;
    if let Err(e) = std::fs::metadata(&path) {
        let reason = e.to_string();
        let reason = reason
            .split(" (os error")
            .next()
            .unwrap_or(&reason)
            .to_lowercase();
        return Err(Error::invalid(format!("stat {}: {reason}", path.display())));
    }
    Ok(RootfsDir { path, overlay })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_suffix_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().display().to_string();
        let plain = parse(&p).unwrap();
        assert!(!plain.overlay);
        assert_eq!(plain.path, dir.path());
        let o = parse(&format!("{p}:O")).unwrap();
        assert!(o.overlay);
        assert_eq!(o.path, dir.path());
        assert_eq!(
            parse(&format!("{p}:idmap")).unwrap_err().kind,
            ErrorKind::NotImplemented
        );
        assert!(parse(&format!("{p}:Z")).is_err());
        assert!(parse(&format!("{p}/missing"))
            .unwrap_err()
            .message
            .contains("no such file"));
    }
}
