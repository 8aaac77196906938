//! A WebSocket client of the kubelet's channel protocol, for the streaming
//! URLs `Exec`, `Attach` and `PortForward` answer.

use std::collections::HashMap;
use std::net::TcpStream;
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::{Message, WebSocket};

/// What each channel carried, by channel.
pub type Channels = HashMap<u8, Vec<u8>>;

/// One stream's connection.
pub struct Ws {
    sock: WebSocket<TcpStream>,
    /// The subprotocol the server chose.
    pub protocol: String,
}

impl Ws {
    /// Opens `url` asking for `protocols` (comma-separated).
    pub fn open(url: &str, protocols: &str) -> Result<Ws, tungstenite::Error> {
        // The server's URLs are http://, as the kubelet's; the WebSocket
        // client's scheme is ws://.
        let ws_url = url.replacen("http://", "ws://", 1);
        let mut req = ws_url.into_client_request()?;
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(protocols).unwrap(),
        );
        let host = req.uri().authority().unwrap().to_string();
        let tcp = TcpStream::connect(host).map_err(tungstenite::Error::Io)?;
        // A guard against a hang, not a timed assertion: a read this long
        // means the stream is broken.
        tcp.set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let (sock, resp) = tungstenite::client::client(req, tcp).map_err(|e| match e {
            tungstenite::HandshakeError::Failure(e) => e,
            tungstenite::HandshakeError::Interrupted(_) => {
                tungstenite::Error::Io(std::io::ErrorKind::WouldBlock.into())
            }
        })?;
        let protocol = resp
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        Ok(Ws { sock, protocol })
    }

    /// Sends `data` on `channel`.
    pub fn send(&mut self, channel: u8, data: &[u8]) {
        let mut msg = vec![channel];
        msg.extend_from_slice(data);
        self.sock
            .send(Message::binary(msg))
            .expect("websocket send");
    }

    /// The next message: its channel and data; `None` once the server closed.
    pub fn recv(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            match self.sock.read() {
                Ok(Message::Binary(b)) => {
                    let (ch, data) = b.split_first().expect("a channel byte");
                    return Some((*ch, data.to_vec()));
                }
                Ok(Message::Close(_)) => {
                    // Answer the close, then read the end.
                    let _ = self.sock.flush();
                }
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return None
                }
                Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    panic!("no message from the streaming server for 120s")
                }
                Err(tungstenite::Error::Protocol(_)) => return None,
                Err(e) => panic!("websocket read: {e}"),
            }
        }
    }

    /// Reads until `channel` has carried `want`: all it carried so far.
    pub fn read_until(&mut self, channel: u8, want: &str) -> String {
        let mut got = Vec::new();
        while !String::from_utf8_lossy(&got).contains(want) {
            match self.recv() {
                Some((ch, data)) if ch == channel => got.extend_from_slice(&data),
                Some(_) => {}
                None => panic!(
                    "stream closed before {want:?} on channel {channel}: {:?}",
                    String::from_utf8_lossy(&got)
                ),
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    }

    /// Everything each channel carries until the server closes, with the
    /// messages in order (channel, length) to check the first ones.
    pub fn collect(&mut self) -> (Channels, Vec<(u8, usize)>) {
        let mut all = Channels::new();
        let mut order = Vec::new();
        while let Some((ch, data)) = self.recv() {
            order.push((ch, data.len()));
            all.entry(ch).or_default().extend_from_slice(&data);
        }
        (all, order)
    }

    /// Leaves: a close frame to the server.
    pub fn close(mut self) {
        let _ = self.sock.close(None);
        let _ = self.sock.flush();
    }
}

/// The text `channel` carried.
pub fn text(all: &Channels, channel: u8) -> String {
    String::from_utf8_lossy(all.get(&channel).map(Vec::as_slice).unwrap_or(b"")).into_owned()
}
