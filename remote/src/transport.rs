//! HTTP/1.1 to the service: one connection per request (as many at once as
//! the callers make), over the unix socket, TCP, or the ssh tunnel's local
//! socket. Upgraded connections (attach, exec) are handed over raw.

use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use rpod_api::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{from_response, transport, unreachable};
use crate::ssh::Tunnel;
use crate::tls::{client_config, server_name};
use crate::url::RemoteUrl;
use crate::{ConnectOptions, API_PREFIX};

enum Target {
    Unix(PathBuf),
    Tcp(String),
    /// `host:port` over TLS.
    Tls {
        addr: String,
        connector: tokio_rustls::TlsConnector,
        name: rustls::pki_types::ServerName<'static>,
    },
}

pub(crate) struct Transport {
    target: Target,
    /// Kept open while the engine lives (ends the ssh process on drop).
    _tunnel: Option<Tunnel>,
}

impl Transport {
    pub(crate) fn open(url: &RemoteUrl, options: &ConnectOptions) -> Result<Transport> {
        if options.tls.wanted() && !matches!(url, RemoteUrl::Tcp(_)) {
            return Err(Error::invalid(
                "TLS options (--tls-ca, --tls-cert, --tls-key) are only supported with tcp:// URLs",
            ));
        }
        Ok(match url {
            RemoteUrl::Tcp(a) if options.tls.wanted() => Transport {
                target: Target::Tls {
                    addr: a.clone(),
                    connector: tokio_rustls::TlsConnector::from(client_config(&options.tls)?),
                    name: server_name(a)?,
                },
                _tunnel: None,
            },
            RemoteUrl::Unix(p) => Transport {
                target: Target::Unix(p.clone()),
                _tunnel: None,
            },
            RemoteUrl::Tcp(a) => Transport {
                target: Target::Tcp(a.clone()),
                _tunnel: None,
            },
            RemoteUrl::Ssh { .. } => {
                let tunnel = Tunnel::open(url, options)?;
                Transport {
                    target: Target::Unix(tunnel.local_socket()),
                    _tunnel: Some(tunnel),
                }
            }
        })
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>> {
        match &self.target {
            Target::Unix(p) => {
                let s = tokio::net::UnixStream::connect(p)
                    .await
                    .map_err(|e| unreachable(&format!("dial unix {}", p.display()), &e))?;
                handshake(TokioIo::new(s)).await
            }
            Target::Tcp(a) => {
                let s = tokio::net::TcpStream::connect(a)
                    .await
                    .map_err(|e| unreachable(&format!("dial tcp {a}"), &e))?;
                handshake(TokioIo::new(s)).await
            }
            Target::Tls {
                addr,
                connector,
                name,
            } => {
                let s = tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(|e| unreachable(&format!("dial tcp {addr}"), &e))?;
                let s = connector
                    .connect(name.clone(), s)
                    .await
                    .map_err(|e| unreachable(&format!("TLS handshake with {addr}"), &e))?;
                handshake(TokioIo::new(s)).await
            }
        }
    }

    /// Sends a request to `API_PREFIX + path` (with an `Upgrade: tcp` when
    /// `upgrade`); the response, whatever its status.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        upgrade: bool,
    ) -> Result<Response<Incoming>> {
        self.send_with_headers(method, path, body, upgrade, &[])
            .await
    }

    /// [`Transport::send`] with extra request headers.
    async fn send_with_headers(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        upgrade: bool,
        headers: &[(&str, String)],
    ) -> Result<Response<Incoming>> {
        let mut sender = self.connect().await?;
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{API_PREFIX}{path}"))
            .header(hyper::header::HOST, "d");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        if body.is_some() {
            req = req.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        if upgrade {
            req = req
                .header(hyper::header::CONNECTION, "Upgrade")
                .header(hyper::header::UPGRADE, "tcp");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| transport("building the request", e))?;
        tracing::debug!("remote request {} {}", req.method(), req.uri());
        sender
            .send_request(req)
            .await
            .map_err(|e| transport("sending the request to the service", e))
    }

    /// A request answered by handing the connection over (101, or 200 as
    /// some services answer attach): the raw connection.
    pub(crate) async fn upgrade(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<hyper::upgrade::Upgraded> {
        let resp = self.send(method, path, body, true).await?;
        let status = resp.status().as_u16();
        if status != 101 && status != 200 {
            let b = read_all(resp).await?;
            return Err(from_response(status, &b));
        }
        hyper::upgrade::on(resp)
            .await
            .map_err(|e| transport("taking over the connection", e))
    }

    /// A request whose answer must be a success; its body as it streams.
    pub(crate) async fn stream(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Incoming> {
        self.stream_with_headers(method, path, body, &[]).await
    }

    /// [`Transport::stream`] with extra request headers.
    pub(crate) async fn stream_with_headers(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, String)],
    ) -> Result<Incoming> {
        let resp = self
            .send_with_headers(method, path, body, false, headers)
            .await?;
        let status = resp.status().as_u16();
        if status >= 400 {
            let b = read_all(resp).await?;
            return Err(from_response(status, &b));
        }
        Ok(resp.into_body())
    }

    /// A request whose answer must be a success; its body.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Bytes)> {
        let resp = self.send(method, path, body, false).await?;
        let status = resp.status().as_u16();
        let bytes = read_all(resp).await?;
        if status >= 400 {
            return Err(from_response(status, &bytes));
        }
        Ok((status, bytes))
    }

    /// A request with a JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T> {
        let (_, bytes) = self.call(method, path, body).await?;
        decode(&bytes)
    }

    /// A GET with a JSON answer.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.json(Method::GET, path, None).await
    }
}

/// A JSON request body.
pub(crate) fn body(value: &impl Serialize) -> Result<Option<Vec<u8>>> {
    serde_json::to_vec(value)
        .map(Some)
        .map_err(|e| transport("encoding the request", e))
}

/// `value` as JSON text (a query parameter).
pub(crate) fn transport_json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| transport("encoding the request", e))
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| transport("decoding the service's answer", e))
}

/// A whole response body.
pub(crate) async fn read_all(resp: Response<Incoming>) -> Result<Bytes> {
    resp.into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| transport("reading the service's answer", e))
}

async fn handshake<T>(io: T) -> Result<SendRequest<Full<Bytes>>>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| transport("talking to the service", e))?;
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!("remote connection: {e}");
        }
    });
    Ok(sender)
}
