//! Restart policies enforced by the monitor, and the restart state file it
//! keeps beside the container's log so the engine can show restart counts.

use serde::{Deserialize, Serialize};

use crate::ExitRecord;

/// Podman's `--restart` policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    No,
    OnFailure,
    Always,
    UnlessStopped,
    #[serde(other)]
    Unknown,
}

impl RestartPolicy {
    /// The policy's name as Podman spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnFailure => "on-failure",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
            RestartPolicy::Unknown => "",
        }
    }
}

/// `--restart POLICY[:MAX]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartConfig {
    pub policy: RestartPolicy,
    /// Most restarts for `on-failure`; 0 means unlimited.
    #[serde(default)]
    pub max_retries: u32,
}

impl RestartConfig {
    /// Parses Podman's `--restart` value (`no`, `on-failure[:N]`,
    /// `always`, `unless-stopped`).
    pub fn parse(s: &str) -> Result<RestartConfig, String> {
        let (name, max) = match s.split_once(':') {
            Some((n, m)) => (n, Some(m)),
            None => (s, None),
        };
        let policy = match name {
            "" | "no" => RestartPolicy::No,
            "on-failure" => RestartPolicy::OnFailure,
            "always" => RestartPolicy::Always,
            "unless-stopped" => RestartPolicy::UnlessStopped,
            _ => return Err(format!("invalid restart policy: {s}")),
        };
        let max_retries = match max {
            None => 0,
            Some(_) if policy != RestartPolicy::OnFailure => {
                return Err("restart policy retries can only be specified with on-failure".into())
            }
            Some(m) => m
                .parse::<u32>()
                .map_err(|_| format!("invalid restart policy: {s}"))?,
        };
        Ok(RestartConfig {
            policy,
            max_retries,
        })
    }

    /// Whether a process that exited with `code` after `restarts` restarts
    /// is started again.
    pub fn should_restart(&self, code: i32, restarts: u32) -> bool {
        match self.policy {
            RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
            RestartPolicy::OnFailure => {
                code != 0 && (self.max_retries == 0 || restarts < self.max_retries)
            }
            RestartPolicy::No | RestartPolicy::Unknown => false,
        }
    }
}

/// What the monitor writes (atomically) each time it restarts the process.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RestartState {
    /// Restarts done by the monitor since the container was started.
    pub count: u32,
    /// Between an exit and the next start (back-off, runtime create/start).
    #[serde(default)]
    pub restarting: bool,
    /// Process id of the current run (0 while restarting).
    #[serde(default)]
    pub pid: i32,
    /// Unix nanoseconds when the current run started.
    #[serde(default)]
    pub started_at: i64,
    /// How the previous run ended.
    #[serde(default)]
    pub last_exit: Option<ExitRecord>,
    /// Why the monitor gave up restarting, if it did.
    #[serde(default)]
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_policies() {
        let c = RestartConfig::parse("on-failure:3").unwrap();
        assert_eq!(c.policy, RestartPolicy::OnFailure);
        assert_eq!(c.max_retries, 3);
        assert_eq!(
            RestartConfig::parse("always").unwrap().policy,
            RestartPolicy::Always
        );
        assert_eq!(
            RestartConfig::parse("no").unwrap().policy,
            RestartPolicy::No
        );
        assert!(RestartConfig::parse("always:3").is_err());
        assert!(RestartConfig::parse("sometimes").is_err());
        assert!(RestartConfig::parse("on-failure:x").is_err());
    }

    #[test]
    fn decisions() {
        let c = RestartConfig::parse("on-failure:2").unwrap();
        assert!(c.should_restart(1, 0));
        assert!(c.should_restart(1, 1));
        assert!(!c.should_restart(1, 2));
        assert!(!c.should_restart(0, 0));
        let a = RestartConfig::parse("always").unwrap();
        assert!(a.should_restart(0, 1000));
        assert!(!RestartConfig::parse("no").unwrap().should_restart(1, 0));
    }

    #[test]
    fn unknown_policy_from_a_newer_engine_means_no_restart() {
        let c: RestartConfig = serde_json::from_str(r#"{"policy":"sometimes"}"#).unwrap();
        assert!(!c.should_restart(1, 0));
    }
}
