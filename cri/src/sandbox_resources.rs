//! A sandbox's `resources` (the sum of its containers' limits) and
//! `overhead` as limits on the pod's cgroup.
//!
//! The kubelet makes the pod's cgroup itself and passes it as the
//! sandbox's `cgroup_parent`, with these limits already written (CRI-O only
//! records them then, and so does rpod: the CRI containers go below that
//! cgroup). A sandbox without a `cgroup_parent` has rpod's pod cgroup
//! (`/rpod/pod-ID`) as the parent of all its containers: that cgroup gets
//! `resources` plus `overhead`, as the kubelet sizes a pod cgroup.

use k8s_cri::v1 as cri;
use rpod_api::container_run::ResourceSpec;
use tonic::Status;

/// The pod cgroup's limits for `linux` (none when the kubelet gave a
/// cgroup parent, or no resources).
pub fn pod_limits(linux: &cri::LinuxPodSandboxConfig) -> Result<ResourceSpec, Status> {
    if !linux.cgroup_parent.is_empty() {
        return Ok(ResourceSpec::default());
    }
    let Some(r) = &linux.resources else {
        return Ok(ResourceSpec::default());
    };
    let mut out = crate::security::resources(r)?;
    // Not a cgroup setting: each container has its own.
    out.oom_score_adj = None;
    let Some(o) = &linux.overhead else {
        return Ok(out);
    };
    let over = crate::security::resources(o)?;
    let add = |limit: Option<i64>, extra: Option<i64>| limit.map(|l| l + extra.unwrap_or(0));
    out.memory = add(out.memory, over.memory);
    out.memory_swap = add(out.memory_swap, over.memory);
    out.cpu_shares = out.cpu_shares.map(|s| s + over.cpu_shares.unwrap_or(0));
    if let (Some(q), Some(oq)) = (out.cpu_quota, over.cpu_quota) {
        // The overhead's quota in the resources' period.
        let period = out.cpu_period.unwrap_or(100_000);
        let o_period = over.cpu_period.unwrap_or(100_000);
        let scaled = i64::try_from(
            u128::from(oq.unsigned_abs()) * u128::from(period) / u128::from(o_period.max(1)),
        )
        .map_err(|_| Status::invalid_argument("overhead cpu_quota out of range"))?;
        out.cpu_quota = Some(q + scaled);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(memory: i64, quota: i64, period: i64, shares: i64) -> cri::LinuxContainerResources {
        cri::LinuxContainerResources {
            memory_limit_in_bytes: memory,
            cpu_quota: quota,
            cpu_period: period,
            cpu_shares: shares,
            ..Default::default()
        }
    }

    #[test]
    fn resources_plus_overhead_without_a_cgroup_parent() {
        let mut linux = cri::LinuxPodSandboxConfig {
            resources: Some(res(64 << 20, 50_000, 100_000, 512)),
            overhead: Some(res(8 << 20, 5_000, 50_000, 10)),
            ..Default::default()
        };
        let r = pod_limits(&linux).unwrap();
        assert_eq!(r.memory, Some(72 << 20));
        assert_eq!(r.cpu_quota, Some(60_000));
        assert_eq!(r.cpu_period, Some(100_000));
        assert_eq!(r.cpu_shares, Some(522));
        linux.overhead = None;
        assert_eq!(pod_limits(&linux).unwrap().memory, Some(64 << 20));
        // Unlimited stays unlimited whatever the overhead.
        linux.resources = Some(res(0, 0, 0, 0));
        linux.overhead = Some(res(8 << 20, 5_000, 100_000, 10));
        assert_eq!(pod_limits(&linux).unwrap(), ResourceSpec::default());
        // The kubelet's own pod cgroup holds the containers: nothing here.
        linux.resources = Some(res(64 << 20, 0, 0, 0));
        linux.cgroup_parent = "/kubepods/podu".into();
        assert_eq!(pod_limits(&linux).unwrap(), ResourceSpec::default());
    }
}
