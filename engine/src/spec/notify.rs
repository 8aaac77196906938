//! `--sdnotify=container`: the monitor's notify socket directory mounted
//! into the container and `NOTIFY_SOCKET` naming the socket there.

use std::path::Path;

use oci_spec::runtime::{MountBuilder, Spec};

use super::SpecError;

/// Where the notify socket directory appears inside the container.
pub const CONTAINER_NOTIFY_DIR: &str = "/run/notify";
/// The socket's file name, in that directory and in the host directory.
pub const NOTIFY_SOCKET_NAME: &str = "notify.sock";

/// Bind-mounts `host_dir` (holding the monitor's socket) at
/// [`CONTAINER_NOTIFY_DIR`] and sets `NOTIFY_SOCKET` for the process.
pub fn add_notify_socket(spec: &mut Spec, host_dir: &Path) -> Result<(), SpecError> {
    let mut mounts = spec.mounts().clone().unwrap_or_default();
    mounts.retain(|m| m.destination() != Path::new(CONTAINER_NOTIFY_DIR));
    mounts.push(
        MountBuilder::default()
            .destination(CONTAINER_NOTIFY_DIR)
            .typ("bind")
            .source(host_dir)
            .options(vec![
                "bind".to_owned(),
                "rw".to_owned(),
                "rprivate".to_owned(),
            ])
            .build()?,
    );
    spec.set_mounts(Some(mounts));
    if let Some(process) = spec.process_mut() {
        let mut env = process.env().clone().unwrap_or_default();
        env.retain(|e| !e.starts_with("NOTIFY_SOCKET="));
        env.push(format!(
            "NOTIFY_SOCKET={CONTAINER_NOTIFY_DIR}/{NOTIFY_SOCKET_NAME}"
        ));
        process.set_env(Some(env));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_and_env() {
        let mut spec = Spec::default();
        add_notify_socket(&mut spec, Path::new("/run/x/notify")).unwrap();
        add_notify_socket(&mut spec, Path::new("/run/x/notify")).unwrap();
        let mounts = spec.mounts().as_ref().unwrap();
        let ours: Vec<_> = mounts
            .iter()
            .filter(|m| m.destination() == Path::new(CONTAINER_NOTIFY_DIR))
            .collect();
        assert_eq!(ours.len(), 1);
        assert_eq!(
            ours[0].source().as_deref(),
            Some(Path::new("/run/x/notify"))
        );
        let env = spec.process().as_ref().unwrap().env().as_ref().unwrap();
        let set: Vec<_> = env
            .iter()
            .filter(|e| e.starts_with("NOTIFY_SOCKET="))
            .collect();
        assert_eq!(set, vec!["NOTIFY_SOCKET=/run/notify/notify.sock"]);
    }
}
