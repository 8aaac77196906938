//! The `file` driver: each secret's data in its own file, written
//! atomically (temp file, rename) with mode 0600 in a 0700 directory.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{SecretError, FILE_DRIVER};

/// The data directory of a secret stored with `driver` and `options`
/// (`path` overrides the default `<root>/secrets/filedriver`).
pub fn data_dir(
    root: &Path,
    driver: &str,
    options: &BTreeMap<String, String>,
) -> Result<PathBuf, SecretError> {
    match driver {
        FILE_DRIVER => Ok(options
            .get("path")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("secrets").join("filedriver"))),
        "pass" | "shell" => Err(SecretError::DriverNotSupported(driver.to_owned())),
        _ => Err(SecretError::InvalidDriver),
    }
}

/// Writes the data of secret `id`.
pub fn store(dir: &Path, id: &str, data: &[u8]) -> Result<(), SecretError> {
    if !dir.is_absolute() {
        return Err(SecretError::Invalid(format!(
            "path must be absolute: {}: invalid secrets path",
            dir.display()
        )));
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(SecretError::io("creating", dir))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(SecretError::io("chmod", dir))?;
    write_private(&dir.join(id), data)
}

/// Writes `data` to `path` with mode 0600: a temp file renamed into place.
pub fn write_private(path: &Path, data: &[u8]) -> Result<(), SecretError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(SecretError::Io {
            what: "writing",
            path: path.to_owned(),
            source: e,
        });
    }
    Ok(())
}

/// Reads the data of secret `id`.
pub fn lookup(dir: &Path, id: &str) -> Result<Vec<u8>, SecretError> {
    let path = dir.join(id);
    std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SecretError::NotFound(id.to_owned()),
        _ => SecretError::Io {
            what: "reading",
            path,
            source: e,
        },
    })
}

/// Deletes the data of secret `id` (a missing file is no error).
pub fn delete(dir: &Path, id: &str) -> Result<(), SecretError> {
    let path = dir.join(id);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SecretError::Io {
            what: "removing",
            path,
            source: e,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let d = data_dir(dir.path(), "file", &BTreeMap::new()).unwrap();
        store(&d, "abc", b"hush").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&d), 0o700);
        assert_eq!(mode(&d.join("abc")), 0o600);
        assert_eq!(lookup(&d, "abc").unwrap(), b"hush");
        delete(&d, "abc").unwrap();
        assert!(matches!(lookup(&d, "abc"), Err(SecretError::NotFound(_))));
        assert!(matches!(
            data_dir(dir.path(), "vault", &BTreeMap::new()),
            Err(SecretError::InvalidDriver)
        ));
        assert!(matches!(
            data_dir(dir.path(), "pass", &BTreeMap::new()),
            Err(SecretError::DriverNotSupported(_))
        ));
    }
}
