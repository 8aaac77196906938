//! `create`/`run` flags for the container's metadata and its image pull:
//! `--annotation`, `--http-proxy`, `--retry`, `--retry-delay`, `--authfile`,
//! `--cert-dir` and `--creds` (Podman's names, values and messages).

use clap::Args;
use rpod_api::container_run::CreateSpec;

use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args, Default)]
pub struct MetaFlags {
    /// Add annotations to container (key=value)
    #[arg(long)]
    pub annotation: Vec<String>,
    /// Set proxy environment variables in the container based on the host proxy vars
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub http_proxy: Option<bool>,
    /// number of times to retry in case of failure when performing pull
    #[arg(long)]
    pub retry: Option<u32>,
    /// delay between retries in case of pull failures
    #[arg(long)]
    pub retry_delay: Option<String>,
    /// Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override
    #[arg(long)]
    pub authfile: Option<std::path::PathBuf>,
    /// Use certificates at the specified path to access the registry
    #[arg(long)]
    pub cert_dir: Option<std::path::PathBuf>,
    /// Use USERNAME[:PASSWORD] for accessing the registry
    #[arg(long)]
    pub creds: Option<String>,
}

impl MetaFlags {
    /// Validates the flags into `spec`.
    pub fn apply(&self, spec: &mut CreateSpec) -> CliResult<()> {
        for a in &self.annotation {
            let Some((k, v)) = a.split_once('=') else {
                return Err(CliError::usage("annotations must be formatted KEY=VALUE"));
            };
            // Later values win, as Podman's annotation map does.
            let annotations = &mut spec.options.annotations;
            annotations.retain(|(old, _)| old != k);
            annotations.push((k.to_owned(), v.to_owned()));
        }
        let registry = super::registry_opts::RegistryArgs {
            authfile: self.authfile.clone(),
            cert_dir: self.cert_dir.clone(),
            creds: self.creds.clone(),
            tls_verify: None,
        };
        spec.pull_registry = registry.options()?;
        spec.http_proxy = self.http_proxy;
        spec.retry = self.retry;
        spec.retry_delay = self
            .retry_delay
            .as_deref()
            .map(|d| {
                rpod_api::input_time::parse_go_duration(d)
                    .ok_or_else(|| CliError::usage(format!("time: invalid duration {d:?}")))
            })
            .transpose()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_retries_and_proxy_go_into_the_spec() {
        let f = MetaFlags {
            annotation: vec!["a=1".into(), "b=x=y".into(), "a=2".into()],
            http_proxy: Some(false),
            retry: Some(4),
            retry_delay: Some("1500ms".into()),
            creds: Some("me:secret".into()),
            ..Default::default()
        };
        let mut spec = CreateSpec::default();
        f.apply(&mut spec).unwrap();
        assert_eq!(
            spec.options.annotations,
            vec![("b".into(), "x=y".into()), ("a".into(), "2".into())]
        );
        assert_eq!(spec.http_proxy, Some(false));
        assert_eq!(spec.retry, Some(4));
        assert_eq!(spec.pull_registry.username.as_deref(), Some("me"));
        assert_eq!(spec.pull_registry.password.as_deref(), Some("secret"));
        assert_eq!(
            spec.retry_delay,
            Some(std::time::Duration::from_millis(1500))
        );
    }

    #[test]
    fn bad_values_are_refused_in_podmans_words() {
        let bad = |f: MetaFlags| f.apply(&mut CreateSpec::default()).unwrap_err().to_string();
        assert_eq!(
            bad(MetaFlags {
                annotation: vec!["novalue".into()],
                ..Default::default()
            }),
            "annotations must be formatted KEY=VALUE"
        );
        assert_eq!(
            bad(MetaFlags {
                retry_delay: Some("soon".into()),
                ..Default::default()
            }),
            "time: invalid duration \"soon\""
        );
        assert_eq!(
            bad(MetaFlags {
                authfile: Some("/nonexistent/auth.json".into()),
                ..Default::default()
            }),
            "credential file is not accessible: faccessat /nonexistent/auth.json: no such file or directory"
        );
    }
}
