//! Helpers shared by the survival tests.

#![allow(dead_code)]

use std::path::PathBuf;

use rpod_tests::TestEnv;
use serde_json::Value;

/// Pids of rpod CLI processes working on this test's root.
pub fn rpod_processes(env: &TestEnv) -> Vec<i32> {
    processes(env, &rpod_tests::rpod_bin())
}

/// Pids of pod-monitor processes of this test's run root.
pub fn monitor_processes(env: &TestEnv) -> Vec<i32> {
    processes(env, &rpod_tests::monitor_bin())
}

fn processes(env: &TestEnv, bin: &std::path::Path) -> Vec<i32> {
    let dir = env.dir().display().to_string();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if exe == bin && String::from_utf8_lossy(&cmdline).contains(&dir) {
            pids.push(pid);
        }
    }
    pids
}

/// The events file of the environment, parsed.
pub fn events(env: &TestEnv) -> Vec<Value> {
    let path = env.root().join("events").join("events.log");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Statuses of the events of container `id`, in order.
pub fn event_statuses(env: &TestEnv, id: &str) -> Vec<String> {
    events(env)
        .into_iter()
        .filter(|e| e["ID"] == id)
        .map(|e| e["Status"].as_str().unwrap().to_owned())
        .collect()
}

/// Files left in the lock directory.
pub fn lock_files(env: &TestEnv) -> Vec<PathBuf> {
    std::fs::read_dir(env.runroot().join("locks"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "lock"))
                .filter(|p| p.file_stem().is_some_and(|s| s.len() == 64))
                .collect()
        })
        .unwrap_or_default()
}

pub fn kill9(pid: i64) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
}
