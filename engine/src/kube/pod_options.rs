//! What `kube play`'s own flags add to each pod: `--ip` and
//! `--mac-address` (the n-th pod of the play gets the n-th address, on its
//! one bridge network) and the user namespace (`--userns`, else Podman's
//! `io.podman.annotations.userns` annotation, else `hostUsers: false` as
//! `auto`).

use rpod_api::front_door::pods::PodSpec;
use rpod_api::kube::KubePlayOptions;
use rpod_api::Error;

use super::parse::Workload;

/// Podman's annotation choosing a pod's user namespace.
const USERNS_ANNOTATION: &str = "io.podman.annotations.userns";

/// Whether the pod joins bridge networks (not host, none, another
/// namespace, slirp4netns or pasta).
fn is_bridge(modes: &[String]) -> bool {
    !modes.iter().any(|m| {
        matches!(m.as_str(), "host" | "none" | "private")
            || m.starts_with("container:")
            || m.starts_with("ns:")
            || m.starts_with("slirp4netns")
            || m.starts_with("pasta")
    })
}

/// Gives pod number `index` of the play its static IP and MAC address;
/// returns Podman's warnings when the addresses ran out.
pub(crate) fn static_addresses(
    pod: &mut PodSpec,
    options: &KubePlayOptions,
    index: usize,
) -> Result<Vec<String>, Error> {
    let mut warnings = Vec::new();
    let net = &mut pod.network;
    let check = |what: &str, syntax: &str| -> Result<(), Error> {
        if !is_bridge(&net.modes) {
            return Err(Error::invalid(format!(
                "static {what} can only be set when the network mode is bridge: invalid argument"
            )));
        }
        if net.modes.len() != 1 {
            return Err(Error::invalid(format!(
                "cannot set static {what} for more than network, use netname:{syntax}=<{syntax}> syntax to specify {syntax}s for more than network: invalid argument"
            )));
        }
        Ok(())
    };
    if let Some(ip) = options.static_ips.get(index) {
        check("ip addresses", "ip")?;
        net.ips.push(ip.clone());
    } else if !options.static_ips.is_empty() {
        warnings.push("No more static ips left using a random one".to_owned());
    }
    if let Some(mac) = options.static_macs.get(index) {
        check("mac address", "mac")?;
        net.mac_address = Some(mac.clone());
    } else if !options.static_macs.is_empty() {
        warnings.push("No more static macs left using a random one".to_owned());
    }
    Ok(warnings)
}

/// The pod's user namespace mode, Podman's way; `host` leaves the
/// default.
pub(crate) fn user_namespace(pod: &mut PodSpec, w: &Workload, options: &KubePlayOptions) {
    let mode = match &options.userns {
        Some(m) => m.clone(),
        None => {
            let by_pod = format!("{USERNS_ANNOTATION}/{}", w.pod_name);
            let host_users = w.template.spec.as_ref().and_then(|s| s.host_users);
            match w
                .annotations
                .get(USERNS_ANNOTATION)
                .or_else(|| w.annotations.get(&by_pod))
            {
                Some(v) => v.clone(),
                None if host_users == Some(false) => "auto".into(),
                None => "host".into(),
            }
        }
    };
    let mode = if mode == "private" && options.userns.is_none() {
        "auto".to_owned()
    } else {
        mode
    };
    if mode != "host" {
        pod.userns.userns = Some(mode);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(modes: &[&str]) -> PodSpec {
        let mut p = PodSpec::default();
        p.network.modes = modes.iter().map(|m| m.to_string()).collect();
        p
    }

    fn workload(yaml: &str) -> Workload {
        let p = crate::kube::parse::parse(yaml.as_bytes()).unwrap();
        match p.docs.into_iter().next().unwrap() {
            crate::kube::parse::Doc::Workload(w) => *w,
            _ => panic!("not a workload"),
        }
    }

    #[test]
    fn user_namespace_from_flag_annotation_or_host_users() {
        let base = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";
        let spec = "spec:\n  containers:\n  - name: c\n    image: a\n";
        let mode = |yaml: &str, flag: Option<&str>| {
            let mut p = PodSpec::default();
            let o = KubePlayOptions {
                userns: flag.map(str::to_owned),
                ..KubePlayOptions::default()
            };
            user_namespace(&mut p, &workload(yaml), &o);
            p.userns.userns
        };
        let plain = format!("{base}{spec}");
        assert_eq!(mode(&plain, None), None);
        assert_eq!(mode(&plain, Some("keep-id")).as_deref(), Some("keep-id"));
        let annotated =
            format!("{base}  annotations:\n    io.podman.annotations.userns: private\n{spec}");
        assert_eq!(mode(&annotated, None).as_deref(), Some("auto"));
        let no_host = format!("{base}{spec}  hostUsers: false\n");
        assert_eq!(mode(&no_host, None).as_deref(), Some("auto"));
        assert_eq!(mode(&no_host, Some("host")), None);
    }

    #[test]
    fn the_nth_pod_gets_the_nth_address() {
        let options = KubePlayOptions {
            static_ips: vec!["10.86.1.5".into()],
            static_macs: vec!["02:00:00:00:00:01".into()],
            ..KubePlayOptions::default()
        };
        let mut p = pod(&["net1"]);
        assert!(static_addresses(&mut p, &options, 0).unwrap().is_empty());
        assert_eq!(p.network.ips, ["10.86.1.5"]);
        assert_eq!(p.network.mac_address.as_deref(), Some("02:00:00:00:00:01"));
        let mut p = pod(&["net1"]);
        let w = static_addresses(&mut p, &options, 1).unwrap();
        assert_eq!(
            w,
            [
                "No more static ips left using a random one",
                "No more static macs left using a random one"
            ]
        );
        assert!(p.network.ips.is_empty());
        let e = static_addresses(&mut pod(&["host"]), &options, 0).unwrap_err();
        assert_eq!(
            e.message,
            "static ip addresses can only be set when the network mode is bridge: invalid argument"
        );
        let e = static_addresses(&mut pod(&["a", "b"]), &options, 0).unwrap_err();
        assert!(e
            .message
            .starts_with("cannot set static ip addresses for more than network"));
    }
}
