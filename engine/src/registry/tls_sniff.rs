//! Whether a registry answers a TLS ClientHello with plain HTTP. A registry
//! marked insecure is tried over HTTPS first and over plain HTTP when that
//! fails (as containers/image does). A server that answers the ClientHello
//! with an HTTP response (Go's HTTP server sends `HTTP/1.0 400 Bad
//! Request`) cannot complete a TLS handshake, so for it the HTTPS attempt
//! can only fail; skipping it spares its TLS client, whose first handshake
//! seeds the crypto library's random generator (about 30 ms of CPU here).
//! Any other answer — a TLS record, an alert, silence, a closed or refused
//! connection — leaves the decision to the real HTTPS attempt.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long the server may take to connect and to answer.
const SNIFF_TIMEOUT: Duration = Duration::from_secs(1);

/// Proxy variables the HTTPS attempt would follow (a direct connection
/// would then not ask the server that attempt reaches).
const PROXY_VARS: [&str; 4] = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

/// True only when `registry` (`host[:port]`, port 443 by default) answered
/// a ClientHello with an HTTP response.
pub(super) async fn answers_tls_with_http(registry: &str) -> bool {
    if PROXY_VARS
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
    {
        return false;
    }
    let addr = with_default_port(registry);
    let exchange = async {
        let mut conn = TcpStream::connect(addr.as_str()).await?;
        conn.write_all(&client_hello()).await?;
        let mut head = [0u8; 5];
        let mut got = 0;
        while got < head.len() {
            let n = conn.read(&mut head[got..]).await?;
            if n == 0 {
                break;
            }
            got += n;
        }
        Ok::<_, std::io::Error>(head[..got] == *b"HTTP/")
    };
    match tokio::time::timeout(SNIFF_TIMEOUT, exchange).await {
        Ok(Ok(http)) => http,
        Ok(Err(e)) => {
            tracing::debug!(registry, "TLS sniff: {e}");
            false
        }
        Err(_) => false,
    }
}

/// `registry` with `:443` added when it names no port (`[v6]` included).
fn with_default_port(registry: &str) -> String {
    let has_port = match registry.rsplit_once(':') {
        Some((host, port)) => {
            port.bytes().all(|b| b.is_ascii_digit())
                && !port.is_empty()
                && (!host.contains(':') || host.ends_with(']'))
        }
        None => false,
    };
    if has_port {
        registry.to_string()
    } else {
        format!("{registry}:443")
    }
}

/// A TLS 1.2 ClientHello (record and handshake headers, a fixed random,
/// two cipher suites, no extensions): enough for a TLS server to answer
/// with its hello or an alert, and for an HTTP server to answer that it
/// is not a request.
fn client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x03]; // client_version TLS 1.2
                                     // The random is any 32 bytes: these end in an empty line, so that an
                                     // HTTP server, which reads a request line and headers, answers at once
                                     // (no other byte of the hello is a line feed).
    body.extend((0u8..28).map(|i| i.wrapping_mul(37).wrapping_add(11)));
    body.extend(b"\r\n\r\n");
    body.push(0); // session_id
    body.extend([0x00, 0x04, 0xc0, 0x2f, 0x13, 0x01]); // cipher_suites
    body.extend([0x01, 0x00]); // compression_methods: null
    let mut handshake = vec![0x01]; // client_hello
    handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01]; // handshake record, TLS 1.0 framing
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A one-connection server that reads the hello, then answers `reply`
    /// (and closes), or closes at once for `None`.
    fn server(reply: Option<&'static [u8]>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut hello = [0u8; 5];
            conn.read_exact(&mut hello).unwrap();
            assert_eq!(hello[0], 0x16, "a TLS handshake record arrives");
            if let Some(reply) = reply {
                conn.write_all(reply).unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn only_an_http_answer_counts() {
        let http = server(Some(
            b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request",
        ));
        assert!(answers_tls_with_http(&http).await);
        let tls_alert = server(Some(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]));
        assert!(!answers_tls_with_http(&tls_alert).await);
        let closed = server(None);
        assert!(!answers_tls_with_http(&closed).await);
        let refused = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        assert!(!answers_tls_with_http(&refused).await);
    }

    #[test]
    fn ports_and_hello() {
        assert_eq!(with_default_port("example.com"), "example.com:443");
        assert_eq!(with_default_port("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(with_default_port("[::1]:5000"), "[::1]:5000");
        assert_eq!(with_default_port("[::1]"), "[::1]:443");
        let hello = client_hello();
        assert_eq!(
            hello.len(),
            5 + usize::from(u16::from_be_bytes([hello[3], hello[4]]))
        );
        assert_eq!(hello[5], 0x01);
        // One empty line, ending the random (bytes 11..43), and no other
        // line feed.
        let lf: Vec<usize> = (0..hello.len()).filter(|&i| hello[i] == b'\n').collect();
        assert_eq!(lf, [40, 42]);
    }
}
