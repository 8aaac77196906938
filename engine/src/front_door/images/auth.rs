//! `login`, `logout` and `image trust`: credentials in the auth file and the
//! trust policy, read and written by the engine.

use std::path::PathBuf;

use rpod_api::front_door::images::{LoginOptions, LogoutOptions, SetTrustOptions, ShowTrustReport};
use rpod_api::image::TrustPolicyEntry;
use rpod_api::{Error, Result};

use super::transfer::{connect_options, registries_conf};
use crate::registry::auth::{auth_file_path, AuthFile, Credentials};
use crate::registry::client::check_login;
use crate::registry::trust::Policy;

fn usage(e: impl ToString) -> Error {
    Error::invalid(e.to_string())
}

/// `docker://host/ns/` → `host/ns`.
pub(crate) fn registry_key(s: &str) -> String {
    let s = s
        .strip_prefix("docker://")
        .or_else(|| s.strip_prefix("https://"))
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    s.trim_end_matches('/').to_string()
}

fn load(authfile: Option<&std::path::Path>) -> Result<AuthFile> {
    AuthFile::load(&auth_file_path(authfile)).map_err(usage)
}

/// `login --get-login`.
pub fn login_user(registry: &str, authfile: Option<PathBuf>) -> Result<String> {
    let key = registry_key(registry);
    let file = load(authfile.as_deref())?;
    file.username(&key)
        .ok_or_else(|| Error::invalid(format!("not logged into {key}")))
}

/// `login`: checks the credentials, then stores them.
pub async fn login(o: &LoginOptions) -> Result<()> {
    let key = registry_key(&o.registry);
    let host = key.split('/').next().unwrap_or(&key).to_string();
    let mut file = load(o.options.authfile.as_deref())?;
    let creds = Credentials {
        username: o.username.clone(),
        password: o.password.clone(),
    };
    let conf = registries_conf()?;
    let insecure = conf.find_registry(&key).is_some_and(|r| r.insecure);
    let opts = connect_options(&o.options);
    check_login(&host, insecure, &opts, &creds)
        .await
        .map_err(usage)?;
    file.set(&key, &creds);
    file.save().map_err(usage)
}

/// The credentials the auth file (`authfile`, else the default one) holds
/// for `reference`'s registry and repository (the most specific entry), as
/// a user name and password; `None` when there are none or the reference
/// names no registry (a short name). The remote client sends them to the
/// service, as Podman's reads its own auth file.
pub fn stored_credentials(
    reference: &str,
    authfile: Option<&std::path::Path>,
) -> Result<Option<(String, String)>> {
    let reference = reference.strip_prefix("docker://").unwrap_or(reference);
    let Some((host, rest)) = reference.split_once('/') else {
        return Ok(None);
    };
    if !(host.contains('.') || host.contains(':') || host == "localhost") {
        return Ok(None);
    }
    // The repository without its digest or tag.
    let repo = rest.split('@').next().unwrap_or(rest);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    let file = load(authfile)?;
    Ok(file
        .credentials(host, repo)
        .map(|c| (c.username, c.password)))
}

/// `logout`: the key removed, `None` for `--all`.
pub fn logout(o: &LogoutOptions) -> Result<Option<String>> {
    let mut file = load(o.authfile.as_deref())?;
    if o.all {
        file.clear();
        file.save().map_err(usage)?;
        return Ok(None);
    }
    let Some(registry) = &o.registry else {
        return Err(Error::invalid("registry must be given"));
    };
    let key = registry_key(registry);
    if !file.remove(&key) {
        return Err(Error::invalid(format!("not logged into {key}")));
    }
    file.save().map_err(usage)?;
    Ok(Some(key))
}

/// `image trust show`.
pub(crate) fn trust_show(policy_path: Option<PathBuf>) -> Result<ShowTrustReport> {
    let policy = Policy::load(policy_path.as_deref()).map_err(usage)?;
    Ok(ShowTrustReport {
        raw: policy.raw(),
        entries: policy
            .entries()
            .into_iter()
            .map(|e| TrustPolicyEntry {
                transport: e.transport,
                name: e.name,
                kind: e.kind,
            })
            .collect(),
    })
}

/// `image trust set`.
pub(crate) fn trust_set(o: &SetTrustOptions) -> Result<()> {
    let mut policy = Policy::load(o.policy_path.as_deref()).or_else(|e| match &o.policy_path {
        // A new policy file may be created by `set`.
        Some(p) if !p.exists() => {
            std::fs::write(p, b"{}")
                .map_err(|e| usage(format!("creating {}: {e}", p.display())))?;
            Policy::load(Some(p)).map_err(usage)
        }
        _ => Err(usage(e)),
    })?;
    policy
        .set(&o.scope, &o.kind, &o.pub_keys_file)
        .map_err(usage)?;
    policy.save().map_err(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_keys() {
        assert_eq!(registry_key("docker://q.io/ns/"), "q.io/ns");
        assert_eq!(registry_key("https://q.io"), "q.io");
        assert_eq!(registry_key("localhost:5000"), "localhost:5000");
    }
}
