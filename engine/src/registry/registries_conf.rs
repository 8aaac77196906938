//! containers-registries.conf(5), version 2: unqualified-search registries,
//! `[[registry]]` entries (prefix rewriting, insecure, blocked, mirrors) and
//! short-name `[aliases]`, with drop-ins from `registries.conf.d/*.conf`.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::image_ref::reference::{ImageReference, ReferenceError};

/// Default location of the system-wide file.
pub const DEFAULT_REGISTRIES_CONF: &str = "/etc/containers/registries.conf";
/// Environment variable naming another file to use instead.
pub const REGISTRIES_CONF_ENV: &str = "CONTAINERS_REGISTRIES_CONF";
const DROPIN_DIR: &str = "registries.conf.d";

/// Errors reading registries.conf.
#[derive(Debug, thiserror::Error)]
pub enum RegistriesConfError {
    /// A file could not be read.
    #[error("reading registries configuration {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A file is not valid TOML of the expected shape.
    #[error("loading registries configuration {}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML error.
        #[source]
        source: toml::de::Error,
    },
    /// An entry is invalid (a prefix or location that is no reference, an alias that is not fully qualified).
    #[error("invalid registries configuration {}: {msg}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
}

/// A pull mirror of a registry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Mirror {
    /// `host[:port][/path]` to pull from instead.
    pub location: String,
    /// Plain HTTP / no TLS verification allowed.
    #[serde(default)]
    pub insecure: bool,
}

/// A `[[registry]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Registry {
    /// Which references this entry applies to (`host[/path]` or
    /// `*.domain`); defaults to `location`.
    #[serde(default)]
    pub prefix: String,
    /// Where matching references are pulled from (prefix rewritten to this).
    #[serde(default)]
    pub location: String,
    /// Plain HTTP / no TLS verification allowed.
    #[serde(default)]
    pub insecure: bool,
    /// Pulling from this registry is refused.
    #[serde(default)]
    pub blocked: bool,
    /// Use mirrors only for pulls by digest.
    #[serde(default, rename = "mirror-by-digest-only")]
    pub mirror_by_digest_only: bool,
    /// Mirrors tried in order before `location`.
    #[serde(default, rename = "mirror")]
    pub mirrors: Vec<Mirror>,
}

/// One place to try pulling a reference from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSource {
    /// The reference rewritten for this endpoint.
    pub reference: ImageReference,
    /// Plain HTTP / no TLS verification allowed for this endpoint.
    pub insecure: bool,
}

#[derive(Debug, Default, Deserialize)]
struct FileV2 {
    #[serde(rename = "unqualified-search-registries")]
    unqualified_search_registries: Option<Vec<String>>,
    #[serde(default, rename = "registry")]
    registries: Vec<Registry>,
    #[serde(default)]
    aliases: BTreeMap<String, String>,
}

/// The merged registries configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistriesConf {
    /// Registries tried in order for short names.
    pub unqualified_search_registries: Vec<String>,
    /// `[[registry]]` entries, merged by prefix.
    pub registries: Vec<Registry>,
    /// Short name → fully qualified name.
    pub aliases: BTreeMap<String, String>,
    /// The main file (named in error messages, whether it exists or not).
    pub path: PathBuf,
}

impl RegistriesConf {
    /// Loads `$CONTAINERS_REGISTRIES_CONF` or `/etc/containers/registries.conf`.
    pub fn load() -> Result<Self, RegistriesConfError> {
        let path = std::env::var_os(REGISTRIES_CONF_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| crate::rootless::dirs::user_containers_file("registries.conf"))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_REGISTRIES_CONF));
        Self::load_from(&path)
    }

    /// Loads `path` (missing = empty) and then the drop-ins
    /// `registries.conf.d/*.conf` next to it in lexical order; later files
    /// override search registries, entries with the same prefix and aliases.
    pub fn load_from(path: &Path) -> Result<Self, RegistriesConfError> {
        let mut conf = RegistriesConf {
            path: path.to_path_buf(),
            ..Default::default()
        };
        conf.merge_file(path)?;
        let dropins = path.parent().unwrap_or(Path::new("/")).join(DROPIN_DIR);
        let mut files = match fs::read_dir(&dropins) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "conf"))
                .collect::<Vec<_>>(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(RegistriesConfError::Read {
                    path: dropins,
                    source,
                })
            }
        };
        files.sort();
        for f in files {
            conf.merge_file(&f)?;
        }
        Ok(conf)
    }

    fn merge_file(&mut self, path: &Path) -> Result<(), RegistriesConfError> {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(RegistriesConfError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let file: FileV2 = toml::from_str(&text).map_err(|source| RegistriesConfError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |msg: String| RegistriesConfError::Invalid {
            path: path.to_path_buf(),
            msg,
        };
        if let Some(search) = file.unqualified_search_registries {
            self.unqualified_search_registries = search;
        }
        for mut reg in file.registries {
            if reg.prefix.is_empty() {
                reg.prefix = reg.location.clone();
            }
            if reg.prefix.is_empty() {
                return Err(invalid(
                    "[[registry]] entry without prefix or location".into(),
                ));
            }
            if reg.prefix.starts_with("*.") && !reg.location.is_empty() {
                return Err(invalid(format!(
                    "wildcarded prefix {:?} cannot have a location",
                    reg.prefix
                )));
            }
            self.registries.retain(|r| r.prefix != reg.prefix);
            self.registries.push(reg);
        }
        for (short, long) in file.aliases {
            let parsed = ImageReference::parse(&long)
                .map_err(|e| invalid(format!("alias {short:?} = {long:?}: {e}")))?;
            if parsed.is_short_name() {
                return Err(invalid(format!(
                    "alias {short:?} = {long:?} is not fully qualified"
                )));
            }
            self.aliases.insert(short, long);
        }
        Ok(())
    }

    /// The `[[registry]]` entry with the longest prefix matching `name`
    /// (`domain/path` of a qualified reference).
    pub fn find_registry(&self, name: &str) -> Option<&Registry> {
        let host = name.split('/').next().unwrap_or(name);
        self.registries
            .iter()
            .filter(|r| prefix_matches(&r.prefix, name, host))
            .max_by_key(|r| r.prefix.len())
    }

    /// The alias for a short name, as a qualified reference carrying the
    /// short name's tag or digest.
    pub fn resolve_alias(&self, short: &ImageReference) -> Option<ImageReference> {
        let long = self.aliases.get(&short.path)?;
        let mut r = ImageReference::parse(long).ok()?;
        r.tag = short.tag.clone().or(r.tag);
        if short.digest.is_some() {
            r.digest = short.digest.clone();
        }
        Some(r)
    }

    /// Where to pull a qualified reference from: mirrors first, then the
    /// (rewritten) primary location. `Err(registry)` if it is blocked.
    pub fn pull_sources(&self, r: &ImageReference) -> Result<Vec<PullSource>, BlockedRegistry> {
        let name = r.name();
        let Some(reg) = self.find_registry(&name) else {
            return Ok(vec![PullSource {
                reference: r.clone(),
                insecure: false,
            }]);
        };
        if reg.blocked {
            return Err(BlockedRegistry {
                registry: r.domain.clone().unwrap_or_default(),
            });
        }
        let mut out = Vec::new();
        let wildcard = reg.prefix.starts_with("*.");
        if !(reg.mirror_by_digest_only && r.digest.is_none()) {
            for m in &reg.mirrors {
                if let Some(reference) = rewrite(r, &name, &reg.prefix, &m.location, wildcard) {
                    out.push(PullSource {
                        reference,
                        insecure: m.insecure,
                    });
                }
            }
        }
        let location = if reg.location.is_empty() {
            &reg.prefix
        } else {
            &reg.location
        };
        let reference =
            rewrite(r, &name, &reg.prefix, location, wildcard).unwrap_or_else(|| r.clone());
        out.push(PullSource {
            reference,
            insecure: reg.insecure,
        });
        Ok(out)
    }
}

/// A reference's registry is blocked in registries.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedRegistry {
    /// The blocked registry.
    pub registry: String,
}

/// `prefix` applies to `name`: equal, or followed by `/`, `:` or `@`; a
/// `*.domain` prefix matches hosts below that domain.
fn prefix_matches(prefix: &str, name: &str, host: &str) -> bool {
    if let Some(domain) = prefix.strip_prefix('*') {
        return host.ends_with(domain);
    }
    match name.strip_prefix(prefix) {
        Some("") => true,
        Some(rest) => rest.starts_with('/') || rest.starts_with(':') || rest.starts_with('@'),
        None => false,
    }
}

/// Replaces `prefix` of `name` by `location` and re-parses it, keeping the
/// tag and digest. Wildcard entries have no location: the name is kept.
fn rewrite(
    r: &ImageReference,
    name: &str,
    prefix: &str,
    location: &str,
    wildcard: bool,
) -> Option<ImageReference> {
    let new_name = if wildcard {
        if location.is_empty() || location.starts_with("*.") {
            return Some(r.clone());
        }
        location.to_string()
    } else {
        format!("{location}{}", &name[prefix.len()..])
    };
    let parsed: Result<ImageReference, ReferenceError> = ImageReference::parse(&new_name);
    let mut parsed = parsed.ok()?;
    parsed.tag = r.tag.clone();
    parsed.digest = r.digest.clone();
    Some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_merges_and_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("registries.conf");
        fs::write(
            &main,
            r#"
unqualified-search-registries = ["a.example", "docker.io"]
[[registry]]
prefix = "docker.io/library"
location = "mirror.example/hub"
[[registry.mirror]]
location = "127.0.0.1:5000/cache"
insecure = true
[[registry]]
location = "blocked.example"
blocked = true
[[registry]]
location = "insecure.example:5000"
insecure = true
[aliases]
"bb" = "docker.io/library/busybox"
"#,
        )
        .unwrap();
        let d = dir.path().join("registries.conf.d");
        fs::create_dir(&d).unwrap();
        fs::write(
            d.join("10-a.conf"),
            "unqualified-search-registries = [\"z.example\"]\n",
        )
        .unwrap();
        fs::write(
            d.join("20-b.conf"),
            "[[registry]]\nlocation = \"insecure.example:5000\"\ninsecure = false\n[aliases]\n\"x\" = \"quay.io/x/y\"\n",
        )
        .unwrap();
        fs::write(d.join("ignored.txt"), "not toml [").unwrap();
        let c = RegistriesConf::load_from(&main).unwrap();
        assert_eq!(c.unqualified_search_registries, vec!["z.example"]);
        assert_eq!(c.aliases.len(), 2);
        assert!(!c.find_registry("insecure.example:5000/a").unwrap().insecure);

        let r = ImageReference::parse("docker.io/library/busybox:1").unwrap();
        let s = c.pull_sources(&r).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].reference.to_string(), "127.0.0.1:5000/cache/busybox:1");
        assert!(s[0].insecure);
        assert_eq!(s[1].reference.to_string(), "mirror.example/hub/busybox:1");
        assert!(!s[1].insecure);
        // "docker.io/libraryx" must not match the "docker.io/library" prefix.
        let r = ImageReference::parse("docker.io/libraryx/a").unwrap();
        assert_eq!(c.pull_sources(&r).unwrap()[0].reference, r);
        let r = ImageReference::parse("blocked.example/a").unwrap();
        assert_eq!(c.pull_sources(&r).unwrap_err().registry, "blocked.example");

        let alias = c
            .resolve_alias(&ImageReference::parse("bb:1.36").unwrap())
            .unwrap();
        assert_eq!(alias.to_string(), "docker.io/library/busybox:1.36");
        assert!(c
            .resolve_alias(&ImageReference::parse("nope").unwrap())
            .is_none());
    }

    #[test]
    fn missing_file_is_empty_and_bad_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let c = RegistriesConf::load_from(&dir.path().join("none.conf")).unwrap();
        assert!(c.unqualified_search_registries.is_empty() && c.registries.is_empty());
        let bad = dir.path().join("bad.conf");
        fs::write(&bad, "unqualified-search-registries = 3").unwrap();
        let err = RegistriesConf::load_from(&bad).unwrap_err();
        assert!(err.to_string().contains("bad.conf"), "{err}");
        fs::write(&bad, "[aliases]\n\"a\" = \"short\"\n").unwrap();
        assert!(RegistriesConf::load_from(&bad).is_err());
    }
}
