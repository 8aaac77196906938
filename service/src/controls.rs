//! The controls of the attached sessions the service pumps (attach and
//! exec), so `resize` requests reach the process's terminal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rpod_api::container_run::AttachControl;

/// A session's control by key (`ctr:ID` for a container's attach,
/// `exec:ID` for an exec session).
#[derive(Default)]
pub struct Controls {
    map: Mutex<HashMap<String, Arc<dyn AttachControl>>>,
}

impl Controls {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<dyn AttachControl>>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session of `key` is pumped; the latest one is resized.
    pub fn register(&self, key: String, control: Box<dyn AttachControl>) {
        self.lock().insert(key, Arc::from(control));
    }

    /// The session of `key` ended.
    pub fn remove(&self, key: &str) {
        self.lock().remove(key);
    }

    pub fn get(&self, key: &str) -> Option<Arc<dyn AttachControl>> {
        self.lock().get(key).cloned()
    }
}
