//! `rpod system service` for tests: started on a private socket, killed
//! when dropped; raw HTTP requests over its socket.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use rpod_tests::{unique_name, wait_until, TestEnv};

const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// A running `rpod system service`, SIGKILLed when dropped.
pub struct Service {
    pub child: Child,
    pub sock: PathBuf,
}

impl Service {
    pub fn start(env: &TestEnv, sock: &Path, time: &str) -> Service {
        let uri = format!("unix://{}", sock.display());
        let log =
            std::fs::File::create(env.dir().join(format!("service-{}.log", unique_name("s"))))
                .unwrap();
        let mut cmd = env.cmd(&["system", "service", "--time", time, &uri]);
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = cmd.spawn().expect("starting rpod system service");
        let service = Service {
            child,
            sock: sock.to_owned(),
        };
        service.wait_ready();
        service
    }

    pub fn wait_ready(&self) {
        wait_until(Duration::from_secs(30), "the API socket to answer", || {
            http(&self.sock, "GET", "/_ping", None)
                .map(|(status, _)| status == 200)
                .unwrap_or(false)
        });
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP/1.1 request over the unix socket (`Connection: close`); the
/// status and the body (chunked encoding undone).
pub fn http(
    sock: &Path,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut s = UnixStream::connect(sock)?;
    s.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}
