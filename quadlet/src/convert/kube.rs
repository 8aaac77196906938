//! `.kube` files: `rpod kube play --service-container=true` services.

use super::common::{self, Cmdline};
use super::{ConvertError, UnitsInfo};
use crate::keys::{G_KUBE as G, G_SERVICE};
use crate::unitfile::UnitFile;

pub(super) fn convert(
    unit: &UnitFile,
    infos: &mut UnitsInfo,
    is_user: bool,
) -> Result<UnitFile, ConvertError> {
    let mut service = common::init_service(unit, is_user, infos, G)?;
    let yamls = unit.lookup_all_strv(G, "Yaml");
    if yamls.is_empty() {
        return Err(ConvertError("no Yaml key specified".into()));
    }
    let yamls: Vec<String> = yamls
        .iter()
        .map(|y| common::absolute_path(unit, y))
        .collect();
    common::kill_mode(&mut service)?;
    service.add(G_SERVICE, "Environment", "PODMAN_SYSTEMD_UNIT=%n");
    if common::service_type(&service)?.as_deref() != Some("oneshot") {
        service.set(G_SERVICE, "Type", "notify");
        service.set(G_SERVICE, "NotifyAccess", "all");
    }
    if !unit.has_key(G_SERVICE, "SyslogIdentifier") {
        service.set(G_SERVICE, "SyslogIdentifier", "%N");
    }

    let mut play = Cmdline::base(unit, G);
    play.add("kube");
    play.add("play");
    play.add("--replace");
    play.add("--service-container=true");
    if let Some(ecp) = unit.lookup_nonempty(G, "ExitCodePropagation") {
        play.add(format!("--service-exit-code-propagation={ecp}"));
    }
    play.log_driver(unit, G);
    common::user_mappings(unit, G, &mut play, false)?;
    common::add_networks(unit, G, &mut service, infos, &mut play)?;
    for update in unit.lookup_all_strv(G, "AutoUpdate") {
        // `ctr/registry` targets one container of the pod.
        match update.split_once('/') {
            Some((ctr, ty)) => {
                play.add(format!("--annotation=io.containers.autoupdate/{ctr}={ty}"))
            }
            None => play.add(format!("--annotation=io.containers.autoupdate={update}")),
        }
    }
    for cm in unit.lookup_all_strv(G, "ConfigMap") {
        play.add2("--configmap", common::absolute_path(unit, &cm));
    }
    play.publish_ports(unit, G);
    play.podman_args(unit, G);
    play.args.extend(yamls.iter().cloned());
    service.add_cmdline(G_SERVICE, "ExecStart", &play.args);

    let mut down = Cmdline::base(unit, G);
    down.add("kube");
    down.add("down");
    if let Some(force) = unit.lookup_bool(G, "KubeDownForce") {
        down.add_bool("--force", force);
    }
    down.args.extend(yamls);
    service.add_cmdline(G_SERVICE, "ExecStopPost", &down.args);
    common::set_working_directory(unit, &mut service, G)?;
    Ok(service)
}
