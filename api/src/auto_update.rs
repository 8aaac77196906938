//! `auto-update`: containers labelled `io.containers.autoupdate` and run by
//! a systemd unit get their image updated and their unit restarted.

use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};

/// The label naming a container's policy (`registry`, `local`).
pub const AUTO_UPDATE_LABEL: &str = "io.containers.autoupdate";
/// The label naming the systemd unit that runs a container.
pub const SYSTEMD_UNIT_LABEL: &str = "PODMAN_SYSTEMD_UNIT";

/// `auto-update` flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoUpdateOptions {
    /// `--authfile`.
    pub authfile: Option<String>,
    /// `--dry-run`: report pending updates, change nothing.
    pub dry_run: bool,
    /// `--rollback` (default true): on a failed restart go back to the
    /// previous image and restart again.
    pub rollback: bool,
    /// `--tls-verify` when given.
    pub tls_verify: Option<bool>,
}

impl Default for AutoUpdateOptions {
    fn default() -> Self {
        AutoUpdateOptions {
            authfile: None,
            dry_run: false,
            rollback: true,
            tls_verify: None,
        }
    }
}

/// One container's outcome; the fields are Podman's `--format` fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "main.autoUpdateOutput")]
pub struct AutoUpdateReport {
    #[serde(rename = "Unit")]
    pub unit: String,
    /// `ID12 (NAME)`.
    #[serde(rename = "Container")]
    pub container: String,
    #[serde(rename = "ContainerName")]
    pub container_name: String,
    #[serde(rename = "ContainerID")]
    pub container_id: String,
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "Policy")]
    pub policy: String,
    /// `true`, `false`, `pending` (dry run), `failed`, `rolled back`.
    #[serde(rename = "Updated")]
    pub updated: String,
}

/// The reports and the errors met (Podman prints the reports, then fails
/// with the errors joined).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AutoUpdateOutcome {
    pub reports: Vec<AutoUpdateReport>,
    pub errors: Vec<String>,
}
