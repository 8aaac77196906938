//! TLS to a `tcp://` service (`--tls-ca`, and `--tls-cert` with
//! `--tls-key` for mutual TLS): the rustls client configuration.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rpod_api::{Error, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

/// The system's CA bundle (Debian's), trusted when no `--tls-ca` is given.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// `--tls-ca`, `--tls-cert`, `--tls-key`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl TlsOptions {
    /// Whether any TLS option was given (TLS is then used).
    pub fn wanted(&self) -> bool {
        self.ca.is_some() || self.cert.is_some() || self.key.is_some()
    }
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::invalid(format!("reading {}: {e}", path.display()))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| read_err(path, e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| read_err(path, e))?;
    if certs.is_empty() {
        return Err(read_err(path, "no certificate found"));
    }
    Ok(certs)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The client configuration the options ask for.
pub(crate) fn client_config(o: &TlsOptions) -> Result<Arc<ClientConfig>> {
    let ca = o.ca.clone().unwrap_or_else(|| PathBuf::from(SYSTEM_BUNDLE));
    let mut roots = RootCertStore::empty();
    for cert in certificates(&ca)? {
        // A bundle may hold certificates webpki cannot use as roots.
        if let Err(e) = roots.add(cert) {
            tracing::debug!("{}: skipping a certificate: {e}", ca.display());
        }
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::other(format!("TLS configuration: {e}")))?
        .with_root_certificates(roots);
    let mut config = match (&o.cert, &o.key) {
        (Some(cert), Some(key)) => {
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| read_err(key, e))?;
            builder
                .with_client_auth_cert(certificates(cert)?, key)
                .map_err(|e| Error::invalid(format!("TLS client certificate: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(Error::invalid(
                "--tls-cert and --tls-key must be given together",
            ))
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The name the server's certificate must carry: the URL's host (an IP
/// address or a DNS name).
pub(crate) fn server_name(hostport: &str) -> Result<ServerName<'static>> {
    let host = hostport
        .rsplit_once(':')
        .map_or(hostport, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    ServerName::try_from(host.to_owned())
        .map_err(|e| Error::invalid(format!("invalid TLS server name {host:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_from_host_ports() {
        assert_eq!(
            server_name("127.0.0.1:8080").unwrap(),
            ServerName::try_from("127.0.0.1").unwrap()
        );
        assert_eq!(
            server_name("[::1]:8080").unwrap(),
            ServerName::try_from("::1").unwrap()
        );
        assert_eq!(
            server_name("example.com:1").unwrap(),
            ServerName::try_from("example.com").unwrap()
        );
        assert!(!TlsOptions::default().wanted());
    }
}
