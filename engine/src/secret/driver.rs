//! The secret drivers. `file`: each secret's data in its own file, written
//! atomically (temp file, rename) with mode 0600 in a 0700 directory.
//! `shell`: the commands of the driver options (`store`, `lookup`,
//! `delete`, `list`) run by `/bin/sh -c` with `SECRET_ID` set, the data on
//! the store command's stdin and the lookup command's stdout.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{SecretError, FILE_DRIVER};

/// A secret's driver, from its name and options.
pub enum Driver {
    File(PathBuf),
    Shell {
        store: String,
        lookup: String,
        delete: String,
    },
}

impl Driver {
    pub fn new(
        root: &Path,
        name: &str,
        options: &BTreeMap<String, String>,
    ) -> Result<Driver, SecretError> {
        match name {
            FILE_DRIVER => Ok(Driver::File(data_dir(root, name, options)?)),
            "shell" => {
                if let Some(k) = options
                    .keys()
                    .find(|k| !["delete", "list", "lookup", "store"].contains(&k.as_str()))
                {
                    return Err(SecretError::Invalid(format!(
                        "invalid shell driver option: {k:?}"
                    )));
                }
                let get = |k: &str| options.get(k).filter(|v| !v.is_empty()).cloned();
                match (get("store"), get("lookup"), get("delete"), get("list")) {
                    (Some(store), Some(lookup), Some(delete), Some(_)) => Ok(Driver::Shell {
                        store,
                        lookup,
                        delete,
                    }),
                    _ => Err(SecretError::Invalid("missing config value".into())),
                }
            }
            _ => data_dir(root, name, options).map(Driver::File),
        }
    }

    pub fn store(&self, id: &str, data: &[u8]) -> Result<(), SecretError> {
        match self {
            Driver::File(dir) => store(dir, id, data),
            Driver::Shell { store, .. } => shell(store, id, Some(data))
                .map(drop)
                .map_err(|e| SecretError::Invalid(format!("creating secret {id}: {e}"))),
        }
    }

    pub fn lookup(&self, id: &str) -> Result<Vec<u8>, SecretError> {
        match self {
            Driver::File(dir) => lookup(dir, id),
            Driver::Shell { lookup, .. } => {
                shell(lookup, id, None).map_err(|_| SecretError::NotFound(id.to_owned()))
            }
        }
    }

    pub fn delete(&self, id: &str) -> Result<(), SecretError> {
        match self {
            Driver::File(dir) => delete(dir, id),
            Driver::Shell { delete, .. } => shell(delete, id, None)
                .map(drop)
                .map_err(|_| SecretError::NotFound(id.to_owned())),
        }
    }
}

/// Runs a shell driver command for secret `id`; its stdout.
fn shell(command: &str, id: &str, input: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .env("SECRET_ID", id)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let (Some(data), Some(mut stdin)) = (input, child.stdin.take()) {
        // A command may stop reading early; its exit status tells.
        let _ = stdin.write_all(data);
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(out.status.to_string());
    }
    Ok(out.stdout)
}

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
        "pass" => Err(SecretError::DriverNotSupported(driver.to_owned())),
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
        let store_dir = dir.path().join("sh");
        std::fs::create_dir_all(&store_dir).unwrap();
        let d = store_dir.display();
        let opts = BTreeMap::from([
            ("store".to_owned(), format!("cat > {d}/$SECRET_ID")),
            ("lookup".to_owned(), format!("cat {d}/$SECRET_ID")),
            ("delete".to_owned(), format!("rm {d}/$SECRET_ID")),
            ("list".to_owned(), format!("ls {d}")),
        ]);
        let sh = Driver::new(dir.path(), "shell", &opts).unwrap();
        sh.store("s1", b"via shell").unwrap();
        assert_eq!(sh.lookup("s1").unwrap(), b"via shell");
        sh.delete("s1").unwrap();
        assert!(matches!(sh.lookup("s1"), Err(SecretError::NotFound(_))));
        let mut partial = opts.clone();
        partial.remove("list");
        assert_eq!(
            Driver::new(dir.path(), "shell", &partial)
                .err()
                .unwrap()
                .to_string(),
            "missing config value"
        );
    }
}
