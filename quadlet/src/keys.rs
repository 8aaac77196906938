//! The keys each Quadlet group accepts (Podman 5.8's set), and those rpod
//! refuses because it lacks the option they map to.

use crate::convert::ConvertError;
use crate::unitfile::UnitFile;

pub const G_CONTAINER: &str = "Container";
pub const G_POD: &str = "Pod";
pub const G_VOLUME: &str = "Volume";
pub const G_NETWORK: &str = "Network";
pub const G_KUBE: &str = "Kube";
pub const G_IMAGE: &str = "Image";
pub const G_BUILD: &str = "Build";
pub const G_ARTIFACT: &str = "Artifact";
pub const G_SERVICE: &str = "Service";
pub const G_UNIT: &str = "Unit";
pub const G_INSTALL: &str = "Install";
pub const G_QUADLET: &str = "Quadlet";

const CONTAINER: &[&str] = &[
    "AddCapability",
    "AddDevice",
    "AddHost",
    "Annotation",
    "AppArmor",
    "AutoUpdate",
    "CgroupsMode",
    "ContainerName",
    "ContainersConfModule",
    "DNS",
    "DNSOption",
    "DNSSearch",
    "DropCapability",
    "Environment",
    "EnvironmentFile",
    "EnvironmentHost",
    "Entrypoint",
    "Exec",
    "ExposeHostPort",
    "GIDMap",
    "GlobalArgs",
    "Group",
    "GroupAdd",
    "HealthCmd",
    "HealthInterval",
    "HealthOnFailure",
    "HealthLogDestination",
    "HealthMaxLogCount",
    "HealthMaxLogSize",
    "HealthRetries",
    "HealthStartPeriod",
    "HealthStartupCmd",
    "HealthStartupInterval",
    "HealthStartupRetries",
    "HealthStartupSuccess",
    "HealthStartupTimeout",
    "HealthTimeout",
    "HostName",
    "HttpProxy",
    "IP6",
    "IP",
    "Image",
    "Label",
    "LogDriver",
    "LogOpt",
    "Mask",
    "Memory",
    "Mount",
    "Network",
    "NetworkAlias",
    "NoNewPrivileges",
    "Notify",
    "PidsLimit",
    "Pod",
    "PodmanArgs",
    "PublishPort",
    "Pull",
    "ReadOnly",
    "ReadOnlyTmpfs",
    "ReloadCmd",
    "ReloadSignal",
    "RemapGid",
    "RemapUid",
    "RemapUidSize",
    "RemapUsers",
    "Retry",
    "RetryDelay",
    "Rootfs",
    "RunInit",
    "SeccompProfile",
    "Secret",
    "SecurityLabelDisable",
    "SecurityLabelFileType",
    "SecurityLabelLevel",
    "SecurityLabelNested",
    "SecurityLabelType",
    "ServiceName",
    "ShmSize",
    "StopSignal",
    "StartWithPod",
    "StopTimeout",
    "SubGIDMap",
    "SubUIDMap",
    "Sysctl",
    "Timezone",
    "Tmpfs",
    "UIDMap",
    "Ulimit",
    "Unmask",
    "User",
    "UserNS",
    "VolatileTmp",
    "Volume",
    "WorkingDir",
];

const VOLUME: &[&str] = &[
    "ContainersConfModule",
    "Copy",
    "Device",
    "Driver",
    "GlobalArgs",
    "Group",
    "Image",
    "Label",
    "Options",
    "PodmanArgs",
    "ServiceName",
    "Type",
    "User",
    "VolumeName",
];

const NETWORK: &[&str] = &[
    "Label",
    "DNS",
    "ContainersConfModule",
    "GlobalArgs",
    "DisableDNS",
    "Driver",
    "Gateway",
    "IPAMDriver",
    "IPRange",
    "IPv6",
    "InterfaceName",
    "Internal",
    "NetworkName",
    "NetworkDeleteOnStop",
    "Options",
    "ServiceName",
    "Subnet",
    "PodmanArgs",
];

const KUBE: &[&str] = &[
    "AutoUpdate",
    "ConfigMap",
    "ContainersConfModule",
    "ExitCodePropagation",
    "GlobalArgs",
    "KubeDownForce",
    "LogDriver",
    "LogOpt",
    "Network",
    "PodmanArgs",
    "PublishPort",
    "RemapGid",
    "RemapUid",
    "RemapUidSize",
    "RemapUsers",
    "ServiceName",
    "SetWorkingDirectory",
    "UserNS",
    "Yaml",
];

const IMAGE: &[&str] = &[
    "AllTags",
    "Arch",
    "AuthFile",
    "CertDir",
    "ContainersConfModule",
    "Creds",
    "DecryptionKey",
    "GlobalArgs",
    "Image",
    "ImageTag",
    "OS",
    "PodmanArgs",
    "Policy",
    "Retry",
    "RetryDelay",
    "ServiceName",
    "TLSVerify",
    "Variant",
];

const BUILD: &[&str] = &[
    "Annotation",
    "Arch",
    "AuthFile",
    "BuildArg",
    "ContainersConfModule",
    "DNS",
    "DNSOption",
    "DNSSearch",
    "Environment",
    "File",
    "ForceRM",
    "GlobalArgs",
    "GroupAdd",
    "IgnoreFile",
    "ImageTag",
    "Label",
    "Network",
    "PodmanArgs",
    "Pull",
    "Retry",
    "RetryDelay",
    "Secret",
    "ServiceName",
    "SetWorkingDirectory",
    "Target",
    "TLSVerify",
    "Variant",
    "Volume",
];

const POD: &[&str] = &[
    "AddHost",
    "ContainersConfModule",
    "DNS",
    "DNSOption",
    "DNSSearch",
    "ExitPolicy",
    "GIDMap",
    "GlobalArgs",
    "HostName",
    "IP",
    "IP6",
    "Label",
    "Network",
    "NetworkAlias",
    "PodName",
    "PodmanArgs",
    "PublishPort",
    "RemapGid",
    "RemapUid",
    "RemapUidSize",
    "RemapUsers",
    "ServiceName",
    "ShmSize",
    "StopTimeout",
    "SubGIDMap",
    "SubUIDMap",
    "UIDMap",
    "UserNS",
    "Volume",
];

/// Keys Podman accepts whose option rpod does not have: `(group, key, why)`.
/// Using one fails the file, as an unknown key does, so that no unit is
/// written that would fail at start.
const NO_MODULE: &str = "rpod has no --module (containers.conf modules)";

const NOT_IN_RPOD: &[(&str, &str, &str)] = &[
    (G_CONTAINER, "ContainersConfModule", NO_MODULE),
    (G_VOLUME, "ContainersConfModule", NO_MODULE),
    (G_NETWORK, "ContainersConfModule", NO_MODULE),
    (G_KUBE, "ContainersConfModule", NO_MODULE),
    (G_IMAGE, "ContainersConfModule", NO_MODULE),
    (G_BUILD, "ContainersConfModule", NO_MODULE),
    (G_POD, "ContainersConfModule", NO_MODULE),
    (G_POD, "ShmSize", "rpod pod create has no --shm-size"),
    (G_POD, "Volume", "rpod pod create has no --volume"),
    (
        G_IMAGE,
        "DecryptionKey",
        "rpod pull has no --decryption-key",
    ),
];

fn supported(group: &str) -> &'static [&'static str] {
    match group {
        G_CONTAINER => CONTAINER,
        G_VOLUME => VOLUME,
        G_NETWORK => NETWORK,
        G_KUBE => KUBE,
        G_IMAGE => IMAGE,
        G_BUILD => BUILD,
        G_POD => POD,
        _ => &[],
    }
}

/// The first key of `group` (or of `[Quadlet]`) that is unknown, or known
/// to Podman but not supported by rpod, as an error naming it.
pub fn check_unknown(unit: &UnitFile, group: &str) -> Result<(), ConvertError> {
    let known = supported(group);
    for key in unit.keys(group) {
        if !known.contains(&key.as_str()) {
            return Err(unsupported(&key, group, unit, None));
        }
        if let Some((_, _, why)) = NOT_IN_RPOD
            .iter()
            .find(|(g, k, _)| *g == group && *k == key)
        {
            return Err(unsupported(&key, group, unit, Some(why)));
        }
    }
    for key in unit.keys(G_QUADLET) {
        if key != "DefaultDependencies" {
            return Err(unsupported(&key, G_QUADLET, unit, None));
        }
    }
    Ok(())
}

fn unsupported(key: &str, group: &str, unit: &UnitFile, why: Option<&str>) -> ConvertError {
    let mut msg = format!(
        "unsupported key '{key}' in group '{group}' in {}",
        unit.path
    );
    if let Some(why) = why {
        msg.push_str(&format!(" ({why})"));
    }
    ConvertError(msg)
}
