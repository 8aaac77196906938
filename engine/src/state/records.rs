//! Rows of the state database as Rust values.

use crate::container::ContainerOptions;

/// Podman's container states, plus the transient ones rpod records so an
/// interrupted operation is noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// Row and storage exist; never started (Podman: "created").
    Created,
    /// The runtime has created it; `start` not yet run.
    Initialized,
    Running,
    Paused,
    Stopping,
    Exited,
    Removing,
}

impl ContainerState {
    /// The state's name, which is also Podman's status word.
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerState::Created => "created",
            ContainerState::Initialized => "initialized",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Stopping => "stopping",
            ContainerState::Exited => "exited",
            ContainerState::Removing => "removing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => ContainerState::Created,
            "initialized" => ContainerState::Initialized,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "stopping" => ContainerState::Stopping,
            "exited" => ContainerState::Exited,
            "removing" => ContainerState::Removing,
            _ => return None,
        })
    }

    /// States in which a monitor should be alive.
    pub fn has_monitor(self) -> bool {
        matches!(
            self,
            ContainerState::Initialized
                | ContainerState::Running
                | ContainerState::Paused
                | ContainerState::Stopping
        )
    }
}

/// How the container's process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitInfo {
    pub code: i32,
    pub signal: Option<i32>,
    pub finished_at: i64,
    pub oom_killed: bool,
}

#[derive(Debug, Clone)]
pub struct ContainerRecord {
    pub id: String,
    pub name: String,
    pub image_id: String,
    pub image_name: String,
    pub options: ContainerOptions,
    /// The resolved command line (entrypoint + cmd), for `ps` and inspect.
    pub command: Vec<String>,
    pub state: ContainerState,
    /// Unix nanoseconds.
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub exit_code: Option<i32>,
    pub exit_signal: Option<i32>,
    pub oom_killed: bool,
    pub pid: i32,
    pub monitor_pid: i32,
    /// Runtime binary path used for this container.
    pub runtime: String,
    /// Why the container is in its state when something went wrong.
    pub error: String,
    /// The row's version: every write bumps it. A record whose fields were
    /// changed in memory without being written carries [`UNSAVED`] (or a
    /// generation the row has moved past), so it is never taken for the row.
    ///
    /// [`UNSAVED`]: ContainerRecord::UNSAVED
    pub generation: i64,
}

impl ContainerRecord {
    /// The command `ps` and `system df` show: Podman's is the container's
    /// command without the entrypoint, which infra and service containers
    /// do not have (catatonit is their entrypoint), so theirs is empty.
    pub fn listed_command(&self) -> Vec<String> {
        let infra = self.options.pod.as_ref().is_some_and(|p| p.infra);
        if (infra || self.options.service.is_some()) && self.options.command.is_empty() {
            return Vec::new();
        }
        self.command.clone()
    }

    /// A container that was just created: never started, no process.
    pub fn new_created(
        id: String,
        name: String,
        options: ContainerOptions,
        command: Vec<String>,
        runtime: String,
        created_at: i64,
    ) -> Self {
        ContainerRecord {
            id,
            name,
            image_id: String::new(),
            image_name: String::new(),
            options,
            command,
            state: ContainerState::Created,
            created_at,
            started_at: None,
            finished_at: None,
            exit_code: None,
            exit_signal: None,
            oom_killed: false,
            pid: 0,
            monitor_pid: 0,
            runtime,
            error: String::new(),
            generation: 0,
        }
    }

    /// The generation of a record changed in memory only.
    pub const UNSAVED: i64 = -1;

    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}
