//! Connecting to a registry: HTTPS with the system roots plus the CA
//! certificates of `--cert-dir` (or `/etc/containers/certs.d/<registry>/`),
//! or for an insecure registry HTTPS without verification falling back to
//! plain HTTP (at once for a server that answers TLS with HTTP, see
//! [`super::tls_sniff`]); credentials from `--creds` or the auth file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::Client;

use super::auth::{auth_file_path, AuthError, AuthFile, Credentials};
use super::tls_sniff::answers_tls_with_http;

/// Where registries' certificate directories are by default.
pub const CERTS_D: &str = "/etc/containers/certs.d";
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--tls-verify`: `Some(false)` allows unverified HTTPS and HTTP,
    /// `Some(true)` requires verified HTTPS even for registries marked
    /// insecure, `None` follows registries.conf.
    pub tls_verify: Option<bool>,
    /// `--cert-dir`: CA certificates (`*.crt`) to trust.
    pub cert_dir: Option<PathBuf>,
    /// `--authfile`.
    pub auth_file: Option<PathBuf>,
    /// `--creds`: used instead of the auth file.
    pub credentials: Option<Credentials>,
}

/// Why a registry could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The auth file is unreadable.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A certificate could not be read.
    #[error("reading certificates in {}: {source}", path.display())]
    Certs {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The registry did not answer.
    #[error("pinging container registry {registry}: {message}")]
    Ping {
        /// The registry.
        registry: String,
        /// The cause.
        message: String,
    },
    /// The registry refused the credentials.
    #[error("logging into {registry:?}: invalid username/password")]
    InvalidCredentials {
        /// The registry.
        registry: String,
    },
}

/// A configured client for one registry.
pub struct Endpoint {
    /// The oci-client client.
    pub client: Client,
    /// Credentials to use (anonymous if none are known).
    pub auth: RegistryAuth,
    /// Plain HTTP is used.
    pub plain_http: bool,
    /// A plain HTTP client with the same trust settings, for requests oci-client does not
    /// make (cross-repository mounts): built on first use ([`Endpoint::http`]), since a
    /// client reads and parses the system's root certificates and a pull needs none.
    http: std::sync::OnceLock<reqwest::Client>,
    /// What that client trusts: the CA certificates, and whether any certificate goes.
    trust: (Vec<Vec<u8>>, bool),
    /// The credentials behind `auth`.
    pub credentials: Option<Credentials>,
}

impl Endpoint {
    /// The plain HTTP client with the endpoint's trust settings.
    pub fn http(&self) -> Result<reqwest::Client, ConnectError> {
        if let Some(c) = self.http.get() {
            return Ok(c.clone());
        }
        let c = http_client(&self.trust.0, self.trust.1)?;
        Ok(self.http.get_or_init(|| c).clone())
    }
}

/// CA certificates (`*.crt`, PEM) of `dir`.
fn ca_certs(dir: &Path) -> Result<Vec<Vec<u8>>, ConnectError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ConnectError::Certs {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "crt") {
            out.push(std::fs::read(&p).map_err(|source| ConnectError::Certs {
                path: p.clone(),
                source,
            })?);
        }
    }
    Ok(out)
}

fn cert_dir_for(registry: &str, opts: &ConnectOptions) -> PathBuf {
    opts.cert_dir
        .clone()
        .unwrap_or_else(|| Path::new(CERTS_D).join(registry))
}

/// Credentials for `registry`/`repo`: `--creds`, else the auth file.
pub fn credentials_for(
    registry: &str,
    repo: &str,
    opts: &ConnectOptions,
) -> Result<Option<Credentials>, AuthError> {
    if let Some(c) = &opts.credentials {
        return Ok(Some(c.clone()));
    }
    let file = AuthFile::load(&auth_file_path(opts.auth_file.as_deref()))?;
    Ok(file.credentials(registry, repo))
}

/// A plain HTTP client with the same trust settings, for pings and login.
fn http_client(certs: &[Vec<u8>], accept_invalid: bool) -> Result<reqwest::Client, ConnectError> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(PROBE_TIMEOUT)
        .danger_accept_invalid_certs(accept_invalid);
    for c in certs {
        let cert = reqwest::Certificate::from_pem(c).map_err(|e| ConnectError::Certs {
            path: PathBuf::from("--cert-dir"),
            source: std::io::Error::other(e),
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build().map_err(|e| ConnectError::Ping {
        registry: String::new(),
        message: e.to_string(),
    })
}

/// Decides between HTTPS and HTTP for `registry`. Returns (plain_http,
/// accept_invalid_certs, CA certs): an insecure registry's certificates
/// are never verified.
async fn transport(
    registry: &str,
    insecure: bool,
    opts: &ConnectOptions,
) -> Result<(bool, bool, Vec<Vec<u8>>), ConnectError> {
    let certs = ca_certs(&cert_dir_for(registry, opts))?;
    let insecure = match opts.tls_verify {
        Some(v) => !v,
        None => insecure,
    };
    if !insecure {
        return Ok((false, false, certs));
    }
    // Unverified HTTPS if the registry speaks it, else plain HTTP. Either
    // way certificates go unverified for this client, redirects included
    // (as containers/image sets InsecureSkipVerify for an insecure
    // registry), which also spares loading the system's roots.
    // A server that answers TLS with HTTP cannot speak HTTPS: no HTTPS
    // attempt (and no TLS client) for it.
    let https = if answers_tls_with_http(registry).await {
        tracing::debug!(registry, "answers TLS with HTTP: using plain HTTP");
        false
    } else {
        http_client(&certs, true)?
            .get(format!("https://{registry}/v2/"))
            .timeout(PROBE_TIMEOUT)
            .send()
            .await
            .is_ok()
    };
    Ok((!https, true, certs))
}

/// A client for `registry` (pulling or pushing `repo`). `insecure` is what
/// registries.conf says; `monolithic` makes blob uploads one PUT.
pub async fn connect(
    registry: &str,
    repo: &str,
    insecure: bool,
    opts: &ConnectOptions,
    monolithic: bool,
) -> Result<Endpoint, ConnectError> {
    let (plain_http, accept_invalid, certs) = transport(registry, insecure, opts).await?;
    let creds = credentials_for(registry, repo, opts)?;
    let trust = (certs.clone(), accept_invalid);
    let client = Client::new(ClientConfig {
        protocol: if plain_http {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        accept_invalid_certificates: accept_invalid,
        extra_root_certificates: certs
            .into_iter()
            .map(|data| Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            })
            .collect(),
        use_monolithic_push: monolithic,
        platform_resolver: None,
        ..Default::default()
    });
    let auth = match &creds {
        Some(c) => RegistryAuth::Basic(c.username.clone(), c.password.clone()),
        None => RegistryAuth::Anonymous,
    };
    Ok(Endpoint {
        client,
        auth,
        plain_http,
        http: std::sync::OnceLock::new(),
        trust,
        credentials: creds,
    })
}

/// Checks `creds` against `registry` as `podman login` does: `GET /v2/`,
/// answering a Basic challenge with the credentials or fetching a token from
/// a Bearer challenge's realm with them.
pub async fn check_login(
    registry: &str,
    insecure: bool,
    opts: &ConnectOptions,
    creds: &Credentials,
) -> Result<(), ConnectError> {
    let (plain_http, accept_invalid, certs) = transport(registry, insecure, opts).await?;
    let client = http_client(&certs, accept_invalid)?;
    let scheme = if plain_http { "http" } else { "https" };
    let url = format!("{scheme}://{registry}/v2/");
    let ping = |e: reqwest::Error| ConnectError::Ping {
        registry: registry.to_string(),
        message: format!("Get {url:?}: {}", error_chain(&e)),
    };
    let res = client.get(&url).send().await.map_err(ping)?;
    if res.status().is_success() {
        return Ok(());
    }
    let challenge = res
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let invalid = || ConnectError::InvalidCredentials {
        registry: registry.to_string(),
    };
    let status = if challenge.to_ascii_lowercase().starts_with("bearer") {
        let params = parse_challenge(&challenge);
        let realm = params
            .iter()
            .find(|(k, _)| k == "realm")
            .map(|(_, v)| v.clone())
            .ok_or_else(invalid)?;
        let mut query = vec![("account".to_string(), creds.username.clone())];
        if let Some((_, s)) = params.iter().find(|(k, _)| k == "service") {
            query.push(("service".to_string(), s.clone()));
        }
        let mut token_url = reqwest::Url::parse(&realm).map_err(|_| invalid())?;
        for (k, v) in &query {
            token_url.query_pairs_mut().append_pair(k, v);
        }
        client
            .get(token_url)
            .basic_auth(&creds.username, Some(&creds.password))
            .send()
            .await
            .map_err(ping)?
            .status()
    } else {
        client
            .get(&url)
            .basic_auth(&creds.username, Some(&creds.password))
            .send()
            .await
            .map_err(ping)?
            .status()
    };
    if status.is_success() {
        Ok(())
    } else if status == reqwest::StatusCode::UNAUTHORIZED
        || status == reqwest::StatusCode::FORBIDDEN
    {
        Err(invalid())
    } else {
        Err(ConnectError::Ping {
            registry: registry.to_string(),
            message: format!("Get {url:?}: unexpected status {status}"),
        })
    }
}

/// `Bearer realm="x",service="y"` → [(realm, x), (service, y)].
pub(crate) fn parse_challenge(h: &str) -> Vec<(String, String)> {
    let rest = h.split_once(' ').map(|x| x.1).unwrap_or("");
    let mut out = Vec::new();
    for part in rest.split(',') {
        if let Some((k, v)) = part.trim().split_once('=') {
            out.push((
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ));
        }
    }
    out
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge() {
        let p = parse_challenge(r#"Bearer realm="https://a/token",service="reg",scope="x""#);
        assert_eq!(p[0], ("realm".into(), "https://a/token".into()));
        assert_eq!(p[1], ("service".into(), "reg".into()));
    }
}
