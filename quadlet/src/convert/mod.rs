//! Translation of Quadlet files into service units, one module per type.

mod build;
pub mod common;
mod container;
mod kube;
mod mount;
mod pod;
mod resources;

use std::collections::BTreeMap;

use thiserror::Error;

use crate::keys;
use crate::unitfile::{extension, stem, UnitFile};

/// Why a file produced no unit (Podman's wording).
#[derive(Debug, Clone, Error)]
#[error("{0}")]
pub struct ConvertError(pub String);

/// A [`ConvertError`] with `msg`.
pub(crate) fn err(msg: impl Into<String>) -> ConvertError {
    ConvertError(msg.into())
}

/// What other units need to know about one Quadlet file.
#[derive(Debug, Clone, Default)]
pub struct UnitInfo {
    /// The generated service's name, without `.service`.
    pub service_name: String,
    /// The rpod resource it creates (container, volume, network, pod,
    /// image name); empty when not known without systemd's specifiers.
    pub resource_name: String,
    /// For pods: the container services started with the pod.
    pub containers_to_start: Vec<String>,
}

impl UnitInfo {
    pub fn service_file_name(&self) -> String {
        format!("{}.service", self.service_name)
    }
}

/// Quadlet files by file name.
pub type UnitsInfo = BTreeMap<String, UnitInfo>;

/// A generated service and the warnings met on the way.
pub struct Converted {
    pub service: UnitFile,
    pub warnings: Vec<String>,
}

/// The extensions Quadlet reads, with the order in which they are
/// converted (resources named by others first).
const EXTENSIONS: &[(&str, u8)] = &[
    (".artifact", 1),
    (".image", 1),
    (".volume", 2),
    (".network", 2),
    (".build", 3),
    (".container", 4),
    (".kube", 4),
    (".pod", 5),
];

pub fn is_supported_extension(ext: &str) -> bool {
    EXTENSIONS.iter().any(|(e, _)| *e == ext)
}

/// Conversion order of a file name (0 for unknown extensions).
pub fn order(filename: &str) -> u8 {
    let ext = extension(filename);
    EXTENSIONS
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, o)| *o)
        .unwrap_or(0)
}

fn group_of(ext: &str) -> Option<(&'static str, &'static str)> {
    Some(match ext {
        ".container" => (keys::G_CONTAINER, ""),
        ".kube" => (keys::G_KUBE, ""),
        ".volume" => (keys::G_VOLUME, "-volume"),
        ".network" => (keys::G_NETWORK, "-network"),
        ".image" => (keys::G_IMAGE, "-image"),
        ".build" => (keys::G_BUILD, "-build"),
        ".artifact" => (keys::G_ARTIFACT, "-artifact"),
        ".pod" => (keys::G_POD, "-pod"),
        _ => return None,
    })
}

/// The service name of a Quadlet file (`ServiceName=` or derived).
pub fn service_name(unit: &UnitFile) -> Option<String> {
    let (group, suffix) = group_of(extension(&unit.filename))?;
    if let Some(name) = unit.lookup(group, "ServiceName") {
        return Some(name);
    }
    let base = stem(&unit.filename);
    Some(match base.strip_suffix('@') {
        Some(b) => format!("{b}{suffix}@"),
        None => format!("{base}{suffix}"),
    })
}

/// `systemd-<stem>` or the group's name key; templates name `-%i`.
pub(crate) fn resource_name(unit: &UnitFile, group: &str, key: &str) -> String {
    if let Some(n) = unit.lookup_nonempty(group, key) {
        return n;
    }
    let name = format!("systemd-{}", stem(&unit.filename));
    if unit.filename.contains('@') {
        format!("{}-%i", &name[..name.len() - 1])
    } else {
        name
    }
}

/// The info of every file, computed before any is converted.
pub fn units_info(units: &[UnitFile]) -> (UnitsInfo, Vec<String>) {
    let mut map = UnitsInfo::new();
    let mut errors = Vec::new();
    for unit in units {
        let Some(service_name) = service_name(unit) else {
            errors.push(format!("Unsupported file type {:?}", unit.filename));
            continue;
        };
        let resource_name = match extension(&unit.filename) {
            ".container" => container::resolved_name(unit, &service_name),
            ".build" => unit
                .lookup_all(keys::G_BUILD, "ImageTag")
                .first()
                .cloned()
                .unwrap_or_default(),
            ".pod" => pod::pod_name(unit),
            _ => String::new(),
        };
        map.insert(
            unit.filename.clone(),
            UnitInfo {
                service_name,
                resource_name,
                containers_to_start: Vec::new(),
            },
        );
    }
    (map, errors)
}

/// Converts one file.
pub fn convert(
    unit: &UnitFile,
    infos: &mut UnitsInfo,
    is_user: bool,
) -> Result<Converted, ConvertError> {
    let mut warnings = Vec::new();
    let service = match extension(&unit.filename) {
        ".container" => container::convert(unit, infos, is_user, &mut warnings)?,
        ".volume" => resources::volume(unit, infos, is_user, &mut warnings)?,
        ".network" => resources::network(unit, infos, is_user, &mut warnings)?,
        ".image" => resources::image(unit, infos, is_user)?,
        ".kube" => kube::convert(unit, infos, is_user)?,
        ".build" => build::convert(unit, infos, is_user, &mut warnings)?,
        ".pod" => pod::convert(unit, infos, is_user, &mut warnings)?,
        ".artifact" => {
            return Err(ConvertError(
                "rpod does not support OCI artifacts (.artifact units)".into(),
            ))
        }
        _ => {
            return Err(ConvertError(format!(
                "unsupported file type {:?}",
                unit.filename
            )))
        }
    };
    Ok(Converted { service, warnings })
}
