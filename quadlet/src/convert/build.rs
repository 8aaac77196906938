//! `.build` files: oneshot `rpod build` services.

use super::common::{self, Cmdline};
use super::{err, ConvertError, UnitsInfo};
use crate::keys::{G_BUILD as G, G_SERVICE};
use crate::unitfile::UnitFile;

pub(super) fn convert(
    unit: &UnitFile,
    infos: &mut UnitsInfo,
    is_user: bool,
    warnings: &mut Vec<String>,
) -> Result<UnitFile, ConvertError> {
    let mut service = common::init_service(unit, is_user, infos, G)?;
    if infos
        .get(&unit.filename)
        .is_none_or(|i| i.resource_name.is_empty())
    {
        return Err(err("no ImageTag key specified"));
    }
    let mut cmd = Cmdline::base(unit, G);
    cmd.add("build");
    if let Some(pull) = unit.lookup_nonempty(G, "Pull") {
        cmd.add(format!("--pull={pull}"));
    }
    cmd.strings(
        unit,
        G,
        &[
            ("Arch", "--arch"),
            ("AuthFile", "--authfile"),
            ("IgnoreFile", "--ignorefile"),
            ("Target", "--target"),
            ("Variant", "--variant"),
            ("Retry", "--retry"),
            ("RetryDelay", "--retry-delay"),
        ],
    );
    cmd.bools(
        unit,
        G,
        &[("TLSVerify", "--tls-verify"), ("ForceRM", "--force-rm")],
    );
    cmd.all_strings(
        unit,
        G,
        &[
            ("DNS", "--dns"),
            ("DNSOption", "--dns-option"),
            ("DNSSearch", "--dns-search"),
            ("GroupAdd", "--group-add"),
            ("ImageTag", "--tag"),
        ],
    );
    cmd.key_vals(
        unit,
        G,
        &[
            ("BuildArg", "--build-arg"),
            ("Environment", "--env"),
            ("Label", "--label"),
            ("Annotation", "--annotation"),
        ],
        warnings,
    );
    common::add_networks(unit, G, &mut service, infos, &mut cmd)?;
    for s in unit.lookup_all_args(G, "Secret") {
        cmd.add2("--secret", s);
    }
    common::add_volumes(unit, &mut service, G, infos, &mut cmd)?;
    let context = common::set_working_directory(unit, &mut service, G)?;
    let working_dir = service
        .lookup(G_SERVICE, "WorkingDirectory")
        .unwrap_or_default();
    let file = unit.lookup(G, "File").unwrap_or_default();
    if working_dir.is_empty() && file.is_empty() && context.is_empty() {
        return Err(err("neither SetWorkingDirectory, nor File key specified"));
    }
    if !file.is_empty() {
        cmd.add2("--file", file.clone());
    }
    cmd.podman_args(unit, G);
    if !context.is_empty() {
        cmd.add(context);
    } else if !common::starts_with_specifier(&file)
        && !file.starts_with('/')
        && !common::is_url(&file)
    {
        if working_dir.is_empty() {
            return Err(err(
                "relative path in File key requires SetWorkingDirectory key to be set",
            ));
        }
        cmd.add(working_dir);
    }
    service.add_cmdline(G_SERVICE, "ExecStart", &cmd.args);
    common::oneshot_defaults(&mut service, false);
    Ok(service)
}
