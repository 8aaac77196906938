//! The container process: command, environment, identity, capabilities and
//! rlimits, following Podman's rules.

use std::collections::HashSet;
use std::path::Path;

use nix::sys::resource::{getrlimit, Resource};
use oci_spec::runtime::{
    Capability, LinuxCapabilities, LinuxCapabilitiesBuilder, PosixRlimit, PosixRlimitBuilder,
    PosixRlimitType, Process, Spec, User, UserBuilder,
};

use super::image_config::ImageDefaults;
use super::user::{resolve_user, ExecUser};
use super::SpecError;
use crate::container::options::ContainerOptions;

/// Podman's `PATH` default.
pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Podman's default capability set (containers.conf `default_capabilities`).
pub const DEFAULT_CAPABILITIES: [Capability; 11] = [
    Capability::Chown,
    Capability::DacOverride,
    Capability::Fowner,
    Capability::Fsetid,
    Capability::Kill,
    Capability::NetBindService,
    Capability::Setfcap,
    Capability::Setgid,
    Capability::Setpcap,
    Capability::Setuid,
    Capability::SysChroot,
];

/// Entrypoint + command with Podman's semantics: a user entrypoint replaces
/// the image's and, when non-empty, also drops the image's Cmd; a user
/// command replaces the image's Cmd; an entrypoint of `[""]` counts as none.
pub(crate) fn resolve_command(
    opts: &ContainerOptions,
    image: &ImageDefaults,
) -> Result<Vec<String>, SpecError> {
    let entrypoint = match &opts.entrypoint {
        Some(ep) => ep.clone(),
        None => image.entrypoint.clone().unwrap_or_default(),
    };
    let mut args = Vec::new();
    if !(entrypoint.len() == 1 && entrypoint[0].is_empty()) {
        args.extend(entrypoint);
    }
    let user_ep_empty = opts.entrypoint.as_ref().is_none_or(Vec::is_empty);
    if !opts.command.is_empty() {
        args.extend(opts.command.iter().cloned());
    } else if user_ep_empty {
        args.extend(image.cmd.clone().unwrap_or_default());
    }
    if args.is_empty() {
        // `--rootfs` without a command: the runtime is asked to run "" and
        // fails (exit 127), as with Podman.
        if opts.rootfs.is_some() {
            return Ok(vec![String::new()]);
        }
        return Err(SpecError::NoCommand);
    }
    Ok(args)
}

fn key(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(k, _)| k)
}

/// Sets `entry` (`KEY=VALUE`) in `env`, replacing an existing `KEY` in place.
fn set_env(env: &mut Vec<String>, entry: &str) {
    let k = key(entry);
    match env.iter_mut().find(|e| key(e) == k) {
        Some(slot) => *slot = entry.to_owned(),
        None => env.push(entry.to_owned()),
    }
}

fn has_env(env: &[String], k: &str) -> bool {
    env.iter().any(|e| key(e) == k)
}

/// The default variables a container starts from, before the user's `-e`.
pub(crate) struct DefaultEnv<'a> {
    /// The image's Env (over Podman's PATH and container=podman).
    pub image: &'a [String],
    /// A terminal: TERM=xterm unless the image sets TERM.
    pub tty: bool,
    /// `--unsetenv`: defaults to leave out.
    pub unset: &'a [String],
    /// `--unsetenv-all`: no defaults at all.
    pub unset_all: bool,
}

/// The process environment: [`container_env`], then HOSTNAME and HOME
/// when unset.
pub(crate) fn merge_env(
    defaults: &DefaultEnv<'_>,
    user_env: &[String],
    hostname: &str,
    home: &str,
) -> Vec<String> {
    let mut env = container_env(defaults, user_env);
    if !has_env(&env, "HOSTNAME") {
        env.push(format!("HOSTNAME={hostname}"));
    }
    if !has_env(&env, "HOME") {
        env.push(format!("HOME={home}"));
    }
    env
}

/// The container's environment as it is configured (inspect's
/// `Config.Env`): Podman's defaults (PATH, container=podman), then the
/// image's Env, then TERM=xterm for a terminal, less what
/// `--unsetenv`/`--unsetenv-all` remove; then the user's `-e` entries, each
/// overriding earlier ones by key. Entries without `=` are ignored (the CLI
/// resolves `-e KEY` from its own environment).
pub(crate) fn container_env(defaults: &DefaultEnv<'_>, user_env: &[String]) -> Vec<String> {
    let mut env = vec![DEFAULT_PATH.to_owned(), "container=podman".to_owned()];
    for e in defaults.image {
        if e.contains('=') {
            set_env(&mut env, e);
        }
    }
    if defaults.tty && !has_env(&env, "TERM") {
        env.push("TERM=xterm".to_owned());
    }
    if defaults.unset_all {
        env.clear();
    }
    env.retain(|e| !defaults.unset.iter().any(|u| u == key(e)));
    for e in user_env {
        if e.contains('=') {
            set_env(&mut env, e);
        } else {
            tracing::debug!(entry = %e, "ignoring environment entry without '='");
        }
    }
    env
}

/// Whether Podman gives a `-u` value root's capabilities: only an empty,
/// `root` or `0` user part does (the decision is made on the string).
pub fn is_root_user(user_spec: &str) -> bool {
    matches!(user_spec.split(':').next(), Some("" | "root" | "0"))
}

/// An exec session's capabilities: the container's bounding set `set`
/// bounds it; root also gets it effective and permitted; inheritable and
/// ambient stay empty.
pub(crate) fn capabilities(
    set: HashSet<Capability>,
    root: bool,
) -> Result<LinuxCapabilities, SpecError> {
    let granted = if root { set.clone() } else { HashSet::new() };
    Ok(LinuxCapabilitiesBuilder::default()
        .bounding(set)
        .effective(granted.clone())
        .permitted(granted)
        .inheritable(HashSet::new())
        .ambient(HashSet::new())
        .build()?)
}

/// RLIMIT_NOFILE and RLIMIT_NPROC at the host's current soft/hard values
/// (never higher: raising a hard limit fails with EPERM).
pub(crate) fn host_rlimits() -> Result<Vec<PosixRlimit>, SpecError> {
    let mut out = Vec::new();
    for (res, typ) in [
        (Resource::RLIMIT_NOFILE, PosixRlimitType::RlimitNofile),
        (Resource::RLIMIT_NPROC, PosixRlimitType::RlimitNproc),
    ] {
        let (soft, hard) = getrlimit(res)
            .map_err(|e| SpecError::io("getrlimit", "/proc/self/limits", e.into()))?;
        out.push(
            PosixRlimitBuilder::default()
                .typ(typ)
                .soft(soft)
                .hard(hard)
                .build()?,
        );
    }
    Ok(out)
}

/// The OCI user with `umask` (`--umask`; unset leaves the runtime's 0022).
pub(crate) fn oci_user(u: &ExecUser, umask: Option<u32>) -> Result<User, SpecError> {
    let mut user = UserBuilder::default()
        .uid(u.uid)
        .gid(u.gid)
        .additional_gids(u.additional_gids.clone())
        .build()?;
    user.set_umask(umask);
    Ok(user)
}

/// The `process.json` for `exec` in a container created from `spec`:
/// the container's process with `args`, `env` applied over its environment,
/// `workdir` (default: the container's cwd) and `user` (default: the
/// container's user, otherwise resolved against the container's rootfs,
/// with that user's HOME and Podman's capability rule; the container's
/// `--group-add` gids and umask apply to that user too).
pub fn process_spec_for_exec(
    spec: &Spec,
    args: &[String],
    env: &[String],
    workdir: Option<&str>,
    user: Option<&str>,
    group_add: &[String],
    tty: bool,
) -> Result<Process, SpecError> {
    if args.is_empty() {
        return Err(SpecError::EmptyExecCommand);
    }
    let mut process = spec.process().clone().unwrap_or_default();
    let mut penv = process.env().clone().unwrap_or_default();
    for e in env.iter().filter(|e| e.contains('=')) {
        set_env(&mut penv, e);
    }
    if let Some(u) = user {
        let rootfs = spec
            .root()
            .as_ref()
            .map(|r| r.path().clone())
            .unwrap_or_default();
        let rootfs = Path::new(&rootfs);
        let extra = super::user::resolve_groups(rootfs, group_add)?;
        let exec_user = super::user::with_groups(resolve_user(rootfs, u)?, &extra);
        let umask = process.user().umask();
        process.set_user(oci_user(&exec_user, umask)?);
        let bounding = process
            .capabilities()
            .as_ref()
            .and_then(|c| c.bounding().clone())
            .unwrap_or_default();
        process.set_capabilities(Some(capabilities(bounding, is_root_user(u))?));
        if !env.iter().any(|e| key(e) == "HOME") {
            set_env(&mut penv, &format!("HOME={}", exec_user.home));
        }
    }
    if tty && !has_env(&penv, "TERM") {
        penv.push("TERM=xterm".to_owned());
    }
    process.set_env(Some(penv));
    process.set_args(Some(args.to_vec()));
    if let Some(w) = workdir {
        process.set_cwd(w.into());
    }
    process.set_terminal(Some(tty));
    process.set_console_size(None);
    Ok(process)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn image(ep: Option<&[&str]>, cmd: Option<&[&str]>) -> ImageDefaults {
        ImageDefaults {
            entrypoint: ep.map(s),
            cmd: cmd.map(s),
            ..Default::default()
        }
    }

    fn opts(ep: Option<&[&str]>, cmd: &[&str]) -> ContainerOptions {
        ContainerOptions {
            entrypoint: ep.map(s),
            command: s(cmd),
            ..Default::default()
        }
    }

    #[test]
    fn entrypoint_cmd_matrix() {
        let img = image(Some(&["/ep", "-x"]), Some(&["default"]));
        let cases: Vec<(ContainerOptions, Vec<String>)> = vec![
            // Nothing given: image entrypoint + image cmd.
            (opts(None, &[]), s(&["/ep", "-x", "default"])),
            // A command replaces the image's Cmd only.
            (opts(None, &["a", "b"]), s(&["/ep", "-x", "a", "b"])),
            // --entrypoint replaces the entrypoint and drops the image Cmd.
            (opts(Some(&["/other"]), &[]), s(&["/other"])),
            (opts(Some(&["/other"]), &["c"]), s(&["/other", "c"])),
            // --entrypoint "" clears the entrypoint; the image Cmd stays (Podman).
            (opts(Some(&[]), &[]), s(&["default"])),
            (opts(Some(&[]), &["c"]), s(&["c"])),
            (opts(Some(&[""]), &["c"]), s(&["c"])),
        ];
        for (o, want) in cases {
            assert_eq!(resolve_command(&o, &img).unwrap(), want, "{o:?}");
        }
        // Image entrypoint of [""] counts as none.
        let img = image(Some(&[""]), Some(&["sh"]));
        assert_eq!(resolve_command(&opts(None, &[]), &img).unwrap(), s(&["sh"]));
    }

    #[test]
    fn empty_command_is_podmans_error() {
        let err = resolve_command(&opts(None, &[]), &image(None, None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no command or entrypoint provided, and no CMD or ENTRYPOINT from image"
        );
        let err = resolve_command(&opts(Some(&[]), &[]), &image(Some(&["/ep"]), None));
        assert!(matches!(err, Err(SpecError::NoCommand)));
    }

    fn defaults(image: &[String]) -> DefaultEnv<'_> {
        DefaultEnv {
            image,
            tty: false,
            unset: &[],
            unset_all: false,
        }
    }

    #[test]
    fn unsetenv_removes_defaults_not_user_entries() {
        let image_env = s(&["A=image", "TERM=vt100"]);
        let unset = s(&["TERM", "container", "A"]);
        let d = DefaultEnv {
            unset: &unset,
            ..defaults(&image_env)
        };
        let env = merge_env(&d, &s(&["A=user"]), "h", "/root");
        assert_eq!(
            env,
            s(&[
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "A=user",
                "HOSTNAME=h",
                "HOME=/root"
            ])
        );
        let d = DefaultEnv {
            tty: true,
            unset_all: true,
            ..defaults(&image_env)
        };
        let env = merge_env(&d, &s(&["TERM=abc"]), "h", "/root");
        assert_eq!(env, s(&["TERM=abc", "HOSTNAME=h", "HOME=/root"]));
        let d = DefaultEnv {
            tty: true,
            ..defaults(&[])
        };
        assert!(merge_env(&d, &[], "h", "/").contains(&"TERM=xterm".to_string()));
    }

    #[test]
    fn env_merge_order() {
        let image_env = s(&["PATH=/img/bin", "A=image", "B=image"]);
        let env = merge_env(
            &defaults(&image_env),
            &s(&["B=user", "C=user", "NOEQUALS"]),
            "host1",
            "/root",
        );
        assert_eq!(
            env,
            s(&[
                "PATH=/img/bin",
                "container=podman",
                "A=image",
                "B=user",
                "C=user",
                "HOSTNAME=host1",
                "HOME=/root",
            ])
        );
        let env = merge_env(
            &defaults(&[]),
            &s(&["HOME=/x", "HOSTNAME=h", "TERM=dumb"]),
            "host1",
            "/root",
        );
        assert!(env.contains(&"HOME=/x".to_string()));
        assert!(env.contains(&"HOSTNAME=h".to_string()));
        assert!(env.contains(&"TERM=dumb".to_string()));
        assert!(!env.contains(&"TERM=xterm".to_string()));
        assert!(env.contains(&DEFAULT_PATH.to_string()));
    }

    #[test]
    fn capabilities_root_and_non_root() {
        assert!(is_root_user("") && is_root_user("root") && is_root_user("0:10"));
        assert!(!is_root_user("1000") && !is_root_user("app:root"));
        let set: HashSet<Capability> = DEFAULT_CAPABILITIES.into_iter().collect();
        let root = capabilities(set.clone(), true).unwrap();
        assert_eq!(root.bounding().as_ref().unwrap().len(), 11);
        assert_eq!(root.effective(), root.bounding());
        assert_eq!(root.permitted(), root.bounding());
        assert!(root.inheritable().as_ref().unwrap().is_empty());
        assert!(root.ambient().as_ref().unwrap().is_empty());
        let user = capabilities(set, false).unwrap();
        assert_eq!(user.bounding(), root.bounding());
        assert!(user.effective().as_ref().unwrap().is_empty());
        assert!(user.permitted().as_ref().unwrap().is_empty());
    }

    #[test]
    fn rlimits_never_above_the_hard_limit() {
        let limits = host_rlimits().unwrap();
        assert_eq!(limits.len(), 2);
        for l in &limits {
            let res = match l.typ() {
                PosixRlimitType::RlimitNofile => Resource::RLIMIT_NOFILE,
                PosixRlimitType::RlimitNproc => Resource::RLIMIT_NPROC,
                other => panic!("unexpected {other:?}"),
            };
            let (soft, hard) = getrlimit(res).unwrap();
            assert_eq!((l.soft(), l.hard()), (soft, hard));
            assert!(l.soft() <= l.hard());
        }
    }
}
