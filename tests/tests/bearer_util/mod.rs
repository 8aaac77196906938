//! A minimal Docker registry token server (the `auth: token:` scheme of distribution) for
//! tests: `GET /token?service=..&scope=..` with HTTP Basic credentials answers an ES256 JWT
//! whose `x5c` header carries a self-signed certificate that the registry trusts through its
//! `rootcertbundle`. The configured user gets every requested action; anyone without
//! credentials gets a token granting nothing; wrong credentials get 401.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rpod_tests::run_with_timeout;

/// The `service` the registry announces and the token's audience.
pub const SERVICE: &str = "rpod-test-registry";
/// The token's issuer.
pub const ISSUER: &str = "rpod-test-issuer";
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// One answered token request (its `Debug` output leaves the token out).
#[derive(Clone)]
pub struct Issued {
    /// The authenticated user (None: anonymous).
    pub user: Option<String>,
    /// HTTP status answered.
    pub status: u16,
    /// `repository:<name>:<actions>` entries granted, actions comma-joined.
    pub granted: Vec<String>,
    /// The JWT, if one was issued.
    pub token: Option<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("user", &self.user)
            .field("status", &self.status)
            .field("granted", &self.granted)
            .finish_non_exhaustive()
    }
}

struct Shared {
    user: String,
    password: String,
    key: PathBuf,
    cert_der_b64: String,
    issued: Mutex<Vec<Issued>>,
}

/// The running token server; stopped (and its thread joined) on drop.
pub struct TokenServer {
    addr: String,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

fn openssl(args: &[&str], dir: &Path) {
    let mut cmd = Command::new("openssl");
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(30));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TokenServer {
    /// Generates a P-256 key and self-signed certificate and starts serving on a free
    /// loopback port, accepting `user`/`password`.
    pub fn start(user: &str, password: &str) -> TokenServer {
        let dir = tempfile::Builder::new()
            .prefix("rpod-tokensrv-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        openssl(
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                "key.pem",
            ],
            d,
        );
        openssl(
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "key.pem",
                "-subj",
                "/CN=rpod-token-issuer",
                "-days",
                "2",
                "-out",
                "cert.pem",
            ],
            d,
        );
        openssl(
            &[
                "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der",
            ],
            d,
        );
        let der = std::fs::read(d.join("cert.der")).unwrap();
        let shared = Arc::new(Shared {
            user: user.to_string(),
            password: password.to_string(),
            key: d.join("key.pem"),
            cert_der_b64: b64(&der, STD, true),
            issued: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stop, shared) = (Arc::clone(&stop), Arc::clone(&shared));
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let shared = Arc::clone(&shared);
                    std::thread::spawn(move || serve(conn, &shared));
                }
            })
        };
        TokenServer {
            addr,
            stop,
            shared,
            thread: Some(thread),
            cert: d.join("cert.pem"),
            _dir: dir,
        }
    }

    /// The realm URL (`http://127.0.0.1:PORT/token`).
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// The `auth:` section of a registry configuration that trusts this server.
    pub fn registry_yaml(&self) -> String {
        format!(
            "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
            self.realm(),
            self.cert.display()
        )
    }

    /// Every token request answered so far.
    pub fn issued(&self) -> Vec<Issued> {
        self.shared.issued.lock().unwrap().clone()
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, shared: &Shared) {
    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
    let _ = conn.set_write_timeout(Some(IO_TIMEOUT));
    let mut reader = BufReader::new(&conn);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("authorization") {
                authorization = Some(v.trim().to_string());
            }
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (status, body) = if path == "/token" {
        token_response(query, authorization.as_deref(), shared)
    } else {
        (404, "{}".to_string())
    };
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        _ => "Not Found",
    };
    let mut conn = &conn;
    let _ = write!(
        conn,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Answers one token request and records it.
fn token_response(query: &str, authorization: Option<&str>, shared: &Shared) -> (u16, String) {
    let params: Vec<(String, String)> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (unescape(k), unescape(v)))
        .collect();
    let scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    let mut record = Issued {
        user: None,
        status: 401,
        granted: Vec::new(),
        token: None,
    };
    let user = match authorization {
        None => None,
        Some(h) => {
            let creds = h
                .strip_prefix("Basic ")
                .and_then(|b| b64_decode(b.trim()))
                .and_then(|raw| String::from_utf8(raw).ok());
            match creds.as_deref().and_then(|c| c.split_once(':')) {
                Some((u, p)) if u == shared.user && p == shared.password => Some(u.to_string()),
                _ => {
                    shared.issued.lock().unwrap().push(record);
                    return (
                        401,
                        r#"{"errors":[{"code":"UNAUTHORIZED","message":"invalid credentials"}]}"#
                            .into(),
                    );
                }
            }
        }
    };
    let service = params
        .iter()
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.as_str())
        .unwrap_or(SERVICE);
    let mut access = Vec::new();
    if user.is_some() {
        for s in &scopes {
            let mut parts = s.splitn(3, ':');
            let (Some("repository"), Some(name), Some(actions)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let actions: Vec<&str> = actions
                .split(',')
                .filter(|a| matches!(*a, "pull" | "push"))
                .collect();
            record
                .granted
                .push(format!("repository:{name}:{}", actions.join(",")));
            access
                .push(serde_json::json!({"type": "repository", "name": name, "actions": actions}));
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [shared.cert_der_b64]});
    let claims = serde_json::json!({
        "iss": ISSUER,
        "sub": user.clone().unwrap_or_default(),
        "aud": service,
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": format!("{now}-{}", std::process::id()),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes(), URL, false),
        b64(claims.to_string().as_bytes(), URL, false)
    );
    let signature = es256_sign(&shared.key, signing_input.as_bytes());
    let jwt = format!("{signing_input}.{}", b64(&signature, URL, false));
    record.user = user;
    record.status = 200;
    record.token = Some(jwt.clone());
    shared.issued.lock().unwrap().push(record);
    (
        200,
        serde_json::json!({"token": jwt, "access_token": jwt, "expires_in": 300}).to_string(),
    )
}

/// ECDSA P-256 SHA-256 signature of `data` as JWS wants it: r || s, 32 bytes each.
fn es256_sign(key: &Path, data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl dgst failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    der_to_raw(&out.stdout)
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` (short-form lengths: at most 72 bytes) → r || s.
fn der_to_raw(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30, "not a DER sequence: {der:?}");
    let mut pos = 2;
    let mut out = Vec::with_capacity(64);
    for _ in 0..2 {
        assert_eq!(der[pos], 0x02, "not a DER integer: {der:?}");
        let len = der[pos + 1] as usize;
        let mut int = &der[pos + 2..pos + 2 + len];
        while int.len() > 32 && int[0] == 0 {
            int = &int[1..];
        }
        assert!(int.len() <= 32, "integer too long: {der:?}");
        out.extend(std::iter::repeat_n(0u8, 32 - int.len()));
        out.extend_from_slice(int);
        pos += 2 + len;
    }
    out
}

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 of `data` with `alphabet`, `=`-padded if `pad`.
pub fn b64(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if pad {
            out.extend(std::iter::repeat_n('=', 3 - chunk.len()));
        }
    }
    out
}

/// Standard padded base64 → bytes.
fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = STD.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `%XX` and `+` decoding of a query component.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn codecs() {
    assert_eq!(b64(b"user:pw", STD, true), "dXNlcjpwdw==");
    assert_eq!(b64_decode("dXNlcjpwdw==").unwrap(), b"user:pw");
    assert_eq!(b64(&[0xfb, 0xff], URL, false), "-_8");
    assert_eq!(
        unescape("repository%3Ateam%2Fa%3Apull%2Cpush"),
        "repository:team/a:pull,push"
    );
    let mut der = vec![0x30, 0x45, 0x02, 0x21, 0x00];
    der.extend([0x80; 32]);
    der.extend([0x02, 0x20]);
    der.extend([0x01; 32]);
    let raw = der_to_raw(&der);
    assert_eq!(raw.len(), 64);
    assert_eq!(raw[0], 0x80);
    assert_eq!(raw[32], 0x01);
}
