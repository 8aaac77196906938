//! What restart policies and health checks add to a `ps` row: Docker's
//! `Restarting (CODE) N seconds ago` while the monitor is between two runs,
//! and Podman's `(healthy)`/`(unhealthy)`/`(starting)` suffix.

use rpod_engine::config::EngineConfig;
use rpod_engine::container::{health, restart};
use rpod_engine::state::{ContainerRecord, ContainerState};
use serde_json::Value;

use crate::human;

/// Adjusts the `Status` (and `State`) of a ps row built for `c`.
pub fn decorate(config: &EngineConfig, c: &ContainerRecord, row: &mut Value) {
    if !c.state.has_monitor() {
        return;
    }
    if let Some(st) = restart::state(config, c).filter(|s| s.restarting) {
        let (code, at) = st
            .last_exit
            .map_or((0, c.created_at), |e| (e.code, e.finished_at));
        row["Status"] = Value::String(format!("Restarting ({code}) {} ago", human::since(at)));
        row["State"] = Value::String("restarting".into());
        return;
    }
    if c.state != ContainerState::Running {
        return;
    }
    if let Some(h) = health::state(config, c) {
        if let Some(Value::String(s)) = row.get_mut("Status") {
            s.push_str(&format!(" ({})", h.status));
        }
    }
}
