//! `podman build`'s options as `buildah build` arguments, translated as
//! Podman translates them (`--squash`, `--squash-all`, `--layers`).

use std::ffi::OsString;

use rpod_api::front_door::build::BuildOptions;

/// The arguments after `buildah build`, before the context.
/// `containerfiles` are the paths to pass as `-f`; `iidfile` is where
/// Buildah writes the ID (else it prints it last); `runtime` the OCI
/// runtime's path.
pub(crate) fn build_args(
    o: &BuildOptions,
    containerfiles: &[std::path::PathBuf],
    build_args: &[String],
    iidfile: Option<&std::path::Path>,
    runtime: &std::path::Path,
) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut flag = |name: &str, value: &str| a.push(format!("--{name}={value}").into());
    // Podman: --squash keeps the base's layers and squashes the new ones
    // (Buildah's --layers=false); --squash-all squashes everything
    // (Buildah's --squash), without layers unless --layers was given.
    let (layers, squash) = if o.squash_all {
        (o.layers && o.layers_given, true)
    } else if o.squash {
        (false, false)
    } else {
        (o.layers, false)
    };
    flag("layers", &layers.to_string());
    if squash {
        flag("squash", "true");
    }
    flag("runtime", &runtime.to_string_lossy());
    flag("isolation", o.isolation.as_deref().unwrap_or("oci"));
    if let Some(f) = iidfile {
        flag("iidfile", &f.to_string_lossy());
    }
    flag("pull", o.pull.as_deref().unwrap_or("missing"));
    flag("format", o.format.as_deref().unwrap_or("oci"));
    flag("rm", &o.remove_intermediate.to_string());
    flag("force-rm", &o.force_rm.to_string());
    if o.no_cache {
        flag("no-cache", "true");
    }
    if o.quiet {
        flag("quiet", "true");
    }
    let lists: [(&str, &[String]); 22] = [
        ("tag", &o.tags),
        ("build-arg", build_args),
        ("platform", &o.platforms),
        ("label", &o.labels),
        ("annotation", &o.annotations),
        ("secret", &o.secrets),
        ("env", &o.env),
        ("unsetenv", &o.unset_env),
        ("volume", &o.volumes),
        ("add-host", &o.add_hosts),
        ("cap-add", &o.cap_add),
        ("cap-drop", &o.cap_drop),
        ("build-context", &o.build_contexts),
        ("dns", &o.dns),
        ("dns-option", &o.dns_options),
        ("dns-search", &o.dns_search),
        ("security-opt", &o.security_opts),
        ("ulimit", &o.ulimits),
        ("device", &o.devices),
        ("runtime-flag", &o.runtime_flags),
        ("cache-from", &o.cache_from),
        ("cache-to", &o.cache_to),
    ];
    for (name, values) in lists {
        for v in values {
            flag(name, v);
        }
    }
    for v in &o.decryption_keys {
        flag("decryption-key", v);
    }
    let singles: [(&str, &Option<String>); 9] = [
        ("target", &o.target),
        ("network", &o.network),
        ("from", &o.from),
        ("cache-ttl", &o.cache_ttl),
        ("retry-delay", &o.retry_delay),
        ("os", &o.os),
        ("arch", &o.arch),
        ("variant", &o.variant),
        (
            "cert-dir",
            &o.registry
                .cert_dir
                .as_ref()
                .map(|p| p.display().to_string()),
        ),
    ];
    for (name, value) in singles {
        if let Some(v) = value {
            flag(name, v);
        }
    }
    let paths = [
        ("ignorefile", &o.ignorefile),
        ("logfile", &o.logfile),
        ("authfile", &o.registry.authfile),
        ("signature-policy", &o.signature_policy),
    ];
    for (name, value) in paths {
        if let Some(p) = value {
            flag(name, &p.to_string_lossy());
        }
    }
    let bools = [
        ("identity-label", o.identity_label),
        ("http-proxy", o.http_proxy),
        ("skip-unused-stages", o.skip_unused_stages),
        ("disable-compression", o.disable_compression),
        ("tls-verify", o.registry.tls_verify),
    ];
    for (name, value) in bools {
        if let Some(v) = value {
            flag(name, &v.to_string());
        }
    }
    let switches = [
        ("omit-history", o.omit_history),
        ("no-hosts", o.no_hosts),
        ("stdin", o.stdin),
    ];
    for (name, on) in switches {
        if on {
            flag(name, "true");
        }
    }
    for (name, value) in o.namespaces.iter().chain(&o.run_limits) {
        flag(name, value);
    }
    if let Some(t) = o.timestamp {
        flag("timestamp", &t.to_string());
    }
    if let Some(n) = o.retry {
        flag("retry", &n.to_string());
    }
    if let Some(n) = o.jobs {
        flag("jobs", &n.to_string());
    }
    if let Some(user) = &o.registry.username {
        let pass = o.registry.password.as_deref().unwrap_or("");
        flag("creds", &format!("{user}:{pass}"));
    }
    for f in containerfiles {
        a.push("--file".into());
        a.push(f.clone().into_os_string());
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn args(o: &BuildOptions) -> Vec<String> {
        build_args(
            o,
            &[PathBuf::from("/c/Containerfile")],
            &[],
            Some(Path::new("/t/iid")),
            Path::new("/usr/bin/runc"),
        )
        .into_iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect()
    }

    #[test]
    fn squash_translates_as_podman() {
        let mut o = BuildOptions {
            layers: true,
            ..Default::default()
        };
        assert!(args(&o).contains(&"--layers=true".to_string()));
        o.squash = true;
        let a = args(&o);
        assert!(a.contains(&"--layers=false".to_string()));
        assert!(!a.iter().any(|s| s.starts_with("--squash")));
        o.squash = false;
        o.squash_all = true;
        let a = args(&o);
        assert!(a.contains(&"--layers=false".to_string()));
        assert!(a.contains(&"--squash=true".to_string()));
        o.layers_given = true;
        assert!(args(&o).contains(&"--layers=true".to_string()));
    }

    #[test]
    fn lists_and_files() {
        let o = BuildOptions {
            tags: vec!["a".into(), "b".into()],
            target: Some("s1".into()),
            ..Default::default()
        };
        let a = args(&o);
        assert!(a.contains(&"--tag=a".to_string()) && a.contains(&"--tag=b".to_string()));
        assert!(a.contains(&"--target=s1".to_string()));
        assert!(a.ends_with(&["--file".to_string(), "/c/Containerfile".to_string()]));
    }
}
