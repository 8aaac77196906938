//! `--init`: an init binary (catatonit) bind-mounted read-only at
//! `/run/podman-init` runs as PID 1 and starts the command after `--`,
//! forwarding signals and reaping zombies (as Podman).

use std::path::Path;

use oci_spec::runtime::{Mount, MountBuilder};

use super::SpecError;

/// Where the init binary appears in the container (Podman's path).
pub const INIT_PATH_IN_CONTAINER: &str = "/run/podman-init";

/// containers.conf's default `init_path` and Debian's catatonit.
const DEFAULT_INIT_PATHS: [&str; 2] = ["/usr/libexec/podman/catatonit", "/usr/bin/catatonit"];

/// The init binary: `--init-path`, else the first default that exists.
pub fn init_binary(init_path: Option<&str>) -> Result<String, SpecError> {
    let path = match init_path {
        Some(p) => p.to_owned(),
        None => DEFAULT_INIT_PATHS
            .iter()
            .find(|p| Path::new(p).exists())
            .map(|p| (*p).to_owned())
            .ok_or_else(|| {
                SpecError::Init(format!(
                    "container-init binary not found on the host: {}",
                    DEFAULT_INIT_PATHS.join(", ")
                ))
            })?,
    };
    if !Path::new(&path).is_file() {
        return Err(SpecError::Init(format!(
            "container-init binary not found on the host: {path}"
        )));
    }
    Ok(path)
}

/// The init's bind mount and the process arguments it runs with.
pub fn wrap(binary: &str, args: Vec<String>) -> Result<(Mount, Vec<String>), SpecError> {
    let mount = MountBuilder::default()
        .destination(INIT_PATH_IN_CONTAINER)
        .typ("bind")
        .source(binary)
        .options(vec!["bind".to_owned(), "ro".to_owned()])
        .build()?;
    let mut all = vec![INIT_PATH_IN_CONTAINER.to_owned(), "--".to_owned()];
    all.extend(args);
    Ok((mount, all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_runs_the_command_after_dashes() {
        let (m, args) = wrap("/usr/bin/catatonit", vec!["sleep".into(), "1".into()]).unwrap();
        assert_eq!(args, ["/run/podman-init", "--", "sleep", "1"]);
        assert_eq!(m.destination().to_str(), Some(INIT_PATH_IN_CONTAINER));
        assert!(init_binary(Some("/nonexistent/init")).is_err());
    }
}
