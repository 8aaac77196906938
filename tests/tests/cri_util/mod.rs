//! `rpod cri serve` for tests: started on a private socket with its own CNI
//! network, killed when dropped; a gRPC client from the same CRI protos.

use std::future::Future;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rpod_cri::proto as cri;
use rpod_cri::proto::image_service_client::ImageServiceClient;
use rpod_cri::proto::runtime_service_client::RuntimeServiceClient;
pub mod ws;

use rpod_tests::{unique_name, wait_until, TestEnv};
use tonic::transport::{Channel, Endpoint, Uri};

/// A running `rpod cri serve`, SIGKILLed when dropped.
pub struct CriServer {
    pub child: Child,
}

impl CriServer {
    /// `rpod cri serve --listen unix://SOCK NETWORK_ARGS...`.
    pub fn start(env: &TestEnv, sock: &Path, network_args: &[&str]) -> CriServer {
        let log =
            std::fs::File::create(env.dir().join(format!("cri-{}.log", unique_name("s")))).unwrap();
        let uri = format!("unix://{}", sock.display());
        let mut args = vec!["cri", "serve", "--listen", &uri];
        args.extend_from_slice(network_args);
        let mut cmd = env.cmd(&args);
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = cmd.spawn().expect("starting rpod cri serve");
        CriServer { child }
    }

    /// SIGKILL, as a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for CriServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A blocking CRI client over the server's socket.
pub struct Client {
    rt: tokio::runtime::Runtime,
    channel: Channel,
}

impl Client {
    /// Connects once the server answers `Version`.
    pub fn connect(sock: &Path) -> Client {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let path = sock.to_owned();
        let channel = rt.block_on(async {
            Endpoint::try_from("http://[::]")
                .unwrap()
                .connect_with_connector_lazy(tower::service_fn(move |_: Uri| {
                    let p = path.clone();
                    async move {
                        Ok::<_, std::io::Error>(TokioIo::new(
                            tokio::net::UnixStream::connect(p).await?,
                        ))
                    }
                }))
        });
        let client = Client { rt, channel };
        wait_until(Duration::from_secs(60), "the CRI socket to answer", || {
            client
                .call(client.rs().version(cri::VersionRequest::default()))
                .is_ok()
        });
        client
    }

    pub fn rs(&self) -> RuntimeServiceClient<Channel> {
        RuntimeServiceClient::new(self.channel.clone())
    }

    pub fn is(&self) -> ImageServiceClient<Channel> {
        ImageServiceClient::new(self.channel.clone())
    }

    /// Runs one call to its answer.
    pub fn call<T>(
        &self,
        f: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, tonic::Status> {
        self.rt.block_on(f).map(tonic::Response::into_inner)
    }

    /// The next message of a server stream, waited for up to `timeout`
    /// (`None`: none came, or the stream ended).
    pub fn next<T>(&self, s: &mut tonic::Streaming<T>, timeout: Duration) -> Option<T> {
        self.rt
            .block_on(async { tokio::time::timeout(timeout, s.message()).await })
            .ok()?
            .expect("a stream message")
    }
}

/// A sandbox config: metadata from `name`, labels, annotations and logs
/// under `log_dir`; the pid namespace per container, as a kubelet asks.
pub fn sandbox_config(name: &str, log_dir: &Path) -> cri::PodSandboxConfig {
    cri::PodSandboxConfig {
        metadata: Some(cri::PodSandboxMetadata {
            name: name.to_owned(),
            uid: format!("uid-{name}"),
            namespace: "default".to_owned(),
            attempt: 0,
        }),
        hostname: name.to_owned(),
        log_directory: log_dir.display().to_string(),
        labels: [("app".to_owned(), name.to_owned())].into(),
        annotations: [("note".to_owned(), "kept".to_owned())].into(),
        linux: Some(cri::LinuxPodSandboxConfig {
            security_context: Some(cri::LinuxSandboxSecurityContext {
                namespace_options: Some(cri::NamespaceOption {
                    network: cri::NamespaceMode::Pod as i32,
                    pid: cri::NamespaceMode::Container as i32,
                    ipc: cri::NamespaceMode::Pod as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A container config running `script` with sh, logging to `log_path`.
pub fn container_config(
    name: &str,
    image: &str,
    script: &str,
    log_path: &str,
) -> cri::ContainerConfig {
    cri::ContainerConfig {
        metadata: Some(cri::ContainerMetadata {
            name: name.to_owned(),
            attempt: 0,
        }),
        image: Some(cri::ImageSpec {
            image: image.to_owned(),
            ..Default::default()
        }),
        command: vec!["sh".to_owned(), "-c".to_owned()],
        args: vec![script.to_owned()],
        envs: vec![cri::KeyValue {
            key: "FOO".to_owned(),
            value: "bar".to_owned(),
        }],
        labels: [("tier".to_owned(), name.to_owned())].into(),
        annotations: [("ann".to_owned(), name.to_owned())].into(),
        log_path: log_path.to_owned(),
        ..Default::default()
    }
}
