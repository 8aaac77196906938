//! Choosing an image from a manifest list / OCI index by platform.

use serde::Deserialize;

/// A platform as written in a manifest list entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Platform {
    /// Go architecture name (`amd64`, `arm64`, ...).
    #[serde(default)]
    pub architecture: String,
    /// Operating system (`linux`).
    #[serde(default)]
    pub os: String,
    /// CPU variant (`v8`, `v7`), if any.
    #[serde(default)]
    pub variant: Option<String>,
}

/// A manifest list / index entry.
#[derive(Debug, Clone, Deserialize)]
pub struct IndexEntry {
    /// Digest of the platform's manifest.
    pub digest: String,
    /// The platform, if the entry has one.
    #[serde(default)]
    pub platform: Option<Platform>,
}

/// What the caller asked for; `None` fields default to the host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformWanted {
    /// `--os`
    pub os: Option<String>,
    /// `--arch`
    pub arch: Option<String>,
    /// `--variant`
    pub variant: Option<String>,
}

/// The host's Go architecture name.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        "mips64" if cfg!(target_endian = "little") => "mips64le",
        other => other,
    }
}

/// The variant an architecture implies when none is named.
fn default_variant(arch: &str) -> Option<&'static str> {
    match arch {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        "amd64" => Some("v1"),
        _ => None,
    }
}

fn normalized_variant(arch: &str, variant: Option<&str>) -> Option<String> {
    variant
        .filter(|v| !v.is_empty())
        .or_else(|| default_variant(arch))
        .map(str::to_string)
}

/// The resolved target platform: (os, arch, variant).
pub fn target(wanted: &PlatformWanted) -> (String, String, Option<String>) {
    let os = wanted.os.clone().unwrap_or_else(|| "linux".to_string());
    let arch = wanted
        .arch
        .clone()
        .unwrap_or_else(|| host_arch().to_string());
    let variant = normalized_variant(&arch, wanted.variant.as_deref());
    (os, arch, variant)
}

/// Picks the digest of the entry for `wanted`; on failure the error lists
/// what the index offers.
pub fn choose(entries: &[IndexEntry], wanted: &PlatformWanted) -> Result<String, String> {
    let (os, arch, variant) = target(wanted);
    let candidates: Vec<(&IndexEntry, Option<String>)> = entries
        .iter()
        .filter_map(|e| {
            let p = e.platform.as_ref()?;
            (p.os == os && p.architecture == arch)
                .then(|| (e, normalized_variant(&p.architecture, p.variant.as_deref())))
        })
        .collect();
    if let Some((e, _)) = candidates.iter().find(|(_, v)| *v == variant) {
        return Ok(e.digest.clone());
    }
    // 32-bit ARM runs older variants too: the highest one below the target.
    if arch == "arm" {
        if let Some(want) = variant.as_deref() {
            let best = candidates
                .iter()
                .filter(|(_, v)| v.as_deref().is_some_and(|v| v < want))
                .max_by(|a, b| a.1.cmp(&b.1));
            if let Some((e, _)) = best {
                return Ok(e.digest.clone());
            }
        }
    }
    if wanted.variant.is_none() {
        if let Some((e, _)) = candidates.first() {
            return Ok(e.digest.clone());
        }
    }
    let available: Vec<String> = entries
        .iter()
        .filter_map(|e| e.platform.as_ref())
        .map(|p| match p.variant.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
            None => format!("{}/{}", p.os, p.architecture),
        })
        .collect();
    Err(format!(
        "no image found in manifest list for architecture {arch:?}, variant {:?}, OS {os:?} (available: {})",
        wanted.variant.clone().unwrap_or_default(),
        if available.is_empty() { "none".to_string() } else { available.join(", ") }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(d: &str, os: &str, arch: &str, variant: Option<&str>) -> IndexEntry {
        IndexEntry {
            digest: d.into(),
            platform: Some(Platform {
                architecture: arch.into(),
                os: os.into(),
                variant: variant.map(Into::into),
            }),
        }
    }

    #[test]
    fn chooses_by_platform_and_variant() {
        let idx = vec![
            entry("a", "linux", "amd64", None),
            entry("b", "linux", "arm64", Some("v8")),
            entry("c", "linux", "arm", Some("v6")),
            entry("d", "windows", "amd64", None),
        ];
        let want = |arch: &str, variant: Option<&str>| PlatformWanted {
            os: None,
            arch: Some(arch.into()),
            variant: variant.map(Into::into),
        };
        assert_eq!(choose(&idx, &want("amd64", None)).unwrap(), "a");
        assert_eq!(choose(&idx, &want("arm64", None)).unwrap(), "b");
        assert_eq!(choose(&idx, &want("arm64", Some("v8"))).unwrap(), "b");
        assert_eq!(choose(&idx, &want("arm", None)).unwrap(), "c");
        let err = choose(&idx, &want("s390x", None)).unwrap_err();
        assert!(
            err.contains("\"s390x\"") && err.contains("linux/arm64/v8"),
            "{err}"
        );
        assert!(choose(&idx, &want("arm", Some("v5"))).is_err());
        let host = choose(&idx, &PlatformWanted::default());
        match host_arch() {
            "amd64" => assert_eq!(host.unwrap(), "a"),
            "arm64" => assert_eq!(host.unwrap(), "b"),
            _ => {}
        }
    }
}
