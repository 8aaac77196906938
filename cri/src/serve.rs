//! The gRPC server: both CRI services on one unix socket.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use k8s_cri::v1::image_service_server::ImageServiceServer;
use k8s_cri::v1::runtime_service_server::RuntimeServiceServer;
use rpod_api::FrontDoor;
use tokio::net::{TcpListener, UnixListener};
use tokio_stream::wrappers::UnixListenerStream;

use crate::image::ImageSvc;
use crate::runtime::Runtime;
use crate::stream::{self, Streamer};

/// How `rpod cri serve` runs.
#[derive(Clone, Debug, Default)]
pub struct CriOptions {
    /// The rpod network sandboxes join (`None`: the engine's default).
    pub network: Option<String>,
    /// rpod's version, as `Version` reports it.
    pub version: String,
}

/// A failure to listen or serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("invalid listen address {0:?}: only unix:///PATH is supported")]
    BadUri(String),
    #[error("listening on {path}: {source}")]
    Bind {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid stream address {0:?}: give the IP address and port the kubelet reaches (e.g. 127.0.0.1:0)")]
    BadStreamAddress(String),
    #[error("listening for streams on {addr}: {source}")]
    StreamBind {
        addr: String,
        source: std::io::Error,
    },
    #[error("serving CRI: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("serving streams: {0}")]
    Stream(std::io::Error),
}

/// What both services share.
pub(crate) struct Shared {
    pub engine: Arc<dyn FrontDoor>,
    pub options: CriOptions,
    pub stream: Arc<Streamer>,
    /// The pod CIDR the kubelet gave in `UpdateRuntimeConfig`.
    pub pod_cidr: std::sync::Mutex<String>,
}

/// The socket path of `unix:///PATH` (or a bare absolute path).
pub fn socket_path(uri: &str) -> Result<PathBuf, ServeError> {
    let path = uri.strip_prefix("unix://").unwrap_or(uri);
    if !path.starts_with('/') {
        return Err(ServeError::BadUri(uri.to_owned()));
    }
    Ok(PathBuf::from(path))
}

/// Binds the socket at `path`, replacing a stale one left by a killed server.
pub fn bind(path: &Path) -> Result<UnixListener, ServeError> {
    let err = |source| ServeError::Bind {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    if std::os::unix::net::UnixStream::connect(path).is_err() {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e)),
        }
    }
    UnixListener::bind(path).map_err(err)
}

/// Binds the streaming server's TCP socket at `addr` (`IP:PORT`, port 0
/// for any free one). The address goes into the URLs the kubelet opens, so
/// it must be a specific one.
pub async fn bind_stream(addr: &str) -> Result<TcpListener, ServeError> {
    let parsed: std::net::SocketAddr = addr
        .parse()
        .map_err(|_| ServeError::BadStreamAddress(addr.to_owned()))?;
    if parsed.ip().is_unspecified() {
        return Err(ServeError::BadStreamAddress(addr.to_owned()));
    }
    TcpListener::bind(parsed)
        .await
        .map_err(|source| ServeError::StreamBind {
            addr: addr.to_owned(),
            source,
        })
}

/// Serves RuntimeService and ImageService on `listener` and the streaming
/// server on `streams` until `shutdown`.
pub async fn serve(
    engine: Arc<dyn FrontDoor>,
    listener: UnixListener,
    streams: TcpListener,
    options: CriOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let stream_addr = streams.local_addr().map_err(ServeError::Stream)?;
    tracing::info!("CRI streaming server on http://{stream_addr}");
    let streamer = Arc::new(Streamer::new(stream_addr));
    let shared = Arc::new(Shared {
        engine: engine.clone(),
        options,
        stream: streamer.clone(),
        pod_cidr: std::sync::Mutex::default(),
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let streaming = tokio::spawn(stream::serve(engine, streamer, streams, async {
        let _ = stop_rx.await;
    }));
    let served = tonic::transport::Server::builder()
        .add_service(RuntimeServiceServer::new(Runtime::new(shared.clone())))
        .add_service(ImageServiceServer::new(ImageSvc::new(shared)))
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), shutdown)
        .await;
    let _ = stop_tx.send(());
    streaming.abort();
    served?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            socket_path("unix:///run/rpod/cri.sock").unwrap(),
            PathBuf::from("/run/rpod/cri.sock")
        );
        assert_eq!(socket_path("/a.sock").unwrap(), PathBuf::from("/a.sock"));
        assert!(socket_path("tcp://127.0.0.1:1").is_err());
        assert!(socket_path("unix://rel.sock").is_err());
    }
}
