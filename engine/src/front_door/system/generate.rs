//! `generate systemd`: unit files that run a container (or a pod and its
//! members, see [`super::generate_pod`]) as a service, as Podman writes
//! them (rpod's binary, global flags and file locations).

use std::fmt::Write as _;

use rpod_api::generate::{GenerateSystemdOptions, GenerateSystemdReport};
use rpod_api::{Error, ErrorKind, Result};

use crate::config::{DEFAULT_ROOT, DEFAULT_RUNROOT};
use crate::container::DEFAULT_STOP_TIMEOUT;
use crate::container::{ContainerError, ContainerOptions, ContainerPaths, NetworkMode};
use crate::engine::Engine;
use crate::pod::PodError;
use crate::state::ContainerRecord;

const RESTART_POLICIES: &[&str] = &[
    "no",
    "on-success",
    "on-failure",
    "on-abnormal",
    "on-watchdog",
    "on-abort",
    "always",
];

/// The units of the container, or the pod, `name_or_id`.
pub(crate) async fn generate_systemd(
    engine: &Engine,
    name_or_id: &str,
    a: &GenerateSystemdOptions,
) -> Result<GenerateSystemdReport> {
    if !RESTART_POLICIES.contains(&a.restart_policy.as_str()) {
        return Err(Error::invalid(format!(
            "{} is not a valid restart policy",
            a.restart_policy
        )));
    }
    let config = engine.config();
    let mut base = vec![engine.ctx().cleanup_exe.display().to_string()];
    if config.root != std::path::Path::new(DEFAULT_ROOT) {
        base.push(format!("--root={}", config.root.display()));
    }
    if config.runroot != std::path::Path::new(DEFAULT_RUNROOT) {
        base.push(format!("--runroot={}", config.runroot.display()));
    }
    let units = match engine.container(name_or_id) {
        Ok(h) => {
            let rec = h.get().await?;
            let unit = container_unit_name(a, &rec);
            let paths = ContainerPaths::new(config, &rec.id);
            let text = unit_text(a, &rec, &base, &unit, &paths, &config.runroot, None);
            vec![(unit, text)]
        }
        Err(ContainerError::NotFound(_)) => match engine.pod(name_or_id) {
            Ok(p) => {
                let pod = p.get().await?;
                super::generate_pod::pod_units(a, engine, &pod, &base)?
            }
            Err(PodError::NotFound(_)) => {
                return Err(Error::new(
                    ErrorKind::NoSuchContainer,
                    format!(
                        "{name_or_id} does not refer to a container or pod: no pod with name or ID {name_or_id} found: no such pod: no container with name or ID \"{name_or_id}\" found: no such container"
                    ),
                ))
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => return Err(e.into()),
    };
    Ok(GenerateSystemdReport {
        units: units.into_iter().collect(),
    })
}

/// `container-<name or id>.service` (prefix and separator as given).
pub(super) fn container_unit_name(a: &GenerateSystemdOptions, rec: &ContainerRecord) -> String {
    let ident = if a.use_name { &rec.name } else { &rec.id };
    format!("{}{}{}.service", a.container_prefix, a.separator, ident)
}

/// The unit of one container; `pod` names the pod's unit and the pod
/// (name or id) when the container is generated as a pod member.
pub(super) fn unit_text(
    a: &GenerateSystemdOptions,
    rec: &ContainerRecord,
    base: &[String],
    unit: &str,
    paths: &ContainerPaths,
    runroot: &std::path::Path,
    pod: Option<(&str, &str)>,
) -> String {
    let stop_time = a
        .stop_timeout
        .or(rec.options.stop_timeout)
        .unwrap_or(DEFAULT_STOP_TIMEOUT);
    let ident = if a.use_name { &rec.name } else { &rec.id };
    let rpod = |args: &[String]| command_line(base, args);
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut t = String::new();
    unit_head(&mut t, a, unit, runroot);
    if let Some((pod_unit, _)) = pod {
        let _ = writeln!(t, "BindsTo={pod_unit}");
        let _ = writeln!(t, "After={pod_unit}");
    }
    t.push('\n');
    service_head(&mut t, a, stop_time);
    let time = stop_time.to_string();
    if a.new {
        let cid = "--cidfile=%t/%n.ctr-id".to_owned();
        let mut run = s(&["run", &cid, "--rm"]);
        if let Some((_, pod_name)) = pod {
            run.extend(s(&["--pod", pod_name]));
        }
        // The container's own readiness when it gives it, else the monitor's.
        let notify = if rec.options.sdnotify_container {
            "--sdnotify=container"
        } else {
            "--sdnotify=conmon"
        };
        run.extend(s(&[notify, "--replace", "-d"]));
        run.extend(run_args(&rec.name, &rec.options, &rec.image_name));
        let _ = writeln!(t, "ExecStart={}", rpod(&run));
        let _ = writeln!(
            t,
            "ExecStop={}",
            rpod(&s(&["stop", "--ignore", "-t", &time, &cid]))
        );
        let _ = writeln!(
            t,
            "ExecStopPost={}",
            rpod(&s(&["rm", "-f", "--ignore", "-t", &time, &cid]))
        );
        let _ = writeln!(t, "Type=notify");
        let _ = writeln!(t, "NotifyAccess=all");
    } else {
        let _ = writeln!(t, "ExecStart={}", rpod(&s(&["start", ident])));
        let _ = writeln!(t, "ExecStop={}", rpod(&s(&["stop", "-t", &time, ident])));
        let _ = writeln!(
            t,
            "ExecStopPost={}",
            rpod(&s(&["stop", "-t", &time, ident]))
        );
        let _ = writeln!(t, "PIDFile={}", paths.monitor.monitor_pid_file.display());
        let _ = writeln!(t, "Type=forking");
    }
    install(&mut t);
    t
}

/// The header comment and the common `[Unit]` lines.
pub(super) fn unit_head(
    t: &mut String,
    a: &GenerateSystemdOptions,
    unit: &str,
    runroot: &std::path::Path,
) {
    if !a.no_header {
        let _ = writeln!(t, "# {unit}");
        let _ = writeln!(t, "# autogenerated by rpod {}", env!("CARGO_PKG_VERSION"));
        let _ = writeln!(
            t,
            "# {}",
            chrono::Utc::now().format("%a %b %e %H:%M:%S UTC %Y")
        );
        t.push('\n');
    }
    let _ = writeln!(t, "[Unit]");
    let _ = writeln!(t, "Description=rpod {unit}");
    let _ = writeln!(t, "Documentation=man:rpod-generate-systemd(1)");
    let _ = writeln!(t, "Wants=network-online.target");
    let _ = writeln!(t, "After=network-online.target");
    let _ = writeln!(t, "RequiresMountsFor={}", runroot.display());
}

/// The common `[Service]` lines.
pub(super) fn service_head(t: &mut String, a: &GenerateSystemdOptions, stop_time: u64) {
    let _ = writeln!(t, "[Service]");
    let _ = writeln!(t, "Environment=RPOD_SYSTEMD_UNIT=%n");
    let _ = writeln!(t, "Restart={}", a.restart_policy);
    let _ = writeln!(t, "TimeoutStopSec={}", stop_time + 60);
}

/// The `[Install]` section.
pub(super) fn install(t: &mut String) {
    t.push('\n');
    let _ = writeln!(t, "[Install]");
    let _ = writeln!(t, "WantedBy=default.target");
}

/// Joins a command line for `ExecStart=` and friends.
pub(super) fn command_line(base: &[String], args: &[String]) -> String {
    base.iter()
        .chain(args)
        .map(|s| quote(s))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `run` flags that recreate a container like this one (`--new`).
/// The restart policy is left to systemd, as Podman does.
pub(super) fn run_args(name: &str, o: &ContainerOptions, image: &str) -> Vec<String> {
    let mut v = vec!["--name".to_owned(), name.to_owned()];
    let mut flag = |f: &str, val: &str| {
        v.push(format!("--{f}"));
        v.push(val.to_owned());
    };
    for e in &o.env {
        flag("env", e);
    }
    if let Some(w) = &o.workdir {
        flag("workdir", w);
    }
    if let Some(u) = &o.user {
        flag("user", u);
    }
    if let Some(h) = &o.hostname {
        flag("hostname", h);
    }
    for m in &o.mounts {
        let mut opts = m.options.clone();
        if m.readonly {
            opts.insert(0, "ro".into());
        }
        let spec = if opts.is_empty() {
            format!("{}:{}", m.source, m.destination)
        } else {
            format!("{}:{}:{}", m.source, m.destination, opts.join(","))
        };
        flag("volume", &spec);
    }
    if o.network == NetworkMode::Host {
        flag("network", "host");
    }
    if let Some(s) = o.log_max_size {
        flag("log-opt", &format!("max-size={s}"));
    }
    if let Some(n) = o.log_max_files {
        flag("log-opt", &format!("max-file={n}"));
    }
    for (k, val) in &o.labels {
        flag("label", &format!("{k}={val}"));
    }
    if let Some(sig) = o.stop_signal {
        flag("stop-signal", &sig.to_string());
    }
    if let Some(t) = o.stop_timeout {
        flag("stop-timeout", &t.to_string());
    }
    if let Some(h) = &o.healthcheck {
        let cmd = match h.test.split_first() {
            Some((k, rest)) if k == "CMD-SHELL" => rest.join(" "),
            _ => serde_json::to_string(&h.test[1.min(h.test.len())..]).unwrap_or_default(),
        };
        flag("health-cmd", &cmd);
        if h.interval_ms == 0 {
            flag("health-interval", "disable");
        } else {
            flag("health-interval", &format!("{}ms", h.interval_ms));
        }
        flag("health-timeout", &format!("{}ms", h.timeout_ms));
        flag("health-start-period", &format!("{}ms", h.start_period_ms));
        flag("health-retries", &h.retries.to_string());
        flag("health-on-failure", h.on_failure.as_str());
    }
    if let Some(ep) = &o.entrypoint {
        flag("entrypoint", &serde_json::to_string(ep).unwrap_or_default());
    }
    if o.tty {
        v.push("--tty".into());
    }
    if o.interactive {
        v.push("--interactive".into());
    }
    if o.read_only {
        v.push("--read-only".into());
    }
    v.push(image.to_owned());
    v.extend(o.command.iter().cloned());
    v
}

/// Quotes one word for a systemd command line: specifiers and variables
/// kept literal where they come from the container, spaces and quotes
/// escaped.
fn quote(s: &str) -> String {
    // Our own `%t/` (runtime directory) specifiers stay as they are.
    if s.starts_with("--cidfile=%t/") || s.starts_with("%t/") {
        return s.to_owned();
    }
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    if escaped.is_empty() || escaped.contains(|c: char| c.is_whitespace() || c == ';' || c == '\'')
    {
        format!("\"{escaped}\"")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_args_recreate_the_container() {
        let o = ContainerOptions {
            command: vec!["sleep".into(), "60".into()],
            env: vec!["A=b c".into()],
            network: NetworkMode::Host,
            tty: true,
            ..ContainerOptions::default()
        };
        assert_eq!(
            run_args("web", &o, "busybox"),
            [
                "--name",
                "web",
                "--env",
                "A=b c",
                "--network",
                "host",
                "--tty",
                "busybox",
                "sleep",
                "60"
            ]
        );
        assert_eq!(
            command_line(&["/usr/bin/rpod".into()], &["--env".into(), "A=b c".into()]),
            "/usr/bin/rpod --env \"A=b c\""
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote("$HOME 100%"), "\"$$HOME 100%%\"");
        assert_eq!(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("--cidfile=%t/%n.ctr-id"), "--cidfile=%t/%n.ctr-id");
    }
}
