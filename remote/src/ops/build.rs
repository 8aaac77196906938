//! `build` over the libpod API: the context packed here
//! ([`super::build_context`]) and sent as the body of `POST /libpod/build`
//! with Podman's query names; the `{"stream"}` objects go to the sink as
//! they come, the last line starting with 12 hex digits is the image's ID
//! (as Podman's bindings take it), an `{"error"}` object is the failure
//! (exit 125, as Podman's remote client: the RUN's own code does not
//! travel). `--iidfile` is written here.

use std::collections::BTreeMap;
use std::sync::Arc;

use hyper::Method;
use rpod_api::front_door::build::{BuildContext, BuildOptions, BuildOutcome, BuildSink};
use rpod_api::{Error, ErrorKind, Result};
use serde::Deserialize;

use super::build_context::pack;
use super::image_transfer::registry_auth_header;
use crate::error::{transport, unsupported};
use crate::json_lines::JsonLines;
use crate::query::with_query;
use crate::RemoteEngine;

/// One object of the build stream.
#[derive(Deserialize, Default)]
#[serde(default)]
struct BuildEvent {
    stream: String,
    error: String,
}

/// The options carried, checked against the rest: a flag the request
/// cannot carry is refused, naming it.
fn refuse_unmapped(o: &BuildOptions) -> Result<()> {
    let d = BuildOptions::default();
    let r = &o.registry;
    let unmapped = [
        ("--file -", o.containerfile_text.is_some()),
        ("--platform", !o.platforms.is_empty()),
        ("--annotation", !o.annotations.is_empty()),
        ("--squash", o.squash),
        ("--squash-all", o.squash_all),
        ("--secret", !o.secrets.is_empty()),
        ("--network", o.network.is_some()),
        ("--format", o.format.is_some()),
        ("--ignorefile", o.ignorefile.is_some()),
        ("--isolation", o.isolation.is_some()),
        ("--env", !o.env.is_empty()),
        ("--unsetenv", !o.unset_env.is_empty()),
        ("--unsetlabel", !o.unset_labels.is_empty()),
        ("--volume", !o.volumes.is_empty()),
        ("--add-host", !o.add_hosts.is_empty()),
        ("--cap-add", !o.cap_add.is_empty()),
        ("--cap-drop", !o.cap_drop.is_empty()),
        ("--build-context", !o.build_contexts.is_empty()),
        ("--from", o.from.is_some()),
        ("--timestamp", o.timestamp.is_some()),
        ("--identity-label", o.identity_label.is_some()),
        ("--omit-history", o.omit_history),
        ("--logfile", o.logfile.is_some()),
        ("--no-hosts", o.no_hosts),
        ("--no-hostname", o.no_hostname),
        ("--http-proxy", o.http_proxy.is_some()),
        ("--dns", !o.dns.is_empty()),
        ("--dns-option", !o.dns_options.is_empty()),
        ("--dns-search", !o.dns_search.is_empty()),
        ("--security-opt", !o.security_opts.is_empty()),
        ("--ulimit", !o.ulimits.is_empty()),
        (
            "--userns/--pid/--ipc/--uts/--cgroupns",
            !o.namespaces.is_empty(),
        ),
        (
            "--memory/--cpu-*/--shm-size/--cgroup-parent",
            !o.run_limits.is_empty(),
        ),
        ("--device", !o.devices.is_empty()),
        ("--runtime-flag", !o.runtime_flags.is_empty()),
        ("--cache-from", !o.cache_from.is_empty()),
        ("--cache-to", !o.cache_to.is_empty()),
        ("--cache-ttl", o.cache_ttl.is_some()),
        ("--retry", o.retry.is_some()),
        ("--retry-delay", o.retry_delay.is_some()),
        ("--skip-unused-stages", o.skip_unused_stages.is_some()),
        ("--disable-compression", o.disable_compression.is_some()),
        ("--jobs", o.jobs.is_some()),
        ("--os", o.os.is_some()),
        ("--arch", o.arch.is_some()),
        ("--variant", o.variant.is_some()),
        ("--cert-dir", r.cert_dir.is_some()),
        ("--signature-policy", o.signature_policy.is_some()),
        ("--decryption-key", !o.decryption_keys.is_empty()),
        ("--stdin", o.stdin != d.stdin),
    ];
    match unmapped.iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(unsupported(flag)),
        None => Ok(()),
    }
}

/// `--build-arg-file` lines, then `--build-arg`s (`KEY` alone: this
/// host's environment, as the local build takes it), as a JSON map.
fn build_args_json(o: &BuildOptions) -> Result<String> {
    let mut map = BTreeMap::new();
    let mut add = |a: &str| match a.split_once('=') {
        Some((k, v)) => {
            map.insert(k.to_owned(), v.to_owned());
        }
        None => {
            if let Ok(v) = std::env::var(a) {
                map.insert(a.to_owned(), v);
            }
        }
    };
    for f in &o.build_arg_files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("{}: {e}", f.display())))?;
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .for_each(&mut add);
    }
    o.build_args.iter().for_each(|a| add(a));
    serde_json::to_string(&map).map_err(|e| transport("encoding the build arguments", e))
}

/// The body and the `dockerfile` names for `context`.
async fn body_of(context: BuildContext, o: &BuildOptions) -> Result<(Vec<u8>, Vec<String>)> {
    match context {
        BuildContext::Dir(dir) => {
            let files = o.containerfiles.clone();
            tokio::task::spawn_blocking(move || pack(&dir, &files))
                .await
                .map_err(|e| Error::other(format!("packing the build context: {e}")))?
                .map_err(|e| Error::other(format!("packing the build context: {e}")))
        }
        BuildContext::Tarball(mut r) => {
            // Relative Containerfiles are the archive's; a file of this
            // host cannot be added to an archive read as it is.
            if o.containerfiles.iter().any(|f| f.is_absolute()) {
                return Err(unsupported("build --file FILE with a context on stdin"));
            }
            let names = o
                .containerfiles
                .iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect();
            let data = tokio::task::spawn_blocking(move || {
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut r, &mut data).map(|_| data)
            })
            .await
            .map_err(|e| Error::other(format!("reading the build context: {e}")))?
            .map_err(|e| transport("reading the build context", e))?;
            Ok((data, names))
        }
        BuildContext::Url(_) => Err(unsupported("build from a URL")),
    }
}

/// The query of `POST /libpod/build`.
fn query(o: &BuildOptions, dockerfiles: &[String]) -> Result<Vec<(&'static str, String)>> {
    let mut q: Vec<(&'static str, String)> = Vec::new();
    if !dockerfiles.is_empty() {
        q.push(("dockerfile", json_list(dockerfiles)));
    }
    for t in &o.tags {
        q.push(("t", t.clone()));
    }
    q.push(("buildargs", build_args_json(o)?));
    if !o.labels.is_empty() {
        q.push(("labels", json_list(&o.labels)));
    }
    if let Some(t) = &o.target {
        q.push(("target", t.clone()));
    }
    q.push(("layers", o.layers.to_string()));
    q.push(("nocache", o.no_cache.to_string()));
    q.push((
        "pullpolicy",
        o.pull.clone().unwrap_or_else(|| "missing".into()),
    ));
    q.push(("q", o.quiet.to_string()));
    q.push(("rm", o.remove_intermediate.to_string()));
    q.push(("forcerm", o.force_rm.to_string()));
    if let Some(v) = o.registry.tls_verify {
        q.push(("tlsVerify", v.to_string()));
    }
    // No namespace options: RUN steps get Buildah's defaults, as a local
    // build's (Podman's API otherwise runs them in the host's network).
    q.push(("nsoptions", "[]".into()));
    Ok(q)
}

/// JSON text of a list (the query's JSON parameters).
fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl RemoteEngine {
    pub(crate) async fn build(
        &self,
        context: BuildContext,
        o: BuildOptions,
        sink: Arc<dyn BuildSink>,
    ) -> Result<BuildOutcome> {
        refuse_unmapped(&o)?;
        let (data, dockerfiles) = body_of(context, &o).await?;
        let path = with_query("/build", &query(&o, &dockerfiles)?);
        let mut headers = Vec::new();
        if let Some(u) = &o.registry.username {
            let p = o.registry.password.as_deref().unwrap_or_default();
            headers.push(("x-registry-auth", registry_auth_header(u, p)));
        } else if let Some(f) = &o.registry.authfile {
            headers.push(("x-registry-config", registry_config_header(f)?));
        }
        let body = self
            .transport
            .stream_with_headers(Method::POST, &path, Some(data), &headers)
            .await?;
        let mut id = None;
        let mut lines = JsonLines::new(body, "build");
        while let Some(ev) = lines.next::<BuildEvent>().await? {
            if !ev.error.is_empty() {
                return Ok(BuildOutcome::Failed {
                    message: ev.error.trim_end().to_owned(),
                    exit_code: 125,
                });
            }
            if !ev.stream.is_empty() {
                sink.stdout(ev.stream.as_bytes());
                if is_id_line(&ev.stream) {
                    id = Some(ev.stream.trim().to_owned());
                }
            }
        }
        let image_id = id
            .ok_or_else(|| Error::other("the build stream ended without the image's ID"))?
            .trim_start_matches("sha256:")
            .to_owned();
        if let Some(f) = &o.iidfile {
            std::fs::write(f, format!("sha256:{image_id}")).map_err(|e| {
                Error::new(ErrorKind::InvalidArgument, format!("{}: {e}", f.display()))
            })?;
        }
        Ok(BuildOutcome::Built { image_id })
    }
}

/// `X-Registry-Config` for `--authfile`: the file's registries with their
/// user names and passwords (base64url JSON), as Podman's client sends its
/// auth file for the pulls of `FROM`.
fn registry_config_header(path: &std::path::Path) -> Result<String> {
    use base64::Engine as _;
    let bad = |e: String| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("reading {}: {e}", path.display()),
        )
    };
    let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let file: serde_json::Value = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    let mut map = serde_json::Map::new();
    if let Some(auths) = file.get("auths").and_then(|a| a.as_object()) {
        for (registry, entry) in auths {
            let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) else {
                continue;
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth)
                .map_err(|e| bad(e.to_string()))?;
            let decoded = String::from_utf8_lossy(&decoded).into_owned();
            if let Some((user, pass)) = decoded.split_once(':') {
                map.insert(
                    registry.clone(),
                    serde_json::json!({"username": user, "password": pass}),
                );
            }
        }
    }
    let json = serde_json::Value::Object(map).to_string();
    Ok(base64::engine::general_purpose::URL_SAFE.encode(json))
}

/// A line starting with 12 lower-case hex digits (Podman's `iidRegex`).
fn is_id_line(s: &str) -> bool {
    s.len() >= 12
        && s.as_bytes()[..12]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmapped_flags_are_refused_by_name() {
        let o = BuildOptions {
            network: Some("host".into()),
            ..Default::default()
        };
        let e = refuse_unmapped(&o).unwrap_err();
        assert_eq!(e.message, "--network is not supported in remote mode yet");
        assert!(refuse_unmapped(&BuildOptions {
            tags: vec!["x".into()],
            layers: true,
            remove_intermediate: true,
            force_rm: true,
            ..Default::default()
        })
        .is_ok());
    }

    #[test]
    fn query_names_are_podmans() {
        let o = BuildOptions {
            tags: vec!["a".into(), "b".into()],
            build_args: vec!["K=V".into()],
            labels: vec!["l=v".into()],
            layers: true,
            ..Default::default()
        };
        let q = query(&o, &["sub/Containerfile".into()]).unwrap();
        let get = |k: &str| -> Vec<String> {
            q.iter()
                .filter(|(n, _)| *n == k)
                .map(|(_, v)| v.clone())
                .collect()
        };
        assert_eq!(get("dockerfile"), vec![r#"["sub/Containerfile"]"#]);
        assert_eq!(get("t"), vec!["a", "b"]);
        assert_eq!(get("buildargs"), vec![r#"{"K":"V"}"#]);
        assert_eq!(get("labels"), vec![r#"["l=v"]"#]);
        assert_eq!(get("layers"), vec!["true"]);
        assert_eq!(get("pullpolicy"), vec!["missing"]);
    }

    #[test]
    fn auth_file_becomes_registry_config() {
        use base64::Engine as _;
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("auth.json");
        std::fs::write(&f, r#"{"auths":{"reg.example:5000":{"auth":"dTpwOng="}}}"#).unwrap();
        let h = registry_config_header(&f).unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE.decode(h).unwrap())
                .unwrap();
        assert_eq!(v["reg.example:5000"]["username"], "u");
        assert_eq!(v["reg.example:5000"]["password"], "p:x");
    }

    #[test]
    fn id_lines() {
        assert!(is_id_line("0123456789abcdef\n"));
        assert!(!is_id_line("STEP 1/2: FROM x\n"));
        assert!(!is_id_line("0123"));
    }
}
