//! `.pod` files: a forking service around `rpod pod create` / `pod start`.

use super::common::{self, Cmdline};
use super::{ConvertError, UnitsInfo};
use crate::keys::{G_POD as G, G_SERVICE, G_UNIT};
use crate::unitfile::{stem, UnitFile};

/// `PodName=` or `systemd-<stem>`.
pub(super) fn pod_name(unit: &UnitFile) -> String {
    unit.lookup_nonempty(G, "PodName")
        .unwrap_or_else(|| format!("systemd-{}", stem(&unit.filename)))
}

pub(super) fn convert(
    unit: &UnitFile,
    infos: &mut UnitsInfo,
    is_user: bool,
    warnings: &mut Vec<String>,
) -> Result<UnitFile, ConvertError> {
    let mut service = common::init_service(unit, is_user, infos, G)?;
    let name = pod_name(unit);
    let to_start = infos
        .get(&unit.filename)
        .map(|i| i.containers_to_start.clone())
        .unwrap_or_default();
    for ctr in to_start {
        service.add(G_UNIT, "Wants", &ctr);
        service.add(G_UNIT, "Before", &ctr);
    }
    if !unit.has_key(G_SERVICE, "SyslogIdentifier") {
        service.set(G_SERVICE, "SyslogIdentifier", "%N");
    }

    let mut start = Cmdline::base(unit, G);
    start.args.extend(["pod", "start"].map(String::from));
    start.add(name.clone());
    service.add_cmdline(G_SERVICE, "ExecStart", &start.args);

    let mut stop = Cmdline::base(unit, G);
    stop.args
        .extend(["pod", "stop", "--ignore"].map(String::from));
    let timeout = unit.lookup(G, "StopTimeout").unwrap_or_else(|| "10".into());
    stop.add(format!("--time={timeout}"));
    stop.add(name.clone());
    service.add_cmdline(G_SERVICE, "ExecStop", &stop.args);

    let mut rm = Cmdline::base(unit, G);
    rm.args
        .extend(["pod", "rm", "--ignore", "--force"].map(String::from));
    rm.add(name.clone());
    service.add_cmdline(G_SERVICE, "ExecStopPost", &rm.args);

    let mut create = Cmdline::base(unit, G);
    create.args.extend(
        [
            "pod",
            "create",
            "--infra-conmon-pidfile=%t/%N.pid",
            "--replace",
        ]
        .map(String::from),
    );
    create.add2(
        "--exit-policy",
        unit.lookup(G, "ExitPolicy")
            .unwrap_or_else(|| "stop".into()),
    );
    common::user_mappings(unit, G, &mut create, true)?;
    create.publish_ports(unit, G);
    create.key_vals(unit, G, &[("Label", "--label")], warnings);
    common::add_networks(unit, G, &mut service, infos, &mut create)?;
    create.strings(
        unit,
        G,
        &[("IP", "--ip"), ("IP6", "--ip6"), ("ShmSize", "--shm-size")],
    );
    create.all_strings(
        unit,
        G,
        &[
            ("NetworkAlias", "--network-alias"),
            ("DNS", "--dns"),
            ("DNSOption", "--dns-option"),
            ("DNSSearch", "--dns-search"),
            ("AddHost", "--add-host"),
            ("HostName", "--hostname"),
        ],
    );
    common::add_volumes(unit, &mut service, G, infos, &mut create)?;
    create.add2("--infra-name", format!("{name}-infra"));
    create.add2("--name", name);
    create.podman_args(unit, G);
    service.add_cmdline(G_SERVICE, "ExecStartPre", &create.args);

    service.add(G_SERVICE, "Environment", "PODMAN_SYSTEMD_UNIT=%n");
    service.set(G_SERVICE, "Type", "forking");
    service.set(G_SERVICE, "Restart", "on-failure");
    service.set(G_SERVICE, "PIDFile", "%t/%N.pid");
    Ok(service)
}
