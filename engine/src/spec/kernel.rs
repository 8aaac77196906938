//! `--ulimit` (the process's rlimits) and `--sysctl` (the container's
//! namespaced kernel parameters).

use nix::sys::resource::{getrlimit, Resource};
use oci_spec::runtime::{Linux, PosixRlimit, PosixRlimitBuilder, PosixRlimitType};
use rpod_api::container_run::{SecuritySpec, Ulimit};

use super::SpecError;
use crate::container::ns_modes::{NamespaceModes, NsMode};
use crate::container::options::NetworkMode;

/// The rlimit of a `--ulimit` type.
fn resource(name: &str) -> Option<(Resource, PosixRlimitType)> {
    use PosixRlimitType as T;
    use Resource as R;
    Some(match name {
        "core" => (R::RLIMIT_CORE, T::RlimitCore),
        "cpu" => (R::RLIMIT_CPU, T::RlimitCpu),
        "data" => (R::RLIMIT_DATA, T::RlimitData),
        "fsize" => (R::RLIMIT_FSIZE, T::RlimitFsize),
        "locks" => (R::RLIMIT_LOCKS, T::RlimitLocks),
        "memlock" => (R::RLIMIT_MEMLOCK, T::RlimitMemlock),
        "msgqueue" => (R::RLIMIT_MSGQUEUE, T::RlimitMsgqueue),
        "nice" => (R::RLIMIT_NICE, T::RlimitNice),
        "nofile" => (R::RLIMIT_NOFILE, T::RlimitNofile),
        "nproc" => (R::RLIMIT_NPROC, T::RlimitNproc),
        "rss" => (R::RLIMIT_RSS, T::RlimitRss),
        "rtprio" => (R::RLIMIT_RTPRIO, T::RlimitRtprio),
        "rttime" => (R::RLIMIT_RTTIME, T::RlimitRttime),
        "sigpending" => (R::RLIMIT_SIGPENDING, T::RlimitSigpending),
        "stack" => (R::RLIMIT_STACK, T::RlimitStack),
        _ => return None,
    })
}

/// `-1` is unlimited.
fn value(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// Refuses a `--ulimit` whose hard limit is above the host's (rpod's own
/// hard limit for that resource), or of a type rpod does not know.
pub fn check_ulimit(u: &Ulimit) -> Result<(), SpecError> {
    let (res, _) = resource(&u.name)
        .ok_or_else(|| SpecError::Ulimit(format!("invalid ulimit type: {}", u.name)))?;
    let (_, host_hard) =
        getrlimit(res).map_err(|e| SpecError::io("getrlimit", "/proc/self/limits", e.into()))?;
    if value(u.hard) > host_hard {
        let host = if host_hard == u64::MAX {
            "unlimited".to_owned()
        } else {
            host_hard.to_string()
        };
        return Err(SpecError::Ulimit(format!(
            "ulimit {}={}:{}: the hard limit is above the host's hard limit ({host})",
            u.name, u.soft, u.hard
        )));
    }
    Ok(())
}

/// `rlimits` with the `--ulimit`s applied (replacing the same type).
pub fn apply_ulimits(
    mut rlimits: Vec<PosixRlimit>,
    ulimits: &[Ulimit],
) -> Result<Vec<PosixRlimit>, SpecError> {
    for u in ulimits {
        check_ulimit(u)?;
        let Some((_, typ)) = resource(&u.name) else {
            continue;
        };
        rlimits.retain(|r| r.typ() != typ);
        rlimits.push(
            PosixRlimitBuilder::default()
                .typ(typ)
                .soft(value(u.soft))
                .hard(value(u.hard))
                .build()?,
        );
    }
    Ok(rlimits)
}

/// Refuses `net.*` sysctls in the host's network namespace (Podman's
/// error).
pub fn check_sysctls(
    sec: &SecuritySpec,
    network: &NetworkMode,
    modes: &NamespaceModes,
) -> Result<(), SpecError> {
    let host = |what: &str, k: &str, v: &str| {
        Err(SpecError::Sysctl(format!(
            "sysctl {k}={v} can't be set since {what} Namespace set to host: invalid argument"
        )))
    };
    for (k, v) in &sec.sysctls {
        if modes.ipc == NsMode::Host && k.starts_with("fs.mqueue.") {
            return host("IPC", k, v);
        }
        if matches!(network, NetworkMode::Host) && k.starts_with("net.") {
            return host("Network", k, v);
        }
        if modes.uts == NsMode::Host
            && (k.starts_with("kernel.domainname") || k.starts_with("kernel.hostname"))
        {
            return host("UTS", k, v);
        }
    }
    Ok(())
}

/// Adds the `--sysctl`s to `linux` (over the defaults).
pub fn apply_sysctls(
    linux: &mut Linux,
    sec: &SecuritySpec,
    network: &NetworkMode,
    modes: &NamespaceModes,
) -> Result<(), SpecError> {
    if sec.sysctls.is_empty() {
        return Ok(());
    }
    check_sysctls(sec, network, modes)?;
    let mut map = linux.sysctl().clone().unwrap_or_default();
    for (k, v) in &sec.sysctls {
        map.insert(k.clone(), v.clone());
    }
    linux.set_sysctl(Some(map));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulimit(name: &str, soft: i64, hard: i64) -> Ulimit {
        Ulimit {
            name: name.into(),
            soft,
            hard,
        }
    }

    #[test]
    fn ulimits_replace_and_never_exceed_the_host() {
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        let base = super::super::process::host_rlimits().unwrap();
        let out = apply_ulimits(base, &[ulimit("nofile", 100, 200)]).unwrap();
        let nofile: Vec<_> = out
            .iter()
            .filter(|r| r.typ() == PosixRlimitType::RlimitNofile)
            .collect();
        assert_eq!(nofile.len(), 1);
        assert_eq!((nofile[0].soft(), nofile[0].hard()), (100, 200));
        if hard != u64::MAX {
            let too_big = i64::try_from(hard + 1).unwrap();
            let e = check_ulimit(&ulimit("nofile", too_big, too_big)).unwrap_err();
            assert!(e.to_string().contains("above the host's hard limit"), "{e}");
        }
    }

    #[test]
    fn net_sysctls_need_a_private_network() {
        let sec = SecuritySpec {
            sysctls: vec![("net.ipv4.ip_forward".into(), "1".into())],
            ..Default::default()
        };
        assert!(check_sysctls(&sec, &NetworkMode::Host, &NamespaceModes::default()).is_err());
        let mq = SecuritySpec {
            sysctls: vec![("fs.mqueue.msg_max".into(), "20".into())],
            ..Default::default()
        };
        let ipc_host = NamespaceModes {
            ipc: NsMode::Host,
            ..Default::default()
        };
        assert_eq!(
            check_sysctls(&mq, &NetworkMode::None, &ipc_host)
                .unwrap_err()
                .to_string(),
            "sysctl fs.mqueue.msg_max=20 can't be set since IPC Namespace set to host: invalid argument"
        );
        assert!(check_sysctls(&mq, &NetworkMode::None, &NamespaceModes::default()).is_ok());
        let mut linux = Linux::default();
        apply_sysctls(
            &mut linux,
            &sec,
            &NetworkMode::None,
            &NamespaceModes::default(),
        )
        .unwrap();
        assert_eq!(linux.sysctl().as_ref().unwrap()["net.ipv4.ip_forward"], "1");
    }
}
