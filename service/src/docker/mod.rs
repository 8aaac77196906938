//! Docker Engine API shapes of the front door's reports and requests.
//! Podman's reports are mostly Docker's already (inspect keys, image
//! fields); these modules rename, prefix and reshape where Docker differs.

pub mod container;
pub mod create;
pub mod image;
pub mod query;
pub mod signal;
pub mod system;
pub mod update;

/// Docker's state names for rpod's (Podman's) container states.
pub fn docker_state(state: &str) -> &str {
    match state {
        "configured" | "initialized" | "created" => "created",
        "stopped" | "exited" => "exited",
        "stopping" => "running",
        other => other,
    }
}

/// An image id as Docker writes it (`sha256:` + hex).
pub fn image_id(id: &str) -> String {
    if id.is_empty() || id.starts_with("sha256:") {
        id.to_owned()
    } else {
        format!("sha256:{id}")
    }
}
