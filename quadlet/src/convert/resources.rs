//! `.volume`, `.network` and `.image` files: oneshot services that create
//! the resource once.

use super::common::{self, Cmdline};
use super::{err, resource_name, ConvertError, UnitsInfo};
use crate::keys::{G_IMAGE, G_NETWORK, G_SERVICE, G_UNIT, G_VOLUME};
use crate::unitfile::UnitFile;

fn set_resource(infos: &mut UnitsInfo, unit: &UnitFile, name: &str) {
    if let Some(info) = infos.get_mut(&unit.filename) {
        info.resource_name = name.to_string();
    }
}

/// `PodmanArgs=`, the resource's name last, the oneshot service that
/// creates it; records the name for the units that use it.
fn finish(
    unit: &UnitFile,
    group: &str,
    mut service: UnitFile,
    mut cmd: Cmdline,
    name: &str,
    infos: &mut UnitsInfo,
) -> Result<UnitFile, ConvertError> {
    cmd.podman_args(unit, group);
    cmd.add(name);
    service.add_cmdline(G_SERVICE, "ExecStart", &cmd.args);
    common::oneshot_defaults(&mut service, true);
    set_resource(infos, unit, name);
    Ok(service)
}

pub(super) fn volume(
    unit: &UnitFile,
    infos: &mut UnitsInfo,
    is_user: bool,
    warnings: &mut Vec<String>,
) -> Result<UnitFile, ConvertError> {
    const G: &str = G_VOLUME;
    let mut service = common::init_service(unit, is_user, infos, G)?;
    let name = resource_name(unit, G, "VolumeName");
    let mut cmd = Cmdline::base(unit, G);
    cmd.args
        .extend(["volume", "create", "--ignore"].map(String::from));
    let driver = unit.lookup(G, "Driver");
    if let Some(d) = &driver {
        cmd.add2("--driver", d.clone());
    }
    let mut opts: Vec<String> = Vec::new();
    let opt_prefix;
    if driver.as_deref() == Some("image") {
        opt_prefix = "image=";
        let image = unit
            .lookup(G, "Image")
            .ok_or_else(|| err("the key Image is mandatory when using the image driver"))?;
        opts.push(common::image_source(&image, &mut service, infos)?);
    } else {
        opt_prefix = "o=";
        if unit.has_key(G, "User") {
            opts.push(format!("uid={}", unit.lookup_u32(G, "User", 0)));
        }
        if unit.has_key(G, "Group") {
            opts.push(format!("gid={}", unit.lookup_u32(G, "Group", 0)));
        }
        if let Some(copy) = unit.lookup_bool(G, "Copy") {
            cmd.add2("--opt", if copy { "copy" } else { "nocopy" });
        }
        let device = unit.lookup_nonempty(G, "Device");
        if let Some(dev) = &device {
            cmd.add2("--opt", format!("device={dev}"));
        }
        if let Some(ty) = unit.lookup_nonempty(G, "Type") {
            let Some(dev) = &device else {
                return Err(err("key Type can't be used without Device"));
            };
            cmd.add2("--opt", format!("type={ty}"));
            if ty == "bind" {
                service.add_escaped(G_UNIT, "RequiresMountsFor", dev);
            }
        }
        if let Some(o) = unit.lookup_nonempty(G, "Options") {
            if device.is_none() {
                return Err(err("key Options can't be used without Device"));
            }
            opts.push(o);
        }
    }
    if !opts.is_empty() {
        cmd.add2("--opt", format!("{opt_prefix}{}", opts.join(",")));
    }
    cmd.key_vals(unit, G, &[("Label", "--label")], warnings);
    finish(unit, G, service, cmd, &name, infos)
}

pub(super) fn network(
    unit: &UnitFile,
    infos: &mut UnitsInfo,
    is_user: bool,
    warnings: &mut Vec<String>,
) -> Result<UnitFile, ConvertError> {
    const G: &str = G_NETWORK;
    let mut service = common::init_service(unit, is_user, infos, G)?;
    let name = resource_name(unit, G, "NetworkName");
    if unit.lookup_bool_or(G, "NetworkDeleteOnStop", false) {
        let mut rm = Cmdline::base(unit, G);
        rm.add("network");
        rm.add("rm");
        rm.add(name.clone());
        service.add_cmdline(G_SERVICE, "ExecStopPost", &rm.args);
    }
    let mut cmd = Cmdline::base(unit, G);
    cmd.args
        .extend(["network", "create", "--ignore"].map(String::from));
    cmd.bools(
        unit,
        G,
        &[
            ("DisableDNS", "--disable-dns"),
            ("Internal", "--internal"),
            ("IPv6", "--ipv6"),
        ],
    );
    cmd.strings(
        unit,
        G,
        &[
            ("Driver", "--driver"),
            ("IPAMDriver", "--ipam-driver"),
            ("InterfaceName", "--interface-name"),
        ],
    );
    cmd.all_strings(unit, G, &[("DNS", "--dns")]);
    let subnets = unit.lookup_all(G, "Subnet");
    let gateways = unit.lookup_all(G, "Gateway");
    let ranges = unit.lookup_all(G, "IPRange");
    if !subnets.is_empty() {
        if gateways.len() > subnets.len() {
            return Err(err("cannot set more gateways than subnets"));
        }
        if ranges.len() > subnets.len() {
            return Err(err("cannot set more ranges than subnets"));
        }
        for (i, s) in subnets.iter().enumerate() {
            cmd.add2("--subnet", s.clone());
            if let Some(g) = gateways.get(i) {
                cmd.add2("--gateway", g.clone());
            }
            if let Some(r) = ranges.get(i) {
                cmd.add2("--ip-range", r.clone());
            }
        }
    } else if !gateways.is_empty() || !ranges.is_empty() {
        return Err(err("cannot set gateway or range without subnet"));
    }
    cmd.key_vals(
        unit,
        G,
        &[("Options", "--opt"), ("Label", "--label")],
        warnings,
    );
    finish(unit, G, service, cmd, &name, infos)
}

pub(super) fn image(
    unit: &UnitFile,
    infos: &mut UnitsInfo,
    is_user: bool,
) -> Result<UnitFile, ConvertError> {
    const G: &str = G_IMAGE;
    let mut service = common::init_service(unit, is_user, infos, G)?;
    let image = unit
        .lookup_nonempty(G, "Image")
        .ok_or_else(|| err("no Image key specified"))?;
    let mut cmd = Cmdline::base(unit, G);
    cmd.add("image");
    cmd.add("pull");
    cmd.strings(
        unit,
        G,
        &[
            ("Arch", "--arch"),
            ("AuthFile", "--authfile"),
            ("CertDir", "--cert-dir"),
            ("Creds", "--creds"),
            ("OS", "--os"),
            ("Variant", "--variant"),
            ("Policy", "--policy"),
            ("Retry", "--retry"),
            ("RetryDelay", "--retry-delay"),
        ],
    );
    cmd.bools(
        unit,
        G,
        &[("AllTags", "--all-tags"), ("TLSVerify", "--tls-verify")],
    );
    cmd.podman_args(unit, G);
    cmd.add(image.clone());
    service.add_cmdline(G_SERVICE, "ExecStart", &cmd.args);
    common::oneshot_defaults(&mut service, true);
    let name = unit.lookup_nonempty(G, "ImageTag").unwrap_or(image);
    set_resource(infos, unit, &name);
    Ok(service)
}
