//! Reading `--tls-cert`, `--tls-key` and `--tls-client-ca`, refused in the
//! words Podman's service uses (Go's `tls.LoadX509KeyPair` for the pair,
//! Podman's `ReadCertBundle` for the client CA), so a script that checks
//! them sees the same message.

use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read (`open PATH: no such file or directory`).
    #[error("open {}: {reason}", path.display())]
    Open { path: PathBuf, reason: String },
    /// `--tls-cert`/`--tls-key` are not a certificate and its key.
    #[error("tls: {0}")]
    Pair(String),
    /// `--tls-client-ca` is not a bundle of CA certificates.
    #[error("reading cert bundle {}: {reason}", path.display())]
    Bundle { path: PathBuf, reason: String },
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// The file's bytes, or Go's `open` error.
fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Open {
        path: path.to_owned(),
        reason: rpod_api::error::errno_text(&e),
    })
}

/// The labels of the PEM blocks in `data` (`CERTIFICATE`, `PRIVATE KEY`,
/// ...) in order, and whether anything but blocks and whitespace is there.
fn pem_labels(data: &[u8]) -> (Vec<String>, bool) {
    let text = String::from_utf8_lossy(data);
    let mut labels = Vec::new();
    let mut stray = false;
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            labels.push(label.to_owned());
            inside = true;
        } else if line.starts_with("-----END ") {
            inside = false;
        } else if !inside && !line.is_empty() {
            stray = true;
        }
    }
    (labels, stray)
}

fn is_key_label(label: &str) -> bool {
    label == "PRIVATE KEY" || label.ends_with(" PRIVATE KEY")
}

/// The certificate chain of `--tls-cert`.
pub fn certificate_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let data = read(path)?;
    let (labels, _) = pem_labels(&data);
    if !labels.iter().any(|l| l == "CERTIFICATE") {
        let skipped: Vec<&String> = labels.iter().collect();
        return Err(TlsError::Pair(match skipped.as_slice() {
            [] => "failed to find any PEM data in certificate input".to_owned(),
            [one] if one.ends_with("PRIVATE KEY") => "failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched".to_owned(),
            more => format!(
                "failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of the following types: [{}]",
                more.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
            ),
        }));
    }
    CertificateDer::pem_slice_iter(&data)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pair(format!("failed to parse certificate: {e}")))
}

/// The private key of `--tls-key`.
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let data = read(path)?;
    let (labels, _) = pem_labels(&data);
    if !labels.iter().any(|l| is_key_label(l)) {
        return Err(TlsError::Pair(match labels.as_slice() {
            [] => "failed to find any PEM data in key input".to_owned(),
            [one] if one == "CERTIFICATE" => {
                "found a certificate rather than a key in the PEM for the private key".to_owned()
            }
            more => format!(
                "failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping PEM blocks of the following types: [{}]",
                more.join(" ")
            ),
        }));
    }
    PrivateKeyDer::from_pem_slice(&data)
        .map_err(|e| TlsError::Pair(format!("failed to parse private key: {e}")))
}

/// The CA certificates of `--tls-client-ca`: every block must be a
/// certificate, as Podman's `ReadCertBundle` requires.
pub fn ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bundle_err = |reason: String| TlsError::Bundle {
        path: path.to_owned(),
        reason,
    };
    let data = read(path).map_err(|e| bundle_err(e.to_string()))?;
    let (labels, stray) = pem_labels(&data);
    if labels.is_empty() || stray {
        return Err(bundle_err("non-PEM data found".to_owned()));
    }
    if let Some(other) = labels.iter().find(|l| *l != "CERTIFICATE") {
        return Err(bundle_err(format!(
            "non-certificate type `{other}` PEM data found"
        )));
    }
    CertificateDer::pem_slice_iter(&data)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bundle_err(format!("parsing item: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";

    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn refusals_read_as_podmans() {
        let d = tempfile::tempdir().unwrap();
        let missing = d.path().join("no-such-file.pem");
        assert_eq!(
            private_key(&missing).unwrap_err().to_string(),
            format!("open {}: no such file or directory", missing.display())
        );
        let junk = file(d.path(), "junk.pem", "not a cert\n");
        assert_eq!(
            private_key(&junk).unwrap_err().to_string(),
            "tls: failed to find any PEM data in key input"
        );
        assert_eq!(
            certificate_chain(&junk).unwrap_err().to_string(),
            "tls: failed to find any PEM data in certificate input"
        );
        let cert = file(d.path(), "cert.pem", CERT);
        let key = file(d.path(), "key.pem", KEY);
        assert_eq!(
            private_key(&cert).unwrap_err().to_string(),
            "tls: found a certificate rather than a key in the PEM for the private key"
        );
        assert!(certificate_chain(&key)
            .unwrap_err()
            .to_string()
            .ends_with("PEM inputs may have been switched"));
        assert_eq!(
            ca_bundle(&junk).unwrap_err().to_string(),
            format!("reading cert bundle {}: non-PEM data found", junk.display())
        );
        assert_eq!(
            ca_bundle(&key).unwrap_err().to_string(),
            format!(
                "reading cert bundle {}: non-certificate type `RSA PRIVATE KEY` PEM data found",
                key.display()
            )
        );
        assert_eq!(
            ca_bundle(&missing).unwrap_err().to_string(),
            format!(
                "reading cert bundle {0}: open {0}: no such file or directory",
                missing.display()
            )
        );
    }
}
