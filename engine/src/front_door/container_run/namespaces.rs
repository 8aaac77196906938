//! `--ipc`, `--pid`, `--uts`, `--cgroupns` of a create: parsed with
//! Podman's rules, the containers they name looked up (full ids stored,
//! and added to the container's dependencies so they start first and are
//! not removed under it), Podman's refusal to join a private IPC namespace.
//! `--cgroup-parent`, `--cgroups`, `--cgroup-conf` with Podman's checks.

use rpod_api::container_run::{CgroupSpec, NamespaceSpec};
use rpod_api::{Error, ErrorKind};

use crate::container::cgroup_opts::{self, CgroupOptions, CgroupsMode};

use crate::container::ns_modes::{self, NamespaceModes, NsKind, NsMode, UserNsMode};
use crate::engine::EngineCtx;
use crate::front_door::error::other;
use crate::rootless::userns::KeepIdOptions;

/// The modes `spec` asks for, and the ids of the containers whose
/// namespaces they join. `in_pod`: the container joins a pod (`pod` is
/// only valid there).
pub(crate) fn namespace_modes(
    ctx: &EngineCtx,
    spec: &NamespaceSpec,
    in_pod: bool,
) -> Result<(NamespaceModes, Vec<String>), Error> {
    let mut modes = NamespaceModes::default();
    let mut donors = Vec::new();
    for kind in NsKind::ALL {
        let given = match kind {
            NsKind::Ipc => &spec.ipc,
            NsKind::Pid => &spec.pid,
            NsKind::Uts => &spec.uts,
            NsKind::Cgroup => &spec.cgroupns,
        };
        let Some(value) = given.as_deref().filter(|v| !v.is_empty()) else {
            continue;
        };
        let mut mode = ns_modes::parse(kind, value).map_err(Error::invalid)?;
        if value == "pod" && !in_pod {
            return Err(Error::invalid(
                "cannot use pod namespace as container is not joining a pod or pod has no infra container: invalid argument",
            ));
        }
        if let NsMode::Container(name) = &mode {
            let id = donor(ctx, kind, name)?;
            if !donors.contains(&id) {
                donors.push(id.clone());
            }
            mode = NsMode::Container(id);
        }
        *modes.get_mut(kind) = mode;
    }
    if let Some(value) = spec.userns.as_deref().filter(|v| !v.is_empty()) {
        modes.user = user_mode(ctx, value, &mut donors)?;
    }
    Ok((modes, donors))
}

/// Podman: the members of a pod with an infra container share its user
/// namespace, so a member's mode that would make one of its own (`--userns`
/// other than `host` or `container:`, the mapping flags) is refused
/// before anything is created.
pub(crate) fn refuse_own_userns_in_pod(
    spec: &NamespaceSpec,
    pod_has_infra: bool,
) -> Result<(), Error> {
    let own_mode = spec
        .userns
        .as_deref()
        .is_some_and(|v| !(v.is_empty() || v == "host" || v.starts_with("container:")));
    let mappings = !spec.uidmap.is_empty()
        || !spec.gidmap.is_empty()
        || spec.subuidname.is_some()
        || spec.subgidname.is_some();
    if pod_has_infra && (own_mode || mappings) {
        return Err(Error::invalid(
            "cannot set user namespace mode when joining pod with infra container: invalid argument",
        ));
    }
    Ok(())
}

/// `--userns` for root: Podman's spellings (`auto`, `private` and the
/// mapping flags are resolved by `userns::mapped_mode`).
fn user_mode(ctx: &EngineCtx, value: &str, donors: &mut Vec<String>) -> Result<UserNsMode, Error> {
    match value {
        "host" => Ok(UserNsMode::Host),
        "nomap" => crate::rootless::userns::nomap_maps()
            .map(UserNsMode::Private)
            .map_err(Error::invalid),
        _ if keep_id_user(value)?.is_some() => Ok(UserNsMode::KeepId),
        _ if super::userns::is_mapped_mode(value) => Ok(UserNsMode::Host),
        _ => match ns_modes::parse(NsKind::Pid, value)
            .map_err(|_| Error::invalid(format!("unrecognized namespace mode {value} passed")))?
        {
            NsMode::Path(p) => Ok(UserNsMode::Path(p)),
            NsMode::Container(name) => {
                let rec = ctx
                    .db
                    .find_container(&name)
                    .map_err(|e| other(&e))?
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::NoSuchContainer,
                            format!("looking up container to share user namespace with: no container with name or ID \"{name}\" found: no such container"),
                        )
                    })?;
                if !donors.contains(&rec.id) {
                    donors.push(rec.id.clone());
                }
                Ok(UserNsMode::Container(rec.id))
            }
            _ => Err(Error::invalid(format!(
                "unrecognized namespace mode {value} passed"
            ))),
        },
    }
}

/// `--userns=keep-id[:uid=N,gid=N,size=N]`: the user the container runs
/// as unless `--user` says otherwise (`uid:gid`; when not given, root's
/// 0:0, a rootless user's own ids), as Podman's GetKeepIDMapping.
/// `None`: not keep-id.
pub(crate) fn keep_id_user(value: &str) -> Result<Option<String>, Error> {
    Ok(keep_id_options(value)?.map(|o| {
        let (uid, gid) = crate::rootless::userns::keep_id_user(&o);
        format!("{uid}:{gid}")
    }))
}

/// The options of a `--userns=keep-id[:...]` value; `None`: not keep-id.
pub(crate) fn keep_id_options(value: &str) -> Result<Option<KeepIdOptions>, Error> {
    let opts = match value.split_once(':') {
        None if value == "keep-id" => "",
        Some(("keep-id", opts)) => opts,
        _ => return Ok(None),
    };
    let mut out = KeepIdOptions::default();
    for opt in opts.split(',').filter(|_| !opts.is_empty()) {
        let (key, val) = opt
            .split_once('=')
            .ok_or_else(|| Error::invalid(format!("invalid option specified: {opt:?}")))?;
        let n = val.parse::<u32>().map_err(|_| {
            Error::invalid(format!(
                "strconv.ParseUint: parsing {val:?}: invalid syntax"
            ))
        });
        match key {
            "uid" => out.uid = Some(n?),
            "gid" => out.gid = Some(n?),
            "size" => out.size = Some(n?),
            _ => return Err(Error::invalid(format!("unknown option specified: {key:?}"))),
        }
    }
    Ok(Some(out))
}

/// The full id of the container `name` whose `kind` namespace is joined.
fn donor(ctx: &EngineCtx, kind: NsKind, name: &str) -> Result<String, Error> {
    let rec = ctx
        .db
        .find_container(name)
        .map_err(|e| other(&e))?
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NoSuchContainer,
                format!(
                    "looking up container to share {} namespace with: no container with name or ID \"{name}\" found: no such container",
                    kind.name()
                ),
            )
        })?;
    if kind == NsKind::Ipc && rec.options.namespaces.ipc == NsMode::Private {
        return Err(Error::invalid(format!(
            "joining IPC of container {} is not allowed: non-shareable IPC (hint: use IpcMode:shareable for the donor container)",
            rec.id
        )));
    }
    Ok(rec.id)
}

/// The cgroup settings `spec` asks for. `runtime`: the runtime's name
/// (`--cgroups=disabled` needs one that runs containers without a cgroup);
/// `pid`: the PID namespace mode.
pub(crate) fn cgroup_options(
    spec: &CgroupSpec,
    runtime: &str,
    pid: &NsMode,
) -> Result<CgroupOptions, Error> {
    let parent = spec.parent.clone().filter(|p| !p.is_empty());
    let mode = match spec.mode.as_deref().filter(|m| !m.is_empty()) {
        None | Some("enabled") => CgroupsMode::Enabled,
        Some("no-conmon") => CgroupsMode::NoConmon,
        Some("split") => CgroupsMode::Split,
        Some("disabled") => {
            if matches!(pid, NsMode::Container(_)) {
                return Err(Error::invalid(
                    "cannot join another container's PID namespace if not creating cgroups: invalid argument",
                ));
            }
            if parent.is_some() {
                return Err(Error::invalid(
                    "cannot set cgroup parent if not creating cgroups: invalid argument",
                ));
            }
            if matches!(runtime, "crun" | "krun") {
                return Err(Error::new(
                    ErrorKind::NotImplemented,
                    "--cgroups=disabled is not supported yet (see docs/compatibility.md)",
                ));
            }
            return Err(Error::invalid(format!(
                "requested OCI runtime {runtime} is not compatible with NoCgroups: invalid argument"
            )));
        }
        Some(other) => {
            return Err(Error::invalid(format!(
                "invalid cgroup mode {other:?}: invalid argument"
            )))
        }
    };
    let parent = match mode {
        CgroupsMode::Split if parent.is_some() => {
            return Err(Error::invalid(
                "cannot specify --cgroup-mode=split with a cgroup-parent: invalid argument",
            ))
        }
        CgroupsMode::Split => Some(cgroup_opts::own_cgroup().map_err(Error::other)?),
        _ => parent,
    };
    if let Some(p) = &parent {
        let base = p
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        if base.ends_with(".slice") {
            return Err(Error::invalid(
                "systemd slice received as cgroup parent when using cgroupfs: invalid argument",
            ));
        }
    }
    let mut conf = Vec::new();
    for c in &spec.conf {
        let (k, v) = c
            .split_once('=')
            .ok_or_else(|| Error::invalid("--cgroup-conf must be formatted KEY=VALUE"))?;
        conf.retain(|(old, _): &(String, String)| old != k);
        conf.push((k.to_owned(), v.to_owned()));
    }
    Ok(CgroupOptions { parent, mode, conf })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_id_options_for_root() {
        assert_eq!(keep_id_user("keep-id").unwrap().as_deref(), Some("0:0"));
        assert_eq!(
            keep_id_user("keep-id:uid=1000,gid=100,size=5")
                .unwrap()
                .as_deref(),
            Some("1000:100")
        );
        assert_eq!(
            keep_id_user("keep-id:gid=7").unwrap().as_deref(),
            Some("0:7")
        );
        assert_eq!(keep_id_user("auto").unwrap(), None);
        assert_eq!(keep_id_user("keep-idx").unwrap(), None);
        let err = |v| keep_id_user(v).unwrap_err().message;
        assert_eq!(err("keep-id:uid"), "invalid option specified: \"uid\"");
        assert_eq!(err("keep-id:foo=1"), "unknown option specified: \"foo\"");
        assert_eq!(
            err("keep-id:uid=x"),
            "strconv.ParseUint: parsing \"x\": invalid syntax"
        );
    }

    #[test]
    fn a_member_of_a_pod_with_infra_takes_no_user_namespace_of_its_own() {
        let given = |f: fn(&mut NamespaceSpec)| {
            let mut s = NamespaceSpec::default();
            f(&mut s);
            s
        };
        let refused = [
            given(|s| s.userns = Some("keep-id".into())),
            given(|s| s.userns = Some("auto".into())),
            given(|s| s.userns = Some("private".into())),
            given(|s| s.userns = Some("ns:/proc/1/ns/user".into())),
            given(|s| s.uidmap = vec!["0:1000:1000".into()]),
            given(|s| s.gidmap = vec!["0:1000:1000".into()]),
            given(|s| s.subuidname = Some("containers".into())),
            given(|s| s.subgidname = Some("containers".into())),
        ];
        for s in &refused {
            assert_eq!(
                refuse_own_userns_in_pod(s, true).unwrap_err().message,
                "cannot set user namespace mode when joining pod with infra container: invalid argument",
                "{s:?}"
            );
            // A pod without an infra container has no namespace to share.
            refuse_own_userns_in_pod(s, false).unwrap();
        }
        for s in [
            NamespaceSpec::default(),
            given(|s| s.userns = Some(String::new())),
            given(|s| s.userns = Some("host".into())),
            given(|s| s.userns = Some("container:other".into())),
        ] {
            refuse_own_userns_in_pod(&s, true).unwrap();
        }
    }

    fn spec(parent: Option<&str>, mode: Option<&str>, conf: &[&str]) -> CgroupSpec {
        CgroupSpec {
            parent: parent.map(str::to_owned),
            mode: mode.map(str::to_owned),
            conf: conf.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn cgroup_flags_follow_podmans_rules() {
        let none = NsMode::Default;
        let o = cgroup_options(
            &spec(Some("/mine"), Some("no-conmon"), &["memory.high=1M"]),
            "runc",
            &none,
        )
        .unwrap();
        assert_eq!(o.parent.as_deref(), Some("/mine"));
        assert_eq!(o.mode, CgroupsMode::NoConmon);
        assert_eq!(o.conf, vec![("memory.high".into(), "1M".into())]);
        let err = |s: CgroupSpec| cgroup_options(&s, "runc", &none).unwrap_err().message;
        assert_eq!(
            err(spec(None, Some("disabled"), &[])),
            "requested OCI runtime runc is not compatible with NoCgroups: invalid argument"
        );
        assert_eq!(
            err(spec(Some("/x"), Some("split"), &[])),
            "cannot specify --cgroup-mode=split with a cgroup-parent: invalid argument"
        );
        assert_eq!(
            err(spec(Some("machine.slice"), None, &[])),
            "systemd slice received as cgroup parent when using cgroupfs: invalid argument"
        );
        assert_eq!(
            err(spec(None, Some("bogus"), &[])),
            "invalid cgroup mode \"bogus\": invalid argument"
        );
        assert_eq!(
            err(spec(None, None, &["novalue"])),
            "--cgroup-conf must be formatted KEY=VALUE"
        );
    }
}
