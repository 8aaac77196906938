//! Set-up shared by the end-to-end tests.

#![allow(dead_code)]

pub mod htpasswd_registry;
pub mod kube;
pub mod net;
pub mod service;

use std::time::Duration;

use rpod_tests::{Registry, TestEnv};
use serde_json::Value;

/// A registry with `fixtures` pushed and an environment that trusts it.
pub struct World {
    pub env: TestEnv,
    pub registry: Registry,
    pub images: Vec<String>,
}

pub fn world(fixtures: &[&str]) -> World {
    let registry = Registry::start();
    let images = fixtures.iter().map(|f| registry.push_fixture(f)).collect();
    let env = TestEnv::with_registry(&registry);
    World {
        env,
        registry,
        images,
    }
}

/// A world with the busybox fixture pulled; returns it and the image ref.
pub fn busybox() -> (World, String) {
    let w = world(&["busybox"]);
    let img = w.images[0].clone();
    w.env.ok(&["pull", "-q", &img]);
    (w, img)
}

pub fn inspect(env: &TestEnv, name: &str) -> Value {
    let out = env.ok(&["inspect", "--type", "container", name]);
    let v: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("inspect JSON: {e}\n{out}"));
    v[0].clone()
}

pub fn state_of(env: &TestEnv, name: &str) -> String {
    env.ok(&["inspect", "--format", "{{.State.Status}}", name])
        .trim()
        .to_owned()
}

pub fn wait_state(env: &TestEnv, name: &str, state: &str) {
    rpod_tests::wait_until(
        Duration::from_secs(20),
        &format!("{name} to be {state}"),
        || state_of(env, name) == state,
    );
}

/// Whether a process with this pid exists.
pub fn alive(pid: i64) -> bool {
    pid > 0
        && std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

/// Mounts under the test's directory still present.
pub fn mounts(env: &TestEnv) -> Vec<std::path::PathBuf> {
    rpod_tests::cleanup::mounts_under(env.dir())
}
