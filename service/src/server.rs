//! Serving: the router on a bound listener until the idle timeout passes or
//! SIGTERM/SIGINT arrives; requests in flight are finished first.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::ServiceExt;
use http_body_util::BodyExt;
use tokio::signal::unix::{signal, SignalKind};
use tower_layer::Layer;

use crate::endpoint::Listener;
use crate::idle::Activity;
use crate::tls::TlsListener;
use crate::{routes, version, Engine};

/// How the service runs.
#[derive(Clone, Debug, Default)]
pub struct ServiceOptions {
    /// End after this long without requests; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// The URI the service listens on (`info`'s `host.remoteSocket`);
    /// `None` when systemd passed the socket.
    pub listen_uri: Option<String>,
    /// TLS for a TCP listener (`--tls-cert`/`--tls-key`/`--tls-client-ca`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("serving the API: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves the API on `listener` with `engine` until idle or signalled.
pub async fn serve(
    engine: Engine,
    listener: Listener,
    options: ServiceOptions,
) -> Result<(), ServeError> {
    let activity = Activity::new();
    let app = routes::router(engine, options.listen_uri.clone()).layer(
        middleware::from_fn_with_state(activity.clone(), track_activity),
    );
    let app = middleware::from_fn(version::versioned).layer(app);
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let idle = options.idle_timeout;
    let idle_activity = activity.clone();
    let shutdown = async move {
        let timeout = async {
            match idle {
                Some(t) => idle_activity.idle_for(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = timeout => tracing::info!("API service idle: shutting down"),
            _ = term.recv() => tracing::info!("SIGTERM: shutting down the API service"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down the API service"),
        }
    };
    let _trimmer = crate::memory::Trimmer::start(activity.clone());
    let service = app.into_make_service();
    match listener {
        Listener::Unix(l, path) => {
            let result = axum::serve(l, service)
                .with_graceful_shutdown(shutdown)
                .await;
            if let Some(path) = path {
                let _ = std::fs::remove_file(path);
            }
            result?;
        }
        Listener::Tcp(l) => match options.tls {
            Some(config) => {
                axum::serve(TlsListener::new(l, config), service)
                    .with_graceful_shutdown(shutdown)
                    .await?;
            }
            None => {
                axum::serve(l, service)
                    .with_graceful_shutdown(shutdown)
                    .await?;
            }
        },
    }
    Ok(())
}

/// Counts the request as in flight until its response body has been sent.
async fn track_activity(
    State(activity): State<Arc<Activity>>,
    req: Request,
    next: Next,
) -> Response {
    let guard = activity.begin();
    let (method, uri) = (req.method().clone(), req.uri().clone());
    tracing::debug!("API request {method} {uri}");
    let resp = next.run(req).await;
    tracing::debug!("API response {method} {uri}: {}", resp.status());
    resp.map(|body| {
        axum::body::Body::new(body.map_frame(move |frame| {
            let _in_flight = &guard;
            frame
        }))
    })
}
