//! `linux.resources` from `--memory`, `--cpus`, `--pids-limit`, ... (the
//! runtime writes them into the container's cgroup), as Podman fills them.

use oci_spec::runtime::{Linux, LinuxCpu, LinuxMemory, LinuxPids, LinuxResources};
use rpod_api::container_run::ResourceSpec;

use super::SpecError;

/// The memory section, `None` when no memory flag was given.
fn memory(r: &ResourceSpec) -> Option<LinuxMemory> {
    let mut m = LinuxMemory::default();
    m.set_limit(r.memory);
    m.set_swap(r.memory_swap);
    m.set_reservation(r.memory_reservation);
    m.set_swappiness(r.memory_swappiness);
    if r.oom_kill_disable {
        m.set_disable_oom_killer(Some(true));
    }
    (m != LinuxMemory::default()).then_some(m)
}

/// The cpu section: `--cpus` becomes a 100ms period and its quota;
/// `--cpu-period`/`--cpu-quota` (which Podman refuses together with
/// `--cpus`) set them directly.
fn cpu(r: &ResourceSpec) -> Option<LinuxCpu> {
    let mut c = LinuxCpu::default();
    if let Some(n) = r.nano_cpus {
        let (period, quota) = ResourceSpec::cpus_period_quota(n);
        c.set_period(Some(period));
        c.set_quota(Some(quota));
    }
    if r.cpu_period.is_some() {
        c.set_period(r.cpu_period);
    }
    if r.cpu_quota.is_some() {
        c.set_quota(r.cpu_quota);
    }
    if super::realtime::supported() {
        c.set_realtime_period(r.cpu_rt_period);
        c.set_realtime_runtime(r.cpu_rt_runtime);
    }
    c.set_shares(r.cpu_shares);
    c.set_cpus(r.cpuset_cpus.clone());
    c.set_mems(r.cpuset_mems.clone());
    (c != LinuxCpu::default()).then_some(c)
}

/// The limits of `r` alone, as `runtime update --resources` reads them.
pub fn linux_resources(r: &ResourceSpec) -> Result<LinuxResources, SpecError> {
    let mut linux = Linux::default();
    linux.set_resources(Some(LinuxResources::default()));
    apply(&mut linux, r)?;
    Ok(linux.resources().clone().unwrap_or_default())
}

/// Adds the limits of `r` to the resources of `linux`.
pub fn apply(linux: &mut Linux, r: &ResourceSpec) -> Result<(), SpecError> {
    let mut res: LinuxResources = linux.resources().clone().unwrap_or_default();
    if let Some(m) = memory(r) {
        res.set_memory(Some(m));
    }
    if let Some(c) = cpu(r) {
        res.set_cpu(Some(c));
    }
    if let Some(limit) = r.pids_limit.filter(|&l| l != 0) {
        let mut p = LinuxPids::default();
        p.set_limit(limit);
        res.set_pids(Some(p));
    }
    if let Some(b) = super::blkio::block_io(r)? {
        res.set_block_io(Some(b));
    }
    linux.set_resources(Some(res));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_land_in_the_spec() {
        let mut linux = Linux::default();
        apply(&mut linux, &ResourceSpec::default()).unwrap();
        let res = linux.resources().clone().unwrap();
        assert!(res.memory().is_none() && res.cpu().is_none() && res.pids().is_none());
        let r = ResourceSpec {
            memory: Some(32 << 20),
            memory_swap: Some(64 << 20),
            nano_cpus: Some(500_000_000),
            cpu_shares: Some(512),
            pids_limit: Some(10),
            oom_kill_disable: true,
            ..Default::default()
        };
        apply(&mut linux, &r).unwrap();
        let res = linux.resources().clone().unwrap();
        let m = res.memory().unwrap();
        assert_eq!((m.limit(), m.swap()), (Some(32 << 20), Some(64 << 20)));
        assert_eq!(m.disable_oom_killer(), Some(true));
        let c = res.cpu().clone().unwrap();
        assert_eq!(
            (c.period(), c.quota(), c.shares()),
            (Some(100_000), Some(50_000), Some(512))
        );
        assert_eq!(res.pids().unwrap().limit(), 10);
    }
}
