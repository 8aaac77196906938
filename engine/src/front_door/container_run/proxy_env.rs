//! `--http-proxy`: the proxy variables of the engine's environment go into
//! every new container's (below the image's and the user's variables, as
//! containers.conf's `env`), unless the flag or containers.conf's
//! `http_proxy` says false.

use crate::config::containers_conf::ContainersTable;

/// The variables passed on (Podman's list).
const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
];

/// The default environment of a new container: the proxy variables when
/// `--http-proxy` (else containers.conf's `http_proxy`, default true)
/// allows them, then containers.conf's `env` (whose entries win).
pub(crate) fn with_proxy_env(defaults: &ContainersTable, http_proxy: Option<bool>) -> Vec<String> {
    let enabled = http_proxy.or(defaults.http_proxy).unwrap_or(true);
    let lookup = |name: &str| std::env::var(name).ok();
    let mut env = proxy_env(enabled, lookup);
    env.extend(defaults.env.iter().cloned());
    env
}

/// `NAME=value` for each proxy variable `lookup` finds, when enabled.
fn proxy_env(enabled: bool, lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
    if !enabled {
        return Vec::new();
    }
    PROXY_VARS
        .iter()
        .filter_map(|name| lookup(name).map(|v| format!("{name}={v}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "https_proxy" => Some("http://127.0.0.1:3128".into()),
            "NO_PROXY" => Some("localhost".into()),
            _ => None,
        }
    }

    #[test]
    fn only_the_set_proxy_variables_and_only_when_enabled() {
        assert_eq!(
            proxy_env(true, lookup),
            vec!["https_proxy=http://127.0.0.1:3128", "NO_PROXY=localhost"]
        );
        assert!(proxy_env(false, lookup).is_empty());
    }

    #[test]
    fn the_flag_overrides_containers_conf() {
        let conf = ContainersTable {
            http_proxy: Some(false),
            env: vec!["A=1".into()],
            ..Default::default()
        };
        // Disabled by containers.conf: only its own env.
        assert_eq!(with_proxy_env(&conf, None), vec!["A=1"]);
        assert_eq!(with_proxy_env(&conf, Some(false)), vec!["A=1"]);
    }
}
