//! `--cidfile` of the commands that act on existing containers: the id
//! files the user names, read here (creating one is the front door's
//! part of `create`/`run`).

use crate::cli_error::{CliError, CliResult};

/// The containers that `--cidfile` files name, as (file, id) in order. A
/// missing file is skipped with `ignore`, else Podman's error.
pub fn read_cidfiles(paths: &[String], ignore: bool) -> CliResult<Vec<(String, String)>> {
    let mut found = Vec::new();
    for f in paths {
        match read_cidfile(f)? {
            Some(id) => found.push((f.clone(), id)),
            None if ignore => {}
            None => {
                return Err(CliError::usage(format!(
                    "reading CIDFile: open {f}: no such file or directory"
                )))
            }
        }
    }
    Ok(found)
}

/// Reads the container named by `--cidfile` (for `stop`/`rm`).
pub fn read_cidfile(path: &str) -> CliResult<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("reading CIDFile {path}: {e}").into()),
    }
}
