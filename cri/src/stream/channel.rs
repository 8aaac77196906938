//! The kubelet's channel protocol over WebSocket (`v5.channel.k8s.io`,
//! `v4.channel.k8s.io`): each binary message is one byte of channel number
//! and the data; the error channel carries a JSON `metav1.Status`, the
//! resize channel JSON terminal sizes; v5 adds a close message (channel 255).

use serde_json::json;

/// The subprotocols rpod speaks, preferred first.
pub const V5: &str = "v5.channel.k8s.io";
pub const V4: &str = "v4.channel.k8s.io";
pub const PROTOCOLS: [&str; 2] = [V5, V4];

pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
pub const ERROR: u8 = 3;
pub const RESIZE: u8 = 4;
/// v5: `[255, channel]` closes that channel (the client's stdin).
pub const CLOSE: u8 = 255;

/// One message from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// Data for a channel (stdin, or a forwarded port's data channel).
    Data(u8, &'a [u8]),
    /// A terminal size: (rows, columns).
    Resize(u16, u16),
    /// The client closed one of its channels (v5).
    Close(u8),
}

/// Why a client's message makes no sense.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("empty message")]
    Empty,
    #[error("invalid resize message: {0}")]
    Resize(String),
    #[error("close message without a channel")]
    Close,
}

#[derive(serde::Deserialize)]
struct TerminalSize {
    #[serde(rename = "Width")]
    width: u16,
    #[serde(rename = "Height")]
    height: u16,
}

/// Decodes one binary message; `resize` says whether channel 4 is the
/// resize channel (remote commands) or plain data (port forwarding), `v5`
/// whether channel 255 closes a channel.
pub fn decode(msg: &[u8], resize: bool, v5: bool) -> Result<Incoming<'_>, FrameError> {
    let (&channel, data) = msg.split_first().ok_or(FrameError::Empty)?;
    if v5 && channel == CLOSE {
        return data
            .first()
            .map(|c| Incoming::Close(*c))
            .ok_or(FrameError::Close);
    }
    if resize && channel == RESIZE {
        let size: TerminalSize =
            serde_json::from_slice(data).map_err(|e| FrameError::Resize(e.to_string()))?;
        return Ok(Incoming::Resize(size.height, size.width));
    }
    Ok(Incoming::Data(channel, data))
}

/// One message to the client on `channel`.
pub fn frame(channel: u8, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 1);
    out.push(channel);
    out.extend_from_slice(data);
    out
}

/// The error channel's message for a command that ended: success, or a
/// non-zero exit code as the kubelet reports it (kubectl takes the code from
/// the `ExitCode` cause).
pub fn exit_status(command: &str, code: i32) -> Vec<u8> {
    let status = if code == 0 {
        json!({"metadata": {}, "status": "Success"})
    } else {
        json!({
            "metadata": {},
            "status": "Failure",
            "message": format!(
                "command terminated with non-zero exit code: command '{command}' exited with {code}"
            ),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        })
    };
    status.to_string().into_bytes()
}

/// The error channel's message for a stream that failed.
pub fn internal_error(message: &str) -> Vec<u8> {
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!("Internal error occurred: {message}"),
        "reason": "InternalError",
        "details": {"causes": [{"message": message}]},
        "code": 500,
    })
    .to_string()
    .into_bytes()
}

/// The ports of a port-forward request's `port` query parameters (each a
/// number or a comma-separated list), as the kubelet reads them; none
/// given is an empty list.
pub fn ports(query: &str) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for pair in query.split('&') {
        let Some(value) = pair.strip_prefix("port=") else {
            continue;
        };
        if value.is_empty() {
            return Err("query parameter \"port\" cannot be empty".to_owned());
        }
        for p in value.replace("%2C", ",").replace("%2c", ",").split(',') {
            match p.parse::<u16>() {
                Ok(0) => return Err(format!("port {p:?} must be > 0")),
                Ok(n) => out.push(n),
                Err(_) => return Err(format!("unable to parse {p:?} as a port")),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_client_messages() {
        assert_eq!(
            decode(b"\x00abc", true, true),
            Ok(Incoming::Data(0, b"abc"))
        );
        assert_eq!(
            decode(b"\x04{\"Width\":100,\"Height\":30}", true, false),
            Ok(Incoming::Resize(30, 100))
        );
        assert!(matches!(
            decode(b"\x04{\"Width\":-1}", true, false),
            Err(FrameError::Resize(_))
        ));
        // Port forwarding: channel 4 is port 2's data.
        assert_eq!(decode(b"\x04x", false, false), Ok(Incoming::Data(4, b"x")));
        assert_eq!(decode(b"\xff\x00", true, true), Ok(Incoming::Close(0)));
        assert_eq!(
            decode(b"\xff\x00", true, false),
            Ok(Incoming::Data(255, b"\x00"))
        );
        assert_eq!(decode(b"\xff", true, true), Err(FrameError::Close));
        assert_eq!(decode(b"", true, true), Err(FrameError::Empty));
        assert_eq!(frame(STDOUT, b"hi"), b"\x01hi");
    }

    #[test]
    fn statuses() {
        let ok: serde_json::Value = serde_json::from_slice(&exit_status("true", 0)).unwrap();
        assert_eq!(ok, json!({"metadata": {}, "status": "Success"}));
        let bad: serde_json::Value = serde_json::from_slice(&exit_status("false", 3)).unwrap();
        assert_eq!(bad["reason"], "NonZeroExitCode");
        assert_eq!(bad["details"]["causes"][0]["reason"], "ExitCode");
        assert_eq!(bad["details"]["causes"][0]["message"], "3");
        let e: serde_json::Value = serde_json::from_slice(&internal_error("boom")).unwrap();
        assert_eq!(e["code"], 500);
    }

    #[test]
    fn port_queries() {
        assert_eq!(ports("port=80&port=443"), Ok(vec![80, 443]));
        assert_eq!(ports("x=1&port=80%2C81"), Ok(vec![80, 81]));
        assert_eq!(ports(""), Ok(vec![]));
        assert!(ports("port=").is_err());
        assert!(ports("port=0").is_err());
        assert!(ports("port=70000").is_err());
    }
}
