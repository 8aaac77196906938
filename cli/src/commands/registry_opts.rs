//! Flags shared by commands that talk to registries: `--authfile`,
//! `--cert-dir`, `--creds`, `--tls-verify`.

use std::path::{Path, PathBuf};

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

    /// The request's registry options for these flags (`--creds` split); an
    /// `--authfile` that does not exist is refused, as Podman's pull, push,
    /// build and manifest commands refuse it.
    pub fn options(&self) -> CliResult<RegistryOptions> {
        if let Some(f) = &self.authfile {
            check_authfile(f)?;
        }
        self.unchecked_options()
    }

    /// As [`Self::options`], but a missing `--authfile` is fine: `login`
    /// creates it.
    pub fn unchecked_options(&self) -> CliResult<RegistryOptions> {
        let (username, password) = match &self.creds {
            None => (None, None),
            Some(c) => {
                let (u, p) = split_creds(c)?;
                (Some(u), Some(p))
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

/// `--creds USERNAME[:PASSWORD]`, split (an empty password when none is given).
pub fn split_creds(creds: &str) -> CliResult<(String, String)> {
    let (u, p) = creds.split_once(':').unwrap_or((creds, ""));
    if u.is_empty() {
        return Err(CliError::usage("credentials must be USERNAME[:PASSWORD]"));
    }
    Ok((u.to_owned(), p.to_owned()))
}

/// Podman's check of an explicit `--authfile` (its pkg/auth `CheckAuthFile`):
/// the file must be there, else `credential file is not accessible:
/// faccessat PATH: no such file or directory`, exit 125.
pub fn check_authfile(path: &Path) -> CliResult<()> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(()),
        Err(e) => Err(CliError::usage(format!(
            "credential file is not accessible: faccessat {}: {}",
            path.display(),
            errno_text(&e)
        ))),
    }
}

pub use rpod_api::error::errno_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_authfile_is_refused_in_podmans_words() {
        let err = check_authfile(Path::new("/nonexistent/auth.json")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "credential file is not accessible: faccessat /nonexistent/auth.json: no such file or directory"
        );
        let args = RegistryArgs {
            authfile: Some("/nonexistent/auth.json".into()),
            ..Default::default()
        };
        assert!(args.options().is_err());
        assert!(args.unchecked_options().is_ok());
        check_authfile(Path::new("/")).unwrap();
    }

    #[test]
    fn creds_split_at_the_first_colon() {
        assert_eq!(split_creds("u:p:q").unwrap(), ("u".into(), "p:q".into()));
        assert_eq!(split_creds("u").unwrap(), ("u".into(), String::new()));
        assert!(split_creds(":p").is_err());
    }
}
