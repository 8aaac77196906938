//! The `create`/`run` flags of Podman 5.8 that rpod recognises but does not
//! implement yet: each is refused by name (`Error: --shm-size-systemd is not
//! supported yet (resource limits, issue 14)`, exit 125) so no script gets a
//! container that silently differs from the one it asked for. Pairs Podman
//! refuses together are checked first, with Podman's words; flags Podman
//! itself only warns about (`--kernel-memory`) warn the same way.

use clap::Args;

use crate::cli_error::{CliError, CliResult};

/// One refused flag: its values as given (empty if absent).
type Given = Vec<String>;

#[derive(Debug, Args, Default)]
pub struct RefusedFlags {
    // Networking (issue 12).
    #[arg(long, hide = true)]
    link_local_ip: Vec<String>,
    // Resources, security, namespaces (issue 14; user namespaces: 18).
    #[arg(long, hide = true)]
    seccomp_policy: Vec<String>,
    #[arg(long, hide = true)]
    gpus: Vec<String>,
    #[arg(long, hide = true)]
    shm_size_systemd: Vec<String>,
    #[arg(long, hide = true)]
    rdt_class: Vec<String>,
    #[arg(long, hide = true)]
    personality: Vec<String>,
    #[arg(long, hide = true)]
    systemd: Vec<String>,
    #[arg(long, hide = true)]
    hostuser: Vec<String>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    passwd: Vec<String>,
    #[arg(long, hide = true)]
    passwd_entry: Vec<String>,
    #[arg(long, hide = true)]
    group_entry: Vec<String>,
    #[arg(long, hide = true)]
    chrootdirs: Vec<String>,
    // Other features not there yet.
    #[arg(long, hide = true)]
    preserve_fd: Vec<String>,
    /// `run` takes it before the check (see `run::Streams`); `create`
    /// refuses it.
    #[arg(short = 'a', long, hide = true)]
    pub attach: Vec<String>,
    #[arg(long, hide = true)]
    arch: Vec<String>,
    #[arg(long, hide = true)]
    os: Vec<String>,
    #[arg(long, hide = true)]
    platform: Vec<String>,
    #[arg(long, hide = true)]
    variant: Vec<String>,
    #[arg(long, hide = true)]
    decryption_key: Vec<String>,
    #[arg(long, hide = true)]
    env_merge: Vec<String>,
    #[arg(long, hide = true)]
    pidfile: Vec<String>,
    /// Docker compatibility: a no-op in Podman as here.
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    disable_content_trust: Option<String>,
    /// Podman: "no longer supported", a no-op with a warning.
    #[arg(long, hide = true)]
    kernel_memory: Option<String>,
}

/// The pairs Podman refuses together (checked before anything is refused
/// as not supported, so the user gets Podman's answer).
fn conflicts(f: &RefusedFlags) -> CliResult<()> {
    let given = |v: &Given| !v.is_empty();
    if given(&f.platform) && (given(&f.arch) || given(&f.os)) {
        return Err(CliError::usage(
            "--platform option can not be specified with --arch or --os",
        ));
    }
    Ok(())
}

impl RefusedFlags {
    /// Podman's conflicts, then the warning-only flags, then the first
    /// flag given that rpod does not implement.
    pub fn check(&self) -> CliResult<()> {
        conflicts(self)?;
        if self.kernel_memory.is_some() {
            tracing::warn!("The --kernel-memory flag is no longer supported. This flag is a noop.");
        }
        let f = self;
        let net = "networking, issue 12";
        let res = "resource limits, issue 14";
        let sec = "security and namespaces, issue 14";
        let userns = "user namespaces, issue 14";
        let table: &[(&Given, &str, &str)] = &[
            (&f.link_local_ip, "--link-local-ip", net),
            (&f.shm_size_systemd, "--shm-size-systemd", res),
            (&f.rdt_class, "--rdt-class", res),
            (&f.seccomp_policy, "--seccomp-policy", sec),
            (&f.gpus, "--gpus", sec),
            (&f.personality, "--personality", sec),
            (&f.systemd, "--systemd", sec),
            (&f.hostuser, "--hostuser", userns),
            (&f.passwd, "--passwd", sec),
            (&f.passwd_entry, "--passwd-entry", sec),
            (&f.group_entry, "--group-entry", sec),
            (&f.chrootdirs, "--chrootdirs", sec),
            (&f.preserve_fd, "--preserve-fd", "passing file descriptors"),
            (&f.attach, "--attach", "attaching to chosen streams"),
            (&f.arch, "--arch", "choosing a platform"),
            (&f.os, "--os", "choosing a platform"),
            (&f.platform, "--platform", "choosing a platform"),
            (&f.variant, "--variant", "choosing a platform"),
            (&f.decryption_key, "--decryption-key", "encrypted images"),
            (&f.env_merge, "--env-merge", "environment merging"),
            (&f.pidfile, "--pidfile", "container pid files"),
        ];
        for (given, flag, what) in table {
            // A boolean flag set to false asks for rpod's behaviour.
            if given.last().is_some_and(|v| v != "false") {
                return Err(CliError::usage(format!(
                    "{flag} is not supported yet ({what})"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_come_first_in_podmans_words() {
        let f = RefusedFlags {
            platform: vec!["linux/amd64".into()],
            arch: vec!["arm64".into()],
            ..Default::default()
        };
        assert_eq!(
            f.check().unwrap_err().to_string(),
            "--platform option can not be specified with --arch or --os"
        );
        let f = RefusedFlags {
            shm_size_systemd: vec!["2".into()],
            ..Default::default()
        };
        assert_eq!(
            f.check().unwrap_err().to_string(),
            "--shm-size-systemd is not supported yet (resource limits, issue 14)"
        );
        let f = RefusedFlags {
            systemd: vec!["false".into()],
            ..Default::default()
        };
        assert!(f.check().is_ok());
    }
}
