//! `--cpu-rt-period` / `--cpu-rt-runtime`: real-time scheduling budgets of
//! the cgroup v1 cpu controller (`cpu.rt_period_us`, `cpu.rt_runtime_us`,
//! present where the kernel has RT group scheduling). Where the host
//! lacks them the values are dropped with Podman's warnings. The kernel
//! only grants a cgroup a budget its parent has: before the runtime
//! writes the container's, the parents rpod made (`/rpod`, a pod's) are
//! given what it asks for, top down.

use std::path::{Path, PathBuf};

use rpod_api::container_run::ResourceSpec;

use super::SpecError;

const CPU_ROOT: &str = "/sys/fs/cgroup/cpu";

/// Whether the host's cpu controller has RT group scheduling (v1 only).
pub fn supported() -> bool {
    !unified() && Path::new(CPU_ROOT).join("cpu.rt_runtime_us").exists()
}

fn unified() -> bool {
    Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

/// Podman's warnings for RT values the host cannot apply.
pub fn warnings(r: &ResourceSpec) -> Vec<&'static str> {
    let mut out = Vec::new();
    if r.cpu_rt_period.is_none() && r.cpu_rt_runtime.is_none() || supported() {
        return out;
    }
    let v2 = unified();
    if r.cpu_rt_period.is_some() {
        out.push(if v2 {
            "Realtime period not supported on cgroups V2 systems"
        } else {
            "Your kernel does not support CPU real-time period or the cgroup is not mounted. Period discarded."
        });
    }
    if r.cpu_rt_runtime.is_some() {
        out.push(if v2 {
            "Realtime runtime not supported on cgroups V2 systems"
        } else {
            "Your kernel does not support CPU real-time runtime or the cgroup is not mounted. Runtime discarded."
        });
    }
    out
}

fn read_us(dir: &Path, file: &str) -> Option<i64> {
    std::fs::read_to_string(dir.join(file))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The runtime `dir` needs for a child asking `runtime` per `period`,
/// in its own period.
fn needed(dir: &Path, runtime: i64, period: u64) -> i64 {
    let own_period = read_us(dir, "cpu.rt_period_us").unwrap_or(1_000_000);
    let period = i64::try_from(period.max(1)).unwrap_or(i64::MAX);
    let scaled = runtime.saturating_mul(own_period);
    scaled / period + i64::from(scaled % period != 0)
}

/// What the children of `dir` other than `except` already hold, in
/// `dir`'s period.
fn siblings_need(dir: &Path, except: &Path) -> i64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p != except)
        .map(|p| {
            let runtime = read_us(&p, "cpu.rt_runtime_us").unwrap_or(0);
            let period = read_us(&p, "cpu.rt_period_us").unwrap_or(1_000_000);
            needed(
                dir,
                runtime.max(0),
                u64::try_from(period).unwrap_or(1_000_000),
            )
        })
        .sum()
}

/// Gives the parents of the container's cgroup `cgroups_path` (below the
/// cpu hierarchy's root) the RT budget of `r`: each parent rpod made gets
/// the child's share on top of what it has, top down (the root's budget is
/// the host's and is never changed). Nothing to do without a runtime or
/// RT support.
pub fn grant_parents(cgroups_path: &str, r: &ResourceSpec) -> Result<(), SpecError> {
    let Some(runtime) = r.cpu_rt_runtime.filter(|&v| v > 0) else {
        return Ok(());
    };
    if !supported() {
        return Ok(());
    }
    let rel = Path::new(cgroups_path.trim_start_matches('/'));
    // Bottom up: each parent needs its other children's budgets and what
    // the child on the container's path needs (idempotent: a restart asks
    // for the same amounts again).
    let mut child = Path::new(CPU_ROOT).join(rel);
    let (mut runtime, mut period) = (runtime, r.cpu_rt_period.unwrap_or(1_000_000));
    let mut plan: Vec<(PathBuf, i64)> = Vec::new();
    for p in rel
        .ancestors()
        .skip(1)
        .filter(|p| !p.as_os_str().is_empty())
    {
        let dir = Path::new(CPU_ROOT).join(p);
        let want = siblings_need(&dir, &child).saturating_add(needed(&dir, runtime, period));
        runtime = want;
        period = read_us(&dir, "cpu.rt_period_us")
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(1_000_000);
        plan.push((dir.clone(), want));
        child = dir;
    }
    // Top down: a parent's budget must be there before its child's.
    for (dir, want) in plan.into_iter().rev() {
        std::fs::create_dir_all(&dir).map_err(|e| rt_error(&dir, &e))?;
        if read_us(&dir, "cpu.rt_runtime_us").unwrap_or(0) < want {
            std::fs::write(dir.join("cpu.rt_runtime_us"), want.to_string())
                .map_err(|e| rt_error(&dir, &e))?;
        }
    }
    Ok(())
}

fn rt_error(dir: &Path, e: &std::io::Error) -> SpecError {
    SpecError::Resources(format!(
        "giving {} a real-time budget: {}",
        dir.display(),
        rpod_api::error_chain::io_reason(e)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_to_warn_about_without_rt_values() {
        assert!(warnings(&ResourceSpec::default()).is_empty());
        assert!(grant_parents("/rpod/x", &ResourceSpec::default()).is_ok());
    }

    #[test]
    fn the_budget_scales_to_the_parents_period() {
        let dir = Path::new("/nonexistent-rpod-rt");
        assert_eq!(needed(dir, 10_000, 1_000_000), 10_000);
        assert_eq!(needed(dir, 10_000, 500_000), 20_000);
    }
}
