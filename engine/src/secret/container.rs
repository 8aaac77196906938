//! A container's secrets: found by name or ID at create (the container
//! keeps the name and ID, never the data), read from the store at every
//! start, written into `<runroot>/containers/<id>/secrets` (0700) and
//! bind-mounted read-only at `/run/secrets/NAME` (or the target), or set in
//! the process's environment. Nothing of the data reaches the container's
//! row, its image, a commit or `inspect`.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{MountBuilder, Spec};
use rpod_api::secret::{SecretKind, SecretUse};
use serde::{Deserialize, Serialize};

use super::store::SecretStore;
use super::SecretError;
use crate::engine::EngineCtx;

/// One `--secret` of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSecret {
    /// The secret's name and ID when the container was created.
    pub name: String,
    pub id: String,
    pub kind: SecretKind,
    /// As given (see [`SecretUse::target`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    #[serde(default)]
    pub uid: u32,
    #[serde(default)]
    pub gid: u32,
    pub mode: u32,
}

impl ContainerSecret {
    /// Where a mounted secret appears in the container.
    pub fn destination(&self) -> String {
        match self.target.as_str() {
            "" => format!("/run/secrets/{}", self.name),
            t if t.starts_with('/') => t.to_owned(),
            t => format!("/run/secrets/{t}"),
        }
    }

    /// The variable an env secret sets.
    pub fn variable(&self) -> &str {
        if self.target.is_empty() {
            &self.name
        } else {
            &self.target
        }
    }
}

/// The secrets `uses` name, each found in the store (an unknown one is an
/// error, so nothing is created).
pub(crate) fn resolve(
    ctx: &EngineCtx,
    uses: &[SecretUse],
) -> Result<Vec<ContainerSecret>, SecretError> {
    let store = SecretStore::new(ctx);
    uses.iter()
        .map(|u| {
            let s = store.lookup(&u.source)?;
            Ok(ContainerSecret {
                name: s.name,
                id: s.id,
                kind: u.kind,
                target: u.target.clone(),
                uid: u.uid,
                gid: u.gid,
                mode: u.mode,
            })
        })
        .collect()
}

/// `<run dir>/secrets`.
pub(crate) fn secrets_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("secrets")
}

/// Writes the container's secrets for this start and adds them to `spec`:
/// files bind-mounted read-only, variables set in the process.
pub(crate) fn apply(
    ctx: &EngineCtx,
    secrets: &[ContainerSecret],
    run_dir: &Path,
    spec: &mut Spec,
) -> Result<(), SecretError> {
    if secrets.is_empty() {
        return Ok(());
    }
    let store = SecretStore::new(ctx);
    let dir = secrets_dir(run_dir);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(SecretError::io("creating", &dir))?;
    let mut mounts = spec.mounts().clone().unwrap_or_default();
    let mut env_vars = Vec::new();
    for (i, s) in secrets.iter().enumerate() {
        // By name first: a secret replaced since the create (a new ID)
        // gives its new data, as Podman's environment secrets do.
        let rec = store.lookup(&s.name).or_else(|_| store.lookup(&s.id))?;
        let data = store.data(&rec)?;
        match s.kind {
            SecretKind::Env => {
                env_vars.push(format!(
                    "{}={}",
                    s.variable(),
                    String::from_utf8_lossy(&data)
                ));
            }
            SecretKind::Mount => {
                // One file per use: two mounts of a secret may differ in
                // owner and mode.
                let file = dir.join(format!("{i}-{}", s.name));
                super::driver::write_private(&file, &data)?;
                std::os::unix::fs::chown(&file, Some(s.uid), Some(s.gid))
                    .map_err(SecretError::io("chown", &file))?;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(s.mode))
                    .map_err(SecretError::io("chmod", &file))?;
                let dest = s.destination();
                mounts.retain(|m| m.destination() != Path::new(&dest));
                mounts.push(
                    MountBuilder::default()
                        .destination(dest)
                        .typ("bind")
                        .source(file)
                        .options(
                            ["rbind", "ro", "nosuid", "nodev", "noexec"]
                                .map(String::from)
                                .to_vec(),
                        )
                        .build()
                        .map_err(|e| SecretError::Invalid(e.to_string()))?,
                );
            }
        }
    }
    spec.set_mounts(Some(mounts));
    if !env_vars.is_empty() {
        if let Some(process) = spec.process_mut() {
            let mut env = process.env().clone().unwrap_or_default();
            for var in env_vars {
                let name = var.split('=').next().unwrap_or("").to_owned();
                env.retain(|e| e.split('=').next() != Some(name.as_str()));
                env.push(var);
            }
            process.set_env(Some(env));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        let mut s = ContainerSecret {
            name: "pw".into(),
            id: "x".into(),
            kind: SecretKind::Mount,
            target: String::new(),
            uid: 0,
            gid: 0,
            mode: 0o444,
        };
        assert_eq!(s.destination(), "/run/secrets/pw");
        s.target = "db/pass".into();
        assert_eq!(s.destination(), "/run/secrets/db/pass");
        s.target = "/etc/pw".into();
        assert_eq!(s.destination(), "/etc/pw");
        s.target.clear();
        assert_eq!(s.variable(), "pw");
    }
}
