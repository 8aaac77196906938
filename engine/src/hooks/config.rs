//! Hook files: every `*.json` of each directory in order (a later file of
//! the same name replaces an earlier one), schema 1.0.0, checked as Podman
//! checks them. A missing directory is no error; a bad file is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use super::HookError;

/// The stages a hook may name.
const STAGES: &[&str] = &[
    "createContainer",
    "createRuntime",
    "prestart",
    "poststart",
    "poststop",
    "startContainer",
    "precreate",
];

/// A hook's program: the OCI spec's hook (`path`, `args`, `env`,
/// `timeout`).
pub type HookCommand = oci_spec::runtime::Hook;

/// When a hook applies (all given conditions must hold; `commands` is one
/// of its patterns matching the process's first argument).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct When {
    #[serde(default)]
    pub always: Option<bool>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub commands: Vec<String>,
    #[serde(default, rename = "hasBindMounts")]
    pub has_bind_mounts: Option<bool>,
}

/// One hook file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Hook {
    pub version: String,
    pub hook: HookCommand,
    #[serde(default)]
    pub when: When,
    #[serde(default)]
    pub stages: Option<Vec<String>>,
}

/// What a hook's conditions look at.
pub struct Target<'a> {
    pub annotations: &'a BTreeMap<String, String>,
    pub command: Option<&'a str>,
    pub has_bind_mounts: bool,
}

impl Hook {
    /// Whether the hook applies to a container (containers/common's
    /// `When.Match`, patterns checked by [`read`]).
    pub fn matches(&self, t: &Target<'_>) -> bool {
        let w = &self.when;
        let mut matches = 0;
        match w.always {
            Some(true) => matches += 1,
            Some(false) => return false,
            None => {}
        }
        match w.has_bind_mounts {
            Some(true) if t.has_bind_mounts => matches += 1,
            Some(_) => return false,
            None => {}
        }
        for (kp, vp) in &w.annotations {
            let (Ok(kr), Ok(vr)) = (Regex::new(kp), Regex::new(vp)) else {
                return false;
            };
            if !t
                .annotations
                .iter()
                .any(|(k, v)| kr.is_match(k) && vr.is_match(v))
            {
                return false;
            }
            matches += 1;
        }
        if let (Some(cmd), false) = (t.command, w.commands.is_empty()) {
            return w
                .commands
                .iter()
                .filter_map(|p| Regex::new(p).ok())
                .any(|r| r.is_match(cmd));
        }
        matches > 0
    }

    pub fn stages(&self) -> &[String] {
        self.stages.as_deref().unwrap_or_default()
    }
}

/// Reads and checks one hook file.
pub fn read(path: &Path) -> Result<Hook, HookError> {
    let bad = |message: String| HookError::Parse {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    #[derive(Deserialize)]
    struct Version {
        #[serde(default)]
        version: String,
    }
    let v: Version =
        serde_json::from_slice(&text).map_err(|e| bad(format!("version check: {e}")))?;
    if v.version != "1.0.0" {
        return Err(bad(format!(
            "unrecognized hook version: {:?} (rpod reads version 1.0.0)",
            v.version
        )));
    }
    let hook: Hook = serde_json::from_slice(&text).map_err(|e| bad(format!("1.0.0: {e}")))?;
    if hook.hook.path().as_os_str().is_empty() {
        return Err(bad("missing required property: hook.path".into()));
    }
    if let Err(e) = std::fs::metadata(hook.hook.path()) {
        return Err(bad(format!(
            "stat {}: {}",
            hook.hook.path().display(),
            crate::error_chain::io_reason(&e)
        )));
    }
    for (k, v) in &hook.when.annotations {
        Regex::new(k).map_err(|e| bad(format!("invalid annotation key {k:?}: {e}")))?;
        Regex::new(v).map_err(|e| bad(format!("invalid annotation value {v:?}: {e}")))?;
    }
    for c in &hook.when.commands {
        Regex::new(c).map_err(|e| bad(format!("invalid command {c:?}: {e}")))?;
    }
    let Some(stages) = &hook.stages else {
        return Err(bad("missing required property: stages".into()));
    };
    if let Some(s) = stages.iter().find(|s| !STAGES.contains(&s.as_str())) {
        return Err(bad(format!("unknown stage {s:?}")));
    }
    Ok(hook)
}

/// The hooks of `dirs`, by file name (sorted case-insensitively, as Podman
/// orders them).
pub fn load(dirs: &[PathBuf]) -> Result<Vec<(String, Hook)>, HookError> {
    let mut hooks: BTreeMap<String, Hook> = BTreeMap::new();
    for dir in dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(HookError::ReadDir {
                    path: dir.clone(),
                    source,
                })
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            match read(&path) {
                Ok(h) => {
                    hooks.insert(name, h);
                }
                // Removed since the listing.
                Err(_) if !path.exists() => {}
                Err(e) => return Err(e),
            }
        }
    }
    let mut list: Vec<(String, Hook)> = hooks.into_iter().collect();
    list.sort_by_key(|(n, _)| n.to_lowercase());
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, json: &str) {
        std::fs::write(dir.join(name), json).unwrap();
    }

    #[test]
    fn reading_and_matching() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        write(
            a.path(),
            "x.json",
            r#"{"version":"1.0.0","hook":{"path":"/bin/true"},"when":{"always":true},"stages":["prestart"]}"#,
        );
        write(
            b.path(),
            "x.json",
            r#"{"version":"1.0.0","hook":{"path":"/bin/sh"},"when":{"commands":["^/bin/t"]},"stages":["poststop"]}"#,
        );
        write(b.path(), "notes.txt", "ignored");
        let hooks = load(&[a.path().to_owned(), b.path().to_owned()]).unwrap();
        assert_eq!(hooks.len(), 1, "the later directory's file wins");
        let h = &hooks[0].1;
        assert_eq!(h.hook.path(), Path::new("/bin/sh"));
        let ann = BTreeMap::new();
        let t = |cmd| Target {
            annotations: &ann,
            command: Some(cmd),
            has_bind_mounts: false,
        };
        assert!(h.matches(&t("/bin/top")));
        assert!(!h.matches(&t("/usr/bin/top")));
        let mut w = h.clone();
        w.when = When {
            annotations: [("^io\\.x$".to_owned(), "yes".to_owned())].into(),
            ..Default::default()
        };
        let yes = BTreeMap::from([("io.x".to_owned(), "yes".to_owned())]);
        assert!(w.matches(&Target {
            annotations: &yes,
            command: None,
            has_bind_mounts: false
        }));
        assert!(!w.matches(&t("/bin/true")));
        w.when = When {
            has_bind_mounts: Some(true),
            ..Default::default()
        };
        assert!(!w.matches(&t("/bin/true")));
        assert!(w.matches(&Target {
            annotations: &ann,
            command: None,
            has_bind_mounts: true
        }));
        assert!(!h.matches(&Target {
            annotations: &ann,
            command: None,
            has_bind_mounts: false
        }));
    }

    #[test]
    fn bad_files_are_errors() {
        let d = tempfile::tempdir().unwrap();
        let err = |json: &str| {
            write(d.path(), "h.json", json);
            load(&[d.path().to_owned()]).unwrap_err().to_string()
        };
        assert!(err("{not json").contains("version check"));
        assert!(err(r#"{"version":"2"}"#).contains("unrecognized hook version"));
        assert!(err(
            r#"{"version":"1.0.0","hook":{"path":"/nonexistent-hook"},"stages":["prestart"]}"#
        )
        .contains("no such file or directory"));
        assert!(err(r#"{"version":"1.0.0","hook":{"path":"/bin/true"}}"#)
            .contains("missing required property: stages"));
        assert!(
            err(r#"{"version":"1.0.0","hook":{"path":"/bin/true"},"stages":["later"]}"#)
                .contains("unknown stage \"later\"")
        );
        assert!(err(r#"{"version":"1.0.0","hook":{"path":"/bin/true"},"when":{"commands":["("]},"stages":["prestart"]}"#)
            .contains("invalid command"));
        let missing = d.path().join("absent");
        assert!(load(&[missing]).unwrap().is_empty());
    }
}
