//! containers.conf(5), loaded as containers/common loads it for root:
//! `/usr/share/containers/containers.conf`, its `containers.conf.d/*.conf`
//! drop-ins, `/etc/containers/containers.conf`, its drop-ins — or only the
//! file `CONTAINERS_CONF` names — then `CONTAINERS_CONF_OVERRIDE` on top.
//! Later files win key by key: tables are merged, scalars and arrays
//! replaced (so `env` of an override replaces `env`, while
//! `[engine.volume_plugins]` entries add up).
//!
//! rpod applies what it implements (see [`ContainersConf`]); every other
//! setting is a default of a feature rpod does not have yet and is ignored
//! with a debug message (docs/compatibility.md lists them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const CONTAINERS_CONF_ENV: &str = "CONTAINERS_CONF";
pub const CONTAINERS_CONF_OVERRIDE_ENV: &str = "CONTAINERS_CONF_OVERRIDE";
const SYSTEM_FILES: [&str; 2] = [
    "/usr/share/containers/containers.conf",
    "/etc/containers/containers.conf",
];

#[derive(Debug, thiserror::Error)]
pub enum ContainersConfError {
    #[error("reading containers.conf {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("decoding containers.conf {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("containers.conf: {0}")]
    Invalid(String),
}

/// The settings of containers.conf that rpod applies.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ContainersConf {
    pub containers: ContainersTable,
    pub engine: EngineTable,
    pub network: NetworkTable,
}

/// `[network]`: the backend and pasta's options; rpod's networks are its own
/// (rpod.conf's `[network]` names their directory, bridge and subnet).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NetworkTable {
    /// Options given to pasta before a container's `pasta:` options.
    pub pasta_options: Vec<String>,
    /// `netavark` or `cni` (empty: the default, netavark).
    pub network_backend: Option<String>,
    /// Rootless containers' default network: `pasta` (the default) or
    /// `slirp4netns`.
    pub default_rootless_network_cmd: Option<String>,
}

/// `[containers]`: defaults of every new container.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ContainersTable {
    /// Environment added to every container (below the image's and the
    /// user's variables).
    pub env: Vec<String>,
    /// Default `--log-driver`.
    pub log_driver: Option<String>,
    /// Default `--log-opt max-size` in bytes; negative: unlimited.
    pub log_size_max: Option<i64>,
    /// Default `--oom-score-adj`.
    pub oom_score_adj: Option<i32>,
    /// The capability set of every new container, before its
    /// `--cap-add`/`--cap-drop` (unset: Podman's default set).
    pub default_capabilities: Option<Vec<String>>,
    /// `--ulimit`s of every container (`TYPE=SOFT[:HARD]`), under the
    /// user's.
    pub default_ulimits: Vec<String>,
    /// Default `--read-only`.
    pub read_only: Option<bool>,
    /// Default `--tz`.
    pub tz: Option<String>,
    /// Default `--umask` (octal text, e.g. `"0022"`).
    pub umask: Option<String>,
    /// Mounts of every container (`--mount` syntax), under the user's.
    pub mounts: Vec<String>,
    /// DNS servers of every container, before its `--dns`.
    pub dns_servers: Vec<String>,
    /// Search domains of every container, before its `--dns-search`.
    pub dns_searches: Vec<String>,
    /// resolv.conf options of every container, before its `--dns-option`.
    pub dns_options: Vec<String>,
    /// The base of generated /etc/hosts files: a path, `image` or `none`
    /// (empty: the host's /etc/hosts).
    pub base_hosts_file: Option<String>,
    /// The address of `host.containers.internal` (`none`: no entry).
    pub host_containers_internal_ip: Option<String>,
    /// `userns`: the default `--userns` (e.g. `auto`).
    pub userns: Option<String>,
    /// `http_proxy`: the default of `--http-proxy` (unset: true).
    pub http_proxy: Option<bool>,
}

/// `[engine]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EngineTable {
    /// Default OCI runtime (a name, looked up in `runtimes`, or a path).
    pub runtime: Option<String>,
    /// `file`, `journald` or `none`.
    pub events_logger: Option<String>,
    /// The events file of the file backend.
    pub events_logfile_path: Option<PathBuf>,
    /// The size past which the events file is rotated: bytes, or a
    /// go-units size (`"1m"`); unset or 0: never.
    pub events_logfile_max_size: Option<SizeValue>,
    /// Where the state database lives (`<root>` when unset).
    pub static_dir: Option<PathBuf>,
    /// A container's `create` event carries its inspect data.
    pub events_container_create_inspect_data: Option<bool>,
    /// Runtime name → candidate paths.
    pub runtimes: BTreeMap<String, Vec<String>>,
    /// Runtime name → extra global flags (without the leading `--`).
    pub runtimes_flags: BTreeMap<String, Vec<String>>,
    /// Default `--image-volume` (`anonymous`, `bind`, `tmpfs`, `ignore`).
    pub image_volume_mode: Option<String>,
    /// OCI hook directories (`--hooks-dir` replaces them).
    pub hooks_dir: Option<Vec<String>>,
    /// The `slirp4netns:` options of a container that gives none.
    pub network_cmd_options: Vec<String>,
    /// `kube generate`'s default `--type`.
    pub kube_generate_type: Option<String>,
    /// The image of new pods' infra containers (`--infra-image`'s
    /// default; unset: no image, Podman 5's catatonit root).
    pub infra_image: Option<String>,
}

/// A size given as a number of bytes or as a go-units string (`"1m"`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum SizeValue {
    Bytes(u64),
    Text(String),
}

impl SizeValue {
    /// The size in bytes (go-units' decimal `FromHumanSize`); `None` when
    /// the text is not a size.
    pub fn bytes(&self) -> Option<u64> {
        match self {
            SizeValue::Bytes(n) => Some(*n),
            SizeValue::Text(t) if t.is_empty() => Some(0),
            SizeValue::Text(t) => rpod_api::units::from_human_size(t),
        }
    }
}

/// The keys rpod reads; everything else is reported as ignored.
const APPLIED: &[(&str, &str)] = &[
    ("containers", "env"),
    ("containers", "log_driver"),
    ("containers", "log_size_max"),
    ("containers", "oom_score_adj"),
    ("containers", "default_ulimits"),
    ("containers", "default_capabilities"),
    ("containers", "read_only"),
    ("containers", "umask"),
    ("containers", "tz"),
    ("containers", "mounts"),
    ("containers", "dns_servers"),
    ("containers", "dns_searches"),
    ("containers", "dns_options"),
    ("containers", "base_hosts_file"),
    ("containers", "host_containers_internal_ip"),
    ("engine", "runtime"),
    ("engine", "infra_image"),
    ("engine", "events_logger"),
    ("engine", "events_container_create_inspect_data"),
    ("engine", "static_dir"),
    ("engine", "events_logfile_path"),
    ("engine", "events_logfile_max_size"),
    ("engine", "runtimes"),
    ("engine", "runtimes_flags"),
    ("engine", "image_volume_mode"),
    ("engine", "kube_generate_type"),
    ("engine", "hooks_dir"),
    ("engine", "network_cmd_options"),
    ("network", "pasta_options"),
    ("network", "network_backend"),
];

impl ContainersConf {
    /// The files in effect, from the environment and the system locations.
    pub fn files_from_env() -> Vec<(PathBuf, bool)> {
        let explicit = |var: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let mut files: Vec<(PathBuf, bool)> = match explicit(CONTAINERS_CONF_ENV) {
            Some(p) => vec![(p, true)],
            None => SYSTEM_FILES
                .iter()
                .flat_map(|f| {
                    let f = Path::new(f);
                    std::iter::once((f.to_owned(), false)).chain(
                        drop_ins(&f.with_extension("conf.d"))
                            .into_iter()
                            .map(|d| (d, false)),
                    )
                })
                .chain(
                    crate::rootless::dirs::user_containers_file("containers.conf")
                        .map(|f| (f, false)),
                )
                .collect(),
        };
        if let Some(p) = explicit(CONTAINERS_CONF_OVERRIDE_ENV) {
            files.push((p, true));
        }
        files
    }

    /// Loads the files in effect ([`ContainersConf::files_from_env`]).
    pub fn load_from_env() -> Result<ContainersConf, ContainersConfError> {
        Self::load(&Self::files_from_env())
    }

    /// Merges `files` in order (`true`: must exist) and decodes the result.
    pub fn load(files: &[(PathBuf, bool)]) -> Result<ContainersConf, ContainersConfError> {
        let mut merged = toml::Table::new();
        for (path, required) in files {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => continue,
                Err(source) => {
                    return Err(ContainersConfError::Read {
                        path: path.clone(),
                        source,
                    })
                }
            };
            let table: toml::Table =
                toml::from_str(&text).map_err(|source| ContainersConfError::Parse {
                    path: path.clone(),
                    source,
                })?;
            tracing::debug!("reading containers.conf {}", path.display());
            merge(&mut merged, table);
        }
        report_ignored(&merged);
        let conf: ContainersConf = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| ContainersConfError::Invalid(e.message().to_owned()))?;
        Ok(conf)
    }

    /// `[engine] events_logfile_max_size` in bytes (`None`: no limit); a
    /// value that is not a size is an error.
    pub fn events_max_size(&self) -> Result<Option<u64>, ContainersConfError> {
        match &self.engine.events_logfile_max_size {
            None => Ok(None),
            Some(v) => match v.bytes() {
                Some(0) => Ok(None),
                Some(n) => Ok(Some(n)),
                None => Err(ContainersConfError::Invalid(format!(
                    "events_logfile_max_size: invalid size {v:?}"
                ))),
            },
        }
    }

    /// The runtime `[engine] runtime` names: the first existing path of
    /// its `[engine.runtimes]` entry, else the name itself.
    pub fn runtime(&self) -> Option<String> {
        let name = self.engine.runtime.as_ref()?;
        let paths = self.engine.runtimes.get(name);
        Some(
            paths
                .and_then(|p| p.iter().find(|p| Path::new(p).is_file()))
                .cloned()
                .unwrap_or_else(|| name.clone()),
        )
    }
}

/// `*.conf` files of a drop-in directory, in name order.
fn drop_ins(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    files.sort();
    files
}

/// containers/common's decoding onto one struct: tables merge, other
/// values are replaced.
fn merge(into: &mut toml::Table, from: toml::Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

fn report_ignored(merged: &toml::Table) {
    for (section, value) in merged {
        let toml::Value::Table(t) = value else {
            tracing::debug!("containers.conf: {section} is not applied by rpod");
            continue;
        };
        for key in t.keys() {
            if !APPLIED.contains(&(section.as_str(), key.as_str())) {
                tracing::debug!("containers.conf: [{section}] {key} is not applied by rpod");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn later_files_replace_values_and_merge_tables() {
        let d = tempfile::tempdir().unwrap();
        let a = write(
            d.path(),
            "a.conf",
            "[containers]\nenv = [\"CONF1=conf1\"]\nread_only = true\n\
             [engine]\nruntime = \"runc\"\n[engine.runtimes]\nrunc = [\"/nonexistent/runc\"]\n\
             [engine.volume_plugins]\nv1 = \"x\"\n",
        );
        let b = write(
            d.path(),
            "b.conf",
            "[containers]\nenv = [\"CONF2=conf2\"]\n[engine.runtimes]\ncrun = [\"/x\"]\n",
        );
        let missing = d.path().join("missing.conf");
        let c = ContainersConf::load(&[(a, true), (missing, false), (b, true)]).unwrap();
        assert_eq!(c.containers.env, vec!["CONF2=conf2"]);
        assert_eq!(c.containers.read_only, Some(true));
        assert_eq!(c.engine.runtimes.len(), 2);
        assert_eq!(
            c.runtime().as_deref(),
            Some("runc"),
            "no path exists: the name"
        );
    }

    #[test]
    fn required_file_missing_and_bad_values_are_errors() {
        let d = tempfile::tempdir().unwrap();
        let err = ContainersConf::load(&[(d.path().join("nope.conf"), true)]).unwrap_err();
        assert!(err.to_string().contains("nope.conf"), "{err}");
        let bad = write(d.path(), "bad.conf", "[containers]\nread_only = \"yes\"\n");
        assert!(ContainersConf::load(&[(bad, true)]).is_err());
    }

    #[test]
    fn runtime_resolves_through_runtimes_table() {
        let d = tempfile::tempdir().unwrap();
        let bin = write(d.path(), "myrunc", "");
        let conf = write(
            d.path(),
            "c.conf",
            &format!(
                "[engine]\nruntime = \"mine\"\n[engine.runtimes]\nmine = [\"/nonexistent\", \"{}\"]\n",
                bin.display()
            ),
        );
        let c = ContainersConf::load(&[(conf, true)]).unwrap();
        assert_eq!(c.runtime(), Some(bin.display().to_string()));
    }
}
