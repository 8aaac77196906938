//! Registry credentials in Podman's auth file (containers-auth.json(5)):
//! `{"auths": {"registry[/namespace]": {"auth": base64("user:password")}}}`.
//! The file is found through `--authfile`, `REGISTRY_AUTH_FILE`, or
//! `${XDG_RUNTIME_DIR}/containers/auth.json` (`/run/containers/<uid>/auth.json`
//! without XDG_RUNTIME_DIR). Credentials are never printed or logged: the
//! [`Credentials`] `Debug` output hides the password.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{json, Map, Value};

/// Environment variable naming the auth file.
pub const AUTH_FILE_ENV: &str = "REGISTRY_AUTH_FILE";

/// A user name and password (or identity token).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or token; never shown.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// Why the auth file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Reading or writing the file failed.
    #[error("{op} auth file {}: {source}", path.display())]
    Io {
        /// "reading", "writing", ...
        op: &'static str,
        /// The auth file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("parsing auth file {}: {message}", path.display())]
    Parse {
        /// The auth file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The auth file in effect: `explicit` (`--authfile`), else
/// `REGISTRY_AUTH_FILE`, else the per-user runtime location.
pub fn auth_file_path(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os(AUTH_FILE_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("containers").join("auth.json"),
        None => PathBuf::from(format!(
            "/run/containers/{}/auth.json",
            crate::rootless::host_uid()
        )),
    }
}

/// An auth file's content.
#[derive(Debug, Clone)]
pub struct AuthFile {
    path: PathBuf,
    doc: Map<String, Value>,
}

/// `https://registry/v1/` → `registry` (Docker's key spelling).
fn normalize_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let k = k
        .strip_suffix("/v1/")
        .or_else(|| k.strip_suffix("/v2/"))
        .unwrap_or(k);
    k.trim_end_matches('/').to_string()
}

impl AuthFile {
    /// Reads the auth file at `path`; a missing file is empty.
    pub fn load(path: &Path) -> Result<AuthFile, AuthError> {
        let doc = match fs::read(path) {
            Ok(data) if data.iter().all(u8::is_ascii_whitespace) => Map::new(),
            Ok(data) => match serde_json::from_slice::<Value>(&data) {
                Ok(Value::Object(m)) => m,
                Ok(_) => {
                    return Err(AuthError::Parse {
                        path: path.to_path_buf(),
                        message: "not a JSON object".into(),
                    })
                }
                Err(e) => {
                    return Err(AuthError::Parse {
                        path: path.to_path_buf(),
                        message: e.to_string(),
                    })
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(source) => {
                return Err(AuthError::Io {
                    op: "reading",
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        Ok(AuthFile {
            path: path.to_path_buf(),
            doc,
        })
    }

    fn auths(&self) -> impl Iterator<Item = (String, &Value)> {
        self.doc
            .get("auths")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.iter().map(|(k, v)| (normalize_key(k), v)))
    }

    /// Credentials for `registry` and repository `repo` (without the
    /// registry): the most specific `registry/namespace` key wins.
    pub fn credentials(&self, registry: &str, repo: &str) -> Option<Credentials> {
        let full = format!("{registry}/{repo}");
        let mut best: Option<(usize, Credentials)> = None;
        for (key, v) in self.auths() {
            let matches = key == registry
                || key == full
                || (full.starts_with(&key) && full[key.len()..].starts_with('/'));
            if !matches {
                continue;
            }
            let Some(c) = decode(v) else { continue };
            if best.as_ref().is_none_or(|(len, _)| key.len() > *len) {
                best = Some((key.len(), c));
            }
        }
        best.map(|(_, c)| c)
    }

    /// The user name stored for exactly `key`, if any.
    pub fn username(&self, key: &str) -> Option<String> {
        self.auths()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| decode(v))
            .map(|c| c.username)
    }

    /// Stores credentials under `key` (`registry` or `registry/namespace`).
    pub fn set(&mut self, key: &str, creds: &Credentials) {
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", creds.username, creds.password));
        self.remove(key);
        let auths = self.doc.entry("auths").or_insert_with(|| json!({}));
        if !auths.is_object() {
            *auths = json!({});
        }
        if let Some(m) = auths.as_object_mut() {
            m.insert(key.to_string(), json!({ "auth": encoded }));
        }
    }

    /// Removes the entry for `key`; false if there was none.
    pub fn remove(&mut self, key: &str) -> bool {
        let Some(m) = self.doc.get_mut("auths").and_then(Value::as_object_mut) else {
            return false;
        };
        let before = m.len();
        m.retain(|k, _| normalize_key(k) != key);
        m.len() != before
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.doc.insert("auths".into(), json!({}));
    }

    /// Writes the file atomically with mode 0600 (its directory 0700 if created).
    pub fn save(&self) -> Result<(), AuthError> {
        let io = |op, source| AuthError::Io {
            op,
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| io("creating the directory of", e))?;
        }
        let data = serde_json::to_vec_pretty(&Value::Object(self.doc.clone()))
            .map_err(|e| io("encoding", std::io::Error::other(e)))?;
        let tmp = self
            .path
            .with_file_name(format!(".auth.json.tmp-{}", std::process::id()));
        let result = (|| {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&data)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(|e| io("writing", e))
    }
}

fn decode(v: &Value) -> Option<Credentials> {
    let auth = v.get("auth").and_then(Value::as_str)?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some(Credentials {
        username: u.to_string(),
        password: p.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_find_remove() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/auth.json");
        let mut f = AuthFile::load(&path).unwrap();
        let c = Credentials {
            username: "u".into(),
            password: "p:w".into(),
        };
        f.set("reg:5000", &c);
        f.set(
            "reg:5000/team",
            &Credentials {
                username: "t".into(),
                password: "x".into(),
            },
        );
        f.save().unwrap();
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&path).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600);
        let f = AuthFile::load(&path).unwrap();
        assert_eq!(f.credentials("reg:5000", "app"), Some(c.clone()));
        assert_eq!(f.credentials("reg:5000", "team/app").unwrap().username, "t");
        assert_eq!(f.credentials("other", "app"), None);
        assert!(!format!("{c:?}").contains("p:w"));
        let mut f = f;
        assert!(f.remove("reg:5000"));
        assert!(!f.remove("reg:5000"));
        let docker = r#"{"auths":{"https://index.docker.io/v1/":{"auth":"YTpi"}}}"#;
        fs::write(&path, docker).unwrap();
        let f = AuthFile::load(&path).unwrap();
        assert_eq!(f.credentials("index.docker.io", "x").unwrap().password, "b");
    }
}
