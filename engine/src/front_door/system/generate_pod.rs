//! `generate systemd` for a pod: one unit for the pod (which runs its infra
//! container) and one per member. The pod unit `Wants=`/`Before=` its
//! members; each member `BindsTo=`/`After=` the pod unit, as Podman lays
//! them out.

use std::fmt::Write as _;

use rpod_api::generate::GenerateSystemdOptions;
use rpod_api::{Error, Result};

use super::generate::{
    command_line, container_unit_name, install, service_head, unit_head, unit_text,
};
use crate::container::{ContainerPaths, DEFAULT_STOP_TIMEOUT};
use crate::engine::Engine;
use crate::pod::PodRecord;
use crate::state::ContainerRecord;

/// The units of `pod`, the pod's first: `(file name, text)`.
pub(super) fn pod_units(
    a: &GenerateSystemdOptions,
    engine: &Engine,
    pod: &PodRecord,
    base: &[String],
) -> Result<Vec<(String, String)>> {
    let config = engine.config();
    let members = engine.pod_members(&pod.id)?;
    let Some(infra) = members
        .iter()
        .find(|m| m.options.pod.as_ref().is_some_and(|p| p.infra))
    else {
        return Err(Error::invalid(format!(
            "generating systemd unit files for pod {:?}: pod has no infra container",
            pod.name
        )));
    };
    let pod_ident = if a.use_name { &pod.name } else { &pod.id };
    let pod_unit = format!("{}{}{}.service", a.pod_prefix, a.separator, pod_ident);
    let mut member_units = Vec::new();
    for m in members
        .iter()
        .filter(|m| m.options.pod.as_ref().is_none_or(|p| !p.infra))
    {
        let unit = container_unit_name(a, m);
        let paths = ContainerPaths::new(config, &m.id);
        let text = unit_text(
            a,
            m,
            base,
            &unit,
            &paths,
            &config.runroot,
            Some((&pod_unit, &pod.name)),
        );
        member_units.push((unit, text));
    }
    let stop_time = a.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT);
    let time = stop_time.to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let rpod = |args: &[String]| command_line(base, args);
    let mut t = String::new();
    unit_head(&mut t, a, &pod_unit, &config.runroot);
    let names: Vec<&str> = member_units.iter().map(|(u, _)| u.as_str()).collect();
    if !names.is_empty() {
        let _ = writeln!(t, "Wants={}", names.join(" "));
        let _ = writeln!(t, "Before={}", names.join(" "));
    }
    t.push('\n');
    service_head(&mut t, a, stop_time);
    if a.new {
        let stem = pod_unit.strip_suffix(".service").unwrap_or(&pod_unit);
        let pidfile = format!("%t/{stem}.pid");
        let idfile = format!("%t/{stem}.pod-id");
        let _ = writeln!(t, "ExecStartPre=/bin/rm -f {pidfile} {idfile}");
        let mut create = s(&[
            "pod",
            "create",
            "--infra-conmon-pidfile",
            &pidfile,
            "--pod-id-file",
            &idfile,
            "--exit-policy=stop",
            "--replace",
            "--name",
            &pod.name,
        ]);
        create.extend(create_args(pod, infra));
        let _ = writeln!(t, "ExecStartPre={}", rpod(&create));
        let _ = writeln!(t, "ExecStart={}", rpod(&s(&["pod", "start", &pod.name])));
        let _ = writeln!(
            t,
            "ExecStop={}",
            rpod(&s(&["pod", "stop", "--ignore", "-t", &time, &pod.name]))
        );
        let _ = writeln!(
            t,
            "ExecStopPost={}",
            rpod(&s(&["pod", "rm", "--ignore", "-f", "-t", &time, &pod.name]))
        );
        let _ = writeln!(t, "PIDFile={pidfile}");
    } else {
        let ident = if a.use_name { &infra.name } else { &infra.id };
        let paths = ContainerPaths::new(config, &infra.id);
        let _ = writeln!(t, "ExecStart={}", rpod(&s(&["start", ident])));
        let _ = writeln!(t, "ExecStop={}", rpod(&s(&["stop", "-t", &time, ident])));
        let _ = writeln!(
            t,
            "ExecStopPost={}",
            rpod(&s(&["stop", "-t", &time, ident]))
        );
        let _ = writeln!(t, "PIDFile={}", paths.monitor.monitor_pid_file.display());
    }
    let _ = writeln!(t, "Type=forking");
    install(&mut t);
    let mut units = vec![(pod_unit, t)];
    units.extend(member_units);
    Ok(units)
}

/// The `pod create` flags that recreate a pod like this one (`--new`).
fn create_args(pod: &PodRecord, infra: &ContainerRecord) -> Vec<String> {
    let o = &pod.options;
    let mut v = Vec::new();
    let mut flag = |f: &str, val: &str| {
        v.push(format!("--{f}"));
        v.push(val.to_owned());
    };
    flag("share", &o.share.join(","));
    if let Some(cmd) = &o.infra_command {
        flag(
            "infra-command",
            &serde_json::to_string(cmd).unwrap_or_default(),
        );
    }
    if o.infra_name.is_some() {
        flag("infra-name", &infra.name);
    }
    if let Some(h) = &o.hostname {
        flag("hostname", h);
    }
    for (k, val) in &o.labels {
        flag("label", &format!("{k}={val}"));
    }
    for p in &o.ports {
        flag("publish", p);
    }
    v
}
