//! Exec sessions of the Docker API: created (`POST /containers/{id}/exec`),
//! started (`POST /exec/{id}/start`), inspected (`GET /exec/{id}/json`).
//! The service keeps them while it runs: the front door runs the process
//! when it is started and reports its exit to the attach that streams it.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;

/// What a create asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecConfig {
    pub container_id: String,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub tty: bool,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

/// Where an exec session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecState {
    Created,
    Running,
    /// Ended; the code when it is known.
    Exited(Option<i32>),
}

#[derive(Clone, Debug)]
pub struct ExecEntry {
    pub config: ExecConfig,
    pub state: ExecState,
}

/// The exec sessions of one service, by id.
#[derive(Default)]
pub struct Execs {
    sessions: Mutex<HashMap<String, ExecEntry>>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("no such exec session: {0}")]
    NotFound(String),
    #[error("exec session {0} has already been started")]
    AlreadyStarted(String),
}

/// 64 random hex digits, as Docker's ids.
fn new_id() -> String {
    let mut bytes = [0u8; 32];
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if filled.is_err() {
        // Unique within this process even without the random source.
        let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Execs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecEntry>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new session; its id.
    pub fn create(&self, config: ExecConfig) -> String {
        let id = new_id();
        self.lock().insert(
            id.clone(),
            ExecEntry {
                config,
                state: ExecState::Created,
            },
        );
        id
    }

    /// The session `id`.
    pub fn get(&self, id: &str) -> Result<ExecEntry, ExecError> {
        self.lock()
            .get(id)
            .cloned()
            .ok_or_else(|| ExecError::NotFound(id.to_owned()))
    }

    /// Marks the session running, once.
    pub fn start(&self, id: &str) -> Result<ExecConfig, ExecError> {
        let mut map = self.lock();
        let e = map
            .get_mut(id)
            .ok_or_else(|| ExecError::NotFound(id.to_owned()))?;
        if e.state != ExecState::Created {
            return Err(ExecError::AlreadyStarted(id.to_owned()));
        }
        e.state = ExecState::Running;
        Ok(e.config.clone())
    }

    /// The session's process ended.
    pub fn exited(&self, id: &str, code: Option<i32>) {
        if let Some(e) = self.lock().get_mut(id) {
            e.state = ExecState::Exited(code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        let x = Execs::default();
        let id = x.create(ExecConfig {
            cmd: vec!["ls".into()],
            ..Default::default()
        });
        assert_eq!(id.len(), 64);
        assert_ne!(id, x.create(ExecConfig::default()));
        assert_eq!(x.get(&id).unwrap().state, ExecState::Created);
        assert_eq!(x.start(&id).unwrap().cmd, ["ls"]);
        assert_eq!(x.start(&id), Err(ExecError::AlreadyStarted(id.clone())));
        x.exited(&id, Some(3));
        assert_eq!(x.get(&id).unwrap().state, ExecState::Exited(Some(3)));
        assert!(matches!(x.get("nope"), Err(ExecError::NotFound(_))));
    }
}
