//! `.container` files: `rpod run` services.

use super::common::{self, Cmdline};
use super::{err, mount, ConvertError, UnitsInfo};
use crate::keys::{G_CONTAINER as G, G_SERVICE, G_UNIT};
use crate::unitfile::UnitFile;

/// The container name, possibly with systemd specifiers.
fn container_name(unit: &UnitFile) -> String {
    if let Some(n) = unit.lookup_nonempty(G, "ContainerName") {
        return n;
    }
    if unit.filename.contains('@') {
        "systemd-%p_%i".to_string()
    } else {
        "systemd-%N".to_string()
    }
}

/// The container name with `%N` resolved; empty if other specifiers remain.
pub(super) fn resolved_name(unit: &UnitFile, service_name: &str) -> String {
    let name = container_name(unit).replace("%N", service_name);
    if name.contains('%') {
        String::new()
    } else {
        name
    }
}

pub(super) fn convert(
    unit: &UnitFile,
    infos: &mut UnitsInfo,
    is_user: bool,
    warnings: &mut Vec<String>,
) -> Result<UnitFile, ConvertError> {
    let mut service = common::init_service(unit, is_user, infos, G)?;
    let image = unit.lookup(G, "Image").unwrap_or_default();
    let rootfs = unit.lookup(G, "Rootfs").unwrap_or_default();
    if image.is_empty() && rootfs.is_empty() {
        return Err(err("no Image or Rootfs key specified"));
    }
    if !image.is_empty() && !rootfs.is_empty() {
        return Err(err(
            "the Image And Rootfs keys conflict can not be specified together",
        ));
    }
    let image = if image.is_empty() {
        image
    } else {
        common::image_source(&image, &mut service, infos)?
    };
    let name = container_name(unit);

    service.add(G_SERVICE, "Environment", "PODMAN_SYSTEMD_UNIT=%n");
    common::kill_mode(&mut service)?;

    let mut stop = Cmdline::base(unit, G);
    stop.args.extend(["rm", "-v", "-f", "-i"].map(String::from));
    stop.add(name.clone());
    service.add_cmdline(G_SERVICE, "ExecStop", &stop.args);
    stop.args[0] = format!("-{}", stop.args[0]);
    service.add_cmdline(G_SERVICE, "ExecStopPost", &stop.args);

    exec_reload(unit, &mut service, &name, warnings)?;

    let mut run = Cmdline::base(unit, G);
    run.add("run");
    run.add2("--name", name);
    run.add("--replace");
    run.add("--rm");
    run.log_driver(unit, G);
    service.add(G_SERVICE, "Delegate", "yes");
    match unit.lookup_nonempty(G, "CgroupsMode") {
        Some(m) => run.add2("--cgroups", m),
        None => run.add("--cgroups=split"),
    }
    if let Some(ep) = unit.lookup(G, "Entrypoint") {
        run.add(format!("--entrypoint={ep}"));
    }
    run.strings(
        unit,
        G,
        &[
            ("Timezone", "--tz"),
            ("PidsLimit", "--pids-limit"),
            ("ShmSize", "--shm-size"),
            ("WorkingDir", "--workdir"),
            ("IP", "--ip"),
            ("IP6", "--ip6"),
            ("HostName", "--hostname"),
            ("StopSignal", "--stop-signal"),
            ("StopTimeout", "--stop-timeout"),
            ("Pull", "--pull"),
            ("Memory", "--memory"),
            ("Retry", "--retry"),
            ("RetryDelay", "--retry-delay"),
        ],
    );
    run.all_strings(
        unit,
        G,
        &[
            ("NetworkAlias", "--network-alias"),
            ("Ulimit", "--ulimit"),
            ("DNS", "--dns"),
            ("DNSOption", "--dns-option"),
            ("DNSSearch", "--dns-search"),
            ("GroupAdd", "--group-add"),
            ("AddHost", "--add-host"),
            ("Tmpfs", "--tmpfs"),
        ],
    );
    run.bools(
        unit,
        G,
        &[
            ("RunInit", "--init"),
            ("EnvironmentHost", "--env-host"),
            ("ReadOnlyTmpfs", "--read-only-tmpfs"),
            ("HttpProxy", "--http-proxy"),
        ],
    );
    common::add_networks(unit, G, &mut service, infos, &mut run)?;

    let service_type = common::service_type(&service)?;
    if service_type.as_deref() != Some("oneshot") {
        let notify = unit.lookup(G, "Notify");
        if notify
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case("healthy"))
        {
            // Ready when the health check first passes.
            run.add("--sdnotify=healthy");
        } else if unit.lookup_bool_or(G, "Notify", false) {
            run.add("--sdnotify=container");
        } else {
            run.add("--sdnotify=conmon");
        }
        service.set(G_SERVICE, "Type", "notify");
        service.set(G_SERVICE, "NotifyAccess", "all");
        run.add("-d");
    }
    if !unit.has_key(G_SERVICE, "SyslogIdentifier") {
        service.set(G_SERVICE, "SyslogIdentifier", "%N");
    }

    security(unit, &mut run);
    run_flags(unit, &mut run)?;
    common::user_mappings(unit, G, &mut run, true)?;
    common::add_volumes(unit, &mut service, G, infos, &mut run)?;

    if let Some(update) = unit.lookup_nonempty(G, "AutoUpdate") {
        run.add2("--label", format!("io.containers.autoupdate={update}"));
    }
    for port in unit.lookup_all(G, "ExposeHostPort") {
        let port = port.trim().to_string();
        if !is_port_range(&port) {
            return Err(err(format!("invalid port format '{port}'")));
        }
        run.add2("--expose", port);
    }
    run.publish_ports(unit, G);
    run.key_vals(
        unit,
        G,
        &[
            ("Environment", "--env"),
            ("Label", "--label"),
            ("Annotation", "--annotation"),
        ],
        warnings,
    );
    for m in unit.lookup_all_args(G, "Mask") {
        run.add2("--security-opt", format!("mask={m}"));
    }
    for m in unit.lookup_all_args(G, "Unmask") {
        run.add2("--security-opt", format!("unmask={m}"));
    }
    for f in unit.lookup_all_args(G, "EnvironmentFile") {
        run.add2("--env-file", common::absolute_path(unit, &f));
    }
    for s in unit.lookup_all_args(G, "Secret") {
        run.add2("--secret", s);
    }
    for m in unit.lookup_all_args(G, "Mount") {
        let resolved = mount::resolve(unit, &mut service, &m, infos)?;
        run.add2("--mount", resolved);
    }
    health(unit, &mut run);
    pod(unit, &mut service, infos, &mut run)?;
    run.podman_args(unit, G);
    if image.is_empty() {
        run.add2("--rootfs", rootfs);
    } else {
        run.add(image);
    }
    match unit.lookup_last_args(G, "Exec") {
        Ok(Some(args)) => run.args.extend(args),
        Ok(None) => {}
        Err(e) => warnings.push(e.to_string()),
    }
    service.add_cmdline(G_SERVICE, "ExecStart", &run.args);
    Ok(service)
}

/// `ReloadCmd=` / `ReloadSignal=` as `ExecReload=`.
fn exec_reload(
    unit: &UnitFile,
    service: &mut UnitFile,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<(), ConvertError> {
    let signal = unit.lookup_nonempty(G, "ReloadSignal");
    let cmd = match unit.lookup_last_args(G, "ReloadCmd") {
        Ok(c) => c.filter(|c| !c.is_empty()),
        Err(e) => {
            warnings.push(e.to_string());
            None
        }
    };
    let mut reload = Cmdline::base(unit, G);
    match (cmd, signal) {
        (None, None) => return Ok(()),
        (Some(_), Some(_)) => {
            return Err(err(
                "ReloadCmd and ReloadSignal are mutually exclusive but both are set",
            ))
        }
        (Some(cmd), None) => {
            reload.add2("exec", name);
            reload.args.extend(cmd);
        }
        (None, Some(sig)) => {
            reload.add("kill");
            reload.add2("--signal", sig);
            reload.add(name);
        }
    }
    service.add_cmdline(G_SERVICE, "ExecReload", &reload.args);
    Ok(())
}

fn security(unit: &UnitFile, run: &mut Cmdline) {
    if unit.lookup_bool_or(G, "NoNewPrivileges", false) {
        run.add("--security-opt=no-new-privileges");
    }
    if unit.lookup_bool_or(G, "SecurityLabelDisable", false) {
        run.add2("--security-opt", "label=disable");
    }
    if unit.lookup_bool_or(G, "SecurityLabelNested", false) {
        run.add2("--security-opt", "label=nested");
    }
    for (key, prefix) in [
        ("SecurityLabelType", "label=type:"),
        ("SecurityLabelFileType", "label=filetype:"),
        ("SecurityLabelLevel", "label=level:"),
        ("AppArmor", "apparmor="),
    ] {
        if let Some(v) = unit.lookup_nonempty(G, key) {
            run.add2("--security-opt", format!("{prefix}{v}"));
        }
    }
    for device in unit.lookup_all_strv(G, "AddDevice") {
        // A leading '-' makes a missing device optional.
        let device = match device.strip_prefix('-') {
            Some(d) => {
                let path = d.split(':').next().unwrap_or(d);
                if !std::path::Path::new(path).exists() {
                    continue;
                }
                d.to_string()
            }
            None => device,
        };
        run.add2("--device", device);
    }
    if let Some(p) = unit.lookup(G, "SeccompProfile") {
        run.add2("--security-opt", format!("seccomp={p}"));
    }
    for c in unit.lookup_all_strv(G, "DropCapability") {
        run.add2("--cap-drop", c.to_lowercase());
    }
    for c in unit.lookup_all_strv(G, "AddCapability") {
        run.add2("--cap-add", c.to_lowercase());
    }
    for s in unit.lookup_all_strv(G, "Sysctl") {
        run.add2("--sysctl", s);
    }
}

/// `ReadOnly=`, `VolatileTmp=`, `User=`/`Group=`.
fn run_flags(unit: &UnitFile, run: &mut Cmdline) -> Result<(), ConvertError> {
    let read_only = unit.lookup_bool(G, "ReadOnly");
    if let Some(ro) = read_only {
        run.add_bool("--read-only", ro);
    }
    if unit.lookup_bool_or(G, "VolatileTmp", false) && read_only != Some(true) {
        run.add2("--tmpfs", "/tmp:rw,size=512M,mode=1777");
    }
    let user = unit.lookup_nonempty(G, "User");
    let group = unit.lookup_nonempty(G, "Group");
    match (user, group) {
        (None, Some(_)) => return Err(err("invalid Group set without User")),
        (None, None) => {}
        (Some(u), None) => run.add2("--user", u),
        (Some(u), Some(g)) => run.add2("--user", format!("{u}:{g}")),
    }
    Ok(())
}

fn is_port_range(p: &str) -> bool {
    // `\d+(-\d+)?(/udp|/tcp)?$`, unanchored at the start as Podman's is.
    regex::Regex::new(r"\d+(-\d+)?(/udp|/tcp)?$")
        .map(|re| re.is_match(p))
        .unwrap_or(false)
}

fn health(unit: &UnitFile, run: &mut Cmdline) {
    for (key, flag) in [
        ("HealthCmd", "cmd"),
        ("HealthInterval", "interval"),
        ("HealthOnFailure", "on-failure"),
        ("HealthLogDestination", "log-destination"),
        ("HealthMaxLogCount", "max-log-count"),
        ("HealthMaxLogSize", "max-log-size"),
        ("HealthRetries", "retries"),
        ("HealthStartPeriod", "start-period"),
        ("HealthTimeout", "timeout"),
        ("HealthStartupCmd", "startup-cmd"),
        ("HealthStartupInterval", "startup-interval"),
        ("HealthStartupRetries", "startup-retries"),
        ("HealthStartupSuccess", "startup-success"),
        ("HealthStartupTimeout", "startup-timeout"),
    ] {
        if let Some(v) = unit.lookup_nonempty(G, key) {
            run.add2(&format!("--health-{flag}"), v);
        }
    }
}

/// `Pod=foo.pod`: join the pod and bind to its service.
fn pod(
    unit: &UnitFile,
    service: &mut UnitFile,
    infos: &mut UnitsInfo,
    run: &mut Cmdline,
) -> Result<(), ConvertError> {
    let Some(pod) = unit.lookup_nonempty(G, "Pod") else {
        return Ok(());
    };
    if !pod.ends_with(".pod") {
        return Err(err(format!("pod {pod} is not Quadlet based")));
    }
    let info = infos
        .get_mut(&pod)
        .ok_or_else(|| err(format!("quadlet pod unit {pod} does not exist")))?;
    run.add2("--pod", info.resource_name.clone());
    let svc = info.service_file_name();
    service.add(G_UNIT, "BindsTo", &svc);
    service.add(G_UNIT, "After", &svc);
    if unit.lookup_bool_or(G, "StartWithPod", true) {
        info.containers_to_start.push(service.filename.clone());
    }
    Ok(())
}
