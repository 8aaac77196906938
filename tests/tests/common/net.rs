//! Helpers of the networking tests: loopback HTTP, the test root's network
//! namespaces, a crash of a container with its monitor.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use rpod_tests::{wait_until, TestEnv};

/// busybox httpd serving `body` at / on port 80.
pub fn httpd_cmd(body: &str) -> String {
    format!("mkdir -p /www && echo {body} > /www/index.html && exec httpd -f -p 80 -h /www")
}

/// A port free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET /` on 127.0.0.1:`port`, the whole response (empty when refused).
pub fn http_get(port: u16) -> String {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Network namespaces mounted under the test root.
pub fn netns_mounts(env: &TestEnv) -> Vec<String> {
    let netns = env.runroot().join("netns");
    std::fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|m| m.starts_with(netns.to_str().unwrap()))
        .map(str::to_owned)
        .collect()
}

/// SIGKILLs the container `name` together with its monitor and waits until
/// both are gone.
pub fn kill_with_monitor(env: &TestEnv, name: &str) {
    let pids = env.ok(&[
        "inspect",
        "--format",
        "{{.State.ConmonPid}} {{.State.Pid}}",
        name,
    ]);
    let pids: Vec<i64> = pids
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    for pid in &pids {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*pid as i32),
            nix::sys::signal::SIGKILL,
        )
        .unwrap();
    }
    wait_until(Duration::from_secs(10), "the processes to die", || {
        pids.iter().all(|p| !super::alive(*p))
    });
}
