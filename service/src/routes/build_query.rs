//! The build request's query as [`BuildOptions`], parameter by parameter as
//! Podman's handler (pkg/api/handlers/compat/images_build.go) reads them
//! for the Docker and the libpod path. A parameter rpod's build cannot
//! honour is refused naming it (501), a malformed one is a 400 naming it;
//! none is accepted and ignored.

use rpod_api::front_door::build::BuildOptions;
use serde_json::Value;

use super::build::Flavor;
use crate::docker::query::{bool_value, RepeatedParams};
use crate::error::{ApiError, ApiResult};

/// Parameters rpod's build does not carry: refused when given a value
/// other than an empty or zero one (Docker's CLI sends several empty).
const REFUSED: &[&str] = &[
    "outputs",
    "remote",
    "additionalbuildcontexts",
    "allplatforms",
    "secrets",
    "manifest",
    "excludes",
    "ignore",
    "cppflags",
    "labelopts",
    "seccomp",
    "apparmor",
    "layerLabel",
    "rusage",
    "rusagelogfile",
    "compression",
    "compatvolumes",
    "createdannotation",
    "inheritlabels",
    "inheritannotations",
    "groupadd",
    "osfeature",
    "osversion",
    "rewritetimestamp",
    "save-stages",
    "stage-labels",
    "sourcePolicy",
    "sourcedateepoch",
    "transientRunMounts",
    "unsetannotation",
    "sbom-output",
    "sbom-purl-output",
    "sbom-image-output",
    "sbom-image-purl-output",
    "sbom-scanner-image",
    "sbom-scanner-command",
    "sbom-merge-strategy",
    "session",
    "buildid",
    "cacheto",
    "localcontextdir",
];

/// Parameters [`options`] reads.
const KNOWN: &[&str] = &[
    "dockerfile",
    "t",
    "buildargs",
    "labels",
    "target",
    "nocache",
    "pull",
    "pullpolicy",
    "q",
    "rm",
    "forcerm",
    "layers",
    "platform",
    "networkmode",
    "nsoptions",
    "extrahosts",
    "squash",
    "cachefrom",
    "cachettl",
    "memory",
    "memswap",
    "cpushares",
    "cpusetcpus",
    "cpusetmems",
    "cpuperiod",
    "cpuquota",
    "cgroupparent",
    "shmsize",
    "ulimits",
    "tlsVerify",
    "annotations",
    "setenv",
    "unsetenv",
    "unsetlabel",
    "volume",
    "addcaps",
    "dropcaps",
    "devices",
    "dnsservers",
    "dnsoptions",
    "dnssearch",
    "securityopt",
    "from",
    "httpproxy",
    "identitylabel",
    "isolation",
    "jobs",
    "omithistory",
    "nohosts",
    "outputformat",
    "timestamp",
    "retry",
    "retry-delay",
    "skipunusedstages",
    "registry",
    "version",
    "idmappingoptions",
];

/// A value that says nothing: how clients send a parameter they leave unset.
fn is_unset(v: &str) -> bool {
    matches!(v.trim(), "" | "0" | "false" | "null" | "{}" | "[]")
}

fn bad(key: &str, value: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!(
        "failed to parse query parameter '{key}': {value:?}: {e}"
    ))
}

fn refused(key: &str) -> ApiError {
    ApiError::not_implemented(format!(
        "the build parameter {key} is not supported by rpod's service yet (see docs/compatibility.md)"
    ))
}

/// A JSON list of strings (absent or `null`: empty).
fn json_list(p: &RepeatedParams, key: &str) -> ApiResult<Vec<String>> {
    match p.last(key) {
        None => Ok(Vec::new()),
        Some(v) if v == "null" => Ok(Vec::new()),
        Some(v) => serde_json::from_str(&v).map_err(|e| bad(key, &v, e)),
    }
}

/// A JSON list, or (as Docker's CLI sends some) the values themselves.
fn list_or_values(p: &RepeatedParams, key: &str) -> Vec<String> {
    let values = p.all(key);
    if let [one] = values.as_slice() {
        if let Ok(list) = serde_json::from_str::<Vec<String>>(one) {
            return list;
        }
        if one == "null" {
            return Vec::new();
        }
    }
    values
}

/// A JSON map as `KEY=VALUE` strings, sorted; `labels` may also be a list.
fn key_values(p: &RepeatedParams, key: &str, list_too: bool) -> ApiResult<Vec<String>> {
    let Some(v) = p.last(key) else {
        return Ok(Vec::new());
    };
    let value: Value = serde_json::from_str(&v).map_err(|e| bad(key, &v, e))?;
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Object(map) => {
            let mut out: Vec<String> = map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok(format!("{k}={s}")),
                    Value::Null => Ok(k.clone()),
                    other => Err(bad(key, &v_str(other), "values must be strings")),
                })
                .collect::<ApiResult<_>>()?;
            out.sort();
            Ok(out)
        }
        Value::Array(_) if list_too => serde_json::from_value(value).map_err(|e| bad(key, &v, e)),
        _ => Err(bad(key, &v, "not a JSON object")),
    }
}

fn v_str(v: &Value) -> String {
    v.to_string()
}

/// A boolean parameter, `default` when absent.
fn flag(p: &RepeatedParams, key: &str, default: bool) -> ApiResult<bool> {
    match p.last(key) {
        None => Ok(default),
        Some(v) => bool_value(key, &v),
    }
}

/// An optional boolean (given or not).
fn opt_flag(p: &RepeatedParams, key: &str) -> ApiResult<Option<bool>> {
    p.last(key).map(|v| bool_value(key, &v)).transpose()
}

/// An integer parameter; `None` when absent or zero.
fn number(p: &RepeatedParams, key: &str) -> ApiResult<Option<i64>> {
    match p.last(key) {
        None => Ok(None),
        Some(v) => {
            let n: i64 = v.parse().map_err(|e| bad(key, &v, e))?;
            Ok((n != 0).then_some(n))
        }
    }
}

/// Docker's `ulimits`: a JSON list of `{"Name","Soft","Hard"}` objects, or
/// libpod's list of `NAME=SOFT:HARD` strings.
fn ulimits(p: &RepeatedParams) -> ApiResult<Vec<String>> {
    let Some(v) = p.last("ulimits") else {
        return Ok(Vec::new());
    };
    let value: Value = serde_json::from_str(&v).map_err(|e| bad("ulimits", &v, e))?;
    let Value::Array(items) = value else {
        return match value {
            Value::Null => Ok(Vec::new()),
            _ => Err(bad("ulimits", &v, "not a JSON list")),
        };
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => {
                let name = o.get("Name").and_then(Value::as_str).unwrap_or_default();
                let soft = o.get("Soft").and_then(Value::as_i64);
                let hard = o.get("Hard").and_then(Value::as_i64);
                match (name, soft, hard) {
                    ("", _, _) | (_, None, _) | (_, _, None) => {
                        Err(bad("ulimits", &v, "each ulimit needs Name, Soft and Hard"))
                    }
                    (n, Some(s), Some(h)) => Ok(format!("{n}={s}:{h}")),
                }
            }
            _ => Err(bad("ulimits", &v, "not a list of ulimits")),
        })
        .collect()
}

/// Buildah's `--network` for Docker's `networkmode`. Podman's API builds
/// run RUN steps in the host's network namespace unless told otherwise.
fn network_mode(mode: Option<&str>) -> String {
    match mode {
        None | Some("" | "default" | "host") => "host".into(),
        Some("bridge") => "private".into(),
        Some(other) => other.into(),
    }
}

/// libpod's `nsoptions`: `[{"Name", "Host", "Path"}]` as Buildah's
/// namespace flags; the network entry becomes `--network`.
fn namespaces(o: &mut BuildOptions, p: &RepeatedParams) -> ApiResult<()> {
    let Some(v) = p.last("nsoptions") else {
        o.network = Some(network_mode(p.last("networkmode").as_deref()));
        return Ok(());
    };
    let list: Vec<Value> = serde_json::from_str(&v).map_err(|e| bad("nsoptions", &v, e))?;
    for entry in list {
        let name = entry
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let host = entry.get("Host").and_then(Value::as_bool).unwrap_or(false);
        let path = entry
            .get("Path")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let value = match (host, path) {
            (true, _) => "host".to_owned(),
            (false, "") => continue,
            (false, p) => p.to_owned(),
        };
        let flag = match name {
            "network" | "net" => {
                o.network = Some(value);
                continue;
            }
            "pid" | "ipc" | "uts" => name,
            "user" => "userns",
            "cgroup" => "cgroupns",
            _ => return Err(bad("nsoptions", &v, format!("unknown namespace {name:?}"))),
        };
        o.namespaces.push((flag.to_owned(), value));
    }
    if let Some(mode) = p.last("networkmode") {
        if matches!(mode.as_str(), "none" | "disabled") {
            o.network = Some("none".into());
        }
    }
    Ok(())
}

/// The Containerfiles `dockerfile` names (a path, or a JSON list of them),
/// relative to the context (the engine resolves them there). Paths that
/// leave the context are refused.
fn containerfiles(p: &RepeatedParams, flavor: Flavor) -> ApiResult<Vec<std::path::PathBuf>> {
    let Some(v) = p.last("dockerfile") else {
        // Docker's path: `Dockerfile`; libpod's: `Containerfile`, else
        // `Dockerfile` (the engine's own fallback).
        return Ok(match flavor {
            Flavor::Docker => vec!["Dockerfile".into()],
            Flavor::Libpod => Vec::new(),
        });
    };
    let names: Vec<String> = serde_json::from_str(&v).unwrap_or_else(|_| vec![v.clone()]);
    names
        .into_iter()
        .map(|n| {
            if n.starts_with("http://") || n.starts_with("https://") {
                return Ok(n.into());
            }
            let rel = std::path::Path::new(n.trim_start_matches('/'));
            if rel
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(bad(
                    "dockerfile",
                    &n,
                    "the Containerfile must be inside the build context",
                ));
            }
            Ok(rel.to_path_buf())
        })
        .collect()
}

/// Buildah's image format for libpod's `outputformat` (a MIME type).
fn output_format(v: &str) -> ApiResult<Option<String>> {
    Ok(match v {
        "" => None,
        "oci" | "application/vnd.oci.image.manifest.v1+json" => Some("oci".into()),
        "docker" | "application/vnd.docker.distribution.manifest.v2+json" => Some("docker".into()),
        other => return Err(bad("outputformat", other, "unknown image format")),
    })
}

/// libpod's `idmappingoptions`: only the host's own mappings (what
/// Podman's client sends by default) can be honoured.
fn id_mappings(p: &RepeatedParams) -> ApiResult<()> {
    let Some(v) = p.last("idmappingoptions") else {
        return Ok(());
    };
    let m: Value = serde_json::from_str(&v).map_err(|e| bad("idmappingoptions", &v, e))?;
    let host = |k: &str| m.get(k).and_then(Value::as_bool).unwrap_or(true);
    let empty = |k: &str| {
        m.get(k)
            .is_none_or(|x| x.is_null() || x.as_array().is_some_and(Vec::is_empty))
    };
    let auto = m
        .get("AutoUserNs")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if m.is_null()
        || (host("HostUIDMapping")
            && host("HostGIDMapping")
            && empty("UIDMap")
            && empty("GIDMap")
            && !auto)
    {
        return Ok(());
    }
    Err(refused("idmappingoptions"))
}

/// libpod's `isolation`: a name, or the number Podman's client sends.
fn isolation(v: &str) -> ApiResult<Option<String>> {
    Ok(match v {
        "" | "0" | "default" => None,
        "1" | "oci" => Some("oci".into()),
        "2" | "chroot" => Some("chroot".into()),
        "3" | "rootless" => Some("rootless".into()),
        other => return Err(bad("isolation", other, "unknown isolation")),
    })
}

/// The pull policy: libpod's `pullpolicy`, else `pull` (Docker's boolean).
fn pull_policy(p: &RepeatedParams, flavor: Flavor) -> ApiResult<Option<String>> {
    if flavor == Flavor::Libpod {
        if let Some(v) = p.last("pullpolicy") {
            let policy = match v.to_ascii_lowercase().as_str() {
                "always" | "true" => "always",
                "missing" | "ifmissing" | "notpresent" => "missing",
                "never" | "false" => "never",
                "newer" | "ifnewer" => "newer",
                _ => return Err(bad("pullpolicy", &v, "unknown pull policy")),
            };
            return Ok(Some(policy.into()));
        }
    }
    Ok(flag(p, "pull", false)?.then(|| "always".into()))
}

/// The query's build options (tags not normalized: the engine does it).
pub(super) fn options(q: &[(String, String)], flavor: Flavor) -> ApiResult<BuildOptions> {
    for (k, v) in q {
        let known = KNOWN.contains(&k.as_str());
        if (REFUSED.contains(&k.as_str()) || !known) && !is_unset(v) {
            return Err(refused(k));
        }
    }
    let p = RepeatedParams(q);
    if let Some(v) = p.last("version") {
        if v != "1" {
            return Err(ApiError::not_implemented(format!(
                "the build parameter version={v} (BuildKit) is not supported by rpod's service: use the classic builder (DOCKER_BUILDKIT=0)"
            )));
        }
    }
    if let Some(r) = p.last("registry") {
        if r != "docker.io" {
            return Err(refused("registry"));
        }
    }
    if let Some(i) = p.last("isolation") {
        if flavor == Flavor::Docker && i != "default" {
            return Err(refused("isolation"));
        }
    }
    let platforms: Vec<String> = p
        .all("platform")
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect();
    if platforms.len() > 1 {
        return Err(ApiError::not_implemented(
            "building for several platforms (platform) is not supported by rpod yet",
        ));
    }
    let layers_given = p.last("layers").is_some();
    // Docker's clients do not know `layers`: Podman then uses the cache.
    let layers = flag(&p, "layers", flavor == Flavor::Docker)?;
    let squash = flag(&p, "squash", false)?;
    let mut o = BuildOptions {
        containerfiles: containerfiles(&p, flavor)?,
        tags: p.all("t"),
        build_args: key_values(&p, "buildargs", false)?,
        labels: key_values(&p, "labels", true)?,
        target: p.last("target"),
        no_cache: flag(&p, "nocache", false)?,
        pull: pull_policy(&p, flavor)?,
        quiet: flag(&p, "q", false)?,
        remove_intermediate: flag(&p, "rm", true)?,
        force_rm: flag(&p, "forcerm", false)?,
        layers,
        // Podman's handler hands `squash` to Buildah as is: one layer in all.
        layers_given: layers_given || squash,
        squash_all: squash,
        platforms,
        add_hosts: list_or_values(&p, "extrahosts"),
        cache_from: json_list(&p, "cachefrom")?,
        cache_ttl: p.last("cachettl"),
        ulimits: ulimits(&p)?,
        annotations: json_list(&p, "annotations")?,
        env: p.all("setenv"),
        unset_env: p.all("unsetenv"),
        unset_labels: p.all("unsetlabel"),
        volumes: p.all("volume"),
        cap_add: json_list(&p, "addcaps")?,
        cap_drop: json_list(&p, "dropcaps")?,
        devices: json_list(&p, "devices")?,
        dns: json_list(&p, "dnsservers")?,
        dns_options: json_list(&p, "dnsoptions")?,
        dns_search: json_list(&p, "dnssearch")?,
        security_opts: json_list(&p, "securityopt")?,
        from: p.last("from"),
        http_proxy: opt_flag(&p, "httpproxy")?,
        identity_label: opt_flag(&p, "identitylabel")?,
        isolation: match flavor {
            Flavor::Libpod => isolation(&p.last("isolation").unwrap_or_default())?,
            Flavor::Docker => None,
        },
        omit_history: flag(&p, "omithistory", false)?,
        no_hosts: flag(&p, "nohosts", false)?,
        format: output_format(&p.last("outputformat").unwrap_or_default())?,
        skip_unused_stages: opt_flag(&p, "skipunusedstages")?,
        retry_delay: p.last("retry-delay"),
        ..Default::default()
    };
    if let Some(t) = number(&p, "timestamp")? {
        o.timestamp = Some(t);
    }
    if let Some(n) = number(&p, "retry")? {
        o.retry = Some(u32::try_from(n).map_err(|e| bad("retry", &n.to_string(), e))?);
    }
    if let Some(n) = number(&p, "jobs")? {
        o.jobs = Some(u32::try_from(n).map_err(|e| bad("jobs", &n.to_string(), e))?);
    }
    if let Some(v) = opt_flag(&p, "tlsVerify")? {
        o.registry.tls_verify = Some(v);
    }
    for (key, flag) in [
        ("memory", "memory"),
        ("memswap", "memory-swap"),
        ("cpushares", "cpu-shares"),
        ("cpuperiod", "cpu-period"),
        ("cpuquota", "cpu-quota"),
        ("shmsize", "shm-size"),
    ] {
        if let Some(n) = number(&p, key)? {
            o.run_limits.push((flag.into(), n.to_string()));
        }
    }
    for (key, flag) in [
        ("cpusetcpus", "cpuset-cpus"),
        ("cpusetmems", "cpuset-mems"),
        ("cgroupparent", "cgroup-parent"),
    ] {
        if let Some(v) = p.last(key) {
            o.run_limits.push((flag.into(), v));
        }
    }
    id_mappings(&p)?;
    namespaces(&mut o, &p)?;
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn docker_cli_defaults_are_accepted() {
        // What Docker's classic builder sends for `docker build -t x .`.
        let o = options(
            &q(&[
                ("buildargs", "{}"),
                ("cachefrom", "[]"),
                ("cgroupparent", ""),
                ("cpuperiod", "0"),
                ("cpuquota", "0"),
                ("cpusetcpus", ""),
                ("cpushares", "0"),
                ("dockerfile", "Dockerfile"),
                ("labels", "{}"),
                ("memory", "0"),
                ("memswap", "0"),
                ("networkmode", "default"),
                ("rm", "1"),
                ("shmsize", "0"),
                ("t", "x"),
                ("target", ""),
                ("ulimits", "null"),
                ("version", "1"),
            ]),
            Flavor::Docker,
        )
        .unwrap();
        assert_eq!(o.tags, vec!["x"]);
        assert!(o.layers && o.remove_intermediate && !o.force_rm);
        assert!(o.run_limits.is_empty() && o.ulimits.is_empty());
        assert_eq!(o.network.as_deref(), Some("host"));
        assert_eq!(
            o.containerfiles,
            vec![std::path::PathBuf::from("Dockerfile")]
        );
    }

    #[test]
    fn values_are_mapped() {
        let o = options(
            &q(&[
                ("buildargs", r#"{"B":"2","A":"1"}"#),
                ("labels", r#"{"l":"v"}"#),
                ("memory", "1048576"),
                ("ulimits", r#"[{"Name":"nofile","Soft":10,"Hard":20}]"#),
                ("pull", "1"),
                ("extrahosts", "h:1.2.3.4"),
            ]),
            Flavor::Docker,
        )
        .unwrap();
        assert_eq!(o.build_args, vec!["A=1", "B=2"]);
        assert_eq!(o.labels, vec!["l=v"]);
        assert_eq!(o.run_limits, vec![("memory".into(), "1048576".into())]);
        assert_eq!(o.ulimits, vec!["nofile=10:20"]);
        assert_eq!(o.pull.as_deref(), Some("always"));
        assert_eq!(o.add_hosts, vec!["h:1.2.3.4"]);
    }

    #[test]
    fn refusals_name_the_parameter() {
        let e = options(&q(&[("outputs", "type=local")]), Flavor::Docker).unwrap_err();
        assert_eq!(e.status.as_u16(), 501);
        assert!(e.message.contains("outputs"), "{}", e.message);
        let e = options(&q(&[("version", "2")]), Flavor::Docker).unwrap_err();
        assert!(e.message.contains("BuildKit"));
        let e = options(&q(&[("buildargs", "{")]), Flavor::Docker).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert!(e.message.contains("'buildargs'"));
        let e = options(&q(&[("dockerfile", "../x")]), Flavor::Docker).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = options(
            &q(&[("platform", "linux/amd64,linux/arm64")]),
            Flavor::Docker,
        );
        assert_eq!(e.unwrap_err().status.as_u16(), 501);
        let e = options(&q(&[("whatever", "x")]), Flavor::Libpod).unwrap_err();
        assert!(e.message.contains("whatever"));
    }

    #[test]
    fn libpod_defaults_and_lists() {
        let o = options(
            &q(&[
                ("dockerfile", r#"["sub/Containerfile"]"#),
                ("pullpolicy", "never"),
                (
                    "nsoptions",
                    r#"[{"Name":"network","Host":false,"Path":"none"}]"#,
                ),
            ]),
            Flavor::Libpod,
        )
        .unwrap();
        assert!(!o.layers);
        assert_eq!(o.pull.as_deref(), Some("never"));
        assert_eq!(o.network.as_deref(), Some("none"));
        assert_eq!(
            o.containerfiles,
            vec![std::path::PathBuf::from("sub/Containerfile")]
        );
        let o = options(&[], Flavor::Libpod).unwrap();
        assert!(o.containerfiles.is_empty());
        // What Podman's client sends by default passes; other mappings not.
        let o = options(
            &q(&[
                ("isolation", "2"),
                (
                    "idmappingoptions",
                    r#"{"HostUIDMapping":true,"HostGIDMapping":true,"UIDMap":null,"GIDMap":null,"AutoUserNs":false}"#,
                ),
            ]),
            Flavor::Libpod,
        )
        .unwrap();
        assert_eq!(o.isolation.as_deref(), Some("chroot"));
        let e = options(
            &q(&[("idmappingoptions", r#"{"HostUIDMapping":false}"#)]),
            Flavor::Libpod,
        )
        .unwrap_err();
        assert!(e.message.contains("idmappingoptions"));
    }
}
