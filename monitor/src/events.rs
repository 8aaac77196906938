//! Events the monitor appends to the engine's events file or sends to
//! the journal.

use rpod_proto::events::{record, Event};
use rpod_proto::MonitorConfig;

use crate::clock::now_nanos;
use crate::diag;

/// Appends a container event; failures are logged, never fatal.
pub fn emit(cfg: &MonitorConfig, status: &str, exit_code: Option<i32>, health: &str) {
    let Some(ev) = &cfg.events else {
        return;
    };
    let mut event = Event::container(ev, &cfg.id, status, now_nanos());
    event.exit_code = exit_code;
    event.health_status = health.to_owned();
    if let Err(e) = record(ev, &event) {
        let to = if ev.journald {
            "the journal".to_owned()
        } else {
            ev.path.display().to_string()
        };
        diag::warn(&format!("write event to {to}: {e}"));
    }
}
