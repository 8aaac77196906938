//! Shared by the `kube` tests: pods removed however a test ends, and the
//! check that a play left nothing behind.

use rpod_tests::TestEnv;

/// Removes every pod before the environment's own cleanup runs.
pub struct PodGuard<'a>(pub &'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
    }
}

/// No pod and no container is left.
pub fn nothing_left(env: &TestEnv) {
    assert_eq!(env.ok(&["pod", "ps", "-q"]).trim(), "");
    assert_eq!(env.ok(&["ps", "-aq"]).trim(), "");
}

/// The pod's published ports (`{{.InfraConfig.PortBindings}}`).
pub fn pod_ports(env: &TestEnv, pod: &str) -> String {
    env.ok(&[
        "pod",
        "inspect",
        "--format",
        "{{.InfraConfig.PortBindings}}",
        pod,
    ])
}
