//! Flags shared by commands that talk to registries: `--authfile`,
//! `--cert-dir`, `--creds`, `--tls-verify`.

use std::path::PathBuf;

use clap::Args;
use rpod_api::front_door::images::RegistryOptions;

use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args, Clone, Default)]
pub struct RegistryArgs {
    /// Path of the authentication file (default ${XDG_RUNTIME_DIR}/containers/auth.json; REGISTRY_AUTH_FILE overrides)
    #[arg(long)]
    pub authfile: Option<PathBuf>,
    /// Use certificates at the specified path to access the registry
    #[arg(long)]
    pub cert_dir: Option<PathBuf>,
    /// Use USERNAME[:PASSWORD] for accessing the registry
    #[arg(long)]
    pub creds: Option<String>,
    /// Require HTTPS and verify certificates when contacting registries
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
}

impl RegistryArgs {
    /// The request's registry options for these flags (`--creds` split).
    /// The options for a transfer of `reference` by `g`'s front door. In
    /// remote mode the credentials come from this host, as Podman's remote
    /// client: `--creds`, else what the auth file (`--authfile` or the
    /// default) holds for the reference's registry; they travel to the
    /// service in `X-Registry-Auth`, the auth file itself stays here.
    pub fn options_for(
        &self,
        g: &super::common::Globals,
        reference: &str,
    ) -> CliResult<RegistryOptions> {
        let mut o = self.options()?;
        if g.remote.is_none() {
            return Ok(o);
        }
        if o.username.is_none() {
            if let Some((u, p)) =
                rpod_engine::registry_stored_credentials(reference, o.authfile.as_deref())?
            {
                o.username = Some(u);
                o.password = Some(p);
            }
        }
        o.authfile = None;
        Ok(o)
    }

    pub fn options(&self) -> CliResult<RegistryOptions> {
        let (username, password) = match &self.creds {
            None => (None, None),
            Some(c) => {
                let (u, p) = c.split_once(':').unwrap_or((c.as_str(), ""));
                if u.is_empty() {
                    return Err(CliError::usage("credentials must be USERNAME[:PASSWORD]"));
                }
                (Some(u.to_string()), Some(p.to_string()))
            }
        };
        Ok(RegistryOptions {
            authfile: self.authfile.clone(),
            cert_dir: self.cert_dir.clone(),
            username,
            password,
            tls_verify: self.tls_verify,
        })
    }
}
