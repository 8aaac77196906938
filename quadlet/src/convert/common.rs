//! What the unit types share: the rpod command line, the service skeleton,
//! references to other Quadlet units, volumes, networks, user mappings.

use std::collections::BTreeMap;
use std::path::Path;

use super::{err, ConvertError, UnitInfo, UnitsInfo};
use crate::keys::{self, G_QUADLET, G_SERVICE, G_UNIT};
use crate::unitfile::{extension, UnitFile};

/// The rpod binary the units call: `$RPOD` or the installed one.
pub fn rpod_binary() -> String {
    match std::env::var("RPOD") {
        Ok(p) if !p.is_empty() => p,
        _ => format!("{}/rpod", option_env!("RPOD_BINDIR").unwrap_or("/usr/bin")),
    }
}

/// An rpod command line under construction.
#[derive(Debug, Clone)]
pub struct Cmdline {
    pub args: Vec<String>,
}

impl Cmdline {
    /// `rpod` with the unit's `ContainersConfModule=` and `GlobalArgs=`.
    pub fn base(unit: &UnitFile, group: &str) -> Self {
        let mut c = Cmdline {
            args: vec![rpod_binary()],
        };
        for m in unit.lookup_all(group, "ContainersConfModule") {
            c.add(format!("--module={m}"));
        }
        c.args.extend(unit.lookup_all_args(group, "GlobalArgs"));
        c
    }

    pub fn add(&mut self, a: impl Into<String>) {
        self.args.push(a.into());
    }

    pub fn add2(&mut self, flag: &str, value: impl Into<String>) {
        self.add(flag);
        self.add(value);
    }

    /// `--flag` for true, `--flag=false` for false.
    pub fn add_bool(&mut self, flag: &str, v: bool) {
        if v {
            self.add(flag);
        } else {
            self.add(format!("{flag}=false"));
        }
    }

    /// `flag k=v` (or `flag k`) for each entry, in key order.
    pub fn add_keys(&mut self, flag: &str, map: &BTreeMap<String, Option<String>>) {
        for (k, v) in map {
            match v {
                Some(v) => self.add2(flag, format!("{k}={v}")),
                None => self.add2(flag, k.clone()),
            }
        }
    }

    /// `flag value` for each `(key, flag)` whose value is set and non-empty.
    pub fn strings(&mut self, unit: &UnitFile, group: &str, keys: &[(&str, &str)]) {
        for (key, flag) in keys {
            if let Some(v) = unit.lookup_nonempty(group, key) {
                self.add2(flag, v);
            }
        }
    }

    /// `flag value` for every value of each key.
    pub fn all_strings(&mut self, unit: &UnitFile, group: &str, keys: &[(&str, &str)]) {
        for (key, flag) in keys {
            for v in unit.lookup_all(group, key) {
                self.add2(flag, v);
            }
        }
    }

    pub fn bools(&mut self, unit: &UnitFile, group: &str, keys: &[(&str, &str)]) {
        for (key, flag) in keys {
            if let Some(v) = unit.lookup_bool(group, key) {
                self.add_bool(flag, v);
            }
        }
    }

    /// `KEY=VALUE` list keys; split errors become warnings.
    pub fn key_vals(
        &mut self,
        unit: &UnitFile,
        group: &str,
        keys: &[(&str, &str)],
        warnings: &mut Vec<String>,
    ) {
        for (key, flag) in keys {
            let (map, errs) = unit.lookup_all_key_val(group, key);
            warnings.extend(errs.iter().map(|e| e.to_string()));
            self.add_keys(flag, &map);
        }
    }

    pub fn podman_args(&mut self, unit: &UnitFile, group: &str) {
        self.args.extend(unit.lookup_all_args(group, "PodmanArgs"));
    }

    pub fn publish_ports(&mut self, unit: &UnitFile, group: &str) {
        for p in unit.lookup_all(group, "PublishPort") {
            self.add2("--publish", p);
        }
    }

    pub fn log_driver(&mut self, unit: &UnitFile, group: &str) {
        if let Some(d) = unit.lookup(group, "LogDriver") {
            self.add2("--log-driver", d);
        }
        for o in unit.lookup_all_strv(group, "LogOpt") {
            self.add2("--log-opt", o);
        }
    }
}

/// The service unit skeleton for `unit`: its lines copied, dependencies on
/// Quadlet units translated, default dependencies, `SourcePath=`, the
/// Quadlet group renamed to its `X-` form.
pub fn init_service(
    unit: &UnitFile,
    is_user: bool,
    infos: &UnitsInfo,
    group: &str,
) -> Result<UnitFile, ConvertError> {
    let info = infos.get(&unit.filename).ok_or_else(|| {
        err(format!(
            "internal error while processing container {}",
            unit.filename
        ))
    })?;
    keys::check_unknown(unit, group)?;
    let mut service = unit.clone();
    service.path = String::new();
    service.filename = info.service_file_name();
    translate_dependencies(&mut service, infos)?;
    if service.lookup_bool_or(G_QUADLET, "DefaultDependencies", true) {
        let net = if is_user {
            "rpod-user-wait-network-online.service"
        } else {
            "network-online.target"
        };
        service.prepend(G_UNIT, "After", net);
        service.prepend(G_UNIT, "Wants", net);
    }
    if !unit.path.is_empty() {
        service.add(G_UNIT, "SourcePath", &unit.path);
    }
    service.add(G_UNIT, "RequiresMountsFor", "%t/containers");
    service.rename_group(group, &format!("X-{group}"));
    service.rename_group(G_QUADLET, "X-Quadlet");
    Ok(service)
}

const DEPENDENCY_KEYS: &[&str] = &[
    "After",
    "Before",
    "BindsTo",
    "Conflicts",
    "OnFailure",
    "OnSuccess",
    "PartOf",
    "PropagatesReloadTo",
    "PropagatesStopTo",
    "ReloadPropagatedFrom",
    "Requires",
    "Requisite",
    "StopPropagatedFrom",
    "Upholds",
    "Wants",
];

/// `After=foo.network` becomes `After=foo-network.service`.
fn translate_dependencies(service: &mut UnitFile, infos: &UnitsInfo) -> Result<(), ConvertError> {
    for key in DEPENDENCY_KEYS {
        let deps = service.lookup_all_strv(G_UNIT, key);
        let mut translated = false;
        let mut out = Vec::with_capacity(deps.len());
        for dep in deps {
            if super::is_supported_extension(extension(&dep)) {
                let info = infos
                    .get(&dep)
                    .ok_or_else(|| err(format!("unable to translate dependency for {dep}")))?;
                out.push(info.service_file_name());
                translated = true;
            } else {
                out.push(dep);
            }
        }
        if translated {
            service.unset(G_UNIT, key);
            service.add(G_UNIT, key, &out.join(" "));
        }
    }
    Ok(())
}

/// Makes the service need the unit that provides `name` and returns that
/// unit's info.
fn require<'a>(
    service: &mut UnitFile,
    infos: &'a UnitsInfo,
    name: &str,
    missing: impl FnOnce() -> String,
) -> Result<&'a UnitInfo, ConvertError> {
    let info = infos.get(name).ok_or_else(|| err(missing()))?;
    let svc = info.service_file_name();
    service.add(G_UNIT, "Requires", &svc);
    service.add(G_UNIT, "After", &svc);
    Ok(info)
}

/// `Image=foo.build` / `foo.image`: the image that unit provides.
pub fn image_source(
    image: &str,
    service: &mut UnitFile,
    infos: &UnitsInfo,
) -> Result<String, ConvertError> {
    if image.ends_with(".build") || image.ends_with(".image") {
        let info = require(service, infos, image, || {
            format!("requested Quadlet image {image} was not found")
        })?;
        return Ok(info.resource_name.clone());
    }
    Ok(image.to_string())
}

/// Whether `p` starts with a systemd specifier (`%h`, not `%%`).
pub fn starts_with_specifier(p: &str) -> bool {
    p.starts_with('%') && !p.starts_with("%%")
}

/// `p` made absolute against the unit file's directory (paths starting
/// with a systemd specifier are left alone).
pub fn absolute_path(unit: &UnitFile, p: &str) -> String {
    if starts_with_specifier(p) || p.starts_with('/') {
        return p.to_string();
    }
    let base = if unit.path.is_empty() {
        std::env::current_dir().unwrap_or_default()
    } else {
        Path::new(&unit.path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    clean(&base.join(p).display().to_string())
}

/// Lexical path cleaning as Go's filepath.Clean.
pub fn clean(p: &str) -> String {
    let abs = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// The source of a volume or mount: paths need their mount, `.volume`
/// (`.image`, `.artifact` for mounts) units are required and named.
pub fn storage_source(
    unit: &UnitFile,
    service: &mut UnitFile,
    source: &str,
    infos: &UnitsInfo,
    check_image: bool,
) -> Result<String, ConvertError> {
    if source.is_empty() {
        return Err(err("source cannot be empty"));
    }
    let mut source = source.to_string();
    if source.starts_with('.') {
        source = absolute_path(unit, &source);
    }
    if source.starts_with('/') {
        service.add_escaped(G_UNIT, "RequiresMountsFor", &source);
    } else if source.ends_with(".volume")
        || (check_image && source.ends_with(".image"))
        || source.ends_with(".artifact")
    {
        let info = require(service, infos, &source, || {
            format!("requested Quadlet source {source} was not found")
        })?;
        source = info.resource_name.clone();
    }
    Ok(source)
}

/// `Volume=` lines as `-v` flags.
pub fn add_volumes(
    unit: &UnitFile,
    service: &mut UnitFile,
    group: &str,
    infos: &UnitsInfo,
    cmd: &mut Cmdline,
) -> Result<(), ConvertError> {
    for v in unit.lookup_all(group, "Volume") {
        let parts: Vec<&str> = v.splitn(3, ':').collect();
        let (source, dest) = if parts.len() >= 2 {
            (parts[0].to_string(), parts[1])
        } else {
            (String::new(), parts[0])
        };
        let options = parts.get(2).map(|o| format!(":{o}")).unwrap_or_default();
        let source = if source.is_empty() {
            source
        } else {
            storage_source(unit, service, &source, infos, false)?
        };
        cmd.add("-v");
        if source.is_empty() {
            cmd.add(dest);
        } else {
            cmd.add(format!("{source}:{dest}{options}"));
        }
    }
    Ok(())
}

/// `Network=` lines as `--network`, resolving `.network` and `.container`
/// units.
pub fn add_networks(
    unit: &UnitFile,
    group: &str,
    service: &mut UnitFile,
    infos: &UnitsInfo,
    cmd: &mut Cmdline,
) -> Result<(), ConvertError> {
    for network in unit.lookup_all(group, "Network") {
        if network.is_empty() {
            continue;
        }
        let (name, options) = match network.split_once(':') {
            Some((n, o)) => (n.to_string(), Some(o.to_string())),
            None => (network.clone(), None),
        };
        let is_net = name.ends_with(".network");
        let is_ctr = name.ends_with(".container");
        let mut value = network.clone();
        if is_net || is_ctr {
            let info = require(service, infos, &name, || {
                format!("requested Quadlet unit {name} was not found")
            })?;
            if info.resource_name.is_empty() {
                return Err(err(format!("cannot get the resource name of {name}")));
            }
            value =
                match (options, is_ctr) {
                    (Some(_), true) => return Err(err(
                        "extra options are not supported when joining another container's network",
                    )),
                    (Some(o), false) => format!("{}:{o}", info.resource_name),
                    (None, true) => format!("container:{}", info.resource_name),
                    (None, false) => info.resource_name.clone(),
                };
        }
        cmd.add2("--network", value);
    }
    Ok(())
}

/// `UserNS=`, `UIDMap=`, ... and the deprecated `Remap*` keys.
pub fn user_mappings(
    unit: &UnitFile,
    group: &str,
    cmd: &mut Cmdline,
    support_manual: bool,
) -> Result<(), ConvertError> {
    let mut defined = false;
    if let Some(u) = unit.lookup_nonempty(group, "UserNS") {
        cmd.add2("--userns", u);
        defined = true;
    }
    for (key, flag) in [("UIDMap", "--uidmap"), ("GIDMap", "--gidmap")] {
        for m in unit.lookup_all_strv(group, key) {
            cmd.add2(flag, m);
            defined = true;
        }
    }
    for (key, flag) in [("SubUIDMap", "--subuidname"), ("SubGIDMap", "--subgidname")] {
        if let Some(v) = unit.lookup_nonempty(group, key) {
            cmd.add2(flag, v);
            defined = true;
        }
    }
    if defined {
        if unit.has_key(group, "RemapUid")
            || unit.has_key(group, "RemapGid")
            || unit.has_key(group, "RemapUsers")
        {
            return Err(err(
                "deprecated Remap keys are set along with explicit mapping keys",
            ));
        }
        return Ok(());
    }
    user_remap(unit, group, cmd, support_manual)
}

fn user_remap(
    unit: &UnitFile,
    group: &str,
    cmd: &mut Cmdline,
    support_manual: bool,
) -> Result<(), ConvertError> {
    let uids = unit.lookup_all_strv(group, "RemapUid");
    let gids = unit.lookup_all_strv(group, "RemapGid");
    let mode = unit.lookup_last(group, "RemapUsers").unwrap_or_default();
    match mode.as_str() {
        "" => {
            if !uids.is_empty() {
                return Err(err("UidMap set without RemapUsers"));
            }
            if !gids.is_empty() {
                return Err(err("GidMap set without RemapUsers"));
            }
        }
        "manual" => {
            if !support_manual {
                return Err(err("RemapUsers=manual is not supported"));
            }
            for u in uids {
                cmd.add2("--uidmap", u);
            }
            for g in gids {
                cmd.add2("--gidmap", g);
            }
        }
        "auto" => {
            let mut opts: Vec<String> = uids.iter().map(|u| format!("uidmapping={u}")).collect();
            opts.extend(gids.iter().map(|g| format!("gidmapping={g}")));
            let size = unit.lookup_u32(group, "RemapUidSize", 0);
            if size > 0 {
                opts.push(format!("size={size}"));
            }
            cmd.add2("--userns", userns_opts("auto", &opts));
        }
        "keep-id" => {
            let mut opts = Vec::new();
            if uids.len() > 1 {
                return Err(err(
                    "RemapUsers=keep-id supports only a single value for UID mapping",
                ));
            }
            if gids.len() > 1 {
                return Err(err(
                    "RemapUsers=keep-id supports only a single value for GID mapping",
                ));
            }
            if let Some(u) = uids.first() {
                opts.push(format!("uid={u}"));
            }
            if let Some(g) = gids.first() {
                opts.push(format!("gid={g}"));
            }
            cmd.add2("--userns", userns_opts("keep-id", &opts));
        }
        other => return Err(err(format!("unsupported RemapUsers option '{other}'"))),
    }
    Ok(())
}

fn userns_opts(kind: &str, opts: &[String]) -> String {
    if opts.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}:{}", opts.join(","))
    }
}

/// `SetWorkingDirectory=`: sets the service's `WorkingDirectory=`; for
/// `.build` files returns the build context when it is a path or URL.
pub fn set_working_directory(
    unit: &UnitFile,
    service: &mut UnitFile,
    group: &str,
) -> Result<String, ConvertError> {
    let Some(value) = unit.lookup_nonempty(group, "SetWorkingDirectory") else {
        return Ok(String::new());
    };
    let mut context = String::new();
    let relative_to = match value.to_ascii_lowercase().as_str() {
        "yaml" => {
            if group != keys::G_KUBE {
                return Err(err(format!(
                    "SetWorkingDirectory={value} is only supported in .kube files"
                )));
            }
            let yamls = unit.lookup_all_strv(keys::G_KUBE, "Yaml");
            match yamls.len() {
                0 => return Err(err("no Yaml key specified")),
                1 => yamls[0].clone(),
                _ => return Err(err(
                    "SetWorkingDirectory=yaml is only supported when a single Yaml key is provided",
                )),
            }
        }
        "file" => {
            if group != keys::G_BUILD {
                return Err(err(format!(
                    "SetWorkingDirectory={value} is only supported in .build files"
                )));
            }
            unit.lookup(group, "File")
                .ok_or_else(|| err("no File key specified"))?
        }
        "unit" => unit.path.clone(),
        _ => {
            if group != keys::G_BUILD {
                return Err(err(format!(
                    "unsupported value for WorkingDirectory: {value} "
                )));
            }
            context = value.clone();
            if context.starts_with('/') {
                String::new()
            } else {
                unit.path.clone()
            }
        }
    };
    if !relative_to.is_empty() && !is_url(&context) {
        if unit
            .lookup_nonempty(G_SERVICE, "WorkingDirectory")
            .is_some()
        {
            return Ok(String::new());
        }
        let file = absolute_path(unit, &relative_to);
        let dir = Path::new(&file)
            .parent()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|| "/".to_string());
        service.add(G_SERVICE, "WorkingDirectory", &dir);
    }
    Ok(context)
}

/// Whether `s` is a URL a build can fetch (http(s)://, git://, github.com/).
pub fn is_url(s: &str) -> bool {
    s.starts_with("http://")
        || s.starts_with("https://")
        || s.starts_with("git://")
        || (s.starts_with("github.com/") && s.len() > "github.com/".len())
}

/// Oneshot defaults for resource units (volume, network, image, build).
pub fn oneshot_defaults(service: &mut UnitFile, remain_after_exit: bool) {
    if !service.has_key(G_SERVICE, "SyslogIdentifier") {
        service.set(G_SERVICE, "SyslogIdentifier", "%N");
    }
    if !service.has_key(G_SERVICE, "Type") {
        service.set(G_SERVICE, "Type", "oneshot");
    }
    if remain_after_exit && !service.has_key(G_SERVICE, "RemainAfterExit") {
        service.set(G_SERVICE, "RemainAfterExit", "yes");
    }
}

/// `KillMode=` must be mixed or control-group; mixed by default.
pub fn kill_mode(service: &mut UnitFile) -> Result<(), ConvertError> {
    match service.lookup(G_SERVICE, "KillMode") {
        Some(m) if m == "mixed" || m == "control-group" => Ok(()),
        Some(m) => Err(err(format!("invalid KillMode '{m}'"))),
        None => {
            service.set(G_SERVICE, "KillMode", "mixed");
            Ok(())
        }
    }
}

/// The service `Type=`: notify (default) or oneshot.
pub fn service_type(service: &UnitFile) -> Result<Option<String>, ConvertError> {
    match service.lookup(G_SERVICE, "Type") {
        Some(t) if t != "notify" && t != "oneshot" => {
            Err(err(format!("invalid service Type '{t}'")))
        }
        t => Ok(t),
    }
}
